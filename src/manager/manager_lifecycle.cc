// StreamManager::Impl: load, start, shutdown, the expiry sweeper, last-access bookkeeping.
#include "manager/stream_manager_impl.h"

#include <pthread.h>

#include <algorithm>

#include "manager/content_type.h"
#include "manager/tail_recovery.h"

namespace streamkeeper {

Status StreamManager::Impl::load() {
  LoadedState state;
  Status s = storage_->load(&state);
  if (!s.ok()) return s;
  uint64_t max_generation = state.generation_counter;
  for (auto& loaded : state.streams) {
    RecoverTail(&loaded);
    auto entry = std::make_shared<StreamEntry>();
    entry->meta = std::move(loaded.meta);
    entry->producers = std::move(loaded.producers);
    entry->mark_all_durable();
    entry->is_json = IsJsonContentType(entry->meta.content_type);
    entry->last_access_ms = entry->meta.last_access_ms;
    entry->persisted_last_access_ms = entry->meta.last_access_ms;
    max_generation = std::max(max_generation, entry->meta.generation);
    streams_[entry->meta.path] = entry;
  }
  for (auto& [path, entry] : streams_) {
    if (entry->meta.fork_parent.empty()) continue;
    auto it = streams_.find(entry->meta.fork_parent);
    if (it == streams_.end() || it->second->meta.generation != entry->meta.fork_parent_generation) {
      return Status::IoError("fork source of " + path + " is missing from storage");
    }
    entry->parent = it->second;
  }
  generation_counter_ = max_generation;
  return Status::Ok();
}

void StreamManager::Impl::start() {
  health_ = std::make_unique<StorageHealth>(storage_.get(), options_.min_free_disk_bytes,
                                            options_.log);
  GroupCommitter::Hooks hooks;
  if (options_.min_free_disk_bytes > 0) {
    hooks.admit_write = [this](size_t bytes) { return health_->check_space(bytes); };
  }
  hooks.on_failure = [this](const Status& cause) { on_storage_failure(cause); };
  committer_ = std::make_unique<GroupCommitter>(storage_.get(), options_.sync, &generation_counter_,
                                                std::move(hooks));
  if (!health_->space_ok()) {  // starting on a full disk: serve reads, take writes later
    health_->degrade(StorageFailureForClients(
        Status::NoSpace("free disk space is below the reserve (--min-free-disk-mb) at start")));
  }
  recovery_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "sk-recovery");
    recovery_loop();
  });
  if (options_.sweep_interval.count() > 0) {
    sweeper_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "sk-sweeper");
      sweeper_loop();
    });
  }
}

void StreamManager::Impl::shutdown() {
  {
    std::lock_guard lock(sweeper_mu_);
    if (shut_down_) return;
    shut_down_ = true;
    stopping_ = true;
  }
  sweeper_cv_.notify_all();
  if (sweeper_.joinable()) sweeper_.join();
  recovery_stop_ = true;
  {
    std::lock_guard lock(recovery_mu_);
  }
  recovery_cv_.notify_all();
  if (health_) health_->notify();
  if (recovery_.joinable()) recovery_.join();
  if (committer_) recover_before_shutdown();
  if (committer_) {
    flush_last_access();
    committer_->stop();
  }
  waits_closed_ = true;  // read by wait_async() under the entry's lock, taken below too
  std::vector<WakeCallback> wakes;
  {
    std::shared_lock map_lock(map_mu_);
    for (auto& [path, entry] : streams_) {
      std::lock_guard lock(entry->mu);
      auto taken = entry->take_waiters();
      for (auto& wake : taken) wakes.push_back(std::move(wake));
    }
  }
  RunAll(wakes);
}

void StreamManager::Impl::sweeper_loop() {
  std::unique_lock lock(sweeper_mu_);
  while (!stopping_) {
    sweeper_cv_.wait_for(lock, options_.sweep_interval, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    sweep_expired();
    flush_last_access();
    lock.lock();
  }
}

size_t StreamManager::Impl::sweep_expired() {
  std::vector<std::pair<std::string, EntryPtr>> expired;
  {
    std::shared_lock map_lock(map_mu_);
    int64_t now_ms = now();
    for (auto& [path, entry] : streams_) {
      std::lock_guard lock(entry->mu);
      if (entry->durable && !entry->meta.soft_deleted && entry->expired_at(now_ms)) {
        expired.emplace_back(path, entry);
      }
    }
  }
  for (auto& [path, entry] : expired) expire(path, entry);
  return expired.size();
}

void StreamManager::Impl::flush_last_access() {
  if (!health_->admit().ok()) return;  // nothing is written while the storage is failing
  std::shared_lock map_lock(map_mu_);
  for (auto& [path, entry] : streams_) {
    std::lock_guard lock(entry->mu);
    if (entry->waiters.empty()) entry->forget_recent();  // no longer followed
    if (!entry->meta.ttl_seconds || entry->removed || !entry->durable) continue;
    int64_t touched = entry->last_access_ms.load();
    if (touched == entry->persisted_last_access_ms) continue;
    entry->meta.last_access_ms = touched;
    entry->persisted_last_access_ms = touched;
    // Queued under the stream's lock like every whole-meta write, so no later change of the
    // stream (a delete, a close, a fork reference) can be queued before this older copy.
    std::vector<StreamChange> changes;
    changes.push_back(PutChange(entry->meta));
    committer_->submit_unsynced(std::move(changes), [entry = entry](const Status& s) {
      if (s.ok()) return;
      std::lock_guard lock(entry->mu);
      entry->persisted_last_access_ms = 0;  // write it again with the next flush
    });
  }
}

std::vector<std::string> StreamManager::Impl::list_streams() {
  std::vector<std::string> out;
  std::shared_lock map_lock(map_mu_);
  int64_t now_ms = now();
  for (auto& [path, entry] : streams_) {
    std::lock_guard lock(entry->mu);
    if (entry->durable && !entry->meta.soft_deleted && !entry->expired_at(now_ms)) {
      out.push_back(path);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace streamkeeper
