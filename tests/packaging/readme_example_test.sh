#!/usr/bin/env bash
# The README's "Embed the library" example is the code tests/consumer compiles: each code block
# the README announces with `<!-- same as tests/consumer/FILE -->` must equal that file, byte
# for byte, and main.cc and CMakeLists.txt must both be shown.
#
#   readme_example_test.sh SOURCE_DIR
set -euo pipefail

src=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/streamkeeper-readme.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Writes the block after each marker to $tmp/<file>; prints the file names.
awk -v out="$tmp" '
  match($0, /^<!-- same as tests\/consumer\/[^ ]+ -->$/) {
    file = $0; sub(/^<!-- same as tests\/consumer\//, "", file); sub(/ -->$/, "", file)
    want_fence = 1; next
  }
  want_fence && /^```/ { want_fence = 0; in_block = 1; printf "" > (out "/" file); print file; next }
  in_block && /^```$/ { in_block = 0; close(out "/" file); next }
  in_block { print > (out "/" file) }
' "$src/README.md" >"$tmp/shown"

for file in main.cc CMakeLists.txt; do
  grep -qxF "$file" "$tmp/shown" || { echo "FAIL: README.md does not show tests/consumer/$file" >&2; exit 1; }
done
while read -r file; do
  diff -u "$src/tests/consumer/$file" "$tmp/$file" ||
    { echo "FAIL: README.md's copy of tests/consumer/$file differs (diff above)" >&2; exit 1; }
done <"$tmp/shown"
echo "PASS: README.md shows tests/consumer/{$(paste -sd, "$tmp/shown")} as they are"
