// StreamManager::Impl: the private state and operations behind the StreamManager facade.
//
// One class, its methods split by concern over several files:
//   manager_lifecycle.cc  open (recovery only, no scan), start, shutdown, stats, listing
//   manager_streams.cc    finding and loading entries, the usable-stream prologue, removal and
//                         soft delete, metadata
//   manager_create.cc     create, idempotent re-create, forks
//   manager_append.cc     append and close (the rules themselves: append_rules.h)
//   manager_read.cc       reads (storage, fork chains, the recent-record cache) and live waits
//   manager_expiry.cc     the expiry sweeper over the storage's expiry index, and last-access
//                         persistence for sliding TTLs
//   manager_recovery.cc   rollback after a failed write, and recovery (storage_health.h)
//   stream_manager.cc     the public facade
//
// Streams live in a bounded StreamCache (stream_cache.h) and are loaded from storage on first
// use; stream_entry.h explains an entry's accepted and durable state.
//
// Locking, outermost first: an entry's mu, then its fork ancestors' mu (child before parent);
// the cache's lock, the repair and dirty-set locks and the committer's queue lock are innermost
// and never held while waiting for an entry. A create locks its fork source with try_lock and
// starts over when that fails. A stream's changes are always queued for writing before the lock
// they were decided under is released, so the queue holds each stream's writes in order. No
// client callback runs under any of these locks.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "manager/append_rules.h"
#include "manager/group_committer.h"
#include "manager/json_messages.h"
#include "manager/record_reader.h"
#include "manager/storage_health.h"
#include "manager/stream_cache.h"
#include "manager/stream_entry.h"
#include "streamkeeper/stream_manager.h"

namespace streamkeeper {

inline StreamInfo InfoOf(const StreamEntry& entry) {
  const StreamMeta& meta = entry.durable.meta;
  StreamInfo info;
  info.path = meta.path;
  info.content_type = meta.content_type;
  info.tail = meta.tail;
  info.closed = meta.closed;
  info.ttl_seconds = meta.ttl_seconds;
  info.expires_at_ms = meta.expires_at_ms;
  info.created_at_ms = meta.created_at_ms;
  info.generation = meta.generation;
  info.is_json = entry.durable.is_json;
  return info;
}

inline StreamChange PutChange(const StreamMeta& meta) {
  StreamChange change;
  change.kind = StreamChange::Kind::kPut;
  change.meta = meta;
  return change;
}

inline StreamChange EraseChange(const StreamMeta& meta) {
  StreamChange change;
  change.kind = StreamChange::Kind::kErase;
  change.meta = meta;
  change.unindex_expiry_ms = meta.indexed_expiry_ms;
  return change;
}

inline StreamChange PurgeChange(const std::string& path, uint64_t generation) {
  StreamChange change;
  change.kind = StreamChange::Kind::kPurge;
  change.meta.path = path;
  change.meta.generation = generation;
  return change;
}

// Turns an append body into records starting at `position`; returns the units added.
inline uint64_t BuildRecords(bool is_json, std::string data, std::vector<std::string>* messages,
                             uint64_t position, std::vector<Record>* records) {
  if (!is_json) {
    if (data.empty()) return 0;
    uint64_t units = data.size();
    records->push_back(Record{position, std::move(data)});
    return units;
  }
  uint64_t count = messages->size();
  for (uint64_t i = 0; i < count; ++i) {
    records->push_back(Record{position + i, EncodeJsonRecord((*messages)[i], count - i)});
  }
  return count;
}

inline void RunAll(std::vector<WakeCallback>& wakes) {
  for (auto& wake : wakes) {
    if (wake) wake();
  }
}

// An entry found and locked by the usable-stream prologue.
struct LockedEntry {
  EntryPtr entry;
  std::unique_lock<std::mutex> lock;
};

class StreamManager::Impl {
 public:
  Impl(std::unique_ptr<Storage> storage, ManagerOptions options)
      : storage_(std::move(storage)),
        options_(std::move(options)),
        cache_(options_.stream_cache_bytes) {}

  ~Impl() { shutdown(); }

  Status open();
  void start();
  void shutdown();

  void create_async(const std::string& path, CreateOptions options, CreateCallback done);
  void append_async(const std::string& path, std::string data, AppendOptions options,
                    AppendCallback done);
  void remove_async(const std::string& path, StatusCallback done);
  Status get_metadata(const std::string& path, StreamInfo* info);
  ReadResult read(const std::string& path, std::optional<uint64_t> from,
                  const ReadOptions& options, bool as_messages);
  uint64_t wait_async(const std::string& path, uint64_t from, WakeCallback wake);
  bool cancel_wait(const std::string& path, uint64_t handle);
  size_t sweep_expired();
  Status list_streams(const ListOptions& options, StreamListing* out);
  ManagerStats stats();
  StorageHealthReport storage_health();

 private:
  int64_t now() const { return options_.clock(); }

  // --- manager_streams.cc
  // How much of a stream lock_loaded() must have in memory.
  enum class Load {
    kWhole,     // meta, producers, recovered tail, fork ancestors
    kMetaOnly,  // the stored meta (the expiry sweeper); a fork is still loaded whole
  };
  // The entry of `path`, loaded, with its mutex locked into *lock. Loads it from storage when
  // it is not in memory (or completes a partial load); a fork's ancestors are loaded with it.
  // kIoError if the load fails.
  Status lock_loaded(const std::string& path, EntryPtr* entry, std::unique_lock<std::mutex>* lock,
                     Load load = Load::kWhole);
  // Reads a new entry's stream from storage (its mutex held by the caller).
  Status load_locked(StreamEntry& entry, Load load);
  // Reads the producers and the last record of a partially loaded entry (mutex held).
  Status complete_load_locked(StreamEntry& entry);
  // The prologue of every operation on an existing stream: lock_loaded(), then checks that a
  // stream is there and may be used (kNotFound, kGone). An expired stream is removed on the
  // spot and answers kNotFound. On success the entry is locked and its TTL touched.
  Status lock_usable(const std::string& path, LockedEntry* out);
  // Checks a locked entry as above; sets *expired when it failed only because it expired.
  Status usable_locked(StreamEntry& entry, bool* expired) const;
  // Removes (or, while forks read through it, soft-deletes) the locked entry's stream and
  // queues the changes, with those of its fork ancestors, before releasing any lock it took.
  // Once the outcome is known (undone on failure) wakes the entry's waiters, then calls `done`
  // (if any). Returns true if soft-deleted.
  bool remove_locked(const EntryPtr& entry, StatusCallback done);
  // A stream was read or written: slides its TTL, and notes it for last-access persistence.
  void touch_locked(const EntryPtr& entry);

  // --- manager_append.cc
  struct ParsedBody {  // a JSON append body, split into messages outside the stream's lock
    std::vector<std::string> messages;
    Status status;
  };
  // lock_usable() for an append, with a JSON body parsed before the lock (for the generation
  // it is decided against).
  Status lock_for_append(const std::string& path, const std::string& data,
                         const AppendOptions& options, LockedEntry* locked, ParsedBody* body);
  // Advances the locked stream's accepted state by an accepted append and queues its write;
  // `done` runs once it is durable (or failed, rolled back).
  void accept_append_locked(const EntryPtr& entry, std::string data, const AppendOptions& options,
                            const AppendDecision& decision, std::vector<std::string>* messages,
                            AppendResult result, AppendCallback done);

  // --- manager_create.cc
  struct CreateLocks {  // the path's entry and, for a fork, the source's, both locked
    LockedEntry target;
    EntryPtr source;
    std::unique_lock<std::mutex> source_lock;
  };
  // Locks what a create needs. When a stream already lives at the path, answers the create
  // itself (an idempotent repeat, a conflict, or gone) and returns false; an expired one is
  // removed first and the path taken.
  bool lock_for_create(const std::string& path, const CreateOptions& options,
                       const std::string& content_type, CreateLocks* locks,
                       const CreateCallback& done);
  // The stream at the locked path exists: false when that answers the create (lock released).
  bool answer_existing_locked(const CreateOptions& options, const std::string& content_type,
                              LockedEntry* target, const CreateCallback& done);
  // Builds the new incarnation under the locks and queues it with the source's new refcount;
  // or refuses it (bad fork source, bad initial JSON), releasing the locks.
  void submit_create_locked(const std::string& path, CreateOptions options,
                            std::string content_type, CreateLocks* locks, CreateCallback done);
  // Checks the locked fork source and fills the fork fields of the new stream's meta.
  Status check_fork_source(const CreateOptions& options, const EntryPtr& source, StreamMeta* meta,
                           std::string* content_type);

  // --- manager_read.cc
  std::shared_ptr<ReadView> view_locked(const StreamEntry& entry, uint64_t end) const;

  // --- manager_expiry.cc
  void sweeper_loop();
  struct SweepResult {
    size_t examined = 0;  // due index entries looked at
    size_t expired = 0;   // streams removed
    bool caught_up = false;  // nothing more is due now
  };
  // Looks at up to `max_entries` due index entries from the cursor on.
  SweepResult sweep(size_t max_entries);
  // Handles one due index entry: expires its stream, files it under its new expiry, or drops
  // a stale entry. Returns false when it could not be decided now (try again later).
  bool sweep_entry(const ExpiryEntry& due, int64_t now_ms, size_t* expired);
  // Writes the locked stream's meta with its last access, unsynced; files it again in the
  // expiry index when `refile`, or when its entry trails the true expiry by enough (see the
  // file's comment).
  void persist_access_locked(const EntryPtr& entry, bool refile);
  void flush_last_access();
  // Returns once everything submitted so far has been written (not necessarily synced).
  void wait_for_queued_writes();
  // An index entry at `at_ms` was (re)written: the sweeper must look before its cursor.
  void note_index_write(int64_t at_ms);

  // --- manager_recovery.cc. The first two are called from failed completions with the
  // entry's mu held.
  void roll_back_if_current(const EntryPtr& entry, uint64_t epoch);
  void note_failed_create(const EntryPtr& entry, const StreamMeta& meta);
  void on_storage_failure(const Status& cause);
  // Runs on the committer's writer thread with nothing in flight: resumes the storage and
  // durably writes the repairs.
  Status recover_storage();
  void recovery_loop();
  // At shutdown while degraded: one more recovery, and a log line if repairs are left.
  void recover_before_shutdown();

  void submit(std::vector<StreamChange> changes, GroupCommitter::Completion done) {
    committer_->submit(std::move(changes), std::move(done));
  }

  std::unique_ptr<Storage> storage_;
  ManagerOptions options_;
  std::atomic<uint64_t> generation_counter_{0};
  std::unique_ptr<StorageHealth> health_;
  StreamCache cache_;
  RecoveredState recovered_;  // from open() until start() has purged what it lists

  std::mutex repair_mu_;  // innermost; guards the two lists below
  // Rolled back: rewrite their durable state. Holding them pins them in the cache, so a reload
  // cannot read what a failed batch left in the store.
  std::vector<EntryPtr> reset_repairs_;
  // Failed creates: erase that generation (the store may hold it). Pinned likewise.
  std::vector<std::pair<EntryPtr, StreamMeta>> erase_repairs_;
  std::atomic<uint64_t> failures_{0};
  std::atomic<uint64_t> recoveries_{0};
  // ManagerStats::appended_records / appended_bytes; added to by the committer's completions.
  std::atomic<uint64_t> appended_records_{0};
  std::atomic<uint64_t> appended_bytes_{0};
  std::mutex recovery_mu_;
  std::condition_variable recovery_cv_;
  std::atomic<bool> recovery_stop_{false};
  std::thread recovery_;

  // Streams with a sliding TTL touched since the last flush (pinned until flushed).
  std::mutex dirty_mu_;  // innermost
  std::vector<EntryPtr> dirty_;

  // The expiry sweeper's place in the index: it resumes after `sweep_cursor_`, unless an entry
  // was written before it since (sweep_floor_).
  std::mutex sweep_mu_;  // one sweep at a time; guards the two below
  std::optional<ExpiryEntry> sweep_cursor_;
  bool sweep_retry_ = false;  // an entry was left undecided in this round
  std::atomic<int64_t> sweep_floor_{INT64_MAX};
  std::atomic<uint64_t> expired_total_{0};

  // Declared after everything its completions touch (health_, the repair lists): destroyed
  // first, joining the completions of writes refused after shutdown.
  std::unique_ptr<GroupCommitter> committer_;

  std::atomic<uint64_t> next_waiter_id_{1};

  std::mutex sweeper_mu_;
  std::condition_variable sweeper_cv_;
  bool stopping_ = false;
  // Set by shutdown() before it wakes every waiter; wait_async() then parks nothing more, so
  // no callback (and nothing it holds) stays behind in the manager.
  std::atomic<bool> waits_closed_{false};
  bool shut_down_ = false;
  std::thread sweeper_;
};

}  // namespace streamkeeper
