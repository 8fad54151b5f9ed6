// RequestMetrics: the transport's request counters and duration histograms, fed by the
// RequestObserver hook (http/request_observer.h) and written into /metrics.
//
//   streamkeeper_http_requests_total{method,route,status}   counter
//   streamkeeper_http_request_duration_seconds{route}       histogram
//   streamkeeper_http_request_body_bytes_total{route}       counter
//   streamkeeper_http_response_bytes_total{route}           counter
//
// Label values come from fixed sets, never from what a client sent: method is GET, HEAD, POST,
// PUT, DELETE, OPTIONS, "other" (any other method) or "none" (the request never parsed: 400,
// 413, 431, or a connection refused at the limit); route is RouteKindName(); status is the
// status code for every registered HTTP status code (RFC 9110 and the IANA registry) and
// "other" for anything else (the server sends none). A series appears once it is first counted;
// the duration histograms are written for every route from the start.
//
// Cost per request (on_request, on the IO threads): a few relaxed atomic adds into this
// thread's shard, found through a thread-local index; no lock, no allocation, no map. Shards
// are cache-line aligned so that IO threads do not share counters' lines (each duration
// histogram is an allocation of its own); a scrape sums them.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "http/request_observer.h"
#include "metrics/exposition.h"
#include "streamkeeper/histogram.h"

namespace streamkeeper {

class RequestMetrics final : public RequestObserver {
 public:
  // `shards`: independent sets of counters; each thread is numbered on its first request and
  // uses shard (number % shards). 0: one per hardware thread (at most 64).
  explicit RequestMetrics(size_t shards = 0);
  ~RequestMetrics() override;
  RequestMetrics(const RequestMetrics&) = delete;
  RequestMetrics& operator=(const RequestMetrics&) = delete;

  // Thread-safe, lock-free.
  void on_request(const CompletedRequest& request) override;

  // Appends the four families above. Thread-safe (concurrently with on_request).
  void write(Exposition* out) const;

  // The duration histogram's bucket bounds, in seconds: from 0.5 ms to a minute (long-polls
  // wait up to --long-poll-timeout-ms, SSE responses last up to --sse-reconnect-ms).
  static const std::vector<double>& DurationBuckets();

 private:
  struct Shard;
  Shard& shard_of_this_thread();

  const size_t shard_count_;
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace streamkeeper
