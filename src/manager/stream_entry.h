// StreamEntry: the in-memory state of one stream, shared by the manager's operations.
//
// Two views live side by side. `meta`/`producers` are the accepted state, including writes that
// are queued in the GroupCommitter but not yet durable; writers validate against it, so
// concurrent appends get strictly increasing positions without waiting for each other's sync.
// `durable_*` is what the storage holds for sure, and what readers see: it advances only in
// commit completions, after the sync. When a batch fails, the accepted state is rolled back to
// the durable one (roll_back()), as if the failed writes had never been submitted; every write
// queued behind them fails too (GroupCommitter), so nothing validated against them survives.
#pragma once

#include <atomic>
#include <deque>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "streamkeeper/stream_manager.h"
#include "streamkeeper/stream_state.h"

namespace streamkeeper {

struct StreamEntry {
  std::mutex mu;

  // Accepted state (guarded by mu).
  StreamMeta meta;
  ProducerMap producers;
  bool removed = false;  // erased from the manager's map; operations on it see "not found"

  // Durable state (guarded by mu): the fields of meta/producers that change after creation.
  bool durable = false;  // the create is durable; before that readers see "not found"
  uint64_t durable_tail = 0;
  bool durable_closed = false;
  std::optional<ProducerTuple> durable_closed_by;
  std::string durable_last_stream_seq;
  uint64_t durable_fork_refcount = 0;
  bool durable_soft_deleted = false;
  ProducerMap durable_producers;

  // Bumped by every roll_back(). A failed completion whose write was accepted in an older
  // epoch has nothing left to undo (guarded by mu).
  uint64_t accept_epoch = 0;
  // A durable incarnation of this path whose failed erase this entry's not-yet-durable create
  // displaced from the manager's map; put back if this create fails too (guarded by mu).
  std::shared_ptr<StreamEntry> displaced;

  // Makes the accepted state the durable one again and bumps accept_epoch (call with mu held).
  void roll_back();
  // Copies the accepted state to the durable one (loading, or a create made durable).
  void mark_all_durable();

  // Parked live readers (guarded by mu).
  std::map<uint64_t, WakeCallback> waiters;

  // The newest durable records, kept while live readers follow the stream, so that the reads
  // every wake-up triggers (one per subscriber) skip the storage. Contiguous and ending at
  // durable_tail when non-empty; bounded by kRecentMaxRecords / kRecentMaxBytes (guarded by mu).
  static constexpr size_t kRecentMaxRecords = 64;
  static constexpr size_t kRecentMaxBytes = 64 << 10;
  std::deque<Record> recent;
  size_t recent_bytes = 0;

  // Adds newly durable records (call with mu held); keeps the cache contiguous and bounded.
  void remember_recent(std::vector<Record> records);
  void forget_recent();
  // Copies the cached records overlapping [from, durable_tail) into *out, up to about
  // max_bytes; false (and nothing copied) when the cache does not reach back to `from`.
  bool copy_recent(uint64_t from, size_t max_bytes, std::vector<Record>* out) const;

  // Immutable after creation.
  bool is_json = false;
  std::shared_ptr<StreamEntry> parent;  // fork source; keeps its records reachable

  // Sliding-TTL bookkeeping, touched without the lock on every read and write.
  std::atomic<int64_t> last_access_ms{0};
  int64_t persisted_last_access_ms = 0;  // guarded by mu

  // Moves every parked waiter out (call with mu held); run them after unlocking.
  std::vector<WakeCallback> take_waiters();

  // True when the stream's TTL or Expires-At has passed at `now_ms` (call with mu held).
  bool expired_at(int64_t now_ms) const;
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
