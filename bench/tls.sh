#!/usr/bin/env bash
# What TLS costs: the same streamkeeper binary with the same flags, served over plain HTTP and
# over HTTPS (--tls-cert/--tls-key, a certificate made for the run by
# tests/tls/make_test_certs.sh: ECDSA P-256, TLS 1.3), each on a fresh data directory, under
# ds-bench's append scenario (appends/s) and catch-up scenario (MB/s written in 1 MiB appends,
# MB/s read back). Prints one table with the HTTPS/HTTP ratio of each. Loopback only.
#
#   bench/tls.sh [--duration S] [--size-mb N] [--memory] [BINARY]
#
# BINARY defaults to build/src/streamkeeper; DS_BENCH to build/bench/ds_bench/ds-bench. The
# append load is ab.sh's (64 connections, 100 streams, 100-byte bodies); keep-alive
# connections, so the handshakes are a negligible part of it: this measures the record layer.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DS_BENCH=${DS_BENCH:-$repo/build/bench/ds_bench/ds-bench}
duration=10
warmup=2
size_mb=256
memory=0
port=${TLS_BENCH_PORT:-4473}

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --size-mb) size_mb="$2"; shift 2 ;;
    --memory) memory=1; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) usage >&2; exit 2 ;;
    *) break ;;
  esac
done
[[ $# -le 1 ]] || { usage >&2; exit 2; }
binary=${1:-$repo/build/src/streamkeeper}
[[ -x "$binary" ]] || { echo "tls.sh: no server binary at $binary (build first)" >&2; exit 2; }
[[ -x "$DS_BENCH" ]] || { echo "tls.sh: no ds-bench at $DS_BENCH (build first)" >&2; exit 2; }

source "$repo/bench/lib/local_server.sh"
bash "$repo/tests/tls/make_test_certs.sh" "$work/tls"

# metric NAME < ds-bench output: the value of NAME.
metric() { awk -v name="$1" '$1 == name {print $2}'; }

# run_mode http|https: starts the server, runs both scenarios, stops it; prints
# "APPENDS_PER_S WRITE_MB_PER_S READ_MB_PER_S".
run_mode() {
  local mode=$1 url=http://127.0.0.1:$port
  local args=(--data-dir "$work/data-$mode")
  [[ $memory -eq 1 ]] && args=(--storage memory)
  local client=()
  if [[ $mode == https ]]; then
    args+=(--tls-cert "$work/tls/server.pem" --tls-key "$work/tls/server.key")
    url=https://127.0.0.1:$port
    client=(--ca "$work/tls/ca.pem")
  fi
  server_log=$work/server-$mode.log start_server "$binary" "$port" "${args[@]}"
  local append catchup
  append=$("$DS_BENCH" --url "$url" "${client[@]}" --scenario append --connections 64 \
             --streams 100 --body-bytes 100 --duration "$duration" --warmup "$warmup" \
             --prefix "tls-bench-$mode-a")
  catchup=$("$DS_BENCH" --url "$url" "${client[@]}" --scenario catchup --size-mb "$size_mb" \
              --prefix "tls-bench-$mode-c")
  stop_server
  echo "$(metric appends_per_s <<<"$append") $(metric write_mb_per_s <<<"$catchup")" \
       "$(metric read_mb_per_s <<<"$catchup")"
}

read -r http_appends http_write http_read < <(run_mode http)
read -r https_appends https_write https_read < <(run_mode https)
[[ -n "$http_read" && -n "$https_read" ]] || { echo "tls.sh: a scenario reported nothing" >&2; exit 1; }

echo "streamkeeper $(basename "$binary"), $([[ $memory -eq 1 ]] && echo memory || echo rocksdb)" \
     "storage, append ${duration}s, catch-up ${size_mb} MiB"
printf '%-26s %12s %12s %8s\n' metric http https ratio
row() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%-26s %12.1f %12.1f %8.2f\n", n, a, b, b / a }'; }
row "append (appends/s)" "$http_appends" "$https_appends"
row "catch-up write (MB/s)" "$http_write" "$https_write"
row "catch-up read (MB/s)" "$http_read" "$https_read"
