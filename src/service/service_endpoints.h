// ServiceEndpoints: the routes for operators, outside the stream API, as a function from
// request to response (like the ProtocolHandler, it never sees a socket):
//
//   /healthz  200 {"status":"ok"} while the process serves requests (liveness).
//   /readyz   200 {"status":"ready"} while the storage takes writes; else 503 with the JSON
//             error body every error has ({"error":{"code":...,"message":...}}), the code
//             saying why: STORAGE_DEGRADED (a write or sync failed: read-only until it
//             recovers), STORAGE_RECOVERING, or INSUFFICIENT_STORAGE (free disk space below the
//             --min-free-disk-mb reserve), the message giving the cause. Reads are served in
//             every one of these states: a load balancer that only needs reads should probe
//             /healthz.
//   /metrics  200, the Prometheus text exposition (version 0.0.4) given by the renderer.
//
// GET and HEAD (same head, no body); any other method 405 with Allow. A query string is
// ignored. Every answer carries Cache-Control: no-store. The transport offers only targets
// outside the stream prefix (/v1/stream/), so no stream can shadow these.
//
// Thread-safety: handle() may run on every IO thread at once.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "protocol/http_types.h"

namespace streamkeeper {

class StreamManager;

class ServiceEndpoints {
 public:
  // `manager` answers /readyz and must outlive this object; `render_metrics` returns the
  // /metrics text (empty function: /metrics is not served, 404 from the protocol handler).
  ServiceEndpoints(StreamManager* manager, std::function<std::string()> render_metrics);

  // The answer when `request` targets one of the routes above; nullopt otherwise (the
  // protocol handler answers it).
  std::optional<HttpResponse> handle(const HttpRequest& request) const;

 private:
  HttpResponse readiness() const;

  StreamManager* manager_;
  std::function<std::string()> render_metrics_;
};

}  // namespace streamkeeper
