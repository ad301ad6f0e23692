#!/usr/bin/env bash
# Alternating rounds: zerodt-serve, optionally another build of it (BASELINE_BIN), and nginx,
# each round one short wrk run against each server in turn, per path, so that a change of
# load on the machine falls on all of them alike. On a shared machine a server's rate
# moves by a fifth between runs minutes apart; round by round, the medians of 12 to 16
# rounds still moved by up to 5% between two runs here: take several runs before calling
# a difference of that size. The site is throughput.sh's.
# Prints, per path and server, the median over the rounds of requests/s and of CPU µs per
# request (user + system, from /proc), and both as a ratio to nginx's (`compare`, as
# floor.sh). Loopback only; bounded in time (ROUNDS x paths x servers x DURATION seconds).
#
#   Benchmarks/alternate.sh                                   # /hello, 8 rounds of 3 s
#   BASELINE_BIN=/tmp/old-zerodt-serve Benchmarks/alternate.sh
#   PATHS="/hello /1k.txt /1m.bin" ROUNDS=12 Benchmarks/alternate.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-3}
ROUNDS=${ROUNDS:-8}
CONNECTIONS=${CONNECTIONS:-64}
PATHS=${PATHS:-/hello}
OURS_PORT=${OURS_PORT:-18491}
NGINX_PORT=${NGINX_PORT:-18492}
BASELINE_PORT=${BASELINE_PORT:-18493}

source Benchmarks/common.sh

write_throughput_site "$OURS_PORT" "$NGINX_PORT"
"$BIN" --config "$work/zerodt.yaml" 2>"$work/zerodt.log" &
# label|pid file|port of each server; nginx first, the reference.
servers=("nginx|nginx|$NGINX_PORT" "zerodt|zerodt|$OURS_PORT")
if [ -n "${BASELINE_BIN:-}" ]; then
  sed -e "s/127.0.0.1:$OURS_PORT/127.0.0.1:$BASELINE_PORT/" -e "s|$work/zerodt.pid|$work/baseline.pid|" \
    "$work/zerodt.yaml" >"$work/baseline.yaml"
  "$BASELINE_BIN" --config "$work/baseline.yaml" 2>"$work/baseline.log" &
  servers+=("baseline|baseline|$BASELINE_PORT")
fi
"$NGINX" -c "$work/nginx.conf" -e "$work/nginx-error.log"
for server in "${servers[@]}"; do
  IFS='|' read -r label pidfile port <<<"$server"
  for _ in $(seq 1 100); do
    [ -f "$work/$pidfile.pid" ] && curl -fs -o /dev/null "http://127.0.0.1:$port/hello" && break
    sleep 0.1
  done
  curl -fs -o /dev/null "http://127.0.0.1:$port/hello" || { echo "$label did not come up" >&2; exit 1; }
done

compare_header
for path in $PATHS; do
  cases=()
  for server in "${servers[@]}"; do
    IFS='|' read -r label pidfile port <<<"$server"
    cases+=("$label|$pidfile|http://127.0.0.1:$port$path")
  done
  compare "$path" wrk_run "${cases[@]}"
done
