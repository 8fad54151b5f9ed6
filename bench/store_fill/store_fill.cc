// store_fill: writes a RocksDB data directory holding N text streams of one record each, through
// the Storage contract (as the server would have left it), fast enough to make ten million: for
// measuring tools at scale (bench/ds_admin_scale.sh), never for the server's own figures.
//
//   store_fill DIR N
//
// Paths are "/v1/stream/s" plus 9 digits, in order; each stream has generation i + 1, content
// type text/plain and one 16-byte record. Batches of 10,000 streams, unsynced, one sync at the
// end; DIR must not hold a store yet.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "streamkeeper/rocksdb_storage.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: store_fill DIR N\n";
    return 2;
  }
  const std::string dir = argv[1];
  const uint64_t count = std::strtoull(argv[2], nullptr, 10);
  streamkeeper::RocksDbOptions options;
  options.path = dir;
  std::unique_ptr<streamkeeper::Storage> storage;
  streamkeeper::Status s = streamkeeper::RocksDbStorage::Open(options, &storage);
  if (!s.ok()) {
    std::cerr << "store_fill: " << s.message() << "\n";
    return 1;
  }
  const auto start = std::chrono::steady_clock::now();
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  constexpr uint64_t kBatch = 10000;
  for (uint64_t first = 0; first < count; first += kBatch) {
    streamkeeper::WriteBatch batch;
    batch.sync = false;
    for (uint64_t i = first; i < count && i < first + kBatch; ++i) {
      char path[48];
      std::snprintf(path, sizeof path, "/v1/stream/s%09llu", static_cast<unsigned long long>(i));
      streamkeeper::StreamChange change;
      change.meta.path = path;
      change.meta.generation = i + 1;
      change.meta.content_type = "text/plain";
      change.meta.created_at_ms = now_ms;
      change.meta.last_access_ms = now_ms;
      change.meta.tail = 16;
      change.records.push_back({0, "0123456789abcdef"});
      batch.changes.push_back(std::move(change));
    }
    batch.generation_counter = first + batch.changes.size();
    s = storage->write(batch);
    if (!s.ok()) {
      std::cerr << "store_fill: " << s.message() << "\n";
      return 1;
    }
  }
  s = storage->sync();
  if (!s.ok()) {
    std::cerr << "store_fill: " << s.message() << "\n";
    return 1;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "store_fill: " << count << " streams in " << seconds << " s\n";
  return 0;
}
