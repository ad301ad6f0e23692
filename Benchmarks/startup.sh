#!/usr/bin/env bash
# Start-up time (issue 13): from starting zerodt-serve until it logs "ready", median of
# ROUNDS start-ups, for one plain HTTP listener, one HTTPS listener with 1 certificate and
# one with 20 (P-256, each for its own name, chosen by SNI). Ours only. Loopback only.
#
#   Benchmarks/startup.sh               # 15 rounds
#   ROUNDS=5 Benchmarks/startup.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-15}
PORT=${PORT:-18488}

source Benchmarks/common.sh

for n in $(seq 1 20); do
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=site$n.test" \
    -addext "subjectAltName=DNS:site$n.test" -keyout "$work/site$n.key" -out "$work/site$n.pem" 2>/dev/null
done

# Writes $work/$1.yaml: one listener with the TLS mapping $2 (none when empty).
write_config() {
  {
    printf 'servers:\n  - name: bench\n    listen:\n      - address: "127.0.0.1:%d"\n' "$PORT"
    [ -z "$2" ] || printf '        tls: %s\n' "$2"
    printf '    routes:\n      - {path: /, respond: "Hello, World!"}\n'
    printf 'log: {access: false, level: info}\n'
  } >"$work/$1.yaml"
}
write_config plain ""
write_config tls1 "{cert: $work/site1.pem, key: $work/site1.key}"
write_config tls20 "{certificates: [$(for n in $(seq 1 20); do
  printf '{cert: %s/site%d.pem, key: %s/site%d.key}' "$work" "$n" "$work" "$n"; [ "$n" -lt 20 ] && printf ', '
done)]}"

printf '%-24s %10s\n' case startup_ms
for name in plain tls1 tls20; do
  printf '%-24s %10s\n' "$name" "$(python3 Benchmarks/startup_time.py "$BIN" "$work/$name.yaml" "$ROUNDS")"
done
