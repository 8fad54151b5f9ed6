// StreamEntry: what the manager holds in memory for one path, loaded from storage on first use.
//
// An entry stands for a path, not for one stream: it lives in the StreamCache for as long as
// the cache keeps it, and the streams created and deleted at its path come and go inside it
// (each an Incarnation, told apart by generation). So every operation on a path, whatever it
// does to the stream there, serialises on the entry's one mutex, and the order in which an
// operation's writes are queued under that mutex is the order the storage applies them.
//
// Two views live side by side. `accepted` is the state writers validate against, including
// writes queued in the GroupCommitter but not yet durable, so concurrent appends get strictly
// increasing positions without waiting for each other's sync. `durable` is what the storage
// holds for sure, and what readers see: it advances only in commit completions, after the
// sync. When a batch fails, `accepted` goes back to `durable` (roll_back()), as if the failed
// writes had never been submitted; every write queued behind them fails too (GroupCommitter),
// so nothing validated against them survives. With nothing in flight the two are equal and
// equal to the storage (but for the last access of a sliding TTL, which is written within a
// second and pins the entry until then), which is what lets the cache evict an entry and load
// it again.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "streamkeeper/stream_manager.h"
#include "streamkeeper/stream_state.h"

namespace streamkeeper {

struct StreamEntry;
using EntryPtr = std::shared_ptr<StreamEntry>;

// One stream: a create up to its erase.
struct Incarnation {
  StreamMeta meta;
  ProducerMap producers;
  bool is_json = false;
  // The fork source's entry (empty when not a fork). Holding it keeps the source in the cache
  // for as long as a fork that reads through it is.
  EntryPtr parent;
};

// The newest durable records of a followed stream, so that the reads every wake-up triggers
// (one per subscriber) skip the storage. Contiguous, ending at the durable tail when non-empty;
// bounded by kMaxRecords / kMaxBytes.
struct RecentRecords {
  static constexpr size_t kMaxRecords = 64;
  static constexpr size_t kMaxBytes = 64 << 10;
  std::deque<Record> records;
  size_t bytes = 0;
};

struct StreamEntry {
  explicit StreamEntry(std::string entry_path) : path(std::move(entry_path)) {}
  StreamEntry(const StreamEntry&) = delete;
  StreamEntry& operator=(const StreamEntry&) = delete;

  const std::string path;
  std::mutex mu;

  // Loading (guarded by mu). The thread that put the entry into the cache holds mu until the
  // entry is loaded, so others simply wait for mu.
  bool loaded = false;
  // Loaded from its stored meta alone, by the expiry sweeper (which needs nothing more to
  // expire or refile a stream): its producers are not read and its tail is the stored one,
  // which may trail the records. Every other use completes the load first (lock_loaded).
  bool partial = false;
  // Set when the load failed: the entry has left the cache, and those who waited for it answer
  // with this. (An entry anyone holds is never evicted, so no holder ever meets a stale one.)
  Status load_failure;

  // Accepted and durable state (guarded by mu). `exists`: a stream lives at the path (its
  // create may still be in flight); `durable_exists`: one is stored there.
  bool exists = false;
  Incarnation accepted;
  bool durable_exists = false;
  Incarnation durable;
  // Bumped by every roll_back(). A failed completion whose write was accepted in an older
  // epoch has nothing left to undo (guarded by mu).
  uint64_t accept_epoch = 0;

  // Parked live readers (guarded by mu).
  std::map<uint64_t, WakeCallback> waiters;
  // Allocated while the stream is followed (guarded by mu).
  std::unique_ptr<RecentRecords> recent;

  // Sliding-TTL bookkeeping. last_access_ms is touched without the lock on every read and
  // write; `persisted_last_access_ms` and `in_dirty_set` are guarded by mu.
  std::atomic<int64_t> last_access_ms{0};
  int64_t persisted_last_access_ms = 0;
  bool in_dirty_set = false;

  // StreamCache bookkeeping: `referenced` is its CLOCK bit, set on every lookup; `charge` is the
  // entry's estimated memory (written under mu, summed by the cache); `ring_position` is
  // guarded by the cache's lock.
  std::atomic<bool> referenced{false};
  std::atomic<size_t> charge{0};
  std::list<std::shared_ptr<StreamEntry>>::iterator ring_position;

  // True when a stream exists, its create is durable and it is the stored one: readers may use
  // it (call with mu held).
  bool readable() const {
    return exists && durable_exists && durable.meta.generation == accepted.meta.generation;
  }

  // Makes the accepted state the durable one again and bumps accept_epoch (call with mu held).
  void roll_back();
  // A stream just read from storage, or a create made durable: accepted = durable = it.
  void set_all_durable(Incarnation incarnation);

  // Moves every parked waiter out (call with mu held); run them after unlocking.
  std::vector<WakeCallback> take_waiters();

  // True when the accepted stream's TTL or Expires-At has passed at `now_ms` (mu held).
  bool expired_at(int64_t now_ms) const;

  // The recent-record cache (mu held). remember_recent() adds newly durable records and keeps
  // the cache contiguous and bounded; copy_recent() copies the cached records overlapping
  // [from, durable tail) into *out, up to about max_bytes, or returns false (copying nothing)
  // when the cache does not reach back to `from`.
  void remember_recent(std::vector<Record> records);
  void forget_recent() { recent.reset(); }
  bool copy_recent(uint64_t from, size_t max_bytes, std::vector<Record>* out) const;

  // Estimated bytes this entry holds (mu held), for the cache's budget.
  size_t estimate_charge() const;
};

// What a reader needs from an entry and each of its fork ancestors, copied under their locks.
struct ReadView {
  std::string path;
  uint64_t generation = 0;
  uint64_t end = 0;            // exclusive: the durable tail, or the child's fork position
  uint64_t fork_position = 0;  // positions below this come from `parent`
  std::shared_ptr<ReadView> parent;
};

}  // namespace streamkeeper
