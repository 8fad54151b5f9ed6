// One keep-alive HTTP/1.1 client connection to the target, driven by
// coroutines. Beast stays inside http_connection.cc.
#ifndef DS_BENCH_HTTP_CONNECTION_H_
#define DS_BENCH_HTTP_CONNECTION_H_

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "target.h"

namespace dsbench {

struct HttpRequest {
  std::string method;  // "PUT", "POST", "GET"
  std::string target;  // path and query
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Covers connect, write and the whole response; a long-poll needs more than
  // the server's long-poll timeout.
  std::chrono::milliseconds timeout{10000};
  // Count the body's bytes but do not keep them (bulk catch-up reads).
  bool discard_body = false;
};

// The protocol headers a benchmark cares about, already picked out.
struct HttpResponse {
  int status = 0;     // 0 when the exchange failed before a status line arrived
  std::string error;  // IO / protocol error text when status == 0
  std::string body;   // empty when discard_body was set
  uint64_t body_bytes = 0;
  std::string content_type;
  std::string next_offset;  // Stream-Next-Offset
  std::string cursor;       // Stream-Cursor
  bool up_to_date = false;  // Stream-Up-To-Date: true
  bool closed = false;      // Stream-Closed: true

  bool Ok() const { return status >= 200 && status < 300; }
};

// Not thread-safe: one coroutine uses a connection at a time. It connects
// lazily, reconnects after the server closes it, and retries once when a
// reused idle connection turns out to be dead (servers such as Node close idle
// keep-alive sockets after a few seconds).
class HttpConnection {
 public:
  HttpConnection(boost::asio::any_io_executor executor, const Target& target);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Never throws for network or HTTP failures: they come back as status 0
  // (with error) or as the server's status code.
  boost::asio::awaitable<HttpResponse> Send(const HttpRequest& request);

  // Counts TCP connects this connection has made (1 unless it reconnected).
  uint64_t connects() const { return connects_; }

 private:
  struct Impl;
  boost::asio::awaitable<HttpResponse> SendOnce(const HttpRequest& request, bool* was_reused);

  std::unique_ptr<Impl> impl_;
  uint64_t connects_ = 0;
};

}  // namespace dsbench

#endif  // DS_BENCH_HTTP_CONNECTION_H_
