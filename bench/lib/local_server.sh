# Sourced by bench/ab.sh and bench/fanout_cpu.sh: runs one streamkeeper at a time on 127.0.0.1
# with its files in a scratch directory ($work) that is removed, and the server killed, on exit.
#   start_server BINARY PORT [SERVER_ARGS...]  starts it, sets server_pid, waits until it listens
#   stop_server                                kills it and waits for it
#   cpu_ticks PID                              utime + stime of PID, in clock ticks

work=$(mktemp -d)
server_pid=""

cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

start_server() {
  local binary=$1 port=$2
  shift 2
  "$binary" --host 127.0.0.1 --port "$port" "$@" >"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 50); do
    grep -q "listening" "$work/server.log" 2>/dev/null && return 0
    sleep 0.1
  done
  cat "$work/server.log" >&2
  exit 1
}

stop_server() {
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
