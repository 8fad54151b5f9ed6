#!/usr/bin/env bash
# Runs the Durable Streams conformance suite against a freshly started
# Streamkeeper server on a free 127.0.0.1 port with a throw-away data dir.
#
#   tests/conformance/run-conformance.sh <streamkeeper-binary> <memory|rocksdb> [vitest args...]
#
# Extra arguments go to `vitest run` (e.g. -t "Long-poll" to filter by name);
# STREAMKEEPER_SERVER_ARGS adds server flags (e.g. "--stream-cache-mb 0").
# STREAMKEEPER_TLS=1 runs the suite over HTTPS: a test CA and server certificate are made for the
# run (tests/tls/make_test_certs.sh), the server gets --tls-cert/--tls-key, and the suite is
# pointed at https://127.0.0.1:PORT with NODE_EXTRA_CA_CERTS naming the CA (Node's fetch trusts
# it then).
# Exits with vitest's status (non-zero on any failure to start the server).
set -euo pipefail

die() { echo "run-conformance: $*" >&2; exit 2; }

[[ $# -ge 2 ]] || die "usage: $0 <streamkeeper-binary> <memory|rocksdb> [vitest args...]"
binary=$1
backend=$2
shift 2
case "$backend" in
  memory|rocksdb) ;;
  *) die "backend must be 'memory' or 'rocksdb', got '$backend'" ;;
esac
[[ -x "$binary" ]] || die "server binary '$binary' does not exist or is not executable"
binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
command -v node >/dev/null || die "node is not on PATH (run tools/setup.sh)"
command -v npm >/dev/null || die "npm is not on PATH (run tools/setup.sh)"

# Install the suite if tools/setup.sh has not (or the lock file changed since).
if [[ ! -f "$here/node_modules/.package-lock.json" ||
      "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]]; then
  echo "run-conformance: installing npm dependencies (npm ci)" >&2
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) ||
    die "npm ci failed in $here"
fi
vitest=$here/node_modules/.bin/vitest
[[ -x "$vitest" ]] || die "$vitest is missing after npm ci"

port=$(node -e '
  const s = require("node:net").createServer();
  s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });
') || die "could not pick a free port"
[[ "$port" =~ ^[0-9]+$ ]] || die "could not pick a free port (got '$port')"

workdir=$(mktemp -d "${TMPDIR:-/tmp}/streamkeeper-conformance.XXXXXX")
datadir=$workdir/data
log=$workdir/server.log
mkdir -p "$datadir"
scheme=http
tls_args=()
if [[ "${STREAMKEEPER_TLS:-0}" == 1 ]]; then
  bash "$here/../tls/make_test_certs.sh" "$workdir/tls" || die "could not make test certificates"
  tls_args=(--tls-cert "$workdir/tls/server.pem" --tls-key "$workdir/tls/server.key")
  export NODE_EXTRA_CA_CERTS=$workdir/tls/ca.pem
  scheme=https
fi
server_pid=
vitest_pid=

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n "$vitest_pid" ]]; then
    kill -TERM "$vitest_pid" 2>/dev/null || true
    wait "$vitest_pid" 2>/dev/null || true
  fi
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$server_pid" 2>/dev/null; then
      echo "run-conformance: server did not exit on SIGTERM within 5 s; killing it" >&2
      kill -KILL "$server_pid" 2>/dev/null || true
    fi
    wait "$server_pid" 2>/dev/null || true
  fi
  if [[ $status -ne 0 && -s "$log" ]]; then
    echo "run-conformance: last lines of the server log ($backend):" >&2
    tail -n 40 "$log" >&2 || true
  fi
  rm -rf "$workdir"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$binary" --host 127.0.0.1 --port "$port" --storage "$backend" \
  --data-dir "$datadir" --long-poll-timeout-ms 500 "${tls_args[@]}" \
  ${STREAMKEEPER_SERVER_ARGS:-} >"$log" 2>&1 &
server_pid=$!

# Wait (at most 20 s) until the port accepts connections.
deadline=$((SECONDS + 20))
until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    wait "$server_pid" && rc=0 || rc=$?
    server_pid=
    echo "run-conformance: server exited (status $rc) before listening on 127.0.0.1:$port" >&2
    exit 2
  fi
  if (( SECONDS >= deadline )); then
    echo "run-conformance: server did not listen on 127.0.0.1:$port within 20 s" >&2
    exit 2
  fi
  sleep 0.1
done

url=$scheme://127.0.0.1:$port
echo "run-conformance: $backend server (pid $server_pid) at $url, data in $datadir" >&2
cd "$here"
# Plain output in ctest logs and pipes; colours on a terminal or with FORCE_COLOR.
if [[ ! -t 1 && -z "${FORCE_COLOR:-}" ]]; then
  export NO_COLOR=1
fi
# In the background + wait, so that a SIGTERM/SIGINT to this script runs the
# clean-up at once instead of after vitest finishes.
STREAMKEEPER_URL=$url "$vitest" run --config vitest.config.mjs "$@" &
vitest_pid=$!
status=0
wait "$vitest_pid" || status=$?
vitest_pid=
if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "run-conformance: the server died during the run" >&2
  [[ $status -ne 0 ]] || status=1
fi
exit "$status"
