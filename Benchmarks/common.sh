# Shared by the benchmark scripts: installs wrk and nginx when missing, builds a release
# zerodt-serve, and makes a work directory that is cleaned up (servers stopped) on exit.
# Sets NGINX, BIN and work; ZERODT_BIN=path skips the build and measures that binary.

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  # apt-key cannot find gpgv on some of these machines, and the update then keeps no lists.
  apt-get -o Apt::Key::gpgvcommand=/usr/bin/gpgv update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# ZERODT_BIN measures another build (an earlier release, say) against the same nginx.
if [ -n "${ZERODT_BIN:-}" ]; then
  BIN=$ZERODT_BIN
else
  swift build -c release --scratch-path .build-release --product zerodt-serve >/dev/null
  BIN=.build-release/release/zerodt-serve
fi

work=$(mktemp -d)
# nginx workers run as an unprivileged user and must be able to read what is served.
chmod a+rx "$work"
cleanup() {
  # Every server a script started writes its pid file here (zerodt.pid, nginx.pid, ...).
  local pidfile
  for pidfile in "$work"/*.pid; do
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

# Writes $work/nginx.conf: two workers, pid and error log in $work, no access log, and
# inside `http { }` the directives read from stdin.
write_nginx_conf() {
  {
    printf 'worker_processes 2;\npid %s/nginx.pid;\nerror_log %s/nginx-error.log;\n' "$work" "$work"
    printf 'events { worker_connections 4096; }\nhttp {\n  access_log off;\n'
    cat
    printf '}\n'
  } >"$work/nginx.conf"
}

# Starts zerodt-serve with $work/zerodt.yaml and nginx with $work/nginx.conf, and waits
# until each answers the URL $1 (with SERVER_PORT in it) on its port, $2 and $3.
start_servers() {
  "$BIN" --config "$work/zerodt.yaml" 2>"$work/zerodt.log" &
  "$NGINX" -c "$work/nginx.conf" -e "$work/nginx-error.log"
  local port
  for port in "$2" "$3"; do
    for _ in $(seq 1 100); do curl -fsk -o /dev/null "${1/SERVER_PORT/$port}" && break; sleep 0.1; done
  done
}
