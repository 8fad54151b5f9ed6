// HttpServer: accepts HTTP/1.1 connections and runs one HttpSession per connection on a small
// pool of IO threads. Boost.Asio/Beast stay inside src/http/*.cc.
#pragma once

#include <atomic>
#include <memory>

#include "http/server_options.h"
#include "streamkeeper/status.h"

namespace streamkeeper {

class ProtocolHandler;
class RequestObserver;
class StreamManager;

class HttpServer {
 public:
  // `observer` (optional; see http/request_observer.h) is told of every answered request and
  // must outlive the server.
  HttpServer(ProtocolHandler* handler, StreamManager* manager, ServerOptions options,
             RequestObserver* observer = nullptr);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds the listening socket. Fails with a clear message when the address is unusable or the
  // port is taken.
  Status listen();
  // The bound port (useful with port 0).
  uint16_t port() const;
  // Serves until stop(); blocks the calling thread, which is one of the IO threads.
  void run();
  // Stops accepting, ends live readers, and lets run() return after a short grace period.
  // Safe to call from a signal handler thread or any other thread.
  void stop();

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace streamkeeper
