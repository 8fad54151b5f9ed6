// HttpServer: accepts HTTP/1.1 connections and runs one ConnectionSession per connection on a
// small pool of IO threads. Boost.Asio/Beast stay inside src/http/*.cc.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "http/server_options.h"
#include "protocol/http_types.h"
#include "streamkeeper/status.h"

namespace streamkeeper {

class ProtocolHandler;
class RequestGate;
class RequestObserver;
class ServiceEndpoints;
class StreamManager;
class TlsContextProvider;

// What the transport holds open right now, for the server's metrics.
struct TransportGauges {
  uint64_t connections = 0;         // client connections served (not those being refused)
  uint64_t long_polls_waiting = 0;  // long-polls parked until data, a close or their timeout
  uint64_t sse_streams = 0;         // SSE responses open, from their head to their end
};

class HttpServer {
 public:
  // `observer` (optional; see http/request_observer.h) is told of every answered request and
  // must outlive the server. `endpoints` (optional; service/service_endpoints.h) answers the
  // service routes outside the stream API (/metrics, /healthz, /readyz): a request whose target
  // does not start with the stream prefix is offered to it before the protocol handler. It
  // must outlive the server. `gate` (optional; http/request_gate.h) is asked about every parsed
  // request before any route and must outlive the server. `tls` (optional;
  // http/tls_context.h): serve HTTPS only, each connection with the context current() gives
  // when it is accepted; must outlive the server.
  HttpServer(ProtocolHandler* handler, StreamManager* manager, ServerOptions options,
             RequestObserver* observer = nullptr, ServiceEndpoints* endpoints = nullptr,
             RequestGate* gate = nullptr, TlsContextProvider* tls = nullptr);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Routes offered every request outside the stream prefix before `endpoints`, answered later
  // from any thread (the admin routes: service/admin_endpoints.h). Before listen(); whatever
  // they capture must outlive the server, and must stop calling back (their worker threads
  // joined) before the server is destroyed.
  void set_deferred_routes(DeferredRoutes routes);

  // Binds the listening socket. Fails with a clear message when the address is unusable or the
  // port is taken.
  Status listen();
  // The bound port (useful with port 0).
  uint16_t port() const;
  // Any thread, any time: a few relaxed atomic loads.
  TransportGauges gauges() const;
  // Serves until stop(); blocks the calling thread, which is one of the IO threads.
  void run();
  // Stops accepting, closes idle connections, answers parked long-polls and ends SSE
  // responses, lets requests in flight be answered, and lets run() return once every
  // connection has closed, or options.shutdown_timeout after the call (cutting what is left).
  // Returns at once. Safe to call from a signal handler thread or any other thread.
  void stop();

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace streamkeeper
