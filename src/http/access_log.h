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
// The IO thread that answered the request formats its line and hands it to an spdlog async
// logger; that logger's own thread writes it into a 64 KiB file buffer, flushed every second.
// So an IO thread never waits for the disk, and under a sustained burst the queue (8192 lines)
// drops its oldest lines rather than block one (the drops are counted in the event log). A
// crash can lose the last second of access lines; the event log, written line by line, loses
// none.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "http/request_observer.h"
#include "util/log.h"

namespace spdlog {
class logger;
namespace details {
class thread_pool;
}
}  // namespace spdlog

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

  // The line for `request` after its timestamp (what spdlog's pattern calls the payload).
  static std::string FormatPayload(log::Format format, const CompletedRequest& request);

 private:
  AccessLog(std::shared_ptr<log::LogFileSink> sink, log::Format format);
  void flush_periodically();

  const log::Format format_;
  std::shared_ptr<log::LogFileSink> sink_;
  std::shared_ptr<spdlog::details::thread_pool> pool_;
  std::shared_ptr<spdlog::logger> logger_;
  size_t dropped_reported_ = 0;  // flusher thread only

  std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread flusher_;
};

}  // namespace streamkeeper
