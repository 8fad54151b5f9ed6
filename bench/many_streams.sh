#!/usr/bin/env bash
# Many streams on one server, for one or more server builds side by side: what holding N streams
# costs (RSS, disk, idle CPU), how long a restart takes to answer, how fast a stream nobody touched
# lately answers, and (--expiry-test) what N streams expiring together do to an append load.
#
#   bench/many_streams.sh [options] BINARY [BINARY2 ...]
#
# For each binary, in a fresh data directory on the real disk (RocksDB, --sync always):
#   1. create N streams and append one --body-bytes body to each (ds-bench many-streams, C
#      connections): creates/s, appends/s, server and ds-bench CPU;
#   2. server RSS (VmRSS) and data directory size right after;
#   3. idle CPU: utime+stime of the server over --idle-seconds with no traffic, after
#      --idle-settle seconds of quiet, as % of one core;
#   4. restart: SIGTERM, wait for the exit, start again on the same directory; time from exec to
#      the first 200 answer to a HEAD of one of the streams (polled every 5 ms without forking
#      until the port accepts, then by curl: within ~10 ms), the server's CPU seconds until then
#      (steadier than the wall time on a shared machine), and RSS right after that answer;
#   5. cold phase (everything is cold after the restart): reads (GET offset=-1) and appends,
#      alternating, to streams drawn uniformly at random among the N, at --cold-rate requests/s
#      over --cold-connections: p50/p99/p999 of reads and appends apart; RSS after; idle CPU again.
# --expiry-test then runs, per binary and in another fresh directory: create --expiry-count
# streams with --ttl S (Stream-TTL, sliding from the last access; --expiry-mode at instead gives
# them all one Stream-Expires-At, so they expire at the same instant), then at once a 64-connection
# append load on 100 other streams (ds-bench append) until --expiry-grace s past the last expiry:
# appends/s before the first expiry vs from the first expiry to 10 s after the last, the worst
# second in that span, and when the streams were gone, judged twice: by the first server log line
# matching --gone-log-regex after the last expiry (PROVISIONAL: 'expiry sweep' is the line the
# streams-on-demand sweeper is to print when a sweep round has caught up; today's server prints
# none, so it reads "not seen"), and by HEAD probes of --gone-sample random expired streams once a
# second from the last expiry on until a round finds them all 404. The two differ: a HEAD shows
# what clients see (an expired stream must answer 404 at once, swept or not; today's server
# expires it on that access), the log line when the server has actually removed them all.
# Choose --ttl longer than the create phase takes, or nothing is measured before expiry.
#
# Prints a Markdown table (one column per binary, then each binary's ratio to the first) and
# writes it, with the ds-bench outputs and server logs, under bench/results/. Loopback only.
#
# Options:
#   --count N              streams (100000)
#   --connections C        create/append connections (64)
#   --body-bytes B         size of each stream's one append (128)
#   --cold-rate R          cold phase requests/s, reads and appends together (1000)
#   --cold-connections C   cold phase connections (16)
#   --cold-duration S      cold phase measured seconds (20), after --cold-warmup S (2)
#   --idle-seconds S       idle CPU window (10), after --idle-settle S (5)
#   --restart-limit S      give up waiting for the restarted server after S seconds (900)
#   --expiry-test          also run the expiry scenario
#   --expiry-only          run only the expiry scenario
#   --expiry-count N       streams that expire (--count)
#   --ttl S                their Stream-TTL, or seconds to their Stream-Expires-At (60)
#   --expiry-mode M        ttl (default) or at
#   --expiry-grace S       append load continues this long after the last expiry (20)
#   --gone-log-regex RE    server log line that says a sweep round caught up ('expiry sweep')
#   --gone-sample K        streams per HEAD probe round (200)
#   --server-args "..."    extra arguments for every binary (e.g. "--stream-cache-mb 256")
#   --server-args1 "..."   extra arguments for the first binary only (--server-args2: the second)
#   --labels A,B           column names (default: A, B, ...; the legend names the binaries)
#   --work-dir DIR         parent of the scratch directory ($TMPDIR or /tmp); not tmpfs
#   --port P               port to use on 127.0.0.1 (4481)
# DS_BENCH=<path> overrides build/bench/ds_bench/ds-bench.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DS_BENCH=${DS_BENCH:-$repo/build/bench/ds_bench/ds-bench}

count=100000
connections=64
body_bytes=128
cold_rate=1000
cold_connections=16
cold_duration=20
cold_warmup=2
idle_seconds=10
idle_settle=5
restart_limit=900
main_test=1
expiry_test=0
expiry_count=""
ttl=60
expiry_mode=ttl
expiry_grace=20
gone_log_regex='expiry sweep'
gone_sample=200
common_server_args=""
declare -A own_server_args=()
labels=""
work_dir=""
port=4481

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
die() { echo "many_streams.sh: $*" >&2; exit 1; }
say() { echo "== many_streams: $*" >&2; }

binaries=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --count) count=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --body-bytes) body_bytes=$2; shift 2 ;;
    --cold-rate) cold_rate=$2; shift 2 ;;
    --cold-connections) cold_connections=$2; shift 2 ;;
    --cold-duration) cold_duration=$2; shift 2 ;;
    --cold-warmup) cold_warmup=$2; shift 2 ;;
    --idle-seconds) idle_seconds=$2; shift 2 ;;
    --idle-settle) idle_settle=$2; shift 2 ;;
    --restart-limit) restart_limit=$2; shift 2 ;;
    --expiry-test) expiry_test=1; shift ;;
    --expiry-only) expiry_test=1; main_test=0; shift ;;
    --expiry-count) expiry_count=$2; shift 2 ;;
    --ttl) ttl=$2; shift 2 ;;
    --expiry-mode) expiry_mode=$2; shift 2 ;;
    --expiry-grace) expiry_grace=$2; shift 2 ;;
    --gone-log-regex) gone_log_regex=$2; shift 2 ;;
    --gone-sample) gone_sample=$2; shift 2 ;;
    --server-args) common_server_args=$2; shift 2 ;;
    --server-args[0-9]*) own_server_args[${1#--server-args}]=$2; shift 2 ;;
    --labels) labels=$2; shift 2 ;;
    --work-dir) work_dir=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    -*) usage >&2; die "unknown option $1" ;;
    *) binaries+=("$1"); shift ;;
  esac
done
[[ ${#binaries[@]} -ge 1 ]] || { usage >&2; exit 2; }
[[ -x "$DS_BENCH" ]] || die "no ds-bench at $DS_BENCH (build first)"
for binary in "${binaries[@]}"; do [[ -x "$binary" ]] || die "not an executable: $binary"; done
[[ "$expiry_mode" == ttl || "$expiry_mode" == at ]] || die "--expiry-mode is ttl or at"
expiry_count=${expiry_count:-$count}
((count >= 1 && expiry_count >= 2)) || die "--count must be >= 1 and --expiry-count >= 2"
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then die "port $port is in use (--port)"; fi

IFS=, read -r -a label_list <<<"$labels"
for i in "${!binaries[@]}"; do
  letters=(A B C D E F G H I J)
  [[ -n "${label_list[$i]:-}" ]] || label_list[$i]=${letters[$i]}
done

if [[ -n "$work_dir" ]]; then
  mkdir -p "$work_dir"
  export TMPDIR=$work_dir
fi
source "$repo/bench/lib/local_server.sh"
fs_type=$(df --output=fstype "$work" | tail -n 1)
[[ $fs_type != tmpfs ]] || die "$work is on tmpfs; give --work-dir on a real disk"
load_pid=""
trap '[[ -n "$load_pid" ]] && kill "$load_pid" 2>/dev/null; cleanup' EXIT

stamp=$(date +%Y%m%d-%H%M%S)
results="$repo/bench/results/many-streams-$stamp"
mkdir -p "$results"
url="http://127.0.0.1:$port"
ticks_per_s=$(getconf CLK_TCK)

# --- Figures: values[metric,binary index]; rows in the order first recorded.
declare -A values=() units=() betters=() titles=()
rows=()
record() {  # record INDEX METRIC VALUE UNIT BETTER(higher|lower|-) TITLE
  local key="$2"
  if [[ -z "${titles[$key]:-}" ]]; then
    rows+=("$key")
    titles[$key]=$6
    units[$key]=$4
    betters[$key]=$5
  fi
  values[$key,$1]=$3
}
# The value of METRIC in a ds-bench text report, and of a parameter.
metric() { awk -v m="$2" '$1 == m {print $2}' "$1"; }
param() { sed -n "s/^   $2=//p" "$1"; }
calc() { awk "BEGIN { printf \"%.${2:-2}f\", ($1) }"; }  # (): a > in printf would redirect
now() { echo "$EPOCHREALTIME"; }
mib() { calc "$1 / 1024" 0; }
dir_mib() { calc "$(du -sk "$1" | cut -f1) / 1024" 1; }  # allocated, as df would count it

server_args_for() {  # the server arguments of binary INDEX, one per line
  local extra
  read -r -a extra <<<"$common_server_args ${own_server_args[$(($1 + 1))]:-}"
  printf '%s\n' --storage rocksdb --sync always "${extra[@]}"
}

ds_bench() {  # ds_bench OUTPUT_BASE ARGS...: text report in BASE.txt, progress in BASE.err
  local base=$1
  shift
  "$DS_BENCH" --url "$url" "$@" --json "$base.json" >"$base.txt" 2>"$base.err"
}

idle_cpu_pct() {
  sleep "$idle_settle"
  local before after
  before=$(cpu_ticks "$server_pid")
  sleep "$idle_seconds"
  after=$(cpu_ticks "$server_pid")
  calc "($after - $before) / $ticks_per_s / $idle_seconds * 100" 1
}

# Waiting loops must not take CPU from the server they wait for: no process per poll where the
# shell can do without. `read -t` on a pipe that nobody writes to sleeps without a fork.
exec {nap_fd}<> <(:)
nap() { read -r -t "$1" -u "$nap_fd" _ || true; }
now_us() { now_us=${EPOCHREALTIME/./}; }  # sets $now_us, the wall clock in microseconds
port_open() { { exec {probe_fd}<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || return 1; exec {probe_fd}>&-; }
head_code() { curl -s -o /dev/null -I -w '%{http_code}' --max-time 5 "$url$1" || true; }

# Waits for the first 200 answer to HEAD PATH: first for the port to accept connections (a server
# that loads everything before listening), then for the HEAD itself, polling every 5 ms. Prints
# the seconds from T0_US (microseconds) to that answer.
wait_first_answer() {
  local path=$1 t0_us=$2 deadline_us=$(($2 + restart_limit * 1000000))
  while ! port_open || [[ $(head_code "$path") != 200 ]]; do
    kill -0 "$server_pid" 2>/dev/null || return 1
    now_us
    ((now_us < deadline_us)) || return 1
    nap 0.005
  done
  now_us
  calc "($now_us - $t0_us) / 1e6" 3
}

# --- 1-5: create + append, idle, restart, cold.
run_main() {
  local i=$1 binary=$2 label=${label_list[$1]}
  local data="$work/data-$i" out="$results/$label" prefix="ms-$stamp-$i"
  local -a args
  mapfile -t args < <(server_args_for "$i")
  rm -rf "$data"
  server_log="$results/$label-server.log"
  say "$label: starting $binary"
  start_server "$binary" "$port" --data-dir "$data" "${args[@]}"

  say "$label: creating and appending to $count streams"
  local t0 cpu0 cpu1
  t0=$(now)
  cpu0=$(cpu_ticks "$server_pid")
  ds_bench "$out.create" --scenario many-streams --phases create,append --count "$count" \
    --connections "$connections" --body-bytes "$body_bytes" --prefix "$prefix" ||
    { cat "$out.create.err" >&2; return 1; }
  cpu1=$(cpu_ticks "$server_pid")
  timings[$label,create]=$(calc "$(now) - $t0" 0)
  record "$i" creates_per_s "$(metric "$out.create.txt" creates_per_s)" "1/s" higher "creates/s"
  record "$i" appends_per_s "$(metric "$out.create.txt" appends_per_s)" "1/s" higher "appends/s"
  record "$i" create_p99 "$(calc "$(metric "$out.create.txt" create_latency_p99_us) / 1000")" \
    ms lower "create latency p99"
  record "$i" append_p99 "$(calc "$(metric "$out.create.txt" append_latency_p99_us) / 1000")" \
    ms lower "append latency p99"
  record "$i" errors "$(metric "$out.create.txt" errors)" "" lower "create/append errors"
  record "$i" server_cpu_create "$(calc "($cpu1 - $cpu0) / $ticks_per_s" 1)" s lower \
    "server CPU during create+append"
  record "$i" client_cpu_create "$(metric "$out.create.txt" client_cpu_s)" s - \
    "ds-bench CPU during create+append"
  record "$i" client_rss "$(metric "$out.create.txt" client_max_rss_mib)" MiB - "ds-bench max RSS"
  record "$i" rss_created "$(mib "$(rss_kib "$server_pid")")" MiB lower "RSS after create+append"
  record "$i" data_dir "$(dir_mib "$data")" MiB lower \
    "data dir after create+append"

  say "$label: idle CPU (${idle_settle} s settle, ${idle_seconds} s measured)"
  record "$i" idle_cpu "$(idle_cpu_pct)" "% core" lower "idle CPU after create+append"

  say "$label: restart"
  t0=$(now)
  stop_server
  record "$i" shutdown_s "$(calc "$(now) - $t0" 2)" s lower "SIGTERM to exit"
  record "$i" data_dir_stopped "$(dir_mib "$data")" MiB lower \
    "data dir after shutdown"
  server_log="$results/$label-server-restart.log"
  now_us
  local first t0_us=$now_us
  launch_server "$binary" "$port" --data-dir "$data" "${args[@]}"
  first=$(wait_first_answer "/v1/stream/$prefix-many-$((count - 1))" "$t0_us") ||
    { tail -n 20 "$server_log" >&2; say "$label: no answer after the restart"; return 1; }
  record "$i" restart_s "$first" s lower "restart: exec to first HEAD 200"
  record "$i" restart_cpu "$(calc "$(cpu_ticks "$server_pid") / $ticks_per_s" 1)" s lower \
    "restart: server CPU until then"
  record "$i" rss_restarted "$(mib "$(rss_kib "$server_pid")")" MiB lower "RSS after restart"

  say "$label: cold phase (${cold_rate}/s for ${cold_warmup}+${cold_duration} s)"
  t0=$(now)
  ds_bench "$out.cold" --scenario many-streams --phases cold --count "$count" --prefix "$prefix" \
    --rate "$cold_rate" --connections "$cold_connections" --body-bytes "$body_bytes" \
    --duration "$cold_duration" --warmup "$cold_warmup" ||
    { cat "$out.cold.err" >&2; return 1; }
  timings[$label,cold]=$(calc "$(now) - $t0" 0)
  local kind q
  for kind in read append; do
    for q in p50 p99 p999; do
      record "$i" "cold_${kind}_$q" \
        "$(calc "$(metric "$out.cold.txt" "cold_${kind}_latency_${q}_us") / 1000")" ms lower \
        "cold $kind latency $q"
    done
  done
  record "$i" cold_rate "$(metric "$out.cold.txt" cold_requests_per_s)" "1/s" higher \
    "cold requests/s reached (of $cold_rate)"
  record "$i" cold_missed "$(metric "$out.cold.txt" cold_missed_slots)" "" lower \
    "cold send slots missed"
  record "$i" cold_errors "$(metric "$out.cold.txt" cold_errors)" "" lower "cold errors"
  record "$i" rss_cold "$(mib "$(rss_kib "$server_pid")")" MiB lower "RSS after cold phase"
  record "$i" idle_cpu_restarted "$(idle_cpu_pct)" "% core" lower "idle CPU after restart"
  stop_server
  rm -rf "$data"
}

# --- The expiry scenario.
# Appends/s over the timeline between two instants: the samples nearest inside [FROM, TO].
timeline_rate() {  # FILE FROM TO -> mean appends/s, then the worst 1 s step ("n/a" if empty)
  awk -v from="$2" -v to="$3" '
    { t = $1 / 1000; ok = $2
      if (t >= from && t <= to) {
        if (n == 0) { t0 = t; ok0 = ok } else if (t - tp > 0) {
          step = (ok - okp) / (t - tp); if (worst == "" || step < worst) worst = step }
        t1 = t; ok1 = ok; n++ }
      tp = t; okp = ok }
    END { if (n < 2) print "n/a n/a"; else printf "%.0f %.0f\n", (ok1 - ok0) / (t1 - t0), worst }
  ' "$1"
}

slow_seconds() {  # FILE FROM RATE -> seconds after FROM whose appends were below RATE / 2
  [[ "$3" == n/a ]] && { echo n/a; return; }
  awk -v from="$2" -v rate="$3" '
    { t = $1 / 1000
      if (n++ && t > from && t - tp > 0 && ($2 - okp) / (t - tp) < rate / 2) slow += t - tp
      tp = t; okp = $2 }
    END { printf "%.0f\n", slow }' "$1"
}

run_expiry() {
  local i=$1 binary=$2 label=${label_list[$1]}
  local data="$work/expiry-$i" out="$results/$label.expiry" prefix="mx-$stamp-$i"
  local -a args expiry_args
  mapfile -t args < <(server_args_for "$i")
  rm -rf "$data"
  server_log="$results/$label-server-expiry.log"
  say "$label: expiry test: starting $binary"
  start_server "$binary" "$port" --data-dir "$data" "${args[@]}"
  if [[ $expiry_mode == ttl ]]; then expiry_args=(--ttl "$ttl"); else expiry_args=(--expires-in "$ttl"); fi

  say "$label: creating $expiry_count streams that expire ${ttl} s on ($expiry_mode)"
  local t_create0 t_create1 first_expiry last_expiry
  t_create0=$(now)
  ds_bench "$out.create" --scenario many-streams --phases create --count "$expiry_count" \
    --connections "$connections" --prefix "$prefix" "${expiry_args[@]}" ||
    { cat "$out.create.err" >&2; return 1; }
  t_create1=$(now)
  if [[ $expiry_mode == ttl ]]; then
    first_expiry=$(calc "$t_create0 + $ttl" 3)
    last_expiry=$(calc "$t_create1 + $ttl" 3)
  else
    first_expiry=$(date -d "$(param "$out.create.txt" expires_at)" +%s)
    last_expiry=$first_expiry
  fi
  [[ $(calc "$first_expiry - $t_create1 >= 8" 0) == 1 ]] ||
    say "$label: WARNING: streams expire from less than 8 s after the last was created:" \
      "too short for an appends/s figure before expiry; raise --ttl"
  record "$i" x_creates_per_s "$(metric "$out.create.txt" creates_per_s)" "1/s" higher \
    "expiry: creates/s"
  record "$i" x_create_s "$(calc "$t_create1 - $t_create0" 1)" s - "expiry: create time"
  # The last stream stays out of the probes' draw, so this check cannot touch a probed one.
  local sanity
  sanity=$(curl -s -o /dev/null -I -w '%{http_code}' --max-time 5 \
    "$url/v1/stream/$prefix-many-$((expiry_count - 1))" || true)
  [[ "$sanity" == 200 ]] || say "$label: WARNING: a created stream answers HEAD $sanity"
  record "$i" x_rss_created "$(mib "$(rss_kib "$server_pid")")" MiB lower \
    "expiry: RSS after create"

  local load_s
  load_s=$(calc "$last_expiry + $expiry_grace - $(now)" 0)
  ((load_s >= 5)) || load_s=5
  say "$label: append load (64 connections, 100 streams) for ${load_s} s through the expiry"
  "$DS_BENCH" --url "$url" --scenario append --connections 64 --streams 100 --body-bytes 100 \
    --warmup 1 --duration "$load_s" --timeline "$out.timeline" --json "$out.load.json" \
    >"$out.load.txt" 2>"$out.load.err" &
  load_pid=$!

  local seen=0 matches gone_log="" gone_probe="" round=0 found_after=0 found missing errors
  local last_expiry_us next_probe_us=0 since tenths sign
  last_expiry_us=$(calc "$last_expiry * 1e6" 0)
  : >"$out.gone-log"
  : >"$out.probes"
  while kill -0 "$load_pid" 2>/dev/null; do
    nap 0.2
    now_us
    tenths=$(((now_us - last_expiry_us) / 100000)) sign=""  # since the last expiry
    ((tenths >= 0)) || { sign=-; tenths=$((-tenths)); }
    since="$sign$((tenths / 10)).$((tenths % 10))"
    matches=$(grep -cE -- "$gone_log_regex" "$server_log" || true)
    if ((matches > seen)); then
      grep -E -- "$gone_log_regex" "$server_log" | tail -n "+$((seen + 1))" |
        sed "s/^/[${since}s] /" >>"$out.gone-log"
      seen=$matches
      [[ -z "$gone_log" ]] && ((now_us >= last_expiry_us)) && gone_log=$since
    fi
    [[ -z "$gone_probe" ]] && ((now_us >= last_expiry_us && now_us >= next_probe_us)) || continue
    round=$((round + 1))
    next_probe_us=$((now_us + 1000000))
    ds_bench "$out.probe-$round" --scenario many-streams --phases probe \
      --count "$((expiry_count - 1))" --prefix "$prefix" --sample "$gone_sample" \
      --seed "$round" --connections 4 || true
    found=$(metric "$out.probe-$round.txt" probe_found)
    missing=$(metric "$out.probe-$round.txt" probe_missing)
    errors=$(metric "$out.probe-$round.txt" probe_errors)
    echo "[${since}s] found=$found missing=$missing errors=$errors" >>"$out.probes"
    found_after=$((found_after + ${found:-0}))
    [[ "$missing" == "$gone_sample" ]] && gone_probe=$since
  done
  wait "$load_pid" || { load_pid=""; cat "$out.load.err" >&2; return 1; }
  load_pid=""

  local before during after
  # Before: from 3 s after the load began (its streams created, connections warm).
  local load_start during_end worst
  load_start=$(awk 'NR == 1 { printf "%.3f", $1 / 1000 + 3 }' "$out.timeline")
  during_end=$(calc "$last_expiry + 10" 3)
  read -r before _ < <(timeline_rate "$out.timeline" "$load_start" "$first_expiry")
  read -r during worst < <(timeline_rate "$out.timeline" "$first_expiry" "$during_end")
  read -r after _ < <(timeline_rate "$out.timeline" "$during_end" 1e12)
  record "$i" x_before "$before" "1/s" higher "expiry: appends/s before the first expiry"
  record "$i" x_during "$during" "1/s" higher "expiry: appends/s first expiry to last + 10 s"
  record "$i" x_ratio "$( [[ $before == n/a || $during == n/a ]] && echo n/a ||
    calc "$during / $before")" "" higher "expiry: during / before"
  record "$i" x_worst "$worst" "1/s" higher "expiry: worst second during"
  record "$i" x_after "$after" "1/s" higher "expiry: appends/s after"
  record "$i" x_slow_seconds "$(slow_seconds "$out.timeline" "$first_expiry" "$before")" s lower \
    "expiry: seconds under half the rate before, from the first expiry on"
  record "$i" x_load_errors "$(metric "$out.load.txt" errors)" "" lower "expiry: append errors"
  record "$i" x_gone_log "${gone_log:-not seen}" s lower \
    "expiry: last expiry to log /$gone_log_regex/"
  record "$i" x_gone_probe "${gone_probe:-not reached}" s lower \
    "expiry: last expiry to all $gone_sample HEADs 404"
  record "$i" x_found_after "$found_after" "" lower "expiry: HEADs found after last expiry"
  record "$i" x_rss_after "$(mib "$(rss_kib "$server_pid")")" MiB lower "expiry: RSS at the end"
  stop_server
  rm -rf "$data"
}

# --- Run.
declare -A timings=()
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for i in "${!binaries[@]}"; do
  label=${label_list[$i]}
  sync
  if ((main_test)); then
    t0=$(now)
    run_main "$i" "${binaries[$i]}" ||
      { say "$label: FAILED (see $results)"; [[ -n "$server_pid" ]] && stop_server; }
    timings[$label,main]=$(calc "$(now) - $t0" 0)
  fi
  if ((expiry_test)); then
    sync
    t0=$(now)
    run_expiry "$i" "${binaries[$i]}" ||
      { say "$label: expiry test FAILED (see $results)"; [[ -n "$server_pid" ]] && stop_server; }
    timings[$label,expiry]=$(calc "$(now) - $t0" 0)
  fi
done

# --- Report.
fmt() {  # numbers: thousands with separators, small values as given
  [[ "$1" =~ ^-?[0-9]+(\.[0-9]+)?$ ]] || { echo "$1"; return; }
  awk -v v="$1" 'BEGIN { if (v >= 1000 || v <= -1000) { s = sprintf("%.0f", v)
    while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]([,]|$)/, ",&", s); print s }
    else print v }'
}
ratio() {  # VALUE BASE BETTER
  [[ "$1" =~ ^[0-9.]+$ && "$2" =~ ^[0-9.]+$ ]] || { echo; return; }
  awk -v a="$1" -v b="$2" -v better="$3" 'BEGIN {
    if (b == 0) { print ""; exit } r = a / b; v = ""
    if (better == "higher") v = r > 1.05 ? " better" : r < 0.95 ? " worse" : " same"
    if (better == "lower") v = r < 0.95 ? " better" : r > 1.05 ? " worse" : " same"
    printf "%.2fx%s\n", r, v }'
}
{
  echo "# Many streams, $stamp"
  echo
  ((main_test)) && echo "count=$count connections=$connections body=${body_bytes}B" \
    "cold=${cold_rate}/s x ${cold_connections} connections, ${cold_warmup}+${cold_duration} s" \
    "idle=${idle_settle}+${idle_seconds} s"
  ((expiry_test)) && echo "expiry: count=$expiry_count connections=$connections ttl=${ttl}s" \
    "mode=$expiry_mode grace=${expiry_grace}s sample=$gone_sample log=/$gone_log_regex/" \
    "(provisional)"
  echo "RocksDB, --sync always, data in $(dirname "$work") ($fs_type). Load" \
    "average (1/5/15 min) at the start: $load_before; at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
  for i in "${!binaries[@]}"; do
    echo "${label_list[$i]}: ${binaries[$i]}" \
      "$(server_args_for "$i" | tr '\n' ' ')"
  done
  echo
  header="| figure | unit |"
  rule="|---|---|"
  for i in "${!binaries[@]}"; do header+=" ${label_list[$i]} |"; rule+="---|"; done
  for i in "${!binaries[@]}"; do
    ((i > 0)) && { header+=" ${label_list[$i]}/${label_list[0]} |"; rule+="---|"; }
  done
  echo "$header"
  echo "$rule"
  for key in "${rows[@]}"; do
    line="| ${titles[$key]} | ${units[$key]} |"
    for i in "${!binaries[@]}"; do line+=" $(fmt "${values[$key,$i]:-n/a}") |"; done
    for i in "${!binaries[@]}"; do
      ((i > 0)) && line+=" $(ratio "${values[$key,$i]:-}" "${values[$key,0]:-}" "${betters[$key]}") |"
    done
    echo "$line"
  done
  echo
  for i in "${!binaries[@]}"; do
    l=${label_list[$i]}
    parts=()
    ((main_test)) && parts+=("create+append ${timings[$l,create]:-?} s" \
      "cold phase ${timings[$l,cold]:-?} s" "steps 1-5 ${timings[$l,main]:-?} s")
    ((expiry_test)) && parts+=("expiry test ${timings[$l,expiry]:-?} s")
    echo "Wall time of $l: $(IFS=,; echo "${parts[*]}" | sed 's/,/, /g')."
  done
} | tee "$results.md"
echo
echo "written: $results.md (ds-bench outputs and server logs in $results/)"
