// LiveGenerations: the thread-safe map path -> live generations that the compaction filter reads.
//
// RocksDbStorage fills it at load() (each stored meta's generation) and keeps it current in
// write(): a generation whose meta a batch writes is made live *before* the batch is written
// (so a compaction running concurrently never drops fresh data), and it dies only by a kPurge
// after that purge is written - never by an erase, which a failed batch may still have to undo,
// nor by a newer generation of the same path. After a restart, generations without a meta are
// dead. Until load() has run, IsDead() answers false for everything: the filter must not drop
// data it cannot yet judge.
#pragma once

#include <cstdint>
#include <functional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "streamkeeper/storage.h"

namespace streamkeeper {

class LiveGenerations {
 public:
  LiveGenerations() = default;
  LiveGenerations(const LiveGenerations&) = delete;
  LiveGenerations& operator=(const LiveGenerations&) = delete;

  // Replaces the whole map with the streams of `state` and starts judging entries.
  void Reset(const LoadedState& state);

  // Marks every (path, generation) whose meta `batch` writes (kPut with write_meta, kReset)
  // live; records-only changes follow the write that created their generation. Call before
  // writing the batch.
  void BeforeWrite(const WriteBatch& batch);
  // The (path, generation) pairs `batch` purges.
  using Purged = std::vector<std::pair<std::string, uint64_t>>;
  static Purged PurgedBy(const WriteBatch& batch);
  // Forgets purged generations. Call once the purging batch is written.
  void Forget(const Purged& purged);

  // True only when the map is loaded and `generation` is not among `path`'s live ones.
  // Safe to call from any thread, including RocksDB's compaction threads.
  bool IsDead(std::string_view path, uint64_t generation) const;

 private:
  // Lets IsDead() look a key's path up without copying it into a std::string.
  struct PathHash {
    using is_transparent = void;
    size_t operator()(std::string_view path) const { return std::hash<std::string_view>{}(path); }
  };

  // Everything below is guarded by mu_.
  mutable std::shared_mutex mu_;
  bool loaded_ = false;
  // Nearly always one generation per path; more only while an erased one awaits its purge.
  std::unordered_map<std::string, std::vector<uint64_t>, PathHash, std::equal_to<>> generations_;
};

}  // namespace streamkeeper
