// AccessLog: the optional access log (--access-log), a RequestObserver that writes one line per
// answered request, in the event log's format (text or JSON, util/log_line.h):
//
//   text: 2026-12-07T16:55:09.123Z POST /v1/stream/a 204 bytes_in=5 bytes_out=180
//         duration_ms=0.412 route=append request_id=6f1c0a9e2b7d4c11
//   json: {"ts":"2026-12-07T16:55:09.123Z","method":"POST","path":"/v1/stream/a","status":204,
//          "bytes_in":5,"bytes_out":180,"duration_ms":0.412,"route":"append",
//          "request_id":"6f1c0a9e2b7d4c11"}
//
// (one line each). The path is the request target as received, query included; a connection
// refused before a request was read has method and path "-" in text and "" in JSON. Nothing
// else of a request is logged: no header (so never Authorization) and no body. No query
// parameter of the protocol carries a secret; one that did would appear here.
//
// The IO thread that answered the request formats its line, timestamp included, straight into
// a buffer of its own (one per thread, its lock taken by nobody else but the writer a few times
// a second): no queue, no wake-up, no second formatting, no system call on the request path.
// A writer thread takes the buffers every 200 ms and writes each with one call into a 64 KiB
// file buffer, which it flushes then. So an IO thread never waits for the disk; if the disk
// falls so far behind that a thread's buffer holds 8 MiB, that thread's new lines are dropped
// (counted, and reported in the event log) rather than memory grown or the request held. A
// crash can lose the last 200 ms of access lines; the event log, written line by line, loses
// none. (The first design handed each line to an spdlog async logger: +42% server CPU per
// append on the memory backend, README "Logs".)
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http/request_observer.h"
#include "util/log.h"

namespace streamkeeper {

namespace log {
class LogFileSink;
}

class AccessLog final : public RequestObserver {
 public:
  // `path`: a file (appended to, created if missing) or "-" for stdout. Null, with *error, if
  // the file cannot be opened.
  static std::unique_ptr<AccessLog> Open(const std::string& path, log::Format format,
                                         std::string* error);
  // Writes out every queued line.
  ~AccessLog() override;
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // Thread-safe; never blocks on the disk.
  void on_request(const CompletedRequest& request) override;

  // Opens the path again (after logrotate moved the file): lines written from now on go to the
  // new file. False, with *error, if it cannot be opened (lines go on to the old file).
  bool reopen(std::string* error);

  // The line for `request` after its timestamp (what the event log's pattern calls the
  // payload).
  static std::string FormatPayload(log::Format format, const CompletedRequest& request);

 private:
  // One IO thread's lines not yet written.
  struct Buffer {
    std::mutex mu;
    std::string lines;    // under mu
    std::string writing;  // writer thread only: lines taken out of `lines`, being written
  };

  AccessLog(std::shared_ptr<log::LogFileSink> sink, log::Format format);
  // This thread's buffer, made on the thread's first line. (One thread logging to two live
  // AccessLogs in turn would make a buffer per switch: the server has one.)
  Buffer* buffer_of_this_thread();
  void write_periodically();
  // Writes every buffer's lines to the sink and flushes it. Writer thread (or the destructor).
  void write_out();
  // Says in the event log how many lines were dropped since it last said so.
  void report_drops();

  const log::Format format_;
  const uint64_t id_;  // tells this log's thread-local buffer pointers from an earlier log's
  std::shared_ptr<log::LogFileSink> sink_;

  std::mutex buffers_mu_;  // guards buffers_ (the list; each buffer has its own lock)
  std::vector<std::unique_ptr<Buffer>> buffers_;
  std::atomic<uint64_t> dropped_{0};
  uint64_t dropped_reported_ = 0;  // writer thread only (then the destructor)

  std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace streamkeeper
