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
  # Linked as deployments should be (README): a successor that loads no Swift libraries
  # starts in about half the time, which is part of every SIGHUP-to-ready figure.
  swift build -c release --static-swift-stdlib --scratch-path .build-release --product zerodt-serve >/dev/null
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

# Writes $work/nginx.conf: two workers (NGINX_WORKER_CONNECTIONS each, 4096 unless set), pid
# and error log in $work, no access log, and inside `http { }` the directives read from stdin.
write_nginx_conf() {
  {
    printf 'worker_processes 2;\npid %s/nginx.pid;\nerror_log %s/nginx-error.log;\n' "$work" "$work"
    printf 'events { worker_connections %d; }\nhttp {\n  access_log off;\n' "${NGINX_WORKER_CONNECTIONS:-4096}"
    cat
    printf '}\n'
  } >"$work/nginx.conf"
}

# The hello site (a 13-byte answer at /hello) for zerodt-serve and nginx, with a P-256
# ECDSA certificate for localhost made here ($work/site.pem and site.key, readable by
# nginx's workers): $work/zerodt.yaml with the listeners in $1 (YAML list items), and
# $work/nginx.conf with the listen directives in $2, TLS 1.2 and 1.3 on its TLS ones.
# Optional: more routes for zerodt-serve in $3 (YAML list items), more of nginx's server
# block in $4.
write_hello_sites() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost -keyout "$work/site.key" -out "$work/site.pem" 2>/dev/null
  chmod a+r "$work/site.key"
  cat > "$work/zerodt.yaml" <<YAML
servers:
  - name: bench
    listen:
$1
    routes:
      - path: /hello
        respond: "Hello, World!"
${3:-}
pid_file: $work/zerodt.pid
log: {access: false, level: warning}
YAML
  write_nginx_conf <<CONF
  keepalive_requests 100000000;
  server {
$2
    ssl_certificate $work/site.pem;
    ssl_certificate_key $work/site.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    location = /hello { default_type text/plain; return 200 "Hello, World!"; }
${4:-}
  }
CONF
}

# Starts zerodt-serve with $work/zerodt.yaml and nginx with $work/nginx.conf, and waits
# until each answers the URL $1 (with SERVER_PORT in it) on its port, $2 and $3. Sets
# ZERODT_PID, the process started (a supervisor when there is one, else the generation).
start_servers() {
  "$BIN" --config "$work/zerodt.yaml" 2>"$work/zerodt.log" &
  ZERODT_PID=$!
  "$NGINX" -c "$work/nginx.conf" -e "$work/nginx-error.log"
  local port
  for port in "$2" "$3"; do
    for _ in $(seq 1 100); do curl -fsk -o /dev/null "${1/SERVER_PORT/$port}" && break; sleep 0.1; done
  done
}

# The site that throughput.sh and alternate.sh measure, in $work/site: a 1 KiB file, a 1 MiB
# one, and a 100 KiB markup-like text with its gzip -1 sibling. $work/zerodt.yaml serves it on
# port $1 (/hello, a 13-byte fixed response; / static; /pre/ precompressed; /fly/ compressed
# per request), pid file $work/zerodt.pid; $work/nginx.conf serves the same on port $2.
write_throughput_site() {
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
    listen: ["127.0.0.1:$1"]
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

  write_nginx_conf <<CONF
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  types { text/plain txt; application/octet-stream bin; }
  server {
    listen 127.0.0.1:$2;
    location = /hello { default_type text/plain; return 200 "Hello, World!"; }
    location / { root $work/site; }
    location /pre/ { alias $work/site/text/; gzip_static on; gzip_vary on; }
    location /fly/ { alias $work/site/text/; gzip on; gzip_comp_level 1; gzip_types text/plain; gzip_vary on; }
  }
CONF
}

hz=$(getconf CLK_TCK)
# CPU time (user + system, in clock ticks) of the processes named: a server's own cost,
# steadier than requests per second on a shared machine.
ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo "$t"; }
# The process in a pid file and its children (nginx's workers).
server_pids() { local main; main=$(cat "$1"); echo "$main" $(pgrep -P "$main"); }
# The median of the numbers on stdin, one a line.
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# "requests/s CPU-µs/request" of one wrk run (CONNECTIONS connections, DURATION seconds)
# against the server of pid file $2, with the request header $3 if given; a run with any
# error or non-2xx answer does not count.
measure() { measure_load "$2" wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" ${3:+-H "$3"} "$1"; }

# "requests/s CPU-µs/request" of one load run (the command after $1: wrk or h2load) against
# the server of pid file $1; a run with errors or non-2xx answers does not count.
measure_load() {
  local pids before after out
  pids=$(server_pids "$1"); shift
  before=$(ticks $pids)
  out=$("$@")
  after=$(ticks $pids)
  if grep -qE 'Non-2xx|Socket errors' <<<"$out" || { grep -q '^requests:' <<<"$out" && ! grep -q ' 0 errored' <<<"$out"; }; then
    echo "errors: $out" >&2; exit 1
  fi
  awk -v used=$((after - before)) -v hz="$hz" '
    /requests in/ {n = $1} /Requests\/sec/ {r = $2}
    /^finished in/ {gsub(",", ""); r = $4} /^requests:/ {gsub(",", ""); n = $8}
    END {printf "%s %.1f\n", r, used * 1e6 / hz / n}' <<<"$out"
}

# One wrk run of CONNECTIONS connections for DURATION seconds against the URL $1.
wrk_run() { wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" "$1"; }

# One case: its name, its load command (wrk_run, or the script's own), then
# label|pidfile-name|url for each server, nginx first (the reference). ROUNDS rounds
# interleave the servers, so that a change of load on the machine falls on all of them.
# Prints a line per server (columns as compare_header's): the medians of its requests/s and
# CPU µs per request, and both as a ratio to the reference's.
compare() {
  local name=$1 run=$2 server i; shift 2
  local -a results=()
  for _ in $(seq 1 "$ROUNDS"); do
    i=0
    for server in "$@"; do
      IFS='|' read -r _ pidfile url <<<"$server"
      results[i]+="$(measure_load "$work/$pidfile.pid" "$run" "$url")"$'\n'
      i=$((i + 1))
    done
  done
  local reference_rate reference_cpu rate cpu
  i=0
  for server in "$@"; do
    IFS='|' read -r label _ _ <<<"$server"
    rate=$(printf '%s' "${results[i]}" | cut -d' ' -f1 | median)
    cpu=$(printf '%s' "${results[i]}" | cut -d' ' -f2 | median)
    [ "$i" -eq 0 ] && { reference_rate=$rate; reference_cpu=$cpu; }
    awk -v c="$name" -v s="$label" -v r="$rate" -v u="$cpu" -v rr="$reference_rate" -v ru="$reference_cpu" \
      'BEGIN { printf "%-10s %-18s %10.0f %7.2f %8.1f %7.2f\n", c, s, r, r / rr, u, u / ru }'
    i=$((i + 1))
  done
}
compare_header() { printf '%-10s %-18s %10s %7s %8s %7s\n' case server req/s x_nginx us/req cpu_x; }

# The milliseconds from SIGHUP to a ready successor, one line per restart, read from our
# log $1: from "restart requested" to "is ready" in the generation that asked.
hup_to_ready_ms() {
  awk '
    function ms(ts) { split(substr(ts, 12, 12), t, ":"); return (t[1] * 3600 + t[2] * 60 + t[3]) * 1000 }
    /restart requested/ { start = ms($1) }
    / is ready.*handing over/ && start { print ms($1) - start; start = 0 }
  ' "$1"
}
