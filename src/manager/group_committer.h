// GroupCommitter: turns many concurrent writes into few storage writes and fewer syncs.
//
// Writers submit change sets. A writer thread takes everything queued and applies it as one
// WriteBatch without syncing, then makes it durable with Storage::sync() and runs the batch's
// completions in submission order. When a sync is already in flight, the writer hands the batch
// to a sync thread instead and goes on collecting and writing the next group, so under load the
// two stages overlap: durability costs one fsync per group rather than per append, and the fsync
// latency hides behind the next group's work. At low load the writer syncs itself, sparing a
// thread hand-off on the acknowledgement path.
//
// Completions run strictly in submission order, so an empty submission is a barrier: it
// completes after everything submitted before it.
//
// Failure. Once a write or a sync fails (or the write gate refuses a group), the committer is
// failed: every submission not yet completed, and every one made until a recovery succeeds,
// completes with that failure, written or not. Writers validate against state that includes
// queued writes, so anything queued behind a failed write may depend on it and must not be
// acknowledged. recover() is the way back: it runs once everything before it has completed and
// nothing is in flight, so the caller can undo what the failed batches left in the store and
// resume the storage; when it succeeds the committer takes writes again.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "streamkeeper/histogram.h"
#include "streamkeeper/storage.h"
#include "streamkeeper/stream_manager.h"  // the histograms' buckets

namespace streamkeeper {

class GroupCommitter {
 public:
  using Completion = std::function<void(const Status&)>;

  struct Hooks {
    // Runs on the writer thread before each group is written, with the group's payload bytes;
    // a non-OK status fails the group unwritten (the free-space reserve). May be empty.
    std::function<Status(size_t bytes)> admit_write;
    // Runs once when the committer becomes failed, on the thread that saw the failure, before
    // any completion of the failed batches. Must be quick and must not submit. May be empty.
    std::function<void(const Status&)> on_failure;
  };

  // `sync`: acknowledge only after Storage::sync(). `generation_counter` is read when a batch is
  // built and persisted with it.
  GroupCommitter(Storage* storage, bool sync, const std::atomic<uint64_t>* generation_counter,
                 Hooks hooks = {});
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Queues `changes`; `done` runs on a committer thread once they are durable (or failed: with
  // kNoSpace when the disk is full, kUnavailable for any other storage failure).
  // `done` never runs inline: after stop() it runs on a short-lived thread with an error (the
  // destructor joins those threads).
  void submit(std::vector<StreamChange> changes, Completion done);

  // Writes without asking for a sync (last-access bookkeeping); still ordered with the rest.
  void submit_unsynced(std::vector<StreamChange> changes, Completion done);

  // Writes changes that depend on nothing not yet durable (the purge of a completed erase),
  // unsynced and without a completion. Never doomed by a failure: lost at worst.
  void submit_cleanup(std::vector<StreamChange> changes);

  // Queues a recovery: once every earlier submission has completed and no write or sync is in
  // flight, runs `attempt` on the writer thread; if it returns OK the committer is no longer
  // failed. Then `done` runs with attempt's result. Submissions queued after it are handled
  // after it.
  void recover(std::function<Status()> attempt, Completion done);

  // True from a failure until a recovery succeeds.
  bool failed() const { return failed_.load(std::memory_order_acquire); }

  // Completes everything queued, then joins the threads.
  void stop();

  uint64_t batches_written() const { return batches_.load(); }
  uint64_t syncs() const { return syncs_.load(); }
  // Records per storage write, and seconds per sync (buckets: stream_manager.h). Recorded with
  // a few relaxed atomic adds per group, off the appenders' threads.
  HistogramSnapshot batch_records() const { return batch_records_.snapshot(); }
  HistogramSnapshot sync_seconds() const { return sync_seconds_.snapshot(); }

 private:
  struct Pending {
    std::vector<StreamChange> changes;
    Completion done;
    bool needs_sync = true;
    std::function<Status()> recovery;  // set: a recovery item, not a write
    // Submitted while the committer was failed: validated against state that may include
    // failed writes, so never written nor acknowledged (see write_group); a barrier completes
    // with the failure it was submitted under.
    Status doomed;
    bool doomable = true;  // false: cleanup that depends on nothing (submit_cleanup)
  };
  struct Written {
    std::vector<Pending> batch;
    Status status;  // of the write
    bool needs_sync = false;
  };
  void enqueue(Pending pending);
  void run_writer();
  void run_syncer();
  // Writes one group (no recovery items) and syncs it here or hands it to the sync thread.
  void write_group(std::vector<Pending> group);
  // Waits until nothing is written but not completed, then runs the recovery.
  void run_recovery(Pending item);
  // Syncs once if any batch needs it, then runs every completion in order; clears *ready.
  void sync_and_complete(std::vector<Written>* ready);
  void fail(const Status& status);
  Status failure() const;

  Storage* storage_;
  const bool sync_;
  const std::atomic<uint64_t>* generation_counter_;
  Hooks hooks_;

  std::mutex mu_;  // guards queue_, stopping_
  std::condition_variable cv_;
  std::vector<Pending> queue_;
  bool stopping_ = false;

  std::mutex sync_mu_;  // guards written_, writer_done_, syncing_
  std::condition_variable sync_cv_;
  std::condition_variable drained_cv_;  // signalled when syncing_ goes false
  std::vector<Written> written_;
  bool writer_done_ = false;
  bool syncing_ = false;  // some thread is between taking batches and completing them

  mutable std::mutex failure_mu_;
  Status failure_;  // guarded by failure_mu_
  std::atomic<bool> failed_{false};

  std::mutex late_mu_;  // guards late_
  std::vector<std::thread> late_;  // completions of submissions refused after stop()

  std::atomic<uint64_t> batches_{0};
  std::atomic<uint64_t> syncs_{0};
  FixedHistogram batch_records_{BatchRecordsBuckets()};
  FixedHistogram sync_seconds_{SyncSecondsBuckets()};
  std::thread writer_;
  std::thread syncer_;
};

// The status a client sees for a failed storage write: kNoSpace stays (the disk is full),
// everything else becomes kUnavailable (retry later); the message says what failed.
Status StorageFailureForClients(const Status& storage_status);

}  // namespace streamkeeper
