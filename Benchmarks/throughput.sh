#!/usr/bin/env bash
# Throughput of zerodt-serve against nginx, measured in the same run on the same machine.
# Cases: a fixed 13-byte response, a 1 KiB static file, a 1 MiB static file, and a 100 KiB
# text file asked for with `Accept-Encoding: gzip`: from its precompressed .gz sibling
# (`precompressed: [gzip]` / nginx `gzip_static on`) and compressed per request
# (`encode: gzip` / nginx `gzip on`, both at zlib level 1, nginx's default).
# Prints req/s and server CPU µs per request (from /proc) for both, the ratios ours/nginx
# and our RSS. Loopback only; bounded in time.
#
#   Benchmarks/throughput.sh            # 10 s per case and server, 3 rounds, medians
#   DURATION=5 ROUNDS=1 Benchmarks/throughput.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-64}
OURS_PORT=${OURS_PORT:-18481}
NGINX_PORT=${NGINX_PORT:-18482}

source Benchmarks/common.sh

mkdir -p "$work/site"
head -c 1024 /dev/zero | tr '\0' 'a' > "$work/site/1k.txt"
head -c 1048576 /dev/urandom > "$work/site/1m.bin"
# Markup-like text that compresses about 6:1 at level 1, as HTML often does.
mkdir -p "$work/site/text"
awk 'BEGIN { for (i = 1; i <= 2000; i++) printf "<li id=\"item-%d\" class=\"entry %s\">%s item %d, sum %d</li>\n",
  i, (i % 3 ? "odd" : "even"), (i % 7 ? "plain" : "featured"), i, i * 37 % 1009 }' > "$work/site/text/100k.txt"
truncate -s 102400 "$work/site/text/100k.txt"
gzip -1 --keep "$work/site/text/100k.txt"
chmod -R a+rX "$work/site"

cat > "$work/zerodt.yaml" <<YAML
servers:
  - name: bench
    listen: ["127.0.0.1:$OURS_PORT"]
    routes:
      - path: /hello
        respond: "Hello, World!"
      - path: /
        static: {root: $work/site}
      - path: /pre/
        static: {root: $work/site/text, precompressed: [gzip]}
      - path: /fly/
        static: $work/site/text
        encode: gzip
pid_file: $work/zerodt.pid
log: {access: false, level: warning}
YAML

cat > "$work/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  types { text/plain txt; application/octet-stream bin; }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location = /hello { default_type text/plain; return 200 "Hello, World!"; }
    location / { root $work/site; }
    location /pre/ { alias $work/site/text/; gzip_static on; gzip_vary on; }
    location /fly/ { alias $work/site/text/; gzip on; gzip_comp_level 1; gzip_types text/plain; gzip_vary on; }
  }
}
CONF

"$BIN" --config "$work/zerodt.yaml" 2>"$work/zerodt.log" &
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
wait_port "$NGINX_PORT"

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

printf '%-8s %10s %10s %7s %12s %12s %7s %8s\n' case zerodt nginx ratio zerodt_us/req nginx_us/req cpu_x rss_mib
for case in hello:/hello 1kib:/1k.txt 1mib:/1m.bin; do
  report_case "${case%%:*}" "${case#*:}"
done
report_case gz-pre /pre/100k.txt "Accept-Encoding: gzip"
report_case gz-fly /fly/100k.txt "Accept-Encoding: gzip"
