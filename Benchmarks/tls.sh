#!/usr/bin/env bash
# HTTPS against nginx, in one run on the same machine: a 13-byte response over HTTP/1.1
# (wrk) and HTTP/2 (h2load -m 10), new TLS handshakes per second (wrk, one request per
# connection), and reloads under HTTP/2 load. Prints, for each, the median of ROUNDS runs of
# ours, nginx's and the ratio, and each server's CPU time per request (steadier than rates on
# a shared machine), then the reload runs' requests and failures. Loopback only; bounded.
#
# Both servers speak TLS 1.2 and 1.3 (nginx 1.22 offers only up to 1.2 unless told, and then
# resumes wrk's sessions: a TLS 1.2 resumption skips the key exchange and the signature, so
# its handshakes are not comparable), and both use the same P-256 ECDSA certificate: wrk and
# curl then negotiate TLS 1.3, TLS_AES_256_GCM_SHA384 and X25519 with either. Over TLS 1.3
# wrk resumes its sessions with either server (a ticket plus a new X25519 exchange, no
# signature), so "handshakes/s" counts such resumptions on both sides.
#
#   Benchmarks/tls.sh                   # 10 s per case and server, 3 rounds
#   DURATION=5 ROUNDS=1 Benchmarks/tls.sh
#   CASES="https-h2" RELOADS=0 Benchmarks/tls.sh   # only the cases named, no reload runs
#
# The reload runs use h2load in two ways. "fresh": 10 new connections every 100 ms, each
# sending its 10 requests at once. "kept": 32 connections for the whole run, 10 streams each.
# h2load never opens another connection after a GOAWAY: in "kept" (timed) mode a drained
# connection just stops, so the run ends with the first reload's drain, and "failed" counts
# streams that ended in an error, including requests nghttp2 had queued and then failed itself,
# unsent, when a GOAWAY arrived (see the drain's probe in docs/operations.md).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
OURS_PORT=${OURS_PORT:-18485}
NGINX_PORT=${NGINX_PORT:-18486}
RELOADS=${RELOADS:-10}
ROUNDS=${ROUNDS:-3}
# The load cases to run, by name; RELOADS=0 skips the reload runs.
CASES=${CASES:-https-h1 https-h2 handshakes/s}

command -v h2load >/dev/null || {
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq nghttp2-client >/dev/null
}
source Benchmarks/common.sh

write_hello_sites "      - address: \"127.0.0.1:$OURS_PORT\"
        tls: {cert: $work/site.pem, key: $work/site.key}" "    listen 127.0.0.1:$NGINX_PORT ssl http2;"

start_servers "https://127.0.0.1:SERVER_PORT/hello" "$OURS_PORT" "$NGINX_PORT"

# A loaded machine can hold a handshake past wrk's usual 2 s, which it counts as an error.
wrk_run() { wrk -t2 -c64 -d"${DURATION}s" --timeout 10s "$@"; }
h2load_run() { h2load -c 16 -m 10 -D "$DURATION" "$1"; }

# One row: the case's name, then the load command with URL for either server.
row() {
  local name=$1 ours=() theirs=() o n oc nc; shift
  [[ " $CASES " == *" $name "* ]] || return 0
  for _ in $(seq 1 "$ROUNDS"); do
    ours+=("$(measure_load "$work/zerodt.pid" "$@" "https://127.0.0.1:$OURS_PORT/hello")")
    theirs+=("$(measure_load "$work/nginx.pid" "$@" "https://127.0.0.1:$NGINX_PORT/hello")")
  done
  o=$(printf '%s\n' "${ours[@]}" | cut -d' ' -f1 | median)
  n=$(printf '%s\n' "${theirs[@]}" | cut -d' ' -f1 | median)
  oc=$(printf '%s\n' "${ours[@]}" | cut -d' ' -f2 | median)
  nc=$(printf '%s\n' "${theirs[@]}" | cut -d' ' -f2 | median)
  awk -v c="$name" -v o="$o" -v n="$n" -v oc="$oc" -v nc="$nc" \
    'BEGIN { printf "%-14s %10.0f %10.0f %7.2f %13.1f %12.1f %7.2f\n", c, o, n, o / n, oc, nc, oc / nc }'
}

printf '%-14s %10s %10s %7s %13s %12s %7s\n' case zerodt nginx ratio zerodt_us/req nginx_us/req cpu_x
row https-h1 wrk_run
row https-h2 h2load_run
row handshakes/s wrk_run -H 'Connection: close'

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

[ "$RELOADS" -gt 0 ] || exit 0
echo
printf '%-8s %-6s %8s %10s %8s\n' server mode requests succeeded failed
for server in zerodt:"$OURS_PORT":restart_ours nginx:"$NGINX_PORT":restart_nginx; do
  IFS=: read -r name port restart <<<"$server"
  under_reloads "https://127.0.0.1:$port/hello" "$restart" "$name" fresh -c 400 -n 4000 -m 10 -r 10 --rate-period 100ms
  under_reloads "https://127.0.0.1:$port/hello" "$restart" "$name" kept -c 32 -m 10 -D "$((RELOADS / 3 + 2))"
done
