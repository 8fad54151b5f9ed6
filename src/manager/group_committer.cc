#include "manager/group_committer.h"

#include <pthread.h>

#include <chrono>
#include <utility>

namespace streamkeeper {

Status StorageFailureForClients(const Status& storage_status) {
  if (storage_status.code() == StatusCode::kNoSpace) {
    return Status::NoSpace("insufficient storage, writes are refused until space is freed: " +
                           storage_status.message());
  }
  if (storage_status.code() == StatusCode::kUnavailable) return storage_status;
  return Status::Unavailable("storage failed, writes are refused until it recovers: " +
                             storage_status.message());
}

GroupCommitter::GroupCommitter(Storage* storage, bool sync,
                               const std::atomic<uint64_t>* generation_counter, Hooks hooks)
    : storage_(storage), sync_(sync), generation_counter_(generation_counter),
      hooks_(std::move(hooks)) {
  writer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "sk-writer");  // names show in top -H, perf, gdb
    run_writer();
  });
  syncer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "sk-sync");
    run_syncer();
  });
}

GroupCommitter::~GroupCommitter() {
  stop();
  std::vector<std::thread> late;
  {
    std::lock_guard lock(late_mu_);
    late.swap(late_);
  }
  for (std::thread& thread : late) thread.join();
}

void GroupCommitter::submit(std::vector<StreamChange> changes, Completion done) {
  enqueue(Pending{std::move(changes), std::move(done), sync_, {}, {}, true});
}

void GroupCommitter::submit_unsynced(std::vector<StreamChange> changes, Completion done) {
  enqueue(Pending{std::move(changes), std::move(done), false, {}, {}, true});
}

void GroupCommitter::submit_cleanup(std::vector<StreamChange> changes) {
  enqueue(Pending{std::move(changes), nullptr, false, {}, {}, false});
}

void GroupCommitter::recover(std::function<Status()> attempt, Completion done) {
  enqueue(Pending{{}, std::move(done), false, std::move(attempt), {}, false});
}

void GroupCommitter::enqueue(Pending pending) {
  std::unique_lock lock(mu_);
  // Decided under mu_: a recovery is queued only after the failure, so anything queued after
  // it sees failed() and is doomed, and anything not doomed is queued before it.
  if (pending.doomable && failed()) pending.doomed = failure();
  if (!stopping_) {
    queue_.push_back(std::move(pending));
    if (queue_.size() == 1) cv_.notify_one();
    return;
  }
  lock.unlock();
  // Callers may hold a stream's lock while submitting, and completions take that lock: never
  // complete inline. After stop() this path is rare (requests racing a shutdown). The thread
  // is joined by the destructor, so no completion (and nothing it reaches, such as an HTTP
  // session's IO context) runs after the committer's owner is gone.
  if (pending.done) {
    std::lock_guard late_lock(late_mu_);
    late_.emplace_back([done = std::move(pending.done)] {
      done(Status::Unavailable("storage is shutting down"));
    });
  }
}

void GroupCommitter::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (writer_.joinable()) writer_.join();
  if (syncer_.joinable()) syncer_.join();
}

void GroupCommitter::fail(const Status& status) {
  {
    std::lock_guard lock(failure_mu_);
    if (!failure_.ok()) return;
    failure_ = StorageFailureForClients(status);
    failed_.store(true, std::memory_order_release);
  }
  if (hooks_.on_failure) hooks_.on_failure(failure());
}

Status GroupCommitter::failure() const {
  std::lock_guard lock(failure_mu_);
  return failure_;
}

void GroupCommitter::run_writer() {
  for (;;) {
    std::vector<Pending> taken;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) break;  // stopping, and everything is drained
      taken.swap(queue_);
    }
    // Recovery items split the queue: the writes before one are written (and completed) first.
    std::vector<Pending> group;
    for (Pending& pending : taken) {
      if (!pending.recovery) {
        group.push_back(std::move(pending));
        continue;
      }
      if (!group.empty()) write_group(std::move(group));
      group.clear();
      run_recovery(std::move(pending));
    }
    if (!group.empty()) write_group(std::move(group));
  }
  {
    std::lock_guard lock(sync_mu_);
    writer_done_ = true;
  }
  sync_cv_.notify_one();
}

void GroupCommitter::write_group(std::vector<Pending> group) {
  Written written;
  written.batch = std::move(group);
  WriteBatch write;
  write.sync = false;  // the sync thread makes it durable, overlapping the next write
  size_t changes = 0;
  for (const Pending& pending : written.batch) changes += pending.changes.size();
  write.changes.reserve(changes);  // a group can hold thousands (a mass expiry)
  size_t bytes = 0;
  size_t records = 0;
  for (auto& pending : written.batch) {
    written.needs_sync = written.needs_sync || pending.needs_sync;
    for (auto& change : pending.changes) {
      records += change.records.size();
      for (const Record& record : change.records) bytes += record.value.size();
      write.changes.push_back(std::move(change));
    }
  }
  write.generation_counter = generation_counter_->load();
  // Changes submitted during a failure reach here after a recovery only when they raced it
  // (the manager refuses writes while failed). They and whatever was validated against them
  // since must fail: fail again, and let the next recovery undo them. Rare by construction.
  for (const Pending& pending : written.batch) {
    if (!pending.doomed.ok() && !pending.changes.empty() && failure().ok()) {
      fail(Status::Unavailable("a write raced a storage recovery"));
    }
  }
  written.status = failure();  // while failed, nothing is written or acknowledged
  if (written.status.ok() && !write.changes.empty()) {
    if (hooks_.admit_write) written.status = hooks_.admit_write(bytes);
    if (written.status.ok()) {
      written.status = storage_->write(write);
      batches_.fetch_add(1, std::memory_order_relaxed);
      batch_records_.observe(static_cast<double>(records));
    }
    if (!written.status.ok()) {
      fail(written.status);
      written.status = failure();
    }
  }
  // At low load (nothing syncing, nothing more queued) sync here rather than wake the sync
  // thread, saving a thread hand-off on the acknowledgement path. Under load, hand the batch
  // over and go on writing the next group while the sync runs.
  bool sync_here = false;
  bool more_queued = false;
  {
    std::lock_guard lock(mu_);
    more_queued = !queue_.empty();
  }
  {
    std::lock_guard lock(sync_mu_);
    if (!more_queued && !syncing_ && written_.empty()) {
      syncing_ = true;
      sync_here = true;
    } else {
      written_.push_back(std::move(written));
    }
  }
  if (!sync_here) {
    sync_cv_.notify_one();
    return;
  }
  std::vector<Written> ready;
  ready.push_back(std::move(written));
  sync_and_complete(&ready);
  {
    std::lock_guard lock(sync_mu_);
    syncing_ = false;
  }
  drained_cv_.notify_all();
}

void GroupCommitter::run_recovery(Pending item) {
  {
    std::unique_lock lock(sync_mu_);
    drained_cv_.wait(lock, [this] { return !syncing_ && written_.empty(); });
  }
  // Everything submitted before this item has completed; nothing is in flight.
  Status status = item.recovery();
  if (status.ok()) {
    std::lock_guard lock(failure_mu_);
    failure_ = Status::Ok();
    failed_.store(false, std::memory_order_release);
  }
  if (item.done) item.done(status);
}

void GroupCommitter::run_syncer() {
  std::vector<Written> ready;
  for (;;) {
    {
      std::unique_lock lock(sync_mu_);
      sync_cv_.wait(lock, [this] { return !written_.empty() || writer_done_; });
      if (written_.empty()) return;  // the writer is done and everything is completed
      ready.swap(written_);
      syncing_ = true;
    }
    sync_and_complete(&ready);
    {
      std::lock_guard lock(sync_mu_);
      syncing_ = false;
    }
    drained_cv_.notify_all();
  }
}

void GroupCommitter::sync_and_complete(std::vector<Written>* ready) {
  // One sync covers every batch written before it started.
  bool needs_sync = false;
  for (const Written& written : *ready) needs_sync = needs_sync || written.needs_sync;
  Status sync_status = failure();  // OK unless failed
  if (needs_sync && sync_status.ok()) {
    auto sync_start = std::chrono::steady_clock::now();
    sync_status = storage_->sync();
    sync_seconds_.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - sync_start).count());
    syncs_.fetch_add(1, std::memory_order_relaxed);
    if (!sync_status.ok()) {
      fail(sync_status);
      sync_status = failure();
    }
  }
  for (Written& written : *ready) {
    // Once the committer has failed (this sync, or anything since these batches were
    // written), no submission not yet completed succeeds, synced or not: it may have been
    // validated against, or have followed, a failed write (group_committer.h).
    Status status = !written.status.ok() ? written.status : sync_status;
    for (Pending& pending : written.batch) {
      if (pending.done) pending.done(pending.doomed.ok() ? status : pending.doomed);
    }
  }
  ready->clear();
}

}  // namespace streamkeeper
