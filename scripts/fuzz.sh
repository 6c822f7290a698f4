#!/usr/bin/env bash
# Builds the libFuzzer targets (CMake preset "fuzz", in ./build-fuzz) and runs
# each for a while, one after the other:
#
#   bash scripts/fuzz.sh            # 60 s per target
#   bash scripts/fuzz.sh 600        # or FUZZ_SECONDS=600 bash scripts/fuzz.sh
#   bash scripts/fuzz.sh 60 fuzz_csv   # only the targets named
#   FUZZ_SEED=1 FUZZ_RUNS=20000 bash scripts/fuzz.sh
#                                   # a fixed seed and number of inputs per
#                                   # target instead of a time: what CI runs,
#                                   # so that a CI run can be repeated here
#
# Each target first replays its saved crashes (fuzz/regressions/<target>/, if
# any) and then fuzzes a copy of its seed corpus (fuzz/corpus/<target>/) in a
# temporary directory, so nothing new is written into the repository. Prints
# one line per target:
#
#   fuzz <target>: <executions> executions, <seconds> s, clean
#
# and exits non-zero on the first crash, leak, timeout or failed check, after
# copying the input that caused it to build-fuzz/crashes/ and printing its log.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-${FUZZ_SECONDS:-60}}
shift || true
targets=("$@")
if (( ${#targets[@]} == 0 )); then
  targets=(fuzz_record fuzz_profile_bytes fuzz_csv fuzz_predicate)
fi

bash scripts/setup.sh clang libclang-rt-14-dev  # clang, libFuzzer, ASan, UBSan
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# halt_on_error: the first report ends the run; abort_on_error: libFuzzer sees
# it as a crash and saves the input.
export ASAN_OPTIONS="abort_on_error=1:halt_on_error=1:detect_leaks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:abort_on_error=1"

for target in "${targets[@]}"; do
  binary=build-fuzz/fuzz/$target
  dir=$work/$target
  mkdir -p "$dir/corpus" "$dir/artifacts" "$dir/tmp"

  if compgen -G "fuzz/regressions/$target/*" >/dev/null; then
    if ! TMPDIR=$dir/tmp "$binary" fuzz/regressions/"$target"/* \
        >"$dir/regressions.log" 2>&1; then
      tail -n 60 "$dir/regressions.log"
      echo "fuzz $target: a saved crash in fuzz/regressions/$target/ still fails" >&2
      exit 1
    fi
  fi

  cp fuzz/corpus/"$target"/* "$dir/corpus/"
  start=$SECONDS
  # The store and temporary files of the targets live under TMPDIR.
  limit=(-max_total_time="$seconds")
  if [[ -n ${FUZZ_RUNS:-} ]]; then limit=(-runs="$FUZZ_RUNS"); fi
  if [[ -n ${FUZZ_SEED:-} ]]; then limit+=(-seed="$FUZZ_SEED"); fi
  if ! TMPDIR=$dir/tmp "$binary" "$dir/corpus" \
      "${limit[@]}" -print_final_stats=1 \
      -artifact_prefix="$dir/artifacts/" >"$dir/fuzz.log" 2>&1; then
    tail -n 80 "$dir/fuzz.log"
    mkdir -p build-fuzz/crashes/"$target"
    cp "$dir"/artifacts/* build-fuzz/crashes/"$target"/ 2>/dev/null || true
    echo "fuzz $target: FAILED after $((SECONDS - start)) s;" \
      "input in build-fuzz/crashes/$target/" >&2
    exit 1
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/fuzz.log")
  echo "fuzz $target: ${execs:-?} executions, $((SECONDS - start)) s, clean"
done
