#!/usr/bin/env bash
# Long-poll fan-out through the nginx cache (tools/nginx/streamkeeper.conf, run by
# tools/nginx/local-nginx.sh): K long-poll readers of one stream behind nginx, each echoing
# Stream-Cursor, and one writer appending through nginx at R/s for D s (ds-bench fanout
# --reader long-poll). Reports delivery latency p50/p99 from ds-bench, and origin requests per
# append from nginx's access log, which records for every request whether nginx sent it to
# streamkeeper (upstream=ADDRESS) or answered it alone (upstream=-).
#
#   bench/nginx_fanout.sh [--subscribers K] [--rate R] [--duration D] [--direct]
#
# Defaults: 10000 readers, 1.3 appends/s (a period, 770 ms, that is no multiple of the 500 ms at
# which nginx lets waiters look at the cache lock, so appends meet every phase of it), 20 s.
# --direct points the same readers at streamkeeper itself, for comparison (no nginx, so no
# origin-request count). KEEP_LOGS=DIR keeps nginx's logs. Loopback only. Needs nginx
# (tools/setup.sh) and a Release build (streamkeeper, ds-bench). The descriptor limit is raised
# to the hard limit; nginx gets worker_rlimit_nofile of the same.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STREAMKEEPER=${STREAMKEEPER:-$repo/build/src/streamkeeper}
DS_BENCH=${DS_BENCH:-$repo/build/bench/ds_bench/ds-bench}
origin_port=${ORIGIN_PORT:-4473}
nginx_port=${NGINX_PORT:-4474}
subscribers=10000 rate=1.3 duration=20 direct=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --subscribers) subscribers=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --direct) direct=1; shift ;;
    *) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done
[[ -x "$STREAMKEEPER" ]] || { echo "nginx_fanout.sh: no streamkeeper at $STREAMKEEPER" >&2; exit 2; }
[[ -x "$DS_BENCH" ]] || { echo "nginx_fanout.sh: no ds-bench at $DS_BENCH" >&2; exit 2; }

ulimit -n "$(ulimit -Hn)"
nofile=$(ulimit -n)
source "$repo/bench/lib/local_server.sh"

nginx_pid=""
stop_nginx() {
  [[ -n "$nginx_pid" ]] || return 0
  kill -TERM "$nginx_pid" 2>/dev/null || true
  wait "$nginx_pid" 2>/dev/null || true
  nginx_pid=""
}
trap 'stop_nginx; cleanup' EXIT

start_server "$STREAMKEEPER" "$origin_port" --data-dir "$work/data"
url=http://127.0.0.1:$origin_port
if [[ $direct -eq 0 ]]; then
  mkdir -p "$work/nginx"
  # One connection per reader, plus the few to the origin, within each worker's descriptors.
  NGINX_NOFILE=$nofile NGINX_WORKER_CONNECTIONS=$((nofile - 100)) \
    bash "$repo/tools/nginx/local-nginx.sh" "$work/nginx" "$nginx_port" "$origin_port" \
    >"$work/nginx.out" 2>&1 &
  nginx_pid=$!
  for _ in $(seq 100); do
    grep -q "listening" "$work/nginx.out" 2>/dev/null && break
    kill -0 "$nginx_pid" 2>/dev/null || { cat "$work/nginx.out" >&2; exit 1; }
    sleep 0.1
  done
  url=http://127.0.0.1:$nginx_port
fi

"$DS_BENCH" --url "$url" --scenario fanout --reader long-poll --subscribers "$subscribers" \
  --rate "$rate" --duration "$duration" --server-pid "$server_pid" >"$work/bench.txt" \
  2>"$work/bench.err" &
bench_pid=$!
# CPU seconds of each party over the whole run, read just before ds-bench exits.
nginx_ticks() {
  local master total=0 p
  master=$(cat "$work/nginx/nginx.pid" 2>/dev/null) || { echo 0; return; }
  for p in $master $(pgrep -P "$master"); do total=$((total + $(cpu_ticks "$p"))); done
  echo "$total"
}
cpu=""
while bench_ticks=$(cpu_ticks "$bench_pid" 2>/dev/null); do  # until ds-bench has exited
  sample="streamkeeper $(cpu_ticks "$server_pid") ds-bench $bench_ticks"
  [[ $direct -eq 0 ]] && sample+=" nginx $(nginx_ticks)"
  cpu=$sample
  sleep 0.5
done
wait "$bench_pid" || { cat "$work/bench.err" >&2; exit 1; }
stop_nginx
stop_server
# KEEP_LOGS=DIR: copy nginx's access and error logs there for a closer look.
[[ -n "${KEEP_LOGS:-}" && $direct -eq 0 ]] && cp "$work/nginx/access.log" "$work/nginx/error.log" "$KEEP_LOGS/"

cat "$work/bench.txt"
echo "$cpu" | awk -v t="$(getconf CLK_TCK)" '{
  printf "CPU seconds over the run:"; for (i = 1; i < NF; i += 2) printf " %s %.1f", $i, $(i + 1) / t
  printf "\n" }'
if [[ $direct -eq 0 ]]; then
  log=$work/nginx/access.log
  awk '
    $2 == "\"POST" && $5 == 204 { appends++ }
    $2 == "\"GET" && $3 ~ /live=long-poll/ {
      polls++
      if ($8 != "upstream=-") origin_polls++
    }
    $8 != "upstream=-" { origin++ }
    END {
      printf "nginx: %d long-poll answers, %d of them from the origin; %d appends\n",
             polls, origin_polls, appends
      printf "origin long-poll requests per append: %.2f\n", origin_polls / (appends ? appends : 1)
      printf "all origin requests (reads, appends, create): %d\n", origin
    }' "$log"
  echo "nginx error log (warnings and worse): $(wc -l <"$work/nginx/error.log") lines"
  head -5 "$work/nginx/error.log"
fi
