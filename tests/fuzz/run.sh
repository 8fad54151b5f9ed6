#!/usr/bin/env bash
# Builds the libFuzzer targets (build-fuzz/, clang, ASan+UBSan) and runs each for N seconds,
# one after the other, starting from the committed seeds (tests/fuzz/corpus/<target>/).
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]     (default: 30 s; every target)
#   FUZZ_JOBS=2 tests/fuzz/run.sh 600           (two targets at a time)
#
# Inputs the fuzzer adds are kept in build-fuzz/fuzz-corpus/<target>/ (not committed); a crash is
# written to build-fuzz/fuzz-artifacts/<target>/ and makes the script fail. To replay one:
#   build-fuzz/tests/fuzz/<target>_fuzzer <crash-file>
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
seconds=${1:-30}
shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(http_request json_messages header_values rocksdb_codecs)
jobs=${FUZZ_JOBS:-1}
build=$repo/build-fuzz

command -v clang++ >/dev/null || { echo "run.sh: clang++ not found (tools/setup.sh)" >&2; exit 1; }
if [[ ! -f $build/CMakeCache.txt ]]; then
  CXX=clang++ cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSTREAMKEEPER_FUZZ=ON >/dev/null
fi
ninja -C "$build" fuzz

run_one() {
  local target=$1 corpus=$build/fuzz-corpus/$1 artifacts=$build/fuzz-artifacts/$1/
  local log=$build/fuzz-logs/$1.log
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  local args=(-max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1
              -artifact_prefix="$artifacts")
  [[ -f $repo/tests/fuzz/$target.dict ]] && args+=(-dict="$repo/tests/fuzz/$target.dict")
  [[ $target == http_request ]] && args+=(-max_len=8192)
  # The seeds are read, new inputs go to the first (uncommitted) directory.
  if ASAN_OPTIONS=detect_leaks=1 "$build/tests/fuzz/${target}_fuzzer" "${args[@]}" \
       "$corpus" "$repo/tests/fuzz/corpus/$target" >"$log" 2>&1; then
    echo "fuzz $target: ok, $(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" |
                              grep -o '[0-9]*$') executions in ${seconds} s"
  else
    echo "fuzz $target: FAILED (log $log, inputs in $artifacts):" >&2
    grep -E -A3 'ERROR|runtime error|fuzzer: ' "$log" | head -20 >&2
    return 1
  fi
}

status=0
pids=()
for target in "${targets[@]}"; do
  run_one "$target" &
  pids+=($!)
  if [[ ${#pids[@]} -ge $jobs ]]; then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
done
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit $status
