#!/usr/bin/env bash
# Costs that must not grow with the config (issue 14). Two measurements, ours only:
#  1. A 1 KiB static file from a server with 1,000 routes (/section0/ … /section998/ and a
#     static /) against the same file from a server with 2 routes, in one process: the
#     route lookup must be independent of the number of routes (target: within 5%).
#  2. Start-up time and SIGHUP-to-ready (median) with 200 listeners and 1,000 routes.
# Loopback only; bounded in time.
#
#   Benchmarks/scale.sh                 # 10 s per run, 3 rounds, medians
#   DURATION=5 ROUNDS=1 Benchmarks/scale.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-64}
RESTARTS=${RESTARTS:-9}
STARTUPS=${STARTUPS:-5}
SMALL_PORT=${SMALL_PORT:-18491}
BIG_PORT=${BIG_PORT:-18492}
FIRST_LISTENER_PORT=${FIRST_LISTENER_PORT:-18500}

source Benchmarks/common.sh

mkdir -p "$work/site"
head -c 1024 /dev/zero | tr '\0' 'a' >"$work/site/1k.txt"

# $1 routes named /sectionN/ answering a fixed body, in YAML at route depth.
section_routes() {
  local n
  for n in $(seq 0 $(($1 - 1))); do printf '      - {path: /section%d/, respond: "section %d"}\n' "$n" "$n"; done
}

# Waits until the server logging to $2 has written "ready" $3 times; the server that
# failed to start (a port in use, say) is reported with its log at once.
wait_ready() {
  for _ in $(seq 1 600); do
    [ "$(grep -c '] ready ' "$2" 2>/dev/null || true)" -ge "$3" ] && return 0
    grep -q ' error ' "$2" 2>/dev/null && break
    sleep 0.05
  done
  echo "no ready line $3 in $2:" >&2
  tail -5 "$2" >&2
  exit 1
}

# 1. Route lookup: 2 routes and 1,000 routes served by one process.
{
  printf 'servers:\n'
  printf '  - name: small\n    listen: ["127.0.0.1:%d"]\n    routes:\n' "$SMALL_PORT"
  printf '      - {path: /hello, respond: "Hello"}\n      - {path: /, static: {root: %s}}\n' "$work/site"
  printf '  - name: big\n    listen: ["127.0.0.1:%d"]\n    routes:\n' "$BIG_PORT"
  section_routes 999
  printf '      - {path: /, static: {root: %s}}\n' "$work/site"
  printf 'pid_file: %s/zerodt.pid\nlog: {access: false, level: info}\n' "$work"
} >"$work/zerodt.yaml"
"$BIN" --config "$work/zerodt.yaml" 2>"$work/zerodt.log" &
wait_ready "$work/zerodt.pid" "$work/zerodt.log" 1
small=(); big=()
for _ in $(seq 1 "$ROUNDS"); do
  small+=("$(measure "http://127.0.0.1:$SMALL_PORT/1k.txt" "$work/zerodt.pid")")
  big+=("$(measure "http://127.0.0.1:$BIG_PORT/1k.txt" "$work/zerodt.pid")")
done
kill "$(cat "$work/zerodt.pid")"
for _ in $(seq 1 100); do [ -f "$work/zerodt.pid" ] || break; sleep 0.1; done
s=$(printf '%s\n' "${small[@]}" | cut -d' ' -f1 | median)
b=$(printf '%s\n' "${big[@]}" | cut -d' ' -f1 | median)
sc=$(printf '%s\n' "${small[@]}" | cut -d' ' -f2 | median)
bc=$(printf '%s\n' "${big[@]}" | cut -d' ' -f2 | median)
printf '%-22s %10s %10s %7s %12s %12s\n' case 2_routes 1000_routes ratio us/req_2 us/req_1000
awk -v s="$s" -v b="$b" -v sc="$sc" -v bc="$bc" \
  'BEGIN { printf "%-22s %10.0f %10.0f %7.2f %12.1f %12.1f\n", "1kib-static", s, b, b / s, sc, bc }'

# 2. Start-up (median of STARTUPS) and SIGHUP-to-ready (median of RESTARTS) with 200
#    listeners (one server each) and 1,000 routes.
{
  printf 'servers:\n'
  for n in $(seq 0 199); do
    printf '  - name: s%d\n    listen: ["127.0.0.1:%d"]\n    routes:\n' "$n" $((FIRST_LISTENER_PORT + n))
    for r in 0 1 2 3; do printf '      - {path: /section%d/, respond: "section %d"}\n' "$r" "$r"; done
    printf '      - {path: /, static: {root: %s}}\n' "$work/site"
  done
  printf 'pid_file: %s/zerodt.pid\nlog: {access: false, level: info}\n' "$work"
} >"$work/many.yaml"
startup=$(python3 Benchmarks/startup_time.py "$BIN" "$work/many.yaml" "$STARTUPS")
"$BIN" --config "$work/many.yaml" 2>"$work/many.log" &
wait_ready "$work/zerodt.pid" "$work/many.log" 1
for n in $(seq 1 "$RESTARTS"); do
  kill -HUP "$(cat "$work/zerodt.pid")"
  wait_ready "$work/zerodt.pid" "$work/many.log" $((n + 1))
  sleep 0.3
done
ready=$(hup_to_ready_ms "$work/many.log" | median)
printf '%-22s %10s %10s\n' case startup_ms hup_ready_ms
printf '%-22s %10s %10s\n' "200-listeners" "$startup" "$ready"
