// GroupCommitter: turns many concurrent writes into few storage writes.
//
// Writers submit change sets; one committer thread takes everything queued, applies it as one
// WriteBatch with one sync, then runs each submission's completion in submission order. While a
// sync is in flight new submissions queue up, so the batch grows with the load and durability
// costs one fsync per batch rather than per append. Submissions complete strictly in order, so
// an empty submission is a barrier: it completes after everything submitted before it.
//
// After a failed write every later submission fails too: the storage state is unknown, and
// acknowledging anything after it could acknowledge a write that is not durable.
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

  // `generation_counter` is read when a batch is built and persisted with it.
  GroupCommitter(Storage* storage, bool sync, const std::atomic<uint64_t>* generation_counter);
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Queues `changes`; `done` runs on the committer thread once they are durable (or failed).
  // `done` never runs inline: after stop() it runs on a short-lived thread with an error.
  void submit(std::vector<StreamChange> changes, Completion done, bool sync_override = false);

  // Writes without waiting for a sync (last-access bookkeeping); still ordered with the rest.
  void submit_unsynced(std::vector<StreamChange> changes, Completion done);

  // Completes everything queued, then joins the thread.
  void stop();

  uint64_t batches_written() const { return batches_.load(); }

 private:
  struct Pending {
    std::vector<StreamChange> changes;
    Completion done;
    bool needs_sync = true;
  };
  void run();
  void enqueue(Pending pending);

  Storage* storage_;
  const bool sync_;
  const std::atomic<uint64_t>* generation_counter_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Pending> queue_;
  bool stopping_ = false;
  Status failure_;  // committer thread only
  std::atomic<uint64_t> batches_{0};
  std::thread thread_;
};

}  // namespace streamkeeper
