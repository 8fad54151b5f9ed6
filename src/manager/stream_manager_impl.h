// StreamManager::Impl: the private state and operations behind the StreamManager facade.
//
// One class, its methods split by concern over several files:
//   manager_lifecycle.cc  load, start, shutdown, the expiry sweeper, last-access bookkeeping
//   manager_streams.cc    lookup, expiry, removal and soft delete, metadata, submissions
//   manager_create.cc     create, idempotent re-create, forks
//   manager_append.cc     append and close: producer, closed, content-type and Stream-Seq rules
//   manager_read.cc       reads (storage, fork chains, the recent-record cache) and live waits
//   manager_recovery.cc   rollback after a failed write, and recovery (storage_health.h)
//   stream_manager.cc     the public facade
//
// Locking: map_mu_ (the path -> entry map), then an entry's mu, then its fork parents' mu; the
// committer's queue lock is innermost. A stream's whole meta is always queued for writing before
// the lock it was copied under is released, so the queue holds each stream's writes in order.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "manager/group_committer.h"
#include "manager/json_messages.h"
#include "manager/record_reader.h"
#include "manager/storage_health.h"
#include "manager/stream_entry.h"
#include "streamkeeper/stream_manager.h"

namespace streamkeeper {

using EntryPtr = std::shared_ptr<StreamEntry>;

inline StreamInfo InfoOf(const StreamEntry& entry, uint64_t tail, bool closed) {
  StreamInfo info;
  info.path = entry.meta.path;
  info.content_type = entry.meta.content_type;
  info.tail = tail;
  info.closed = closed;
  info.ttl_seconds = entry.meta.ttl_seconds;
  info.expires_at_ms = entry.meta.expires_at_ms;
  info.created_at_ms = entry.meta.created_at_ms;
  info.generation = entry.meta.generation;
  info.is_json = entry.is_json;
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
  return change;
}

inline StreamChange PurgeChange(const StreamMeta& meta) {
  StreamChange change;
  change.kind = StreamChange::Kind::kPurge;
  change.meta.path = meta.path;
  change.meta.generation = meta.generation;
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

class StreamManager::Impl {
 public:
  Impl(std::unique_ptr<Storage> storage, ManagerOptions options)
      : storage_(std::move(storage)), options_(std::move(options)) {}

  ~Impl() { shutdown(); }

  Status load();
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
  std::vector<std::string> list_streams();
  ManagerStats stats() {
    ManagerStats out;
    {
      std::shared_lock lock(map_mu_);
      out.streams = streams_.size();
    }
    out.write_batches = committer_->batches_written();
    out.syncs = committer_->syncs();
    out.writable = health_->state() == StorageHealth::State::kHealthy;
    out.storage_failures = failures_.load();
    out.recoveries = recoveries_.load();
    return out;
  }

 private:
  int64_t now() const { return options_.clock(); }
  EntryPtr find(const std::string& path);
  // Checks that a locked entry may be used; kNotFound/kGone, or kNotFound after expiring it.
  Status usable_locked(StreamEntry& entry, bool* expired) const;
  // Expires `path` if its entry is still `entry` and still expired.
  void expire(const std::string& path, const EntryPtr& entry);
  // Removes or soft-deletes a locked entry (map lock held exclusively) and queues the changes
  // (with any fork-parent updates) before releasing any lock it took; once the outcome is
  // known (undoing it on failure) wakes the entry's waiters and then calls `done` (if any).
  // Returns true if soft-deleted.
  bool remove_locked(const EntryPtr& entry, StatusCallback done);

  std::shared_ptr<ReadView> view_locked(const StreamEntry& entry, uint64_t end) const;
  Status check_fork_source(const CreateOptions& options, StreamMeta* meta, EntryPtr* source,
                           std::string* content_type);
  bool same_config(const StreamEntry& entry, const CreateOptions& options,
                   const std::string& content_type) const;
  void submit(std::vector<StreamChange> changes, GroupCommitter::Completion done) {
    committer_->submit(std::move(changes), std::move(done));
  }
  void sweeper_loop();
  void flush_last_access();

  // Rollback and recovery (manager_recovery.cc). The first three are called from failed
  // completions; roll_back_if_current with the entry's mu held, the others without.
  void roll_back_if_current(const EntryPtr& entry, uint64_t epoch);
  void undo_failed_create(const EntryPtr& entry);
  // Puts a durable entry whose erase failed back into the map (or hands it to the failed
  // create that holds its path), rolled back.
  void put_back(const EntryPtr& entry);
  void note_reset(const EntryPtr& entry);
  void on_storage_failure(const Status& cause);
  // Runs on the committer's writer thread with nothing in flight: resumes the storage and
  // durably writes the repairs.
  Status recover_storage();
  void recovery_loop();
  // At shutdown while degraded: one more recovery, and a log line if repairs are left.
  void recover_before_shutdown();

  std::unique_ptr<Storage> storage_;
  ManagerOptions options_;
  std::atomic<uint64_t> generation_counter_{0};
  std::unique_ptr<StorageHealth> health_;

  std::mutex repair_mu_;  // innermost; guards the two lists below
  std::vector<EntryPtr> reset_repairs_;   // rolled back: rewrite as durable state
  std::vector<StreamMeta> erase_repairs_;  // failed creates: erase their generation
  std::atomic<uint64_t> failures_{0};
  std::atomic<uint64_t> recoveries_{0};
  std::mutex recovery_mu_;
  std::condition_variable recovery_cv_;
  std::atomic<bool> recovery_stop_{false};
  std::thread recovery_;
  // Declared after everything its completions touch (health_, the repair lists): destroyed
  // first, joining the completions of writes refused after shutdown.
  std::unique_ptr<GroupCommitter> committer_;

  std::shared_mutex map_mu_;
  std::unordered_map<std::string, EntryPtr> streams_;
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
