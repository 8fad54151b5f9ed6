#!/usr/bin/env bash
# ds-admin at scale: the memory and time of its commands over a store of many streams, next to a
# small one, on the same machine in the same run: what "bounded memory" means in figures.
#
#   bench/ds_admin_scale.sh [--small N] [--large N] [--build DIR] [--keep]
#
# For each size, a fresh RocksDB data directory under $TMPDIR is filled by store_fill (N text
# streams of one 16-byte record, through the Storage contract), then each command runs once on
# the stopped directory under /usr/bin/time: peak RSS and wall time. The directories are removed
# at the end unless --keep. Defaults: 10,000 and 10,000,000 streams (the large fill takes a few
# minutes and about 2 GB of disk).
set -euo pipefail

SMALL=10000
LARGE=10000000
BUILD=build
KEEP=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --small) SMALL="$2"; shift 2 ;;
    --large) LARGE="$2"; shift 2 ;;
    --build) BUILD="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
ADMIN="$BUILD/tools/ds_admin/ds-admin"
FILL="$BUILD/bench/store_fill/store_fill"
[[ -x "$ADMIN" && -x "$FILL" ]] || { echo "build ds-admin and store_fill first" >&2; exit 2; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ds-admin-scale.XXXXXX")
[[ "$KEEP" == 1 ]] || trap 'rm -rf "$WORK"' EXIT

path_of() { printf '/v1/stream/s%09d' "$1"; }

# measure LABEL ARGS...: one row cell pair "peak RSS MiB / seconds".
measure() {
  local out="$WORK/time.txt"
  /usr/bin/time -f '%M %e' -o "$out" "$ADMIN" "$@" >"$WORK/stdout" 2>"$WORK/stderr" || {
    echo "ds-admin $* failed:" >&2; cat "$WORK/stderr" >&2; exit 1; }
  read -r kb seconds <"$out"
  printf "%d MiB, %s s" $(( (kb + 512) / 1024 )) "$seconds"
}

declare -A CELLS
for n in "$SMALL" "$LARGE"; do
  dir="$WORK/store-$n"
  echo "filling $n streams..." >&2
  "$FILL" "$dir" "$n" >&2
  last=$(path_of $((n - 1)))
  middle=$(path_of $((n / 2)))
  CELLS[list,$n]=$(measure list --data-dir "$dir" --limit 1000)
  CELLS[list-middle,$n]=$(measure list --data-dir "$dir" --limit 1000 --start-after "$middle")
  CELLS[list-json,$n]=$(measure list --data-dir "$dir" --limit 1000 --json --start-after "$middle")
  CELLS[show,$n]=$(measure show "$last" --data-dir "$dir")
  CELLS[read,$n]=$(measure read "$last" --data-dir "$dir" --format jsonl)
  CELLS[export,$n]=$(measure export "$last" --data-dir "$dir" --out "$WORK/one.jsonl")
  CELLS[stats,$n]=$(measure stats --data-dir "$dir" --json)
  CELLS[disk,$n]=$(du -sh "$dir" | cut -f1)
done

echo
echo "| ds-admin (stopped directory) | $SMALL streams | $LARGE streams |"
echo "|---|---|---|"
for row in list list-middle list-json show read export stats; do
  echo "| \`$row\` peak RSS, wall time | ${CELLS[$row,$SMALL]} | ${CELLS[$row,$LARGE]} |"
done
echo "| data directory | ${CELLS[disk,$SMALL]} | ${CELLS[disk,$LARGE]} |"
