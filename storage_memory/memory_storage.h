// MemoryStorage: a Storage backend that keeps everything in process memory.
//
// Nothing survives the process; `WriteBatch::sync` is ignored. It exists for tests, benchmarks
// and deployments that want the protocol without durability, and it has exactly the semantics of
// RocksDbStorage (the typed contract suite in tests/storage/ runs against both):
//   - metadata is keyed by path, producers and records by (path, generation);
//   - kErase removes the path's metadata and the producers of that generation at once, and its
//     records at the next sync() or write() unless a kReset has brought the generation back;
//   - kReset rewrites the meta, replaces the producers, and drops records at or above the tail;
//   - read_records() starts at the record with the greatest position <= from.
//
// Thread-safe: any number of concurrent readers, writers serialised by a shared_mutex.
#pragma once

#include <cstdint>
#include <map>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "streamkeeper/storage.h"

namespace streamkeeper {

class MemoryStorage final : public Storage {
 public:
  MemoryStorage() = default;
  MemoryStorage(const MemoryStorage&) = delete;
  MemoryStorage& operator=(const MemoryStorage&) = delete;

  // Always OK; returns what earlier write() calls on this object stored.
  Status load(LoadedState* out) override;
  // Always OK. The batch becomes visible to readers all at once.
  Status write(const WriteBatch& batch) override;
  // Memory is as durable as it gets; drops the records of erased generations.
  Status sync() override;
  // Always OK; appends nothing for an unknown (path, generation) or an empty [from, end).
  Status read_records(const std::string& path, uint64_t generation, uint64_t from, uint64_t end,
                      size_t max_bytes, std::vector<Record>* out) override;
  const char* name() const override { return "memory"; }

 private:
  using GenerationKey = std::pair<std::string, uint64_t>;  // (path, generation)

  void ApplyPut(const StreamChange& change);
  void ApplyErase(const StreamChange& change);
  void ApplyReset(const StreamChange& change);
  // Drops the records of generations erased before (call with mu_ held exclusively).
  void DropErasedRecords();

  mutable std::shared_mutex mu_;
  std::map<std::string, StreamMeta> metas_;               // guarded by mu_
  std::map<GenerationKey, ProducerMap> producers_;        // guarded by mu_
  std::map<GenerationKey, std::vector<Record>> records_;  // sorted by position; guarded by mu_
  uint64_t generation_counter_ = 0;                       // guarded by mu_
  std::vector<GenerationKey> erased_;  // records still to drop; guarded by mu_
};

}  // namespace streamkeeper
