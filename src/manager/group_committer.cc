#include "manager/group_committer.h"

#include <utility>

namespace streamkeeper {

GroupCommitter::GroupCommitter(Storage* storage, bool sync,
                               const std::atomic<uint64_t>* generation_counter)
    : storage_(storage), sync_(sync), generation_counter_(generation_counter) {
  thread_ = std::thread([this] { run(); });
}

GroupCommitter::~GroupCommitter() { stop(); }

void GroupCommitter::submit(std::vector<StreamChange> changes, Completion done, bool) {
  enqueue(Pending{std::move(changes), std::move(done), sync_});
}

void GroupCommitter::submit_unsynced(std::vector<StreamChange> changes, Completion done) {
  enqueue(Pending{std::move(changes), std::move(done), false});
}

void GroupCommitter::enqueue(Pending pending) {
  std::unique_lock lock(mu_);
  if (!stopping_) {
    queue_.push_back(std::move(pending));
    if (queue_.size() == 1) cv_.notify_one();
    return;
  }
  lock.unlock();
  // Callers may hold a stream's lock while submitting, and completions take that lock: never
  // complete inline. After stop() this path is rare (requests racing a shutdown).
  if (pending.done) {
    std::thread([done = std::move(pending.done)] {
      done(Status::IoError("storage is shutting down"));
    }).detach();
  }
}

void GroupCommitter::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void GroupCommitter::run() {
  std::vector<Pending> batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) return;  // stopping, and everything is drained
      batch.swap(queue_);
    }
    WriteBatch write;
    write.sync = false;
    for (auto& pending : batch) {
      write.sync = write.sync || pending.needs_sync;
      for (auto& change : pending.changes) write.changes.push_back(std::move(change));
    }
    write.generation_counter = generation_counter_->load();
    Status status = failure_;  // once failed, nothing more is written or acknowledged
    if (status.ok() && !write.changes.empty()) {
      status = storage_->write(write);
      batches_.fetch_add(1, std::memory_order_relaxed);
    }
    if (!status.ok()) failure_ = status;
    for (auto& pending : batch) {
      if (pending.done) pending.done(status);
    }
    batch.clear();
  }
}

}  // namespace streamkeeper
