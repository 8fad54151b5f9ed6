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
// completes after everything submitted before it. After a failed write or sync every later
// submission fails too: the storage state is unknown, and acknowledging anything after it could
// acknowledge a write that is not durable.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "streamkeeper/storage.h"

namespace streamkeeper {

class GroupCommitter {
 public:
  using Completion = std::function<void(const Status&)>;

  // `sync`: acknowledge only after Storage::sync(). `generation_counter` is read when a batch is
  // built and persisted with it.
  GroupCommitter(Storage* storage, bool sync, const std::atomic<uint64_t>* generation_counter);
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Queues `changes`; `done` runs on a committer thread once they are durable (or failed).
  // `done` never runs inline: after stop() it runs on a short-lived thread with an error (the
  // destructor joins those threads).
  void submit(std::vector<StreamChange> changes, Completion done);

  // Writes without asking for a sync (last-access bookkeeping); still ordered with the rest.
  void submit_unsynced(std::vector<StreamChange> changes, Completion done);

  // Completes everything queued, then joins the threads.
  void stop();

  uint64_t batches_written() const { return batches_.load(); }
  uint64_t syncs() const { return syncs_.load(); }

 private:
  struct Pending {
    std::vector<StreamChange> changes;
    Completion done;
    bool needs_sync = true;
  };
  struct Written {
    std::vector<Pending> batch;
    Status status;  // of the write
    bool needs_sync = false;
  };
  void enqueue(Pending pending);
  void run_writer();
  void run_syncer();
  // Syncs once if any batch needs it, then runs every completion in order; clears *ready.
  void sync_and_complete(std::vector<Written>* ready);
  void fail(const Status& status);
  Status failure() const;

  Storage* storage_;
  const bool sync_;
  const std::atomic<uint64_t>* generation_counter_;

  std::mutex mu_;  // guards queue_, stopping_
  std::condition_variable cv_;
  std::vector<Pending> queue_;
  bool stopping_ = false;

  std::mutex sync_mu_;  // guards written_, writer_done_, syncing_
  std::condition_variable sync_cv_;
  std::vector<Written> written_;
  bool writer_done_ = false;
  bool syncing_ = false;  // some thread is between taking batches and completing them

  mutable std::mutex failure_mu_;
  Status failure_;

  std::mutex late_mu_;  // guards late_
  std::vector<std::thread> late_;  // completions of submissions refused after stop()

  std::atomic<uint64_t> batches_{0};
  std::atomic<uint64_t> syncs_{0};
  std::thread writer_;
  std::thread syncer_;
};

}  // namespace streamkeeper
