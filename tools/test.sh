#!/usr/bin/env bash
# Sets the machine up (idempotent), builds everything and runs the whole test suite, three ways:
#   1. build/ (Release): unit and contract tests for both backends, server tests, and the
#      official conformance suite against the built server on both backends;
#   2. build-asan/ (ASan+UBSan, leak checking on): the same tests but the conformance suite;
#   3. build-fuzz/ (clang, libFuzzer, ASan+UBSan): every fuzz target for 30 s from its seeds.
# Arguments go to both ctest runs (e.g. tools/test.sh -R Fork). Environment:
#   STREAMKEEPER_TEST_ASAN=0      skip 2
#   STREAMKEEPER_FUZZ_SECONDS=N   seconds per fuzz target in 3 (default 30; 0 skips it)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$repo/tools/setup.sh"
cmake -S "$repo" -B "$repo/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$repo/build"
(cd "$repo/build" && ctest --output-on-failure --timeout 1200 "$@")

if [[ ${STREAMKEEPER_TEST_ASAN:-1} != 0 ]]; then
  echo "== ASan+UBSan (build-asan): unit, contract and server tests"
  cmake -S "$repo" -B "$repo/build-asan" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSTREAMKEEPER_SANITIZE=address,undefined >/dev/null
  ninja -C "$repo/build-asan"
  # Left out: the conformance suite (protocol behaviour, run above; under ASan it takes longer
  # than everything else together), and the crash harness and fault-injection suites (whole-
  # process and power-cut runs already made in the Release tree, and slow under ASan).
  (cd "$repo/build-asan" &&
   ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
     ctest --output-on-failure --timeout 1200 -j2 -LE 'conformance|crash|faults' "$@")
fi

fuzz_seconds=${STREAMKEEPER_FUZZ_SECONDS:-30}
if [[ $fuzz_seconds != 0 ]]; then
  echo "== fuzz targets (build-fuzz): ${fuzz_seconds} s each"
  "$repo/tests/fuzz/run.sh" "$fuzz_seconds"
fi
