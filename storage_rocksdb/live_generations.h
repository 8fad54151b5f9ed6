// LiveGenerations: the thread-safe map path -> live generation that the compaction filter reads.
//
// RocksDbStorage fills it at load() and keeps it current in write(): a put's generation is made
// live *before* its batch is written (so a compaction running concurrently never drops fresh
// data), an erase is applied only *after* its batch is durable (so a failed write never loses a
// live generation). Until load() has run, IsDead() answers false for everything: the filter
// must not drop data it cannot yet judge.
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

  // Marks every (path, generation) whose meta `batch` writes live (records-only changes follow
  // the write that created their generation). Call before writing the batch.
  void BeforeWrite(const WriteBatch& batch);
  // The (path, generation) pairs `batch` erases, leaving out paths the same batch puts again.
  using Erased = std::vector<std::pair<std::string, uint64_t>>;
  static Erased ErasedBy(const WriteBatch& batch);
  // Forgets erased generations (those still live at exactly that generation). Call only once
  // the erasing batch is durable: a synced write, or an unsynced one after Storage::sync().
  void Forget(const Erased& erased);

  // True only when the map is loaded and `path` is absent or live at another generation.
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
  std::unordered_map<std::string, uint64_t, PathHash, std::equal_to<>> generation_;
};

}  // namespace streamkeeper
