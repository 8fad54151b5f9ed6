// StreamManager::Impl: open (recovery only), start, shutdown, stats and listing.
#include <pthread.h>

#include <algorithm>

#include "manager/stream_manager_impl.h"

namespace streamkeeper {

Status StreamManager::Impl::open() {
  // No stream is read here: each is loaded on first use. Start-up costs what the storage's
  // own recovery costs, whatever the number of streams.
  Status s = storage_->recover(&recovered_);
  if (!s.ok()) return s;
  generation_counter_ = recovered_.generation_counter;
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
  // Erases that completed before a crash but were never followed by their purge.
  if (!recovered_.pending_purges.empty()) {
    std::vector<StreamChange> purges;
    for (const StreamMeta& meta : recovered_.pending_purges) {
      purges.push_back(PurgeChange(meta.path, meta.generation));
    }
    if (options_.log) {
      options_.log(LogLevel::kInfo, "purging " + std::to_string(purges.size()) +
                                        " deleted streams left unpurged by the last run");
    }
    committer_->submit_cleanup(std::move(purges));
  }
  recovered_ = RecoveredState{};
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
  // Every parked waiter pins its entry, so the cache holds them all.
  std::vector<WakeCallback> wakes;
  cache_.for_each([&wakes](const EntryPtr& entry) {
    std::lock_guard lock(entry->mu);
    for (auto& wake : entry->take_waiters()) wakes.push_back(std::move(wake));
  });
  RunAll(wakes);
}

ManagerStats StreamManager::Impl::stats() {
  StreamCacheStats cache = cache_.stats();
  ManagerStats out;
  out.cached_streams = cache.entries;
  out.cache_bytes = cache.bytes;
  out.cache_hits = cache.hits;
  out.cache_misses = cache.misses;
  out.cache_evictions = cache.evictions;
  out.expired = expired_total_.load();
  out.write_batches = committer_->batches_written();
  out.syncs = committer_->syncs();
  out.writable = health_->state() == StorageHealth::State::kHealthy;
  out.storage_failures = failures_.load();
  out.recoveries = recoveries_.load();
  out.appended_records = appended_records_.load(std::memory_order_relaxed);
  out.appended_bytes = appended_bytes_.load(std::memory_order_relaxed);
  out.batch_records = committer_->batch_records();
  out.sync_seconds = committer_->sync_seconds();
  out.storage = storage_->stats();
  return out;
}

StorageHealthReport StreamManager::Impl::storage_health() {
  StorageHealthReport out;
  switch (health_->state()) {
    case StorageHealth::State::kHealthy: out.state = StorageState::kHealthy; break;
    case StorageHealth::State::kDegraded: out.state = StorageState::kDegraded; break;
    case StorageHealth::State::kRecovering: out.state = StorageState::kRecovering; break;
  }
  out.cause = health_->admit();
  out.free_disk_bytes = storage_->free_disk_bytes();
  out.min_free_disk_bytes = options_.min_free_disk_bytes;
  out.reserve = health_->reserve_status(out.free_disk_bytes);
  return out;
}

Status StreamManager::Impl::list_streams(const ListOptions& options, StreamListing* out) {
  out->paths.clear();
  out->next_after.reset();
  std::vector<StreamMeta> metas;
  size_t limit = std::max<size_t>(options.limit, 1);
  Status s = storage_->list_streams(options.prefix, options.start_after, limit, &metas);
  if (!s.ok()) return s;
  int64_t now_ms = now();
  for (const StreamMeta& meta : metas) {
    // A stream in memory knows more than the stored meta (its last access, a delete in flight).
    // (A stream whose failed delete reached the store is missing from the listing until the
    // recovery's repair has written it back.)
    if (EntryPtr entry = cache_.find(meta.path)) {
      std::lock_guard lock(entry->mu);
      if (entry->readable() && !entry->accepted.meta.soft_deleted && !entry->expired_at(now_ms)) {
        out->paths.push_back(meta.path);
      }
      continue;
    }
    std::optional<int64_t> expiry = ExpiryOf(meta);
    if (!meta.soft_deleted && !(expiry && *expiry <= now_ms)) out->paths.push_back(meta.path);
  }
  if (metas.size() == limit) out->next_after = metas.back().path;
  return Status::Ok();
}

}  // namespace streamkeeper
