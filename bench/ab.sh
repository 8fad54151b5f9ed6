#!/usr/bin/env bash
# A/B of two streamkeeper binaries under the append load: alternates them for N rounds (fresh
# data directory each run) and prints, per run and per binary, appends/s and the server's CPU
# time per append (utime+stime from /proc over the whole run, warm-up included).
#
#   bench/ab.sh [--rounds N] [--duration S] [--memory] BINARY_A BINARY_B
#
# Why CPU per append: on this VM single runs of appends/s vary by ±10% (the disk's fsync time
# moves), while CPU per append is steadier, so a change that saves 2-3% shows in it first.
# --memory uses the memory backend, which takes the disk out entirely. Loopback only; the load
# is ds-bench's append scenario with the compare.sh defaults (64 connections, 100 streams,
# 100-byte bodies).
# AB_SERVER_ARGS_A / AB_SERVER_ARGS_B add server flags to A's or B's runs, AB_BENCH_ARGS_A /
# AB_BENCH_ARGS_B ds-bench flags (word-split): the same binary twice with and without a feature,
# e.g. AB_SERVER_ARGS_B="--auth-file f.toml" AB_BENCH_ARGS_B="--token t" ab.sh bin bin.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DS_BENCH=${DS_BENCH:-$repo/build/bench/ds_bench/ds-bench}
rounds=3
duration=6
warmup=2
memory=0
port=${AB_PORT:-4471}

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --memory) memory=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) break ;;
  esac
done
[[ $# -eq 2 ]] || { usage >&2; exit 2; }
[[ -x "$DS_BENCH" ]] || { echo "ab.sh: no ds-bench at $DS_BENCH (build first)" >&2; exit 2; }

source "$repo/bench/lib/local_server.sh"

run_one() {
  local binary=$1
  local -a server_args=($2) bench_args=($3)
  local storage_args=(--data-dir "$work/data")
  [[ $memory -eq 1 ]] && storage_args=(--storage memory)
  rm -rf "$work/data"
  start_server "$binary" "$port" "${storage_args[@]}" "${server_args[@]}"
  local before after rate ticks_per_s
  ticks_per_s=$(getconf CLK_TCK)
  before=$(cpu_ticks "$server_pid")
  rate=$("$DS_BENCH" --url "http://127.0.0.1:$port" --scenario append --connections 64 \
           --streams 100 --body-bytes 100 --duration "$duration" --warmup "$warmup" "${bench_args[@]}" 2>/dev/null |
         awk '$1 == "appends_per_s" {print $2}')
  after=$(cpu_ticks "$server_pid")
  stop_server
  # Appends over the whole run are estimated as rate x (warm-up + duration).
  awk -v r="$rate" -v b="$before" -v a="$after" -v t="$ticks_per_s" -v s="$((duration + warmup))" \
    'BEGIN { printf "%d %.1f\n", r, (a - b) / t * 1e6 / (r * s) }'
}

declare -A binaries=([A]=$1 [B]=$2) server_args=([A]=${AB_SERVER_ARGS_A:-} [B]=${AB_SERVER_ARGS_B:-})
declare -A bench_args=([A]=${AB_BENCH_ARGS_A:-} [B]=${AB_BENCH_ARGS_B:-}) rates cpus
for round in $(seq "$rounds"); do
  for slot in A B; do
    read -r rate cpu < <(run_one "${binaries[$slot]}" "${server_args[$slot]}" "${bench_args[$slot]}")
    printf 'round %d  %s %-40s %8s appends/s  %6s us CPU/append\n' "$round" "$slot" \
      "${binaries[$slot]}" "$rate" "$cpu"
    rates[$slot]+=" $rate"
    cpus[$slot]+=" $cpu"
  done
done
echo
for slot in A B; do
  printf '%s %-40s appends/s:%s   us CPU/append:%s\n' "$slot" "${binaries[$slot]}" "${rates[$slot]}" \
    "${cpus[$slot]}"
done
