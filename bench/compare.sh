#!/usr/bin/env bash
# Runs the same ds-bench scenarios against the Durable Streams reference server
# (@durable-streams/server 0.3.7, in memory and file-backed) and against
# Streamkeeper (RocksDB with fsync, and memory), then prints every figure per
# server and Streamkeeper's ratio to each peer. Results also go to
# bench/results/compare-<date>.{md,json}.
#
# Every server listens on 127.0.0.1 only. Defaults finish in about 10 minutes;
# scale up with flags or the matching environment variables, e.g.
#   bench/compare.sh --fanout-subscribers 10000 --catchup-mb 1024
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: bench/compare.sh [options]        (each option also reads the env var shown)
  --targets LIST             comma list from ref-memory,ref-file,sk-rocksdb,sk-memory,nginx
                             (TARGETS; default: all five; nginx, a do-nothing server that
                             answers 204, runs only the append scenario and only when
                             /usr/sbin/nginx exists: it is the ceiling of this machine)
  --scenarios LIST           comma list from append,append-producer,latency,fanout,catchup,
                             many-streams (SCENARIOS; default: all)
  --duration S               measured seconds for append/latency/fanout (DURATION; 10)
  --warmup S                 warm-up seconds for append/latency (WARMUP; 2)
  --connections N            append / many-streams connections (CONNECTIONS; 64)
  --streams N                append streams (STREAMS; 100)
  --body-bytes N             append body size (BODY_BYTES; 100)
  --latency-rate R           latency writer appends/s (LATENCY_RATE; 100)
  --fanout-subscribers K     fanout SSE subscribers (FANOUT_SUBSCRIBERS; 1000)
  --fanout-rate R            fanout writer appends/s (FANOUT_RATE; 10)
  --catchup-mb M             catchup stream size in MiB (CATCHUP_MB; 256)
  --many-streams N           streams for many-streams (MANY_STREAMS; 20000)
  --long-poll-timeout-ms N   server long-poll timeout (LONG_POLL_TIMEOUT_MS; 10000)
  --skip-build               use the existing build-release binaries (SKIP_BUILD=1)
  -h, --help                 this text
DS_BENCH=<path> and STREAMKEEPER=<path> override the binaries (implies no build of them).
EOF
}

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGETS="${TARGETS:-ref-memory,ref-file,sk-rocksdb,sk-memory,nginx}"
SCENARIOS="${SCENARIOS:-append,append-producer,latency,fanout,catchup,many-streams}"
DURATION="${DURATION:-10}"
WARMUP="${WARMUP:-2}"
CONNECTIONS="${CONNECTIONS:-64}"
STREAMS="${STREAMS:-100}"
BODY_BYTES="${BODY_BYTES:-100}"
LATENCY_RATE="${LATENCY_RATE:-100}"
FANOUT_SUBSCRIBERS="${FANOUT_SUBSCRIBERS:-1000}"
FANOUT_RATE="${FANOUT_RATE:-10}"
CATCHUP_MB="${CATCHUP_MB:-256}"
MANY_STREAMS="${MANY_STREAMS:-20000}"
LONG_POLL_TIMEOUT_MS="${LONG_POLL_TIMEOUT_MS:-10000}"
SKIP_BUILD="${SKIP_BUILD:-0}"
SCENARIO_TIME_LIMIT_S="${SCENARIO_TIME_LIMIT_S:-900}"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --targets) TARGETS="$2"; shift 2 ;;
    --scenarios) SCENARIOS="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --streams) STREAMS="$2"; shift 2 ;;
    --body-bytes) BODY_BYTES="$2"; shift 2 ;;
    --latency-rate) LATENCY_RATE="$2"; shift 2 ;;
    --fanout-subscribers) FANOUT_SUBSCRIBERS="$2"; shift 2 ;;
    --fanout-rate) FANOUT_RATE="$2"; shift 2 ;;
    --catchup-mb) CATCHUP_MB="$2"; shift 2 ;;
    --many-streams) MANY_STREAMS="$2"; shift 2 ;;
    --long-poll-timeout-ms) LONG_POLL_TIMEOUT_MS="$2"; shift 2 ;;
    --skip-build) SKIP_BUILD=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "compare.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

log() { echo "== compare: $*" >&2; }
die() { echo "compare.sh: $*" >&2; exit 1; }
has_target_prefix() { [[ ",$TARGETS," == *",$1"* ]]; }

# Thousands of SSE subscribers need descriptors in both ds-bench and the server.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# --- The reference server, installed from tests/conformance's pinned package.json.
REF_PACKAGE_DIR="$ROOT/tests/conformance"
REF_MODULES="$REF_PACKAGE_DIR/node_modules"
REF_VERSION="0.3.7"
install_reference() {
  [[ -f "$REF_PACKAGE_DIR/package.json" ]] || die "missing $REF_PACKAGE_DIR/package.json"
  local installed=""
  if [[ -f "$REF_MODULES/@durable-streams/server/package.json" ]]; then
    installed="$(node -p "require('$REF_MODULES/@durable-streams/server/package.json').version")"
  fi
  if [[ "$installed" != "$REF_VERSION" ]]; then
    log "installing the reference server in $REF_PACKAGE_DIR"
    if [[ -f "$REF_PACKAGE_DIR/package-lock.json" ]]; then
      (cd "$REF_PACKAGE_DIR" && npm ci --no-audit --no-fund)
    else
      (cd "$REF_PACKAGE_DIR" && npm install --no-audit --no-fund)
    fi
    installed="$(node -p "require('$REF_MODULES/@durable-streams/server/package.json').version")"
  fi
  [[ "$installed" == "$REF_VERSION" ]] ||
    die "need @durable-streams/server $REF_VERSION, found '$installed'"
}

# --- Binaries.
BUILD_DIR="$ROOT/build-release"
build() {
  local wanted=()
  [[ -z "${DS_BENCH:-}" ]] && wanted+=(ds-bench)
  has_target_prefix sk- && [[ -z "${STREAMKEEPER:-}" ]] && wanted+=(streamkeeper)
  if [[ "$SKIP_BUILD" != 1 && ${#wanted[@]} -gt 0 ]]; then
    log "building ${wanted[*]} (Release)"
    cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
    ninja -C "$BUILD_DIR" "${wanted[@]}"
  fi
  DS_BENCH="${DS_BENCH:-$BUILD_DIR/bench/ds_bench/ds-bench}"
  STREAMKEEPER="${STREAMKEEPER:-$BUILD_DIR/src/streamkeeper}"
  [[ -x "$DS_BENCH" ]] || die "no ds-bench at $DS_BENCH"
  if has_target_prefix sk-; then
    [[ -x "$STREAMKEEPER" ]] || die "no streamkeeper at $STREAMKEEPER"
  fi
}

free_port() {
  node -e 'const s=require("net").createServer();
           s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'
}

wait_for_port() {
  local port="$1" pid="$2"
  for _ in $(seq 1 200); do
    kill -0 "$pid" 2>/dev/null || return 1
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  return 1
}

SERVER_PID=""
WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/ds-compare.XXXXXX")"
stop_server() {
  [[ -n "$SERVER_PID" ]] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}
cleanup() {
  stop_server
  rm -rf "$WORK_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts target $1 on port $2; sets SERVER_PID.
start_server() {
  local target="$1" port="$2" data="$WORK_DIR/data-$1"
  local log_file="$WORK_DIR/$1.log"
  mkdir -p "$data"
  case "$target" in
    ref-memory)
      node "$ROOT/bench/reference/serve.mjs" --port "$port" --module-dir "$REF_MODULES" \
        --long-poll-timeout-ms "$LONG_POLL_TIMEOUT_MS" >"$log_file" 2>&1 &
      ;;
    ref-file)
      node "$ROOT/bench/reference/serve.mjs" --port "$port" --module-dir "$REF_MODULES" \
        --data-dir "$data" --long-poll-timeout-ms "$LONG_POLL_TIMEOUT_MS" >"$log_file" 2>&1 &
      ;;
    sk-rocksdb)
      "$STREAMKEEPER" --host 127.0.0.1 --port "$port" --data-dir "$data" --storage rocksdb \
        --sync always --long-poll-timeout-ms "$LONG_POLL_TIMEOUT_MS" >"$log_file" 2>&1 &
      ;;
    sk-memory)
      "$STREAMKEEPER" --host 127.0.0.1 --port "$port" --data-dir "$data" --storage memory \
        --sync none --long-poll-timeout-ms "$LONG_POLL_TIMEOUT_MS" >"$log_file" 2>&1 &
      ;;
    nginx)
      mkdir -p "$data/logs"
      cat >"$data/nginx.conf" <<NGINX
worker_processes 2;
daemon off;
pid $data/nginx.pid;
error_log $data/logs/error.log;
events { worker_connections 16384; }
http {
  access_log off;
  keepalive_requests 100000000;
  client_body_temp_path $data;
  server { listen 127.0.0.1:$port; location / { return 204; } }
}
NGINX
      /usr/sbin/nginx -c "$data/nginx.conf" -p "$data" >"$log_file" 2>&1 &
      ;;
    *) die "unknown target $target" ;;
  esac
  SERVER_PID=$!
  if ! wait_for_port "$port" "$SERVER_PID"; then
    cat "$log_file" >&2
    die "$target did not start on port $port"
  fi
}

# Runs scenario $1 (a compare.sh scenario name) against target $2 at URL $3.
run_scenario() {
  local scenario="$1" target="$2" url="$3"
  local out="$RAW_DIR/$target.$scenario.json"
  local common=(--url "$url" --label "$target" --json "$out"
                --long-poll-timeout-ms "$LONG_POLL_TIMEOUT_MS")
  local args
  case "$scenario" in
    append|append-producer)
      args=(--scenario append --connections "$CONNECTIONS" --streams "$STREAMS"
            --body-bytes "$BODY_BYTES" --duration "$DURATION" --warmup "$WARMUP")
      [[ "$scenario" == append-producer ]] && args+=(--producer)
      ;;
    latency)
      args=(--scenario latency --rate "$LATENCY_RATE" --duration "$DURATION" --warmup "$WARMUP")
      ;;
    fanout)
      args=(--scenario fanout --subscribers "$FANOUT_SUBSCRIBERS" --rate "$FANOUT_RATE"
            --duration "$DURATION" --server-pid "$SERVER_PID")
      ;;
    catchup) args=(--scenario catchup --size-mb "$CATCHUP_MB" --connections 4) ;;
    many-streams)
      args=(--scenario many-streams --count "$MANY_STREAMS" --connections "$CONNECTIONS")
      ;;
    *) die "unknown scenario $scenario" ;;
  esac
  log "$target: $scenario"
  if ! timeout "$SCENARIO_TIME_LIMIT_S" "$DS_BENCH" "${args[@]}" "${common[@]}"; then
    log "$target: $scenario FAILED (no figures recorded)"
    rm -f "$out"
  fi
}

# --- Main.
STAMP="$(date +%Y%m%d-%H%M%S)"
RESULTS_DIR="$ROOT/bench/results"
RAW_DIR="$WORK_DIR/raw"
mkdir -p "$RESULTS_DIR" "$RAW_DIR"

has_target_prefix ref- && install_reference
build

IFS=, read -r -a target_list <<<"$TARGETS"
if [[ ! -x /usr/sbin/nginx ]]; then
  filtered=()
  for target in "${target_list[@]}"; do [[ "$target" == nginx ]] || filtered+=("$target"); done
  target_list=("${filtered[@]}")
fi
IFS=, read -r -a scenario_list <<<"$SCENARIOS"
for target in "${target_list[@]}"; do
  # The previous target's dirty pages (a 1 GiB catch-up stream, say) would otherwise be written
  # back during this one and slow its fsyncs: start every target from a quiet disk.
  sync
  sleep 2
  port="$(free_port)"
  log "starting $target on 127.0.0.1:$port"
  start_server "$target" "$port"
  for scenario in "${scenario_list[@]}"; do
    # A do-nothing server only answers appends: it measures the HTTP ceiling, nothing else.
    if [[ "$target" == nginx && "$scenario" != append ]]; then continue; fi
    run_scenario "$scenario" "$target" "http://127.0.0.1:$port"
    # A dead server would fail every later scenario: say so and move on.
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      log "$target exited during $scenario; see its log below"
      tail -n 20 "$WORK_DIR/$target.log" >&2 || true
      SERVER_PID=""
      break
    fi
  done
  stop_server
done

# Merge per-run JSON into one document and a Markdown table.
SETTINGS="duration=${DURATION}s warmup=${WARMUP}s connections=$CONNECTIONS streams=$STREAMS \
body=${BODY_BYTES}B latency_rate=$LATENCY_RATE/s fanout=${FANOUT_SUBSCRIBERS}x${FANOUT_RATE}/s \
catchup=${CATCHUP_MB}MiB many_streams=$MANY_STREAMS long_poll_timeout=${LONG_POLL_TIMEOUT_MS}ms"
node - "$RAW_DIR" "$RESULTS_DIR/compare-$STAMP" "$TARGETS" "$SCENARIOS" "$SETTINGS" <<'EOF'
const fs = require("fs");
const path = require("path");
const [rawDir, outBase, targetsArg, scenariosArg, settings] = process.argv.slice(2);
const targets = targetsArg.split(",");
const scenarios = scenariosArg.split(",");

const runs = {};  // target -> scenario -> ds-bench JSON
for (const t of targets) {
  runs[t] = {};
  for (const s of scenarios) {
    const file = path.join(rawDir, `${t}.${s}.json`);
    if (fs.existsSync(file)) runs[t][s] = JSON.parse(fs.readFileSync(file, "utf8"));
  }
}

// Rows in scenario order, metrics in the order ds-bench reported them.
const rows = [];
for (const s of scenarios) {
  const seen = new Map();
  for (const t of targets) {
    for (const m of runs[t][s]?.metrics ?? []) {
      if (m.name.endsWith("_samples")) continue;
      if (!seen.has(m.name)) seen.set(m.name, { unit: m.unit, better: m.better });
    }
  }
  for (const [name, info] of seen) {
    const values = {};
    for (const t of targets) {
      const m = runs[t][s]?.metrics.find((x) => x.name === name);
      values[t] = m ? m.value : null;
    }
    rows.push({ scenario: s, metric: name, unit: info.unit, better: info.better, values });
  }
}

const ours = targets.filter((t) => t.startsWith("sk-"));
const peers = targets.filter((t) => !t.startsWith("sk-"));
const pairs = [];
for (const a of ours) for (const b of peers) pairs.push([a, b]);

function fmt(v) {
  if (v === null || v === undefined) return "n/a";
  const abs = Math.abs(v);
  if (abs !== 0 && (abs >= 1e9 || abs < 0.01)) return v.toPrecision(3);
  if (abs >= 1000 || Number.isInteger(v)) return Math.round(v).toString();
  return v.toFixed(2);
}
function ratio(row, a, b) {
  const x = row.values[a], y = row.values[b];
  if (x === null || y === null || y === 0) return "n/a";
  const r = x / y;
  let verdict = "";
  if (row.better === "higher") verdict = r > 1.05 ? " better" : r < 0.95 ? " worse" : " same";
  if (row.better === "lower") verdict = r < 0.95 ? " better" : r > 1.05 ? " worse" : " same";
  return `${r.toFixed(2)}x${verdict}`;
}

const header = ["scenario", "metric", "unit", ...targets, ...pairs.map(([a, b]) => `${a}/${b}`)];
const lines = [
  `# Durable Streams comparison ${path.basename(outBase)}`,
  "",
  `Settings: ${settings}`,
  "",
  "Ratios are Streamkeeper's figure divided by the peer's; \"better\"/\"worse\" take the",
  "metric's direction into account (throughput: higher is better; latency, RSS: lower).",
  "",
  `| ${header.join(" | ")} |`,
  `|${header.map(() => "---").join("|")}|`,
];
for (const row of rows) {
  const cells = [row.scenario, row.metric, row.unit,
                 ...targets.map((t) => fmt(row.values[t])),
                 ...pairs.map(([a, b]) => ratio(row, a, b))];
  lines.push(`| ${cells.join(" | ")} |`);
}
const missing = [];
for (const t of targets) for (const s of scenarios) if (!runs[t][s]) missing.push(`${t}/${s}`);
if (missing.length) lines.push("", `Missing (failed or not run): ${missing.join(", ")}`);
const markdown = lines.join("\n") + "\n";

fs.writeFileSync(`${outBase}.md`, markdown);
fs.writeFileSync(`${outBase}.json`, JSON.stringify({ settings, targets, scenarios, runs, rows },
                                                   null, 2) + "\n");
process.stdout.write("\n" + markdown);
process.stdout.write(`\nwritten: ${outBase}.md and ${outBase}.json\n`);
EOF
