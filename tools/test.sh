#!/usr/bin/env bash
# Sets the machine up (idempotent), builds everything (Release), and runs the whole test suite:
# unit and contract tests for both backends, server tests, and the official conformance suite
# against the built server on both backends.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$repo/tools/setup.sh"
cmake -S "$repo" -B "$repo/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$repo/build"
cd "$repo/build"
ctest --output-on-failure --timeout 1200 "$@"
