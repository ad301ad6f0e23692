#!/usr/bin/env python3
"""Checks two scrapes of zerodt-serve's /metrics with prometheus_client's parser.

usage: check_metrics.py BEFORE AFTER RESTARTS

BEFORE and AFTER are files holding the exposition text, scraped in that order with
RESTARTS zero-downtime restarts in between. Checks: both parse; every counter sample of
BEFORE is in AFTER and not smaller; zerodt_generation grew by RESTARTS;
zerodt_restarts_total{result="ok"} grew by RESTARTS; every histogram series has cumulative
buckets ending in +Inf, with +Inf == _count. Prints one JSON line of facts for the caller
(the requests counted per route in AFTER); exits 1 with the reasons otherwise, 2 when the
parser is missing (the test must fail then, not skip).
"""
import json
import math
import sys

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError as error:
    print(f"prometheus_client is not installed ({error}); pip install prometheus_client", file=sys.stderr)
    sys.exit(2)


def parse(path):
    with open(path, encoding="utf-8") as file:
        return list(text_string_to_metric_families(file.read()))


def key(sample):
    return (sample.name, tuple(sorted(sample.labels.items())))


def counters(families):
    return {key(s): s.value for f in families if f.type == "counter" for s in f.samples
            if not s.name.endswith("_created")}


def value(families, name, **labels):
    for family in families:
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return None


def histogram_problems(families, label):
    problems = []
    for family in (f for f in families if f.type == "histogram"):
        series = {}
        for sample in family.samples:
            rest = tuple(sorted((k, v) for k, v in sample.labels.items() if k != "le"))
            entry = series.setdefault(rest, {"buckets": [], "count": None, "sum": None})
            if sample.name.endswith("_bucket"):
                entry["buckets"].append((float(sample.labels["le"]), sample.value))
            elif sample.name.endswith("_count"):
                entry["count"] = sample.value
            elif sample.name.endswith("_sum"):
                entry["sum"] = sample.value
        for labels, entry in series.items():
            where = f"{label}: {family.name}{dict(labels)}"
            buckets = sorted(entry["buckets"])
            if not buckets or not math.isinf(buckets[-1][0]):
                problems.append(f"{where}: no +Inf bucket")
                continue
            counts = [count for _, count in buckets]
            if any(later < earlier for earlier, later in zip(counts, counts[1:])):
                problems.append(f"{where}: bucket counts are not cumulative: {buckets}")
            if entry["count"] != counts[-1]:
                problems.append(f"{where}: +Inf bucket {counts[-1]} != _count {entry['count']}")
            if entry["sum"] is None or entry["sum"] < 0:
                problems.append(f"{where}: _sum missing or negative: {entry['sum']}")
    return problems


def main():
    before_path, after_path, restarts = sys.argv[1], sys.argv[2], int(sys.argv[3])
    before, after = parse(before_path), parse(after_path)
    problems = histogram_problems(before, "before") + histogram_problems(after, "after")
    later = counters(after)
    for sample_key, earlier in counters(before).items():
        if sample_key not in later:
            problems.append(f"counter {sample_key} disappeared")
        elif later[sample_key] < earlier:
            problems.append(f"counter {sample_key} went back: {earlier} -> {later[sample_key]}")
    generations = (value(before, "zerodt_generation"), value(after, "zerodt_generation"))
    if None in generations or generations[1] - generations[0] != restarts:
        problems.append(f"zerodt_generation went {generations[0]} -> {generations[1]}, not +{restarts}")
    ok = (value(before, "zerodt_restarts_total", result="ok") or 0,
          value(after, "zerodt_restarts_total", result="ok") or 0)
    if ok[1] - ok[0] != restarts:
        problems.append(f"zerodt_restarts_total{{result=\"ok\"}} went {ok[0]} -> {ok[1]}, not +{restarts}")
    for name in ("zerodt_build_info", "zerodt_process_start_time_seconds", "zerodt_http_connections",
                 "zerodt_http_requests_in_flight", "zerodt_restart_duration_seconds",
                 "zerodt_drain_duration_seconds", "zerodt_drain_forced_closes_total"):
        if value(after, name) is None:
            problems.append(f"{name} missing after the restarts")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        sys.exit(1)
    requests = {}
    for family in after:
        for sample in family.samples:
            if sample.name == "zerodt_http_requests_total":
                route = sample.labels["route"]
                requests[route] = requests.get(route, 0) + sample.value
    print(json.dumps({"requests": requests}))


if __name__ == "__main__":
    main()
