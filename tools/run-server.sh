#!/usr/bin/env bash
# Sets the machine up (idempotent), builds Release, and runs the server on 127.0.0.1:4437 with
# RocksDB data in ./data. Extra arguments go to streamkeeper (see `streamkeeper --help`).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$repo/tools/setup.sh"
cmake -S "$repo" -B "$repo/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$repo/build" streamkeeper
exec "$repo/build/src/streamkeeper" --host 127.0.0.1 --port 4437 --data-dir ./data \
  --storage rocksdb "$@"
