#!/usr/bin/env bash
# Runs every ckm_bench variant and sweep, then segment_bench, in one go and
# prints one JSON object per line on stdout (progress on stderr).
#
#   benchmarks/run.sh [--quick] [--bench PATH] [--out FILE] [--dir DIR]
#
#   --quick   200,000 events instead of 2,000,000 (the whole suite in a few
#             minutes; the main comparison alone in under a minute)
#   --bench   the ckm_bench binary (default: build/benchmarks/ckm_bench)
#   --out     also append the lines to FILE
#   --dir     working directory for the stores (default: a temp dir in /tmp)
#
# Exits non-zero if any run failed or read back wrong totals.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench="$root/build/benchmarks/ckm_bench"
quick=()
out=/dev/null
dir=()
while (( $# > 0 )); do
  case "$1" in
    --quick) quick=(--quick) ;;
    --bench) bench=$2; shift ;;
    --out) out=$2; shift ;;
    --dir) dir=(--dir "$2"); shift ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[[ -x "$bench" ]] || { echo "run.sh: no $bench (cmake --build build --target ckm_bench)" >&2; exit 2; }

status=0
step() {
  echo "run.sh: ckm_bench $* ${quick[*]}" >&2
  local start=$SECONDS
  "$bench" "${quick[@]}" "${dir[@]}" "$@" | tee -a "$out" || status=1
  echo "run.sh:   $((SECONDS - start)) s" >&2
}

# The machine, as one JSON line.
disk=$(df -h --output=source,fstype,size,avail "${TMPDIR:-/tmp}" | tail -1 | tr -s ' ')
printf '{"machine":{"date":"%s","cores":%s,"cpu":"%s","mem_gb":%s,"kernel":"%s","tmp_disk":"%s","load_avg_1m":%s}}\n' \
  "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(nproc)" \
  "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" \
  "$(awk '/MemTotal/ {printf "%.1f", $2 / 1048576}' /proc/meminfo)" \
  "$(uname -r)" "$disk" "$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$out"
step --fsync-rate
step --variant all
step --sweep depth
step --sweep threads
step --sweep memory --variant all

# Segments over 1,000,000 customers (200,000 with --quick); see README.md.
segment_bench="$(dirname "$bench")/segment_bench"
if [[ -x "$segment_bench" ]]; then
  customers=1000000
  (( ${#quick[@]} )) && customers=200000
  echo "run.sh: segment_bench --customers $customers" >&2
  "$segment_bench" --customers "$customers" | tee -a "$out" || status=1
else
  echo "run.sh: no $segment_bench (cmake --build build --target segment_bench)" >&2
  status=1
fi
exit $status
