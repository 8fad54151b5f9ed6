#include "manager/stream_cache.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace streamkeeper {

EntryPtr StreamCache::find(const std::string& path) {
  std::shared_lock lock(mu_);
  auto it = entries_.find(path);
  if (it == entries_.end()) return nullptr;
  it->second->referenced.store(true, std::memory_order_relaxed);
  hits_.fetch_add(1, std::memory_order_relaxed);
  return it->second;
}

EntryPtr StreamCache::find_or_insert(const std::string& path, bool* inserted) {
  *inserted = false;
  if (EntryPtr entry = find(path)) return entry;
  std::vector<EntryPtr> dropped;  // destroyed after the lock is released
  EntryPtr entry;
  {
    std::unique_lock lock(mu_);
    auto it = entries_.find(path);
    if (it != entries_.end()) {
      it->second->referenced.store(true, std::memory_order_relaxed);
      hits_.fetch_add(1, std::memory_order_relaxed);
      return it->second;
    }
    entry = std::make_shared<StreamEntry>(path);
    // Nobody else can see the entry yet, so this cannot fail. A try-lock, because a lock would
    // put "cache, then entry" in ThreadSanitizer's lock graph beside "entry, then cache" (a
    // fork's entry held while its parent is looked up) and report a deadlock that cannot
    // happen: no thread can wait for a lock on an entry no other thread can see.
    [[maybe_unused]] const bool locked = entry->mu.try_lock();
    assert(locked);
    size_t charge = entry->estimate_charge();
    entry->charge = charge;
    bytes_.fetch_add(static_cast<int64_t>(charge), std::memory_order_relaxed);
    entry->ring_position = ring_.insert(hand_, entry);  // just behind the hand: seen last
    entries_.emplace(path, entry);
    misses_.fetch_add(1, std::memory_order_relaxed);
    *inserted = true;
    evict_locked(&dropped);
  }
  return entry;
}

void StreamCache::remove(const EntryPtr& entry) {
  std::vector<EntryPtr> dropped;
  std::unique_lock lock(mu_);
  auto it = entries_.find(entry->path);
  if (it != entries_.end() && it->second == entry) erase_locked(entry, &dropped);
}

void StreamCache::recharge(StreamEntry& entry) {
  size_t charge = entry.estimate_charge();
  size_t old = entry.charge.exchange(charge, std::memory_order_relaxed);
  bytes_.fetch_add(static_cast<int64_t>(charge) - static_cast<int64_t>(old),
                   std::memory_order_relaxed);
}

void StreamCache::trim() {
  if (bytes_.load(std::memory_order_relaxed) <= static_cast<int64_t>(budget_)) return;
  std::vector<EntryPtr> dropped;
  std::unique_lock lock(mu_);
  evict_locked(&dropped);
}

void StreamCache::erase_locked(const EntryPtr& entry, std::vector<EntryPtr>* dropped) {
  dropped->push_back(entry);  // keeps it alive until the cache's lock is released
  if (hand_ == entry->ring_position) ++hand_;
  ring_.erase(entry->ring_position);
  bytes_.fetch_sub(static_cast<int64_t>(entry->charge.load(std::memory_order_relaxed)),
                   std::memory_order_relaxed);
  entries_.erase(entry->path);
}

void StreamCache::evict_locked(std::vector<EntryPtr>* dropped) {
  // Two passes over the ring at most (the first may only clear reference bits), and a bounded
  // number of steps per call, so that a cache full of pinned entries costs an insert little;
  // trim() goes on later.
  constexpr size_t kMaxSteps = 1024;
  size_t steps = std::min(2 * ring_.size(), kMaxSteps);
  while (bytes_.load(std::memory_order_relaxed) > static_cast<int64_t>(budget_) && steps-- > 0) {
    if (hand_ == ring_.end()) hand_ = ring_.begin();
    EntryPtr& candidate = *hand_;
    if (candidate->referenced.exchange(false, std::memory_order_relaxed)) {
      ++hand_;
      continue;
    }
    // Held by the map and the ring only: nobody else can reach it (see the header), so the
    // try_lock only fails if a holder has just let go of it.
    if (candidate.use_count() != 2 || !candidate->mu.try_lock()) {
      ++hand_;
      continue;
    }
    bool evictable = candidate->loaded && candidate->waiters.empty();
    candidate->mu.unlock();
    if (!evictable) {
      ++hand_;
      continue;
    }
    evictions_.fetch_add(1, std::memory_order_relaxed);
    EntryPtr victim = candidate;  // erase_locked() frees the ring slot `candidate` refers to
    erase_locked(victim, dropped);
  }
}

void StreamCache::for_each(const std::function<void(const EntryPtr&)>& fn) {
  std::vector<EntryPtr> snapshot;
  {
    std::shared_lock lock(mu_);
    snapshot.reserve(entries_.size());
    for (const auto& [path, entry] : entries_) snapshot.push_back(entry);
  }
  for (const EntryPtr& entry : snapshot) fn(entry);
}

StreamCacheStats StreamCache::stats() {
  StreamCacheStats out;
  {
    std::shared_lock lock(mu_);
    out.entries = entries_.size();
  }
  int64_t bytes = bytes_.load(std::memory_order_relaxed);
  out.bytes = bytes > 0 ? static_cast<uint64_t>(bytes) : 0;
  out.hits = hits_.load(std::memory_order_relaxed);
  out.misses = misses_.load(std::memory_order_relaxed);
  out.evictions = evictions_.load(std::memory_order_relaxed);
  return out;
}

}  // namespace streamkeeper
