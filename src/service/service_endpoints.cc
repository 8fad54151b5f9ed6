#include "service/service_endpoints.h"

#include <string_view>

#include "metrics/exposition.h"
#include "protocol/protocol_handler.h"
#include "streamkeeper/stream_manager.h"

namespace streamkeeper {
namespace {

HttpResponse Answer(int status, std::string_view content_type, std::string body) {
  HttpResponse response;
  response.status = status;
  response.set("Content-Type", std::string(content_type));
  response.set("Cache-Control", "no-store");
  response.body = std::move(body);
  return response;
}

}  // namespace

ServiceEndpoints::ServiceEndpoints(StreamManager* manager,
                                   std::function<std::string()> render_metrics)
    : manager_(manager), render_metrics_(std::move(render_metrics)) {}

std::optional<HttpResponse> ServiceEndpoints::handle(const HttpRequest& request) const {
  std::string_view path = request.target.substr(0, request.target.find('?'));
  enum class Route { kHealth, kReady, kMetrics };
  Route route;
  if (path == "/healthz") {
    route = Route::kHealth;
  } else if (path == "/readyz") {
    route = Route::kReady;
  } else if (path == "/metrics" && render_metrics_) {
    route = Route::kMetrics;
  } else {
    return std::nullopt;
  }
  if (request.method != "GET" && request.method != "HEAD") {
    HttpResponse refused = ProtocolHandler::Error(
        405, "METHOD_NOT_ALLOWED", std::string(path) + " answers GET and HEAD only");
    refused.set("Allow", "GET, HEAD");
    return refused;
  }
  switch (route) {
    case Route::kHealth: return Answer(200, "application/json", R"({"status":"ok"})");
    case Route::kReady: return readiness();
    case Route::kMetrics: return Answer(200, Exposition::kContentType, render_metrics_());
  }
  return std::nullopt;
}

HttpResponse ServiceEndpoints::readiness() const {
  StorageHealthReport health = manager_->storage_health();
  if (health.state != StorageState::kHealthy) {
    // A write refused for lack of space (the reserve, or the disk itself full) degrades the
    // storage like any failed write; the operator's remedy differs, so the code says which.
    std::string message = health.state == StorageState::kDegraded
                              ? "storage is degraded, writes are refused (reads go on)"
                              : "storage is recovering from a failure, writes are refused "
                                "until it has";
    if (!health.cause.message().empty()) message += ": " + health.cause.message();
    std::string_view code = health.cause.code() == StatusCode::kNoSpace ? "INSUFFICIENT_STORAGE"
                            : health.state == StorageState::kDegraded   ? "STORAGE_DEGRADED"
                                                                        : "STORAGE_RECOVERING";
    return ProtocolHandler::Error(503, code, message);
  }
  if (health.below_reserve()) {
    return ProtocolHandler::Error(503, "INSUFFICIENT_STORAGE",
                                  health.reserve.message() + ": creates and appends are refused");
  }
  return Answer(200, "application/json", R"({"status":"ready"})");
}

}  // namespace streamkeeper
