#!/usr/bin/env bash
# The floor: what a minimal server on ZeroDT's own libraries (SwiftNIO, nio-ssl, nio-http2)
# reaches on this machine, beside nginx and zerodt-serve, all in one run. The hello route
# (a 13-byte answer with the same header fields everywhere) over HTTP/1.1 on plain TCP (wrk)
# and over HTTPS with HTTP/2 (h2load -m 10), and a 1 MiB file over HTTP/1.1 (wrk). The floor
# servers are Benchmarks/Floor's `nio-floor`, built in release with its own scratch path:
#   h1          NIO with 2 event loops; requests found by their blank line, no HTTP decoder,
#               a pre-rendered answer
#   h1-file     the same, answered with the file: a pre-rendered head (our static file's
#               fields) and a FileRegion (sendfile), under TCP_CORK as ours and nginx's
#               (tcp_nopush) are
#   h2          TLS + ALPN + NIOHTTP2Handler with our settings, frames to one handler per
#               connection (no stream channels): a pre-built header block and one DATA frame
#   h2-streams  the same through nio-http2's inline multiplexer, a child channel per stream:
#               the stream channel's own price
# Prints, per case and server, the median of ROUNDS runs of requests/s and of the server's
# CPU µs per request (from /proc; steadier than rates on a shared machine), and both as a
# ratio to nginx's. Loopback only; bounded in time.
#
#   Benchmarks/floor.sh                        # 10 s per case and server, 3 rounds
#   DURATION=5 ROUNDS=1 Benchmarks/floor.sh
#   ZERODT_BIN=/path/to/zerodt-serve Benchmarks/floor.sh   # another build of ours
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
# As throughput.sh (HTTP/1.1) and tls.sh (HTTP/2).
CONNECTIONS=${CONNECTIONS:-64}
H2_CONNECTIONS=${H2_CONNECTIONS:-16}
PORT_BASE=${PORT_BASE:-18490}

command -v h2load >/dev/null || {
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq nghttp2-client >/dev/null
}
source Benchmarks/common.sh

swift build -c release --static-swift-stdlib --package-path Benchmarks/Floor --scratch-path .build-floor >/dev/null
FLOOR=.build-floor/release/nio-floor

# Ports: ours, nginx and the floor, plain and TLS.
ours_h1=$PORT_BASE ours_h2=$((PORT_BASE + 1)) nginx_h1=$((PORT_BASE + 2)) nginx_h2=$((PORT_BASE + 3))
floor_h1=$((PORT_BASE + 4)) floor_h2=$((PORT_BASE + 5)) floor_streams=$((PORT_BASE + 6))
floor_file=$((PORT_BASE + 7))

# The file, served by each: ours from a static route, nginx with sendfile and tcp_nopush (as in
# throughput.sh), the floor from its path.
mkdir -p "$work/files"
head -c 1048576 /dev/urandom >"$work/files/1m.bin"
chmod -R a+rX "$work/files"

# The same site and certificate as tls.sh's, plain and over TLS; the floor uses them too.
write_hello_sites "      - \"127.0.0.1:$ours_h1\"
      - address: \"127.0.0.1:$ours_h2\"
        tls: {cert: $work/site.pem, key: $work/site.key}" "    listen 127.0.0.1:$nginx_h1;
    listen 127.0.0.1:$nginx_h2 ssl http2;" "      - path: /files/
        static: {root: $work/files}" "    location /files/ { alias $work/files/; default_type application/octet-stream; sendfile on; tcp_nopush on; }"

start_servers "https://127.0.0.1:SERVER_PORT/hello" "$ours_h2" "$nginx_h2"
# Each floor server with its pid file (common.sh stops them), answering before it counts.
for mode in h1:$floor_h1 h1-file:$floor_file h2:$floor_h2 h2-streams:$floor_streams; do
  IFS=: read -r name port <<<"$mode"
  case $name in
    h1) "$FLOOR" h1 "$port" >/dev/null & url=http://127.0.0.1:$port/hello ;;
    h1-file) "$FLOOR" h1-file "$port" "$work/files/1m.bin" >/dev/null & url=http://127.0.0.1:$port/hello ;;
    *) "$FLOOR" "$name" "$port" "$work/site.pem" "$work/site.key" >/dev/null & url=https://127.0.0.1:$port/hello ;;
  esac
  echo $! >"$work/floor-$name.pid"
  for _ in $(seq 1 100); do curl -fsk --http2 -o /dev/null "$url" && break; sleep 0.1; done
done
# Stopped with the others, after them: a floor that failed to start shows here, not as a wait.
for name in h1 h1-file h2 h2-streams; do kill -0 "$(cat "$work/floor-$name.pid")"; done

# One h2load run (H2_CONNECTIONS connections, 10 streams each) for DURATION seconds against $1.
h2load_run() { h2load -c "$H2_CONNECTIONS" -m 10 -D "$DURATION" "$1"; }

compare_header
compare h1 wrk_run "nginx|nginx|http://127.0.0.1:$nginx_h1/hello" \
  "zerodt|zerodt|http://127.0.0.1:$ours_h1/hello" \
  "floor h1|floor-h1|http://127.0.0.1:$floor_h1/hello"
compare 1m wrk_run "nginx|nginx|http://127.0.0.1:$nginx_h1/files/1m.bin" \
  "zerodt|zerodt|http://127.0.0.1:$ours_h1/files/1m.bin" \
  "floor h1-file|floor-h1-file|http://127.0.0.1:$floor_file/files/1m.bin"
compare h2 h2load_run "nginx|nginx|https://127.0.0.1:$nginx_h2/hello" \
  "zerodt|zerodt|https://127.0.0.1:$ours_h2/hello" \
  "floor h2 (frames)|floor-h2|https://127.0.0.1:$floor_h2/hello" \
  "floor h2-streams|floor-h2-streams|https://127.0.0.1:$floor_streams/hello"
