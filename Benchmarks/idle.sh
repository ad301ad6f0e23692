#!/usr/bin/env bash
# Memory per idle keep-alive connection (issue 14): COUNT connections to 127.0.0.1, each
# sends one request and reads its answer, then stays open and silent
# (Benchmarks/idle_clients.py). Prints the RSS (VmRSS from /proc, summed over the server's
# processes: our supervisor, if any, and generation; nginx's master and 2 workers) before
# and with the connections open, and KiB per connection, for us and for nginx, one after
# the other. Both keep idle connections for 10 minutes, far longer than the run.
# Loopback only; bounded in time. Needs `ulimit -Hn` above COUNT + 1000.
#
#   Benchmarks/idle.sh                  # 10,000 connections
#   COUNT=2000 Benchmarks/idle.sh
#   HEAD_BYTES=700 Benchmarks/idle.sh   # requests with heads of 700 bytes (a browser's)
set -euo pipefail
cd "$(dirname "$0")/.."

COUNT=${COUNT:-10000}
HEAD_BYTES=${HEAD_BYTES:-0}
OURS_PORT=${OURS_PORT:-18489}
NGINX_PORT=${NGINX_PORT:-18490}

# The servers and the client inherit it: each side holds COUNT descriptors.
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt $((COUNT + 1000)) ]; then
  echo "the open-file limit ($(ulimit -n)) is too low for $COUNT connections; raise ulimit -Hn" >&2
  exit 1
fi
NGINX_WORKER_CONNECTIONS=$((COUNT + 100))

source Benchmarks/common.sh

cat >"$work/zerodt.yaml" <<YAML
servers:
  - name: bench
    listen: ["127.0.0.1:$OURS_PORT"]
    timeouts: {idle: 10m}
    limits: {max_connections: $((COUNT + 100))}
    routes: [{path: /hello, respond: "Hello, World!"}]
pid_file: $work/zerodt.pid
log: {access: false, level: warning}
YAML

write_nginx_conf <<CONF
  keepalive_timeout 600s;
  server {
    listen 127.0.0.1:$NGINX_PORT backlog=4096;
    location = /hello { default_type text/plain; return 200 "Hello, World!"; }
  }
CONF

start_servers "http://127.0.0.1:SERVER_PORT/hello" "$OURS_PORT" "$NGINX_PORT"

# KiB of RSS of process $1 and all its descendants.
tree_rss_kib() {
  local total child
  total=$(awk '/^VmRSS:/ {print $2}' "/proc/$1/status")
  for child in $(pgrep -P "$1"); do total=$((total + $(tree_rss_kib "$child"))); done
  echo "$total"
}

# "RSS-before RSS-with-connections" (KiB) of the server with root process $2 while
# COUNT clients hold connections to port $1.
measure_idle() {
  local before open after
  before=$(tree_rss_kib "$2")
  coproc CLIENTS { exec python3 Benchmarks/idle_clients.py "$1" "$COUNT" /hello "$HEAD_BYTES"; }
  local clients_pid=$CLIENTS_PID
  if ! read -r -t 300 -u "${CLIENTS[0]}" open || [ "$open" != "$COUNT" ]; then
    echo "the clients could not open $COUNT connections to port $1" >&2
    exit 1
  fi
  after=$(tree_rss_kib "$2")
  # Closing the clients' stdin lets them exit, which closes every connection.
  exec {CLIENTS[1]}>&-
  wait "$clients_pid"
  echo "$before $after"
}

ours=$(measure_idle "$OURS_PORT" "$ZERODT_PID")
theirs=$(measure_idle "$NGINX_PORT" "$(cat "$work/nginx.pid")")
printf '%-8s %12s %12s %14s\n' server rss_before rss_open kib_per_conn
for row in "zerodt $ours" "nginx $theirs"; do
  read -r name before after <<<"$row"
  awk -v n="$name" -v b="$before" -v a="$after" -v c="$COUNT" \
    'BEGIN { printf "%-8s %9.1f MB %9.1f MB %14.2f\n", n, b / 1024, a / 1024, (a - b) / c }'
done
