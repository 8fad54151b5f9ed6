#include "service/admin_endpoints.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <string_view>
#include <utility>

#include "protocol/protocol_handler.h"
#include "service/snapshot_body.h"
#include "snapshot/scratch_checkpoint.h"
#include "snapshot/tar_writer.h"
#include "streamkeeper/rocksdb_storage.h"
#include "streamkeeper/stream_manager.h"
#include "util/log.h"

namespace streamkeeper {
namespace {

constexpr std::string_view kAdminPrefix = "/_admin/";
// How long a refused client should wait: a small store's snapshot or compaction takes seconds.
constexpr const char* kBusyRetryAfterSeconds = "5";

HttpResponse Json(boost::json::object object) {
  HttpResponse response;
  response.status = 200;
  response.set("Content-Type", "application/json");
  response.set("Cache-Control", "no-store");
  response.body = boost::json::serialize(object);
  return response;
}

HttpResponse Busy(std::string_view code, std::string_view what) {
  HttpResponse response = ProtocolHandler::Error(
      429, code, std::string(what) + " is already in progress; one at a time, retry later");
  response.set("Retry-After", kBusyRetryAfterSeconds);
  return response;
}

// The answer when a job did not start: 429 while one of its kind runs, 503 when no thread could
// be made for it.
HttpResponse Refused(bool busy, std::string_view code, std::string_view what) {
  if (busy) return Busy(code, what);
  HttpResponse response = ProtocolHandler::Error(
      503, "NO_WORKER_THREAD",
      "cannot start a thread for " + std::string(what) + " now; retry later");
  response.set("Retry-After", kBusyRetryAfterSeconds);
  return response;
}

HttpResponse NotOnMemory(std::string_view what) {
  return ProtocolHandler::Error(
      501, "NOT_SUPPORTED",
      std::string(what) +
          " needs the rocksdb storage: the memory backend has no files, and "
          "what it holds ends with the process");
}

HttpResponse MethodNotAllowed(std::string_view path, const char* allow) {
  HttpResponse refused = ProtocolHandler::Error(405, "METHOD_NOT_ALLOWED",
                                                std::string(path) + " answers " + allow + " only");
  refused.set("Allow", allow);
  return refused;
}

int64_t MillisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

}  // namespace

AdminEndpoints::Worker::Start AdminEndpoints::Worker::try_start(std::function<void()> job) {
  std::lock_guard lock(mu_);
  if (busy_) return Start::kBusy;
  // The previous job has cleared busy_ as its last step: this join waits only for its exit.
  if (thread_.joinable()) thread_.join();
  try {
    thread_ = std::thread([this, job = std::move(job)] {
      job();
      std::lock_guard done(mu_);
      busy_ = false;
    });
  } catch (const std::system_error&) {
    return Start::kNoThread;  // the process is out of threads: the request is refused
  }
  busy_ = true;
  return Start::kStarted;
}

void AdminEndpoints::Worker::join() {
  std::thread thread;
  {
    std::lock_guard lock(mu_);
    thread = std::move(thread_);
  }
  if (thread.joinable()) thread.join();
}

AdminEndpoints::AdminEndpoints(StreamManager* manager, RocksDbStorage* storage,
                               std::string data_dir)
    : manager_(manager), storage_(storage), data_dir_(std::move(data_dir)) {
  if (storage_ == nullptr) return;
  if (size_t removed = RemoveScratchLeftovers(data_dir_)) {
    log::Info("removed scratch checkpoints of snapshots a previous process did not finish",
              {{"count", static_cast<uint64_t>(removed)}, {"data-dir", data_dir_}});
  }
}

AdminEndpoints::~AdminEndpoints() { shutdown(); }

DeferredRoutes AdminEndpoints::routes() {
  return [this](const HttpRequest& request, std::function<void(HttpResponse)> reply) {
    return handle(request, std::move(reply));
  };
}

bool AdminEndpoints::handle(const HttpRequest& request, std::function<void(HttpResponse)> reply) {
  std::string_view path = request.target.substr(0, request.target.find('?'));
  if (!path.starts_with(kAdminPrefix) && path != "/_admin") return false;
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      reply(ProtocolHandler::Error(503, "SHUTTING_DOWN", "the server is stopping"));
      return true;
    }
  }
  if (path == "/_admin/snapshot") {
    if (request.method != "GET") {
      reply(MethodNotAllowed(path, "GET"));
    } else {
      snapshot(std::move(reply));
    }
  } else if (path == "/_admin/compact" || path == "/_admin/expire") {
    if (request.method != "POST") {
      reply(MethodNotAllowed(path, "POST"));
    } else if (path == "/_admin/compact") {
      compact(std::move(reply));
    } else {
      expire(std::move(reply));
    }
  } else {
    reply(ProtocolHandler::Error(404, "NOT_FOUND",
                                 "no admin route " + std::string(path) +
                                     " (there are /_admin/snapshot, /_admin/compact and "
                                     "/_admin/expire)"));
  }
  return true;
}

void AdminEndpoints::snapshot(std::function<void(HttpResponse)> reply) {
  if (storage_ == nullptr) return reply(NotOnMemory("a snapshot"));
  auto pipe = std::make_shared<SnapshotPipe>();
  // The reply is shared between this thread (a refusal) and the job: whichever runs it.
  auto shared_reply = std::make_shared<std::function<void(HttpResponse)>>(std::move(reply));
  Worker::Start started = snapshot_worker_.try_start([this, pipe, shared_reply] {
    {
      // Registered before any work, under the lock shutdown() takes: either shutdown() sees
      // this pipe and cancels it, or this job sees `stopping_`.
      std::lock_guard lock(mu_);
      if (stopping_) {
        return (*shared_reply)(
            ProtocolHandler::Error(503, "SHUTTING_DOWN", "the server is stopping"));
      }
      snapshot_pipe_ = pipe;
    }
    const auto start = std::chrono::steady_clock::now();
    ScratchCheckpoint checkpoint;
    Status s = ScratchCheckpoint::Make(*storage_, data_dir_, &checkpoint);
    std::unique_ptr<TarWriter> writer;
    if (s.ok()) s = TarWriter::Open(checkpoint.dir(), &writer);
    if (!s.ok()) {
      log::Error("snapshot failed", {{"error", s.message()}});
      (*shared_reply)(ProtocolHandler::Error(500, "SNAPSHOT_FAILED", s.message()));
    } else {
      log::Info("snapshot started", {{"files", static_cast<uint64_t>(writer->file_count())},
                                     {"bytes", writer->total_bytes()},
                                     {"checkpoint_ms", MillisSince(start)}});
      HttpResponse head;
      head.set("Content-Type", "application/x-tar");
      head.set("Cache-Control", "no-store");
      head.set("Content-Disposition", "attachment; filename=\"streamkeeper-snapshot.tar\"");
      head.body_stream = std::make_shared<SnapshotBody>(pipe);
      (*shared_reply)(std::move(head));
      uint64_t bytes = 0;
      bool whole = pipe->produce(*writer, &bytes);
      log::Write(whole ? LogLevel::kInfo : LogLevel::kWarn,
                 whole ? "snapshot sent"
                       : "snapshot not sent whole (client gone, a read "
                         "failed, or the server stopping)",
                 {{"bytes", bytes}, {"duration_ms", MillisSince(start)}});
    }
    writer.reset();       // closes the file it reads before the directory goes
    checkpoint.remove();  // before the worker is free again: one scratch directory at a time
    std::lock_guard lock(mu_);
    snapshot_pipe_.reset();
  });
  if (started != Worker::Start::kStarted) {
    (*shared_reply)(Refused(started == Worker::Start::kBusy, "SNAPSHOT_IN_PROGRESS", "a snapshot"));
  }
}

void AdminEndpoints::compact(std::function<void(HttpResponse)> reply) {
  if (storage_ == nullptr) return reply(NotOnMemory("a compaction"));
  auto shared_reply = std::make_shared<std::function<void(HttpResponse)>>(std::move(reply));
  Worker::Start started = compact_worker_.try_start([this, shared_reply] {
    const auto start = std::chrono::steady_clock::now();
    const uint64_t before = StoreBytes(data_dir_);
    Status s = storage_->Compact();
    if (!s.ok()) {
      log::Error("compaction failed", {{"error", s.message()}});
      return (*shared_reply)(ProtocolHandler::Error(500, "COMPACTION_FAILED", s.message()));
    }
    const uint64_t after = StoreBytes(data_dir_);
    log::Info(
        "compacted",
        {{"bytes_before", before}, {"bytes_after", after}, {"duration_ms", MillisSince(start)}});
    (*shared_reply)(Json({{"bytes_before", before}, {"bytes_after", after}}));
  });
  if (started != Worker::Start::kStarted) {
    (*shared_reply)(Refused(started == Worker::Start::kBusy, "COMPACTION_IN_PROGRESS", "a compaction"));
  }
}

void AdminEndpoints::expire(std::function<void(HttpResponse)> reply) {
  auto shared_reply = std::make_shared<std::function<void(HttpResponse)>>(std::move(reply));
  Worker::Start started = expire_worker_.try_start([this, shared_reply] {
    const size_t expired = manager_->sweep_expired();
    if (expired > 0)
      log::Info("expiry sweep on request", {{"expired", static_cast<uint64_t>(expired)}});
    (*shared_reply)(Json({{"expired", static_cast<uint64_t>(expired)}}));
  });
  if (started != Worker::Start::kStarted) {
    (*shared_reply)(Refused(started == Worker::Start::kBusy, "EXPIRY_IN_PROGRESS", "an expiry sweep"));
  }
}

void AdminEndpoints::shutdown() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    if (snapshot_pipe_) snapshot_pipe_->cancel();
  }
  snapshot_worker_.join();
  compact_worker_.join();
  expire_worker_.join();
}

}  // namespace streamkeeper
