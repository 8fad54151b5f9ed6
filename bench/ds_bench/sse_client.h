// A streaming GET ...&live=sse reader: opens the response, then hands out parsed
// events as they arrive. Beast stays inside sse_client.cc.
#ifndef DS_BENCH_SSE_CLIENT_H_
#define DS_BENCH_SSE_CLIENT_H_

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "sse_parser.h"
#include "target.h"

namespace dsbench {

// Not thread-safe; one coroutine drives it. Each Open() uses a fresh TCP
// connection, since an SSE response holds its connection until it ends.
class SseClient {
 public:
  SseClient(boost::asio::any_io_executor executor, const Target& target);
  ~SseClient();
  SseClient(const SseClient&) = delete;
  SseClient& operator=(const SseClient&) = delete;

  // Connects and sends GET `path_and_query`; waits for the response header.
  // Returns the HTTP status, or 0 on a network error / timeout (see error()).
  // A 200 response's body is then read with Read(), which fails once no byte
  // has arrived for `idle_timeout`.
  boost::asio::awaitable<int> Open(const std::string& path_and_query,
                                   std::chrono::milliseconds timeout,
                                   std::chrono::milliseconds idle_timeout);

  // Waits for more body bytes and passes each completed event to `on_event`
  // (possibly none). Returns false when the response ended, failed or went
  // idle; the client must then be re-opened.
  boost::asio::awaitable<bool> Read(const SseEventHandler& on_event);

  void Close();
  const std::string& error() const { return error_; }

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;  // shared with the idle watchdog's pending handler
  std::string error_;
};

}  // namespace dsbench

#endif  // DS_BENCH_SSE_CLIENT_H_
