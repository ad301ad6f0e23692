#!/usr/bin/env bash
# Restarts under load: wrk -t2 -c64 for DURATION seconds with a restart every second,
# against zerodt-serve (SIGHUP) and against nginx (`nginx -s reload`), in one run.
# Prints requests, wrk socket errors, non-2xx answers and p99 latency for both, and for us
# the SIGHUP-to-ready time (median and p90) read from our own log. Loopback only.
#
#   Benchmarks/restart.sh               # 30 s each
#   DURATION=10 Benchmarks/restart.sh
#   READY_LOG=ready.txt Benchmarks/restart.sh   # also appends each SIGHUP-to-ready time
#                                               # (ms) there, to pool alternated runs of two builds
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-30}
OURS_PORT=${OURS_PORT:-18483}
NGINX_PORT=${NGINX_PORT:-18484}

source Benchmarks/common.sh

cat > "$work/zerodt.yaml" <<YAML
servers:
  - name: bench
    listen: ["127.0.0.1:$OURS_PORT"]
    routes:
      - path: /
        respond: "Hello, World!"
pid_file: $work/zerodt.pid
log: {access: false, level: info}
YAML

write_nginx_conf <<CONF
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / { default_type text/plain; return 200 "Hello, World!"; }
  }
CONF

"$BIN" --config "$work/zerodt.yaml" 2>"$work/zerodt.log" &
"$NGINX" -c "$work/nginx.conf" -e "$work/nginx-error.log"
for port in "$OURS_PORT" "$NGINX_PORT"; do
  for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
done

# Runs wrk against $1 while calling the restart function $2 once a second.
load_with_restarts() {
  local url=$1 restart=$2 out="$work/wrk.txt"
  wrk -t2 -c64 -d"${DURATION}s" --latency "$url" >"$out" &
  local wrk_pid=$!
  for _ in $(seq 1 $((DURATION - 1))); do
    sleep 1
    $restart
  done
  wait "$wrk_pid"
  local requests errors non2xx p99
  requests=$(awk '/requests in/ {print $1}' "$out")
  errors=$(awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$out")
  non2xx=$(awk '/Non-2xx/ {print $5}' "$out")
  p99=$(awk '$1 == "99%" {print $2}' "$out")
  printf '%-8s %10s %14s %8s %10s\n' "$3" "$requests" "${errors:-0}" "${non2xx:-0}" "$p99"
}

restart_ours() { kill -HUP "$(cat "$work/zerodt.pid")"; }
restart_nginx() { "$NGINX" -c "$work/nginx.conf" -e "$work/nginx-error.log" -s reload; }

printf '%-8s %10s %14s %8s %10s\n' server requests socket_errors non2xx p99
load_with_restarts "http://127.0.0.1:$OURS_PORT/" restart_ours zerodt
load_with_restarts "http://127.0.0.1:$NGINX_PORT/" restart_nginx nginx

hup_to_ready_ms "$work/zerodt.log" | sort -g >"$work/ready.txt"
[ -z "${READY_LOG:-}" ] || cat "$work/ready.txt" >>"$READY_LOG"
count=$(wc -l <"$work/ready.txt")
if [ "$count" -gt 0 ]; then
  median=$(awk -v n="$count" 'NR == int((n + 1) / 2)' "$work/ready.txt")
  p90=$(awk -v n="$count" 'NR == int((n * 9 + 9) / 10)' "$work/ready.txt")
  echo "zerodt restarts: $count, SIGHUP->ready median ${median} ms, p90 ${p90} ms"
fi
failed=$(grep -c "restart failed" "$work/zerodt.log" || true)
[ "$failed" -eq 0 ] || echo "zerodt restarts that failed: $failed"
