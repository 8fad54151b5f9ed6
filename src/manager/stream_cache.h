// StreamCache: the path -> StreamEntry map, bounded in memory, evicting what nobody uses.
//
// The StreamManager keeps only the streams in use: an entry is put in on a path's first use
// (and loaded from storage by whoever put it in), and evicted once the entries' estimated bytes
// exceed the budget. Eviction follows the CLOCK approximation of least-recently-used: every
// lookup sets the entry's reference bit, and the eviction hand clears it on its first pass and
// evicts on the second. A new entry starts unreferenced just behind the hand, so a path used
// once (a sweep, a scan of many streams) is the first to go, and a hot one is not pushed out
// by it.
//
// Pinning needs no bookkeeping of its own: an entry is evicted only when the cache holds the
// only pointers to it (its map slot and its ring slot) and no live reader is parked on it. Everything that must keep an entry in
// memory holds a pointer: an operation in progress, a completion of a write in flight (so state
// not yet durable is never dropped), a fork that reads through it, the repair lists after a
// storage failure, the set of streams whose last access is not yet persisted. Since a pointer
// can only be copied from the cache (under its lock) or from another holder, "the cache holds
// the only pointers", checked under the cache's exclusive lock, stays true until the entry is
// gone. The hand also takes the entry's mutex with try_lock before it reads the entry's fields,
// which orders those reads after whatever the last holder did.
//
// Locking: the cache's lock is held only inside these methods, never while waiting for an
// entry's mutex (a new entry's mutex is taken before anyone else can see it). So the engine
// may call into the cache while holding entry locks.
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "manager/stream_entry.h"

namespace streamkeeper {

struct StreamCacheStats {
  uint64_t entries = 0;
  uint64_t bytes = 0;      // estimated
  uint64_t hits = 0;
  uint64_t misses = 0;     // entries put in (each then loaded from storage)
  uint64_t evictions = 0;
};

class StreamCache {
 public:
  // `budget_bytes`: evict down to this; 0 evicts every entry nobody holds.
  explicit StreamCache(size_t budget_bytes) : budget_(budget_bytes) {}
  StreamCache(const StreamCache&) = delete;
  StreamCache& operator=(const StreamCache&) = delete;

  // The entry for `path`, or nullptr when it is not in memory.
  EntryPtr find(const std::string& path);

  // The entry for `path`. When it was not in memory a new one is put in, with its mutex
  // already locked by the caller (*inserted = true), who must load it and then unlock it, or
  // call remove() if it cannot be loaded. May evict others to stay within the budget.
  EntryPtr find_or_insert(const std::string& path, bool* inserted);

  // Takes `entry` out of the cache (its load failed). Call without entry->mu held; sets nothing
  // on the entry itself (the caller records the failure first, under its mutex).
  void remove(const EntryPtr& entry);

  // Records that `entry`'s estimated size changed (call with entry->mu held).
  void recharge(StreamEntry& entry);

  // Evicts until within the budget, or until nothing more can go.
  void trim();

  // Calls `fn` for every entry in memory, with no lock of the cache held (on a snapshot).
  void for_each(const std::function<void(const EntryPtr&)>& fn);

  StreamCacheStats stats();

 private:
  // Runs the CLOCK hand until within the budget (exclusive lock held); moves the evicted
  // entries to *dropped, to be destroyed after the lock is released.
  void evict_locked(std::vector<EntryPtr>* dropped);
  void erase_locked(const EntryPtr& entry, std::vector<EntryPtr>* dropped);

  const size_t budget_;
  std::shared_mutex mu_;
  std::unordered_map<std::string, EntryPtr> entries_;  // guarded by mu_
  std::list<EntryPtr> ring_;                           // CLOCK order; guarded by mu_
  std::list<EntryPtr>::iterator hand_ = ring_.end();   // guarded by mu_
  std::atomic<int64_t> bytes_{0};
  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> misses_{0};
  std::atomic<uint64_t> evictions_{0};
};

}  // namespace streamkeeper
