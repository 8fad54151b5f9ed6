#include "metrics/server_metrics.h"

#include "http/http_server.h"
#include "metrics/engine_metrics.h"
#include "metrics/process_metrics.h"
#include "streamkeeper/stream_manager.h"

namespace streamkeeper {

ServerMetrics::ServerMetrics(StreamManager* manager) : manager_(manager) {}

std::string ServerMetrics::render() {
  Exposition out;
  requests_.write(&out);
  if (const HttpServer* server = transport_.load()) {
    TransportGauges gauges = server->gauges();
    out.single("streamkeeper_http_connections", MetricType::kGauge,
               "Client connections open (counted against --max-connections).",
               gauges.connections);
    out.family("streamkeeper_live_readers", MetricType::kGauge,
               "Live readers now: long-polls parked waiting for data (long-poll), SSE "
               "responses open (sse).");
    out.sample("streamkeeper_live_readers", {{"mode", "long-poll"}}, gauges.long_polls_waiting);
    out.sample("streamkeeper_live_readers", {{"mode", "sse"}}, gauges.sse_streams);
  }
  WriteEngineMetrics(manager_->stats(), manager_->storage_health(), &out);
  WriteProcessMetrics(ReadProcessStats(), &out);
  return out.take();
}

}  // namespace streamkeeper
