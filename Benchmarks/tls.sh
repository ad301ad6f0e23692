#!/usr/bin/env bash
# HTTPS against nginx, in one run on the same machine: a 13-byte response over HTTP/1.1
# (wrk) and HTTP/2 (h2load -m 10), new TLS handshakes per second (wrk, one request per
# connection), and reloads under HTTP/2 load. Prints ours, nginx's and the ratio for each,
# then the reload runs' requests and failures. Loopback only; bounded in time.
#
#   Benchmarks/tls.sh                   # 10 s per case and server
#   DURATION=5 Benchmarks/tls.sh
#
# The reload runs use h2load in two ways. "fresh": 10 new connections every 100 ms, each
# sending its 10 requests at once. "kept": 32 connections for the whole run, 10 streams each.
# h2load never opens another connection after a GOAWAY: it counts every request it had not
# sent yet as failed, so "kept" measures how a server drains rather than requests lost.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
OURS_PORT=${OURS_PORT:-18485}
NGINX_PORT=${NGINX_PORT:-18486}
RELOADS=${RELOADS:-10}

command -v h2load >/dev/null || {
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq nghttp2-client >/dev/null
}
source Benchmarks/common.sh

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost -keyout "$work/site.key" -out "$work/site.pem" 2>/dev/null
chmod a+r "$work/site.key"

cat > "$work/zerodt.yaml" <<YAML
servers:
  - name: bench
    listen:
      - address: "127.0.0.1:$OURS_PORT"
        tls: {cert: $work/site.pem, key: $work/site.key}
    routes:
      - path: /hello
        respond: "Hello, World!"
pid_file: $work/zerodt.pid
log: {access: false, level: warning}
YAML

write_nginx_conf <<CONF
  keepalive_requests 100000000;
  server {
    listen 127.0.0.1:$NGINX_PORT ssl http2;
    ssl_certificate $work/site.pem;
    ssl_certificate_key $work/site.key;
    location = /hello { default_type text/plain; return 200 "Hello, World!"; }
  }
CONF

start_servers "https://127.0.0.1:SERVER_PORT/hello" "$OURS_PORT" "$NGINX_PORT"

# Requests per second of one run; a run with errors or non-2xx answers does not count.
wrk_rate() {
  local out
  out=$(wrk -t2 -c64 -d"${DURATION}s" "$@")
  if grep -qE 'Non-2xx|Socket errors' <<<"$out"; then echo "errors: $out" >&2; exit 1; fi
  awk '/Requests\/sec/ {print $2}' <<<"$out"
}
h2load_rate() {
  local out
  out=$(h2load -c 16 -m 10 -D "$DURATION" "$1")
  grep -q ' 0 errored' <<<"$out" || { echo "errors: $out" >&2; exit 1; }
  awk '/^finished in/ {gsub(",", ""); print $4}' <<<"$out"
}
row() { awk -v c="$1" -v o="$2" -v n="$3" 'BEGIN { printf "%-14s %10.0f %10.0f %7.2f\n", c, o, n, o / n }'; }

printf '%-14s %10s %10s %7s\n' case zerodt nginx ratio
row https-h1 "$(wrk_rate "https://127.0.0.1:$OURS_PORT/hello")" "$(wrk_rate "https://127.0.0.1:$NGINX_PORT/hello")"
row https-h2 "$(h2load_rate "https://127.0.0.1:$OURS_PORT/hello")" "$(h2load_rate "https://127.0.0.1:$NGINX_PORT/hello")"
row handshakes/s "$(wrk_rate -H 'Connection: close' "https://127.0.0.1:$OURS_PORT/hello")" \
  "$(wrk_rate -H 'Connection: close' "https://127.0.0.1:$NGINX_PORT/hello")"

restart_ours() { kill -HUP "$(cat "$work/zerodt.pid")"; }
restart_nginx() { "$NGINX" -c "$work/nginx.conf" -e "$work/nginx-error.log" -s reload; }

# h2load (arguments after the first three) against $1 while calling $2 every 300 ms.
under_reloads() {
  local url=$1 restart=$2 name=$3 mode=$4; shift 4
  h2load "$@" "$url" >"$work/h2load.txt" 2>&1 &
  local load=$!
  for _ in $(seq 1 "$RELOADS"); do sleep 0.3; $restart; done
  wait "$load" || true
  awk -v s="$name" -v m="$mode" '/^requests:/ {gsub(",", ""); printf "%-8s %-6s %8s %10s %8s\n", s, m, $2, $8, $10}' \
    "$work/h2load.txt"
}

echo
printf '%-8s %-6s %8s %10s %8s\n' server mode requests succeeded failed
for server in zerodt:"$OURS_PORT":restart_ours nginx:"$NGINX_PORT":restart_nginx; do
  IFS=: read -r name port restart <<<"$server"
  under_reloads "https://127.0.0.1:$port/hello" "$restart" "$name" fresh -c 400 -n 4000 -m 10 -r 10 --rate-period 100ms
  under_reloads "https://127.0.0.1:$port/hello" "$restart" "$name" kept -c 32 -m 10 -D "$((RELOADS / 3 + 2))"
done
