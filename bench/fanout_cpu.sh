#!/usr/bin/env bash
# CPU per delivered fan-out event, of the server and of ds-bench, for one or more server builds:
# starts each binary on RocksDB (fresh data directory), runs ds-bench's fan-out scenario with
# 10,000 SSE subscribers at 10 appends/s for 14 s, and samples utime+stime of both processes
# from /proc over seconds 5-13 (after the subscribers connected), i.e. 800,000 deliveries.
#
#   bench/fanout_cpu.sh [--subscribers K] BINARY [BINARY ...]
#
# Alternate builds (A B A B) to see through run-to-run noise. Loopback only.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DS_BENCH=${DS_BENCH:-$repo/build/bench/ds_bench/ds-bench}
port=${FANOUT_PORT:-4472}
subscribers=10000
if [[ "${1:-}" == "--subscribers" ]]; then subscribers=$2; shift 2; fi
[[ $# -ge 1 ]] || { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[[ -x "$DS_BENCH" ]] || { echo "fanout_cpu.sh: no ds-bench at $DS_BENCH" >&2; exit 2; }

source "$repo/bench/lib/local_server.sh"
deliveries=$((subscribers * 10 * 8))

for binary in "$@"; do
  rm -rf "$work/data"
  start_server "$binary" "$port" --data-dir "$work/data"
  "$DS_BENCH" --url "http://127.0.0.1:$port" --scenario fanout --subscribers "$subscribers" \
    --rate 10 --duration 14 --server-pid "$server_pid" >"$work/bench.txt" 2>/dev/null &
  bench_pid=$!
  sleep 5
  s0=$(cpu_ticks "$server_pid"); c0=$(cpu_ticks "$bench_pid")
  sleep 8
  s1=$(cpu_ticks "$server_pid"); c1=$(cpu_ticks "$bench_pid")
  wait "$bench_pid"
  stop_server
  p99=$(awk '$1 == "delivery_latency_p99_us" {print $2}' "$work/bench.txt")
  awk -v b="$binary" -v s0="$s0" -v s1="$s1" -v c0="$c0" -v c1="$c1" -v t="$(getconf CLK_TCK)" \
      -v n="$deliveries" -v p="$p99" 'BEGIN {
    printf "%-40s server %.2f us/delivery  ds-bench %.2f us/delivery  p99 %s us\n",
           b, (s1 - s0) / t * 1e6 / n, (c1 - c0) / t * 1e6 / n, p }'
done
