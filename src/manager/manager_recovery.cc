// StreamManager::Impl: what happens after a storage failure - rolling accepted state back,
// undoing failed creates and erases, and the recovery loop that resumes the storage and writes
// the repairs. The states are named in storage_health.h.
//
// A failed batch must leave the streams exactly as if it had never been submitted. Its
// completions (and those of everything queued behind it, which the GroupCommitter fails too)
// run in submission order; the first failed one of a stream rolls its accepted state back to
// the durable state (StreamEntry::roll_back) and notes the stream for repair. Parts of a failed
// batch may still have reached the store (a write that succeeded before its sync failed lives
// in RocksDB's memtable and would be flushed by Resume()), so recovery writes, durably and
// before any new write, a kReset of every noted stream (its durable meta and producers, and no
// record at or above its durable tail) and a kErase of every failed create.
#include <pthread.h>

#include <future>

#include "manager/stream_manager_impl.h"

namespace streamkeeper {

void StreamManager::Impl::roll_back_if_current(const EntryPtr& entry, uint64_t epoch) {
  if (epoch != entry->accept_epoch) return;  // an earlier failure rolled it back already
  entry->roll_back();
  note_reset(entry);
}

void StreamManager::Impl::note_reset(const EntryPtr& entry) {
  std::lock_guard lock(repair_mu_);
  reset_repairs_.push_back(entry);
}

void StreamManager::Impl::undo_failed_create(const EntryPtr& entry) {
  EntryPtr displaced;
  {
    std::unique_lock map_lock(map_mu_);
    std::lock_guard lock(entry->mu);
    entry->removed = true;
    auto it = streams_.find(entry->meta.path);
    if (it != streams_.end() && it->second == entry) streams_.erase(it);
    displaced = std::move(entry->displaced);
    std::lock_guard repair_lock(repair_mu_);
    erase_repairs_.push_back(entry->meta);  // the store may hold it: erase that generation
  }
  if (displaced) put_back(displaced);
}

void StreamManager::Impl::put_back(const EntryPtr& entry) {
  std::unique_lock map_lock(map_mu_);
  std::lock_guard lock(entry->mu);
  if (!entry->removed || !entry->durable) return;  // never stored, nothing to bring back
  entry->roll_back();
  entry->removed = false;
  note_reset(entry);
  auto [it, inserted] = streams_.try_emplace(entry->meta.path, entry);
  if (inserted) return;
  // The path holds a create queued after this erase; it fails too (everything queued before
  // the recovery does) and puts this entry back when it does.
  EntryPtr holder = it->second;
  std::lock_guard holder_lock(holder->mu);
  if (!holder->durable) {
    holder->displaced = entry;
  } else if (options_.log) {
    options_.log(LogLevel::kError, "rollback: " + entry->meta.path +
                                       " has a durable newer incarnation; not restored");
  }
}

void StreamManager::Impl::on_storage_failure(const Status& cause) {
  failures_.fetch_add(1, std::memory_order_relaxed);
  health_->degrade(cause);
}

Status StreamManager::Impl::recover_storage() {
  Status status = storage_->resume();
  if (!status.ok()) return status;
  if (!health_->space_ok()) {
    return Status::NoSpace("free disk space is still below the reserve (--min-free-disk-mb)");
  }
  // The pipeline is empty (GroupCommitter::recover), so durable_* is exactly what is stored.
  std::vector<EntryPtr> resets;
  std::vector<StreamMeta> erases;
  {
    std::lock_guard lock(repair_mu_);
    resets.swap(reset_repairs_);
    erases.swap(erase_repairs_);
  }
  if (resets.empty() && erases.empty()) return Status::Ok();
  WriteBatch batch;
  batch.sync = true;
  batch.generation_counter = generation_counter_.load();
  // Erases first: an erase clears the path's meta, a reset of a live incarnation restores it.
  for (const StreamMeta& meta : erases) batch.changes.push_back(EraseChange(meta));
  for (const EntryPtr& entry : resets) {
    std::lock_guard lock(entry->mu);
    if (entry->removed) continue;  // its failed create is erased above
    StreamChange change;
    change.kind = StreamChange::Kind::kReset;
    change.meta = entry->meta;  // rolled back: the durable state
    change.producers = entry->durable_producers;
    batch.changes.push_back(std::move(change));
  }
  status = storage_->write(batch);
  if (!status.ok()) {
    std::lock_guard lock(repair_mu_);  // try them again with the next recovery
    for (auto& entry : resets) reset_repairs_.push_back(std::move(entry));
    for (auto& meta : erases) erase_repairs_.push_back(std::move(meta));
  }
  return status;
}

void StreamManager::Impl::recovery_loop() {
  while (!recovery_stop_.load()) {
    health_->wait_degraded(recovery_stop_, std::chrono::seconds(1));
    if (recovery_stop_.load() || health_->state() != StorageHealth::State::kDegraded) continue;
    {
      // Pause before each attempt: a fault that is still there is not hammered.
      std::unique_lock lock(recovery_mu_);
      recovery_cv_.wait_for(lock, options_.recovery_interval, [this] { return recovery_stop_.load(); });
    }
    if (recovery_stop_.load() || !health_->space_ok()) continue;
    health_->begin_recovery();
    auto promise = std::make_shared<std::promise<Status>>();
    std::future<Status> result = promise->get_future();
    committer_->recover([this] { return recover_storage(); },
                        [promise](const Status& s) { promise->set_value(s); });
    Status status = result.get();
    if (status.ok()) recoveries_.fetch_add(1, std::memory_order_relaxed);
    health_->end_recovery(status);
  }
}

}  // namespace streamkeeper
