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
  [ -f "$work/zerodt.pid" ] && kill "$(cat "$work/zerodt.pid")" 2>/dev/null || true
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
