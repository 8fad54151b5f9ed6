#!/usr/bin/env bash
# The installed library is usable from another CMake project, and only through its public face:
#   - `cmake --install` of the build tree into an empty prefix writes only under that prefix
#     and puts there the binaries, include/streamkeeper/*.h, the libraries and the CMake package;
#   - the exported targets name no directory of the source or build tree, and no test, benchmark
#     or allocator library (tcmalloc belongs to the programs);
#   - every installed header compiles on its own with only the prefix's include directory;
#   - tests/consumer (find_package(streamkeeper CONFIG REQUIRED), streamkeeper::core and
#     streamkeeper::storage_rocksdb) configures against the prefix, builds and runs: a stream in
#     RocksDB written, read back, reopened, read again; and streamkeeper::storage_memory links.
#
#   install_consumer_test.sh SOURCE_DIR BUILD_DIR CXX_COMPILER GENERATOR
set -euo pipefail

src=$1 build=$2 cxx=$3 generator=$4
tmp=$(mktemp -d "${TMPDIR:-/tmp}/streamkeeper-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

fail() { echo "FAIL: $*" >&2; exit 1; }

echo "== cmake --install into $prefix"
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" ||
  { cat "$tmp/install.log"; fail "cmake --install"; }
while read -r path; do
  [[ $path == "$prefix"/* ]] || fail "installed outside the prefix: $path"
done <"$build/install_manifest.txt"

for f in bin/streamkeeper bin/ds-admin; do
  [[ -x $prefix/$f ]] || fail "$f not installed"
done
for h in stream_manager.h storage.h status.h rocksdb_storage.h memory_storage.h; do
  [[ -f $prefix/include/streamkeeper/$h ]] || fail "include/streamkeeper/$h not installed"
done
config_dir=$(dirname "$(find "$prefix" -name streamkeeperConfig.cmake)")
[[ -f $config_dir/streamkeeperConfigVersion.cmake ]] || fail "no streamkeeperConfigVersion.cmake"
for lib in core storage_scan storage_memory storage_rocksdb; do
  [[ -n $(find "$prefix" -name "libstreamkeeper_$lib.*") ]] || fail "libstreamkeeper_$lib not installed"
done

echo "== exported targets"
targets=$(cat "$config_dir"/streamkeeperTargets*.cmake)
for leak in "$src" "$build" tcmalloc GTest gtest benchmark; do
  if grep -F -- "$leak" <<<"$targets" >&2; then fail "the exported targets mention $leak"; fi
done

echo "== each public header compiles alone"
for h in "$prefix"/include/streamkeeper/*.h; do
  echo "#include <streamkeeper/$(basename "$h")>" |
    "$cxx" -std=c++20 -fsyntax-only -I"$prefix/include" -x c++ - ||
    fail "$(basename "$h") does not compile with only the installed headers"
done

echo "== tests/consumer against the prefix"
cmake -S "$src/tests/consumer" -B "$tmp/consumer" -G "$generator" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$prefix" \
  >"$tmp/configure.log" || { cat "$tmp/configure.log"; fail "configuring tests/consumer"; }
found=$(sed -n 's/^streamkeeper_DIR:PATH=//p' "$tmp/consumer/CMakeCache.txt")
[[ $found == "$config_dir" ]] || fail "find_package found $found, not the prefix's $config_dir"
cmake --build "$tmp/consumer" || fail "building tests/consumer"
"$tmp/consumer/consumer" "$tmp/data" || fail "tests/consumer failed"

echo "== streamkeeper::storage_memory"
mkdir "$tmp/memory"
cat >"$tmp/memory/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(memory_consumer LANGUAGES CXX)
set(CMAKE_CXX_STANDARD 20)
find_package(streamkeeper CONFIG REQUIRED)
add_executable(memory_consumer main.cc)
target_link_libraries(memory_consumer PRIVATE streamkeeper::core streamkeeper::storage_memory)
CMAKE
cat >"$tmp/memory/main.cc" <<'CXX'
#include <streamkeeper/memory_storage.h>
#include <streamkeeper/stream_manager.h>

int main() {
  streamkeeper::Status status;
  auto manager = streamkeeper::StreamManager::Open(
      std::make_unique<streamkeeper::MemoryStorage>(), {}, &status);
  streamkeeper::CreateResult created;
  if (!manager || !manager->create("/s", {.content_type = "text/plain"}, &created).ok()) return 1;
  if (!manager->append("/s", "x", {.content_type = "text/plain"}).status.ok()) return 1;
  return manager->read("/s", 0).data == "x" ? 0 : 1;
}
CXX
cmake -S "$tmp/memory" -B "$tmp/memory/build" -G "$generator" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$prefix" >"$tmp/configure-memory.log" ||
  { cat "$tmp/configure-memory.log"; fail "configuring the MemoryStorage consumer"; }
cmake --build "$tmp/memory/build" || fail "building the MemoryStorage consumer"
"$tmp/memory/build/memory_consumer" || fail "the MemoryStorage consumer failed"

echo "PASS"
