// AdminEndpoints: the operator's routes that copy or change the whole store, under /_admin
// (admin right when access control is on: access/access_rules.cc). Each runs on a worker
// thread of its own, never on an IO thread, and answers through the reply it is given
// (DeferredRoutes, protocol/http_types.h):
//
//   GET  /_admin/snapshot  200 application/x-tar, chunked: a consistent point-in-time copy of
//        the whole store (a RocksDB checkpoint made in a scratch directory inside the data
//        directory, hard links, streamed as a ustar archive of its files and removed after,
//        also when the client goes or the server stops; snapshot/). Every append acknowledged
//        before the request arrived is in it (RocksDbStorage::Checkpoint flushes the
//        memtables first, then copies the WAL written since at a record boundary). One at a time:
//        another gets 429 SNAPSHOT_IN_PROGRESS with Retry-After. `ds-admin restore` unpacks it into
//        a new data directory.
//   POST /_admin/compact   200 {"bytes_before":N,"bytes_after":N}: a full compaction
//        (RocksDbStorage::Compact), with the data directory's size before and after. One at
//        a time: 429 COMPACTION_IN_PROGRESS.
//   POST /_admin/expire    200 {"expired":N}: the expiry sweep now (StreamManager::
//        sweep_expired). One at a time: 429 EXPIRY_IN_PROGRESS.
//
// On the memory backend the snapshot and the compaction answer 501 NOT_SUPPORTED: it has no
// files to copy or compact, and what it holds dies with the process (there is nothing a
// restore could give a server back). Any other method 405 with Allow; any other /_admin path
// 404. A storage failure answers 500 with the storage's message; after shutdown() 503.
//
// Thread-safety: handle() may run on every IO thread at once.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "protocol/http_types.h"

namespace streamkeeper {

class RocksDbStorage;
class SnapshotPipe;
class StreamManager;

class AdminEndpoints {
 public:
  // `manager` serves the expiry sweep; `storage` is the RocksDB storage under it, in
  // `data_dir` (null on the memory backend). Both must outlive this object. Removes the
  // scratch checkpoints a previous process left in `data_dir` (the caller holds the
  // directory's lock: the storage is open).
  AdminEndpoints(StreamManager* manager, RocksDbStorage* storage, std::string data_dir);
  // shutdown().
  ~AdminEndpoints();
  AdminEndpoints(const AdminEndpoints&) = delete;
  AdminEndpoints& operator=(const AdminEndpoints&) = delete;

  // False when `request` is not for /_admin. Otherwise `reply` is called once: at once for a
  // refusal, from the worker thread for the work's answer.
  bool handle(const HttpRequest& request, std::function<void(HttpResponse)> reply);

  // The routes for HttpServer::set_deferred_routes.
  DeferredRoutes routes();

  // Refuses new work (503), cancels a snapshot being streamed, and waits for the workers: a
  // compaction in progress runs to its end first. Call once the transport has stopped, before
  // the manager and storage go. Idempotent.
  void shutdown();

 private:
  // One background job of a kind at a time.
  class Worker {
   public:
    enum class Start { kStarted, kBusy, kNoThread };
    // Runs `job` on a new thread unless one is running (kBusy) or no thread can be made
    // (kNoThread: the process's thread limit; never an exception into the IO thread).
    Start try_start(std::function<void()> job);
    void join();

   private:
    std::mutex mu_;
    std::thread thread_;
    bool busy_ = false;
  };

  void snapshot(std::function<void(HttpResponse)> reply);
  void compact(std::function<void(HttpResponse)> reply);
  void expire(std::function<void(HttpResponse)> reply);

  StreamManager* manager_;
  RocksDbStorage* storage_;
  std::string data_dir_;
  std::mutex mu_;
  bool stopping_ = false;                        // under mu_
  std::shared_ptr<SnapshotPipe> snapshot_pipe_;  // the snapshot in progress, under mu_
  Worker snapshot_worker_;
  Worker compact_worker_;
  Worker expire_worker_;
};

}  // namespace streamkeeper
