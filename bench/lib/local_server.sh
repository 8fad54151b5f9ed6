# Sourced by bench/ab.sh, bench/fanout_cpu.sh and bench/many_streams.sh: runs one streamkeeper at
# a time on 127.0.0.1 with its files in a scratch directory ($work, made by mktemp -d, so under
# $TMPDIR when set) that is removed, and the server killed, on exit.
#   launch_server BINARY PORT [SERVER_ARGS...]  starts it in the background, sets server_pid;
#                                               its output goes to $server_log
#                                               (default $work/server.log, truncated)
#   wait_listening [SECONDS]                    waits until the log says it listens (default 5);
#                                               exits with the log if it does not or dies
#   start_server BINARY PORT [SERVER_ARGS...]   both
#   stop_server                                 SIGTERM, then waits for it to exit
#   cpu_ticks PID                               utime + stime of PID, in clock ticks
#   rss_kib PID                                 VmRSS of PID, in KiB

work=$(mktemp -d)
server_pid=""

cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

launch_server() {
  local binary=$1 port=$2
  shift 2
  server_log=${server_log:-$work/server.log}
  "$binary" --host 127.0.0.1 --port "$port" "$@" >"$server_log" 2>&1 &
  server_pid=$!
}

wait_listening() {
  local tenths=$((${1:-5} * 10))
  for _ in $(seq "$tenths"); do
    grep -q "listening" "$server_log" 2>/dev/null && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$server_log" >&2
  exit 1
}

start_server() {
  launch_server "$@"
  wait_listening
}

stop_server() {
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

rss_kib() { awk '$1 == "VmRSS:" {print $2}' "/proc/$1/status"; }
