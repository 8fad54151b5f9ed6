#include "storage_rocksdb/live_generations.h"

#include <mutex>
#include <unordered_set>

namespace streamkeeper {

void LiveGenerations::Reset(const LoadedState& state) {
  std::unique_lock lock(mu_);
  generation_.clear();
  for (const LoadedStream& stream : state.streams) {
    generation_[stream.meta.path] = stream.meta.generation;
  }
  loaded_ = true;
}

void LiveGenerations::BeforeWrite(const WriteBatch& batch) {
  std::unique_lock lock(mu_);
  for (const StreamChange& change : batch.changes) {
    // A records-only change (a plain append) never introduces a generation: the put that
    // created it wrote the meta. Skipping them keeps this lock and map off the append path.
    if ((change.kind == StreamChange::Kind::kPut && change.write_meta) ||
        change.kind == StreamChange::Kind::kReset) {
      generation_[change.meta.path] = change.meta.generation;
    }
  }
}

LiveGenerations::Erased LiveGenerations::ErasedBy(const WriteBatch& batch) {
  // Walk backwards so an erase followed by a put of the same path in one batch keeps the put.
  Erased erased;
  bool any_erase = false;
  for (const StreamChange& change : batch.changes) {
    any_erase = any_erase || change.kind == StreamChange::Kind::kErase;
  }
  if (!any_erase) return erased;  // the common case: appends only
  std::unordered_set<std::string_view> put_later;
  for (auto it = batch.changes.rbegin(); it != batch.changes.rend(); ++it) {
    const StreamMeta& meta = it->meta;
    if (it->kind != StreamChange::Kind::kErase) {
      put_later.insert(meta.path);
      continue;
    }
    if (!put_later.contains(meta.path)) erased.emplace_back(meta.path, meta.generation);
  }
  return erased;
}

void LiveGenerations::Forget(const Erased& erased) {
  std::unique_lock lock(mu_);
  for (const auto& [path, generation] : erased) {
    auto found = generation_.find(path);
    if (found != generation_.end() && found->second == generation) generation_.erase(found);
  }
}

bool LiveGenerations::IsDead(std::string_view path, uint64_t generation) const {
  std::shared_lock lock(mu_);
  if (!loaded_) return false;
  auto found = generation_.find(path);
  return found == generation_.end() || found->second != generation;
}

}  // namespace streamkeeper
