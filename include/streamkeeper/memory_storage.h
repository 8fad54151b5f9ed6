// MemoryStorage: a Storage backend that keeps everything in process memory.
//
// Nothing survives the process; `WriteBatch::sync` is ignored. It exists for tests, benchmarks
// and deployments that want the protocol without durability, and it has exactly the semantics of
// RocksDbStorage (the typed contract suite in tests/storage/ runs against both):
//   - metadata is keyed by path, producers and records by (path, generation);
//   - kErase removes the path's metadata and records the generation as awaiting its purge;
//     kPurge removes the producers and records of that generation and the record of it;
//   - kReset rewrites the meta, replaces the producers, drops records at or above the tail and
//     clears an awaited purge;
//   - every kind then removes and adds the expiry index entries it names;
//   - read_records() starts at the record with the greatest position <= from.
//
// Thread-safe: any number of concurrent readers, writers serialised by a shared_mutex.
#pragma once

#include <cstdint>
#include <map>
#include <set>
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

  // The read calls always return OK, with what earlier write() calls on this object stored.
  Status recover(RecoveredState* out) override;
  Status load_stream(const std::string& path, std::optional<LoadedStream>* out) override;
  Status load_meta(const std::string& path, std::optional<StreamMeta>* out) override;
  Status list_streams(std::string_view prefix, std::string_view start_after, size_t limit,
                      std::vector<StreamMeta>* out) override;
  Status scan_expiry(int64_t due_ms, const ExpiryEntry* after, size_t limit,
                     std::vector<ExpiryEntry>* out) override;
  // Always OK. The batch becomes visible to readers all at once.
  Status write(const WriteBatch& batch) override;
  // Nothing to do: memory is as durable as it gets.
  Status sync() override { return Status::Ok(); }
  // Always OK; appends nothing for an unknown (path, generation) or an empty [from, end).
  Status read_records(const std::string& path, uint64_t generation, uint64_t from, uint64_t end,
                      size_t max_bytes, std::vector<Record>* out) override;

 private:
  using GenerationKey = std::pair<std::string, uint64_t>;  // (path, generation)

  void ApplyPut(const StreamChange& change);
  void ApplyErase(const StreamChange& change);
  void ApplyReset(const StreamChange& change);
  void ApplyPurge(const StreamChange& change);
  void ApplyIndex(const StreamChange& change);

  mutable std::shared_mutex mu_;
  // Ordered maps and sets: list_streams() and scan_expiry() page through them in key order.
  std::map<std::string, StreamMeta> metas_;               // guarded by mu_
  std::map<GenerationKey, ProducerMap> producers_;        // guarded by mu_
  std::map<GenerationKey, std::vector<Record>> records_;  // sorted by position; guarded by mu_
  std::set<ExpiryEntry> expiry_index_;                    // guarded by mu_
  std::set<GenerationKey> pending_purges_;                // guarded by mu_
  uint64_t generation_counter_ = 0;                       // guarded by mu_
};

}  // namespace streamkeeper
