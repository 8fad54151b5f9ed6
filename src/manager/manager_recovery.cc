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
// record at or above its durable tail) and a kErase of every failed create. Until then the
// repair lists hold the entries, which pins them in the cache: an entry loaded again from the
// store could read what a failed batch left there.
#include <pthread.h>

#include <future>

#include "manager/stream_manager_impl.h"

namespace streamkeeper {

void StreamManager::Impl::roll_back_if_current(const EntryPtr& entry, uint64_t epoch) {
  if (epoch != entry->accept_epoch) return;  // an earlier failure rolled it back already
  entry->roll_back();
  cache_.recharge(*entry);
  // What the store will hold after the repair is the durable last access: a newer one must be
  // written again (and the stream stays pinned until it is), or an eviction or a restart would
  // expire it early.
  entry->persisted_last_access_ms = entry->durable.meta.last_access_ms;
  if (entry->exists && entry->accepted.meta.ttl_seconds && !entry->in_dirty_set &&
      entry->last_access_ms.load() != entry->persisted_last_access_ms) {
    entry->in_dirty_set = true;
    std::lock_guard dirty_lock(dirty_mu_);
    dirty_.push_back(entry);
  }
  if (!entry->durable_exists) return;  // nothing stored at the path: nothing to rewrite
  std::lock_guard lock(repair_mu_);
  reset_repairs_.push_back(entry);
}

void StreamManager::Impl::note_failed_create(const EntryPtr& entry, const StreamMeta& meta) {
  std::lock_guard lock(repair_mu_);
  erase_repairs_.emplace_back(entry, meta);  // the store may hold it: erase that generation
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
  std::vector<std::pair<EntryPtr, StreamMeta>> erases;
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
  for (const auto& [entry, meta] : erases) {
    batch.changes.push_back(EraseChange(meta));
    // A failed create's generation is dead for good.
    batch.changes.push_back(PurgeChange(meta.path, meta.generation));
  }
  for (const EntryPtr& entry : resets) {
    std::lock_guard lock(entry->mu);
    if (!entry->durable_exists) continue;  // its erase completed since
    StreamChange change;
    change.kind = StreamChange::Kind::kReset;
    change.meta = entry->durable.meta;
    change.producers = entry->durable.producers;
    change.index_expiry_ms = change.meta.indexed_expiry_ms;
    batch.changes.push_back(std::move(change));
  }
  status = storage_->write(batch);
  if (!status.ok()) {
    std::lock_guard lock(repair_mu_);  // try them again with the next recovery
    for (auto& entry : resets) reset_repairs_.push_back(std::move(entry));
    for (auto& erase : erases) erase_repairs_.push_back(std::move(erase));
    return status;
  }
  // The durable index entries are back in the store: the sweeper must look before its cursor.
  for (const StreamChange& change : batch.changes) {
    if (change.index_expiry_ms) note_index_write(*change.index_expiry_ms);
  }
  return status;
}

void StreamManager::Impl::recover_before_shutdown() {
  if (health_->state() == StorageHealth::State::kHealthy) return;
  // One last attempt, so that a clean stop does not leave a failed batch in the store for the
  // next start to find (a crash while degraded can: the log says so).
  auto promise = std::make_shared<std::promise<Status>>();
  std::future<Status> result = promise->get_future();
  committer_->recover([this] { return health_->space_ok() ? recover_storage()
                                                         : Status::NoSpace("disk still full"); },
                      [promise](const Status& s) { promise->set_value(s); });
  Status status = result.get();
  bool repairs_left = false;
  {
    std::lock_guard lock(repair_mu_);
    repairs_left = !reset_repairs_.empty() || !erase_repairs_.empty();
  }
  if (repairs_left && options_.log) {
    options_.log(LogLevel::kError,
                 "stopping while the storage still fails (" + status.message() +
                     "): writes refused with 503/507 since the failure may reappear after a "
                     "restart, each whole or not at all");
  }
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
    health_->end_recovery(status);  // stays degraded if the committer failed again meanwhile
  }
}

}  // namespace streamkeeper
