#!/usr/bin/env bash
# Throughput of zerodt-serve against nginx, measured in the same run on the same machine.
# Cases: a fixed 13-byte response, a 1 KiB static file, a 1 MiB static file, and a 100 KiB
# text file asked for with `Accept-Encoding: gzip`: from its precompressed .gz sibling
# (`precompressed: [gzip]` / nginx `gzip_static on`) and compressed per request
# (`encode: gzip` / nginx `gzip on`, both at zlib level 1, nginx's default).
# Prints req/s and server CPU µs per request (from /proc) for both, the ratios ours/nginx
# and our RSS. Then the cost of metrics: the hello case against a second zerodt-serve whose
# config has a `metrics` route (metrics on) and the first (off), rounds interleaved.
# Loopback only; bounded in time.
#
#   Benchmarks/throughput.sh            # 10 s per case and server, 3 rounds, medians
#   DURATION=5 ROUNDS=1 Benchmarks/throughput.sh
#   CASES= ROUNDS=9 Benchmarks/throughput.sh   # only the metrics on/off comparison
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-64}
OURS_PORT=${OURS_PORT:-18481}
NGINX_PORT=${NGINX_PORT:-18482}
METRICS_PORT=${METRICS_PORT:-18483}
# Empty: skip the comparison with nginx, measure only metrics on and off.
CASES=${CASES-all}

source Benchmarks/common.sh

write_throughput_site "$OURS_PORT" "$NGINX_PORT"

# The same site with metrics on: the only difference is the `metrics` route.
sed -e "s/127.0.0.1:$OURS_PORT/127.0.0.1:$METRICS_PORT/" -e "s|$work/zerodt.pid|$work/zerodt-metrics.pid|" \
  -e 's|      - path: /hello|      - path: /metrics\n        handler: metrics\n      - path: /hello|' \
  "$work/zerodt.yaml" >"$work/zerodt-metrics.yaml"

"$BIN" --config "$work/zerodt.yaml" 2>"$work/zerodt.log" &
"$BIN" --config "$work/zerodt-metrics.yaml" 2>"$work/zerodt-metrics.log" &
"$NGINX" -c "$work/nginx.conf" -e "$work/nginx-error.log"

wait_port() {
  for _ in $(seq 1 100); do
    curl -fs -o /dev/null "http://127.0.0.1:$1/hello" && return 0
    sleep 0.1
  done
  echo "server on port $1 did not come up" >&2
  exit 1
}
wait_port "$OURS_PORT"
wait_port "$METRICS_PORT"
wait_port "$NGINX_PORT"
# Read whole before grep: `grep -q` stops early, and pipefail would count curl's SIGPIPE.
scrape() { curl -fs "http://127.0.0.1:$METRICS_PORT/metrics"; }
grep -q '^zerodt_build_info' <<<"$(scrape)" || { echo "metrics are not on in $work/zerodt-metrics.yaml" >&2; exit 1; }

# One row: case $1, path $2, request header $3 (optional), medians over ROUNDS.
report_case() {
  local name=$1 path=$2 header=${3:-} ours=() theirs=() o n oc nc rss
  for _ in $(seq 1 "$ROUNDS"); do
    ours+=("$(measure "http://127.0.0.1:$OURS_PORT$path" "$work/zerodt.pid" "$header")")
    theirs+=("$(measure "http://127.0.0.1:$NGINX_PORT$path" "$work/nginx.pid" "$header")")
  done
  o=$(printf '%s\n' "${ours[@]}" | cut -d' ' -f1 | median)
  n=$(printf '%s\n' "${theirs[@]}" | cut -d' ' -f1 | median)
  oc=$(printf '%s\n' "${ours[@]}" | cut -d' ' -f2 | median)
  nc=$(printf '%s\n' "${theirs[@]}" | cut -d' ' -f2 | median)
  rss=$(awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$(cat "$work/zerodt.pid")/status")
  awk -v c="$name" -v o="$o" -v n="$n" -v oc="$oc" -v nc="$nc" -v r="$rss" \
    'BEGIN { printf "%-8s %10.0f %10.0f %7.2f %12.1f %12.1f %7.2f %8s\n", c, o, n, o / n, oc, nc, oc / nc, r }'
}

# Both servers must answer the compressed cases compressed, or the comparison means nothing.
for port in "$OURS_PORT" "$NGINX_PORT"; do
  for path in /pre/100k.txt /fly/100k.txt; do
    if ! curl -fsI -H 'Accept-Encoding: gzip' "http://127.0.0.1:$port$path" | grep -qi '^content-encoding: gzip'; then
      echo "port $port does not answer $path with gzip" >&2
      exit 1
    fi
  done
done

if [ -n "$CASES" ]; then
  printf '%-8s %10s %10s %7s %12s %12s %7s %8s\n' case zerodt nginx ratio zerodt_us/req nginx_us/req cpu_x rss_mib
  for case in hello:/hello 1kib:/1k.txt 1mib:/1m.bin; do
    report_case "${case%%:*}" "${case#*:}"
  done
  report_case gz-pre /pre/100k.txt "Accept-Encoding: gzip"
  report_case gz-fly /fly/100k.txt "Accept-Encoding: gzip"
fi
echo
printf '%-8s %12s %12s %7s %12s %12s\n' case metrics_off metrics_on ratio off_us/req on_us/req
off=(); on=()
for _ in $(seq 1 "$ROUNDS"); do
  off+=("$(measure "http://127.0.0.1:$OURS_PORT/hello" "$work/zerodt.pid")")
  on+=("$(measure "http://127.0.0.1:$METRICS_PORT/hello" "$work/zerodt-metrics.pid")")
done
o=$(printf '%s\n' "${off[@]}" | cut -d' ' -f1 | median)
m=$(printf '%s\n' "${on[@]}" | cut -d' ' -f1 | median)
oc=$(printf '%s\n' "${off[@]}" | cut -d' ' -f2 | median)
mc=$(printf '%s\n' "${on[@]}" | cut -d' ' -f2 | median)
awk -v o="$o" -v m="$m" -v oc="$oc" -v mc="$mc" \
  'BEGIN { printf "%-8s %12.0f %12.0f %7.3f %12.1f %12.1f\n", "hello", o, m, m / o, oc, mc }'
# The requests just measured are in the metrics: they were counted, not skipped.
grep -q 'zerodt_http_requests_total{server="bench",route="/hello",method="GET",code="200"}' <<<"$(scrape)" \
  || { echo "the metrics-on server did not count its requests" >&2; exit 1; }

# INSTRUCTIONS=1: user-space instructions per request of ours (callgrind), which do not
# depend on the machine's load as req/s and CPU time do: for each case, two runs serving a
# fixed number of requests (h2load, 8 connections), the difference of the totals divided
# by the difference of the counts (start-up and shutdown cancel out). Kernel time is not
# in it: fewer system calls show in the CPU columns above, not here. Valgrind 3.19 cannot
# read the DWARF 5 of a Swift release build, so it runs a copy without debug info.
if [ -n "${INSTRUCTIONS:-}" ]; then
  command -v valgrind >/dev/null && command -v h2load >/dev/null || { echo "INSTRUCTIONS needs valgrind and h2load" >&2; exit 1; }
  objcopy --strip-debug "$BIN" "$work/zerodt-serve-nodebug"
  sed -e "s/127.0.0.1:$OURS_PORT/127.0.0.1:$METRICS_PORT/" -e "s|$work/zerodt.pid|$work/zerodt-callgrind.pid|" \
    "$work/zerodt.yaml" >"$work/zerodt-callgrind.yaml"
  # The metrics server's port is reused; it removes its pid file as it stops.
  metrics_pid=$(cat "$work/zerodt-metrics.pid")
  kill "$metrics_pid"
  while kill -0 "$metrics_pid" 2>/dev/null; do sleep 0.1; done
  # Instructions of a server that answered $3 requests for path $1 (request header $2).
  collected() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$work/zerodt-serve-nodebug" \
      --config "$work/zerodt-callgrind.yaml" 2>"$work/callgrind.log" &
    local pid=$! _
    for _ in $(seq 1 300); do curl -fs -o /dev/null "http://127.0.0.1:$METRICS_PORT/hello" && break; sleep 0.2; done
    h2load --h1 -n "$3" -c 8 ${2:+-H "$2"} "http://127.0.0.1:$METRICS_PORT$1" | grep -q " $3 succeeded, 0 failed" \
      || { echo "h2load: not every request of $1 succeeded" >&2; kill "$pid"; exit 1; }
    kill -TERM "$pid"; wait "$pid" || true
    awk '/Collected/ { gsub(",", "", $NF); print $NF }' "$work/callgrind.log"
  }
  echo
  printf '%-8s %14s\n' case instr/req
  for case in "hello|/hello|" "1kib|/1k.txt|" "1mib|/1m.bin|" "gz-pre|/pre/100k.txt|Accept-Encoding: gzip"; do
    IFS='|' read -r name path header <<<"$case"
    low=$(collected "$path" "$header" 5000)
    high=$(collected "$path" "$header" 25000)
    awk -v c="$name" -v l="$low" -v h="$high" 'BEGIN { printf "%-8s %14.0f\n", c, (h - l) / 20000 }'
  done
fi
