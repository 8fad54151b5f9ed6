// StreamManager::Impl: expiry through the storage's expiry index, and last-access persistence.
//
// Every stream with a TTL or an Expires-At is filed in the index (Storage: ExpiryEntry) under
// a time at or before its true expiry, written in the same batch as its meta. The sweeper reads
// only what is due, a page at a time from a cursor, at a bounded rate, and checks each entry
// against the stream itself (loading it on demand):
//   - the stream is gone, or filed elsewhere: the entry is stale and is dropped;
//   - the stream has expired (exactly, by its last access in memory): it is removed;
//   - its sliding TTL moved on since it was filed: it is filed again under its new expiry.
// A sliding TTL is filed again on access only lazily: the last access of every stream touched
// since the last flush is written once a second (the dirty set), but its index entry moves
// only when it trails the true expiry by max(1 s, ttl/10); the sweeper finishes the job for the
// rest. Expiry on access stays exact either way: every access checks the stream's own expiry.
#include <algorithm>
#include <future>
#include <limits>

#include "manager/stream_manager_impl.h"

namespace streamkeeper {

namespace {

constexpr size_t kSweepPage = 512;

// How far the index entry of a sliding TTL may trail the true expiry before an access files
// it again: max(1 s, ttl/10).
int64_t RefileSlackMs(uint64_t ttl_seconds) {
  constexpr uint64_t kMaxSlackMs = std::numeric_limits<int64_t>::max();
  if (ttl_seconds > kMaxSlackMs / 100) return static_cast<int64_t>(kMaxSlackMs);
  return std::max<int64_t>(1000, static_cast<int64_t>(ttl_seconds) * 100);
}

}  // namespace

void StreamManager::Impl::note_index_write(int64_t at_ms) {
  int64_t floor = sweep_floor_.load(std::memory_order_relaxed);
  while (at_ms < floor && !sweep_floor_.compare_exchange_weak(floor, at_ms)) {
  }
}

void StreamManager::Impl::persist_access_locked(const EntryPtr& entry, bool refile) {
  StreamMeta& meta = entry->accepted.meta;
  int64_t touched = entry->last_access_ms.load();
  meta.last_access_ms = std::max(meta.last_access_ms, touched);
  StreamChange change;
  std::optional<int64_t> expiry = ExpiryOf(meta);
  if (expiry && meta.indexed_expiry_ms != expiry) {
    bool trails = !meta.indexed_expiry_ms ||
                  *expiry - *meta.indexed_expiry_ms >= RefileSlackMs(meta.ttl_seconds.value_or(0));
    if (refile || trails) {
      change.unindex_expiry_ms = meta.indexed_expiry_ms;
      change.index_expiry_ms = expiry;
      meta.indexed_expiry_ms = expiry;
    }
  }
  change.kind = StreamChange::Kind::kPut;
  change.meta = meta;
  entry->persisted_last_access_ms = meta.last_access_ms;
  uint64_t epoch = entry->accept_epoch;
  // Queued under the stream's lock like every whole-meta write, so no later change of the
  // stream (a delete, a close, a fork reference) can be queued before this older copy.
  std::vector<StreamChange> changes;
  changes.push_back(std::move(change));
  committer_->submit_unsynced(
      std::move(changes),
      [this, entry, epoch, last_access = meta.last_access_ms,
       indexed = meta.indexed_expiry_ms](const Status& s) {
        std::lock_guard lock(entry->mu);
        // A completion after a rollback cannot be OK (the committer fails everything not yet
        // completed); the epoch check keeps it that way should that ever change.
        if (s.ok() && epoch == entry->accept_epoch) {
          entry->durable.meta.last_access_ms = last_access;
          entry->durable.meta.indexed_expiry_ms = indexed;
          if (indexed) note_index_write(*indexed);
          return;
        }
        roll_back_if_current(entry, epoch);
      });
}

void StreamManager::Impl::flush_last_access() {
  if (!health_->admit().ok()) return;  // nothing is written while the storage is failing
  std::vector<EntryPtr> dirty;
  {
    std::lock_guard lock(dirty_mu_);
    dirty.swap(dirty_);
  }
  for (const EntryPtr& entry : dirty) {
    std::lock_guard lock(entry->mu);
    entry->in_dirty_set = false;
    if (!entry->readable() || entry->accepted.meta.soft_deleted ||
        !entry->accepted.meta.ttl_seconds) {
      continue;
    }
    if (entry->last_access_ms.load() == entry->persisted_last_access_ms) continue;
    persist_access_locked(entry, false);
  }
}

bool StreamManager::Impl::sweep_entry(const ExpiryEntry& due, int64_t now_ms, size_t* expired) {
  EntryPtr entry;
  std::unique_lock<std::mutex> lock;
  // The stored meta is all it takes to expire or refile a stream (exact: a stream leaves
  // memory only once its last access is stored).
  if (!lock_loaded(due.path, &entry, &lock, Load::kMetaOnly).ok()) return false;
  const StreamMeta& meta = entry->accepted.meta;
  bool filed_here = entry->exists && meta.generation == due.generation &&
                    meta.indexed_expiry_ms == due.at_ms;
  if (!filed_here) {
    // Stale. Decided and queued under the stream's lock: a write in flight that still names
    // this entry removes it itself, and if that write fails, the rollback's kReset files the
    // durable state again after this removal.
    StreamChange change;
    change.kind = StreamChange::Kind::kIndex;
    change.meta.path = due.path;
    change.meta.generation = due.generation;
    change.unindex_expiry_ms = due.at_ms;
    std::vector<StreamChange> changes;
    changes.push_back(std::move(change));
    committer_->submit_cleanup(std::move(changes));
    return true;
  }
  if (!entry->readable()) return false;  // its create is still in flight
  if (entry->expired_at(now_ms)) {
    remove_locked(entry, nullptr);
    ++*expired;
    return true;
  }
  persist_access_locked(entry, true);  // its sliding TTL moved on: file it under the new expiry
  return true;
}

StreamManager::Impl::SweepResult StreamManager::Impl::sweep(size_t max_entries) {
  SweepResult result;
  std::lock_guard sweep_lock(sweep_mu_);
  if (!health_->admit().ok()) return result;
  int64_t now_ms = now();
  // An entry filed before the cursor since the last sweep: look from the start.
  if (sweep_floor_.exchange(INT64_MAX) <= (sweep_cursor_ ? sweep_cursor_->at_ms : INT64_MIN)) {
    sweep_cursor_.reset();
  }
  std::vector<ExpiryEntry> page;
  while (result.examined < max_entries) {
    page.clear();
    size_t limit = std::min(kSweepPage, max_entries - result.examined);
    Status s = storage_->scan_expiry(now_ms, sweep_cursor_ ? &*sweep_cursor_ : nullptr, limit,
                                     &page);
    if (!s.ok()) {
      if (options_.log) options_.log(LogLevel::kError, "expiry sweep: " + s.message());
      return result;
    }
    for (const ExpiryEntry& due : page) {
      if (!sweep_entry(due, now_ms, &result.expired)) sweep_retry_ = true;
      sweep_cursor_ = due;
    }
    result.examined += page.size();
    if (page.size() < limit) {
      // Caught up. Entries left undecided are looked at again from the start next time.
      if (sweep_retry_) sweep_cursor_.reset();
      sweep_retry_ = false;
      result.caught_up = true;
      break;
    }
  }
  expired_total_.fetch_add(result.expired, std::memory_order_relaxed);
  return result;
}

void StreamManager::Impl::wait_for_queued_writes() {
  // Completions run in submission order, so an empty submission completes once everything
  // queued before it has been written (unsynced: nothing here needs the sync).
  auto written = std::make_shared<std::promise<void>>();
  std::future<void> done = written->get_future();
  committer_->submit_unsynced({}, [written](const Status&) { written->set_value(); });
  done.wait();
}

size_t StreamManager::Impl::sweep_expired() {
  // Synchronous, unlike the sweeper thread: the scan sees the last accesses just flushed, and
  // on return every removal and refiling it made is in the storage.
  flush_last_access();
  wait_for_queued_writes();
  size_t expired = 0;
  for (;;) {
    SweepResult result = sweep(SIZE_MAX);
    expired += result.expired;
    if (result.caught_up || result.examined == 0) break;
  }
  wait_for_queued_writes();
  return expired;
}

void StreamManager::Impl::sweeper_loop() {
  // While streams are due: slices of a tenth of the per-second rate, a tenth of a second apart.
  // Otherwise one look per sweep interval, which is also when last accesses are flushed.
  constexpr auto kSlice = std::chrono::milliseconds(100);
  size_t per_slice = std::max<uint64_t>(1, options_.expiry_max_per_second / 10);
  auto next_flush = std::chrono::steady_clock::now() + options_.sweep_interval;
  size_t round_expired = 0;
  std::chrono::milliseconds wait = options_.sweep_interval;
  std::unique_lock lock(sweeper_mu_);
  while (!stopping_) {
    sweeper_cv_.wait_for(lock, wait, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    SweepResult result = sweep(per_slice);
    round_expired += result.expired;
    if (result.caught_up && round_expired > 0) {
      if (options_.log) {
        options_.log(round_expired >= 1000 ? LogLevel::kInfo : LogLevel::kDebug,
                     "expiry sweep caught up: " + std::to_string(round_expired) +
                         " streams expired this round, " + std::to_string(expired_total_.load()) +
                         " since start");
      }
      round_expired = 0;
    }
    if (std::chrono::steady_clock::now() >= next_flush) {
      flush_last_access();
      next_flush = std::chrono::steady_clock::now() + options_.sweep_interval;
    }
    cache_.trim();
    lock.lock();
    wait = result.caught_up ? options_.sweep_interval : kSlice;
  }
}

}  // namespace streamkeeper
