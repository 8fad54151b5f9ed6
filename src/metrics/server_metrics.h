// ServerMetrics: everything GET /metrics answers, gathered at scrape time: the request metrics
// (request_metrics.h, fed by the transport's RequestObserver hook), the transport's live
// connections and readers, the engine's (engine_metrics.h) and the process's
// (process_metrics.h).
//
//   streamkeeper_http_connections        gauge  client connections open
//   streamkeeper_live_readers{mode}      gauge  long-polls parked waiting for data ("long-poll")
//                                               and SSE responses open ("sse")
//
// Thread-safety: observer() is called on every IO thread; render() may run on any thread
// concurrently with it.
#pragma once

#include <atomic>
#include <string>

#include "metrics/request_metrics.h"

namespace streamkeeper {

class HttpServer;
class StreamManager;

class ServerMetrics {
 public:
  // `manager` must outlive this object.
  explicit ServerMetrics(StreamManager* manager);

  // The hook to give the HttpServer (it must not outlive this object).
  RequestObserver* observer() { return &requests_; }
  // The server whose connections and live readers are reported; until it is set (the server
  // is made after its observer), those gauges are left out. `server` must outlive this object.
  void set_transport(const HttpServer* server) { transport_.store(server); }

  // The whole exposition text (Exposition::kContentType).
  std::string render();

 private:
  StreamManager* manager_;
  RequestMetrics requests_;
  std::atomic<const HttpServer*> transport_{nullptr};
};

}  // namespace streamkeeper
