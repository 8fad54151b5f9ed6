#include "storage_rocksdb/live_generations.h"

#include <algorithm>
#include <mutex>

namespace streamkeeper {

void LiveGenerations::Reset(const LoadedState& state) {
  std::unique_lock lock(mu_);
  generations_.clear();
  for (const LoadedStream& stream : state.streams) {
    generations_[stream.meta.path] = {stream.meta.generation};
  }
  loaded_ = true;
}

void LiveGenerations::BeforeWrite(const WriteBatch& batch) {
  bool introduces = false;
  for (const StreamChange& change : batch.changes) {
    // A records-only change (a plain append) never introduces a generation: the put that
    // created it wrote the meta. Skipping them keeps this lock and map off the append path.
    introduces = introduces || (change.kind == StreamChange::Kind::kPut && change.write_meta) ||
                 change.kind == StreamChange::Kind::kReset;
  }
  if (!introduces) return;
  std::unique_lock lock(mu_);
  for (const StreamChange& change : batch.changes) {
    if ((change.kind == StreamChange::Kind::kPut && change.write_meta) ||
        change.kind == StreamChange::Kind::kReset) {
      std::vector<uint64_t>& live = generations_[change.meta.path];
      if (std::find(live.begin(), live.end(), change.meta.generation) == live.end()) {
        live.push_back(change.meta.generation);
      }
    }
  }
}

LiveGenerations::Purged LiveGenerations::PurgedBy(const WriteBatch& batch) {
  Purged purged;
  for (const StreamChange& change : batch.changes) {
    if (change.kind == StreamChange::Kind::kPurge) {
      purged.emplace_back(change.meta.path, change.meta.generation);
    }
  }
  return purged;
}

void LiveGenerations::Forget(const Purged& purged) {
  std::unique_lock lock(mu_);
  for (const auto& [path, generation] : purged) {
    auto found = generations_.find(path);
    if (found == generations_.end()) continue;
    std::vector<uint64_t>& live = found->second;
    live.erase(std::remove(live.begin(), live.end(), generation), live.end());
    if (live.empty()) generations_.erase(found);
  }
}

bool LiveGenerations::IsDead(std::string_view path, uint64_t generation) const {
  std::shared_lock lock(mu_);
  if (!loaded_) return false;
  auto found = generations_.find(path);
  if (found == generations_.end()) return true;
  const std::vector<uint64_t>& live = found->second;
  return std::find(live.begin(), live.end(), generation) == live.end();
}

}  // namespace streamkeeper
