#!/usr/bin/env bash
# Measures how long the provider takes from exec to printing its go-plugin handshake line, the part of every
# Terraform provider launch that is ours (Terraform starts the provider 3-4 times per command).
#
# Usage: scripts/bench-handshake.sh [RUNS] [BINARY...]
#   RUNS    runs per mode and binary (default 200)
#   BINARY  provider binaries (default: target/release/terraform-provider-ovhiplb, built if missing). With several
#           (e.g. a build before and after a change), launches are interleaved, one of each binary in turn, so that
#           the machine's drifts hit them all alike; compare medians from one run only.
#
# Two modes, each launched as Terraform does (magic cookie, PLUGIN_PROTOCOL_VERSIONS, port range):
#   mtls       with PLUGIN_CLIENT_CERT (a go-plugin-like P-521 CA certificate): includes generating the server key
#              and certificate, as every real launch does;
#   plaintext  without it (TF_DISABLE_PLUGIN_TLS).
# Reports median and p95 in milliseconds. Timing uses bash's EPOCHREALTIME (no fork per sample); the figure
# includes bash's own fork+exec, as Terraform's includes Go's.
set -euo pipefail

runs=${1:-200}
repo=$(cd "$(dirname "$0")/.." && pwd)
binaries=("${@:2}")
if ((${#binaries[@]} == 0)); then
  binaries=("$repo/target/release/terraform-provider-ovhiplb")
  if [[ ! -x ${binaries[0]} ]]; then
    (cd "$repo" && cargo build --release -p terraform-provider-ovhiplb)
  fi
fi
for binary in "${binaries[@]}"; do
  [[ -x $binary ]] || { echo "not an executable: $binary" >&2; exit 2; }
done

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT

# The same kind of certificate go-plugin's client generates (mtls.go): ECDSA P-521, self-signed, CA, localhost.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:secp521r1 -nodes -days 1 \
  -subj "/O=HashiCorp/CN=localhost" -addext "subjectAltName=DNS:localhost" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -keyout "$workdir/client.key" -out "$workdir/client.pem" 2>/dev/null
client_cert=$(cat "$workdir/client.pem")

# One launch of binary $2 in mode $1: prints the elapsed microseconds from exec to the handshake line.
measure_once() {
  local mode=$1 binary=$2 start end line
  local -a env=(
    TF_PLUGIN_MAGIC_COOKIE=d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2
    PLUGIN_PROTOCOL_VERSIONS=5,6 PLUGIN_MIN_PORT=10000 PLUGIN_MAX_PORT=25000
  )
  [[ $mode == mtls ]] && env+=("PLUGIN_CLIENT_CERT=$client_cert")
  start=${EPOCHREALTIME/./}
  coproc PLUGIN { exec env -i "${env[@]}" "$binary" 2>/dev/null; }
  IFS= read -r line <&"${PLUGIN[0]}"
  end=${EPOCHREALTIME/./}
  kill "$PLUGIN_PID" 2>/dev/null || true
  wait "$PLUGIN_PID" 2>/dev/null || true
  if [[ $line != 1\|5\|tcp\|127.0.0.1:*\|grpc\|* ]]; then
    echo "unexpected handshake line: $line" >&2
    exit 1
  fi
  echo $((end - start))
}

# Prints "median p95" in milliseconds of the microsecond samples on stdin.
summarise() {
  sort -n | awk '{ s[NR] = $1 } END {
    m = (NR % 2) ? s[(NR + 1) / 2] : (s[NR / 2] + s[NR / 2 + 1]) / 2
    p = s[int(NR * 0.95 + 0.999999)]
    printf "median %.2f ms  p95 %.2f ms  (n=%d, min %.2f, max %.2f)\n", m / 1000, p / 1000, NR, s[1] / 1000, s[NR] / 1000
  }'
}

echo "machine: $(uname -srm), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | xargs)"
for mode in mtls plaintext; do
  for b in "${!binaries[@]}"; do measure_once "$mode" "${binaries[b]}" >"$workdir/$mode.$b"; done # warm the page cache
  for ((i = 0; i < runs; i++)); do
    for b in "${!binaries[@]}"; do measure_once "$mode" "${binaries[b]}" >>"$workdir/$mode.$b"; done
  done
  for b in "${!binaries[@]}"; do
    tail -n +2 "$workdir/$mode.$b" | summarise | sed "s|^|$mode ${binaries[b]}: |"
  done
done
