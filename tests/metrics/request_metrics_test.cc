// RequestMetrics: what the transport reports per request becomes exact counter values, label
// values come only from fixed sets (never from what a client sent), and counts from many IO
// threads (different shards) add up.
#include "metrics/request_metrics.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace streamkeeper {
namespace {

CompletedRequest Done(std::string_view method, RouteKind route, int status,
                      std::chrono::microseconds duration = std::chrono::microseconds(100),
                      uint64_t bytes_in = 0, uint64_t bytes_out = 0) {
  CompletedRequest request;
  request.method = method;
  request.target = "/v1/stream/x";
  request.route = route;
  request.status = status;
  request.duration = duration;
  request.bytes_in = bytes_in;
  request.bytes_out = bytes_out;
  return request;
}

// The lines of `text` that start with `prefix`, joined.
std::string Lines(const std::string& text, std::string_view prefix) {
  std::string out;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    std::string_view line(text.data() + at, end - at);
    if (line.starts_with(prefix)) out.append(line).push_back('\n');
    at = end + 1;
  }
  return out;
}

std::string Render(const RequestMetrics& metrics) {
  Exposition out;
  metrics.write(&out);
  return out.take();
}

TEST(RequestMetricsTest, RequestsAreCountedByMethodRouteAndStatusOnceFirstSeen) {
  RequestMetrics metrics(2);
  for (int i = 0; i < 3; ++i) metrics.on_request(Done("POST", RouteKind::kAppend, 204));
  metrics.on_request(Done("POST", RouteKind::kAppend, 409));
  metrics.on_request(Done("GET", RouteKind::kLongPoll, 200));
  EXPECT_EQ(Lines(Render(metrics), "streamkeeper_http_requests_total"),
            "streamkeeper_http_requests_total{method=\"GET\",route=\"long-poll\",status=\"200\"} 1\n"
            "streamkeeper_http_requests_total{method=\"POST\",route=\"append\",status=\"204\"} 3\n"
            "streamkeeper_http_requests_total{method=\"POST\",route=\"append\",status=\"409\"} 1\n");
}

TEST(RequestMetricsTest, LabelValuesComeFromFixedSetsNotFromTheClient) {
  RequestMetrics metrics(1);
  metrics.on_request(Done("BREW", RouteKind::kOther, 405));        // an unknown method
  metrics.on_request(Done("", RouteKind::kOther, 400));            // never parsed
  metrics.on_request(Done("OPTIONS", RouteKind::kOther, 204));
  metrics.on_request(Done("GET", RouteKind::kRead, 299));          // no registered status
  metrics.on_request(Done("GET", RouteKind::kRead, 1000));
  EXPECT_EQ(Lines(Render(metrics), "streamkeeper_http_requests_total"),
            "streamkeeper_http_requests_total{method=\"GET\",route=\"read\",status=\"other\"} 2\n"
            "streamkeeper_http_requests_total{method=\"OPTIONS\",route=\"other\",status=\"204\"} 1\n"
            "streamkeeper_http_requests_total{method=\"other\",route=\"other\",status=\"405\"} 1\n"
            "streamkeeper_http_requests_total{method=\"none\",route=\"other\",status=\"400\"} 1\n");
}

TEST(RequestMetricsTest, DurationsFallInTheirBucketsPerRouteAndBytesAddUp) {
  RequestMetrics metrics(1);
  metrics.on_request(Done("POST", RouteKind::kAppend, 204, std::chrono::milliseconds(250), 100, 150));
  metrics.on_request(Done("POST", RouteKind::kAppend, 204, std::chrono::milliseconds(500), 28, 150));
  metrics.on_request(Done("GET", RouteKind::kSse, 200, std::chrono::seconds(90), 0, 4000));
  std::string text = Render(metrics);
  std::string append = Lines(text, "streamkeeper_http_request_duration_seconds_bucket{route=\"append\"");
  EXPECT_NE(append.find("le=\"0.1\"} 0\n"), std::string::npos) << append;
  EXPECT_NE(append.find("le=\"0.25\"} 1\n"), std::string::npos) << append;  // bounds inclusive
  EXPECT_NE(append.find("le=\"0.5\"} 2\n"), std::string::npos) << append;
  EXPECT_NE(append.find("le=\"+Inf\"} 2\n"), std::string::npos) << append;
  EXPECT_EQ(Lines(text, "streamkeeper_http_request_duration_seconds_sum{route=\"append\"}"),
            "streamkeeper_http_request_duration_seconds_sum{route=\"append\"} 0.75\n");
  std::string sse = Lines(text, "streamkeeper_http_request_duration_seconds_bucket{route=\"sse\"");
  EXPECT_NE(sse.find("le=\"60\"} 0\n"), std::string::npos) << sse;  // 90 s: only in +Inf
  EXPECT_NE(sse.find("le=\"+Inf\"} 1\n"), std::string::npos) << sse;
  EXPECT_EQ(Lines(text, "streamkeeper_http_request_body_bytes_total{route=\"append\"}"),
            "streamkeeper_http_request_body_bytes_total{route=\"append\"} 128\n");
  EXPECT_EQ(Lines(text, "streamkeeper_http_response_bytes_total{route=\"append\"}"),
            "streamkeeper_http_response_bytes_total{route=\"append\"} 300\n");
  EXPECT_EQ(Lines(text, "streamkeeper_http_response_bytes_total{route=\"sse\"}"),
            "streamkeeper_http_response_bytes_total{route=\"sse\"} 4000\n");
  // Every route has its histogram from the start, observed or not.
  EXPECT_EQ(Lines(text, "streamkeeper_http_request_duration_seconds_count{route=\"delete\"}"),
            "streamkeeper_http_request_duration_seconds_count{route=\"delete\"} 0\n");
}

TEST(RequestMetricsTest, CountsFromManyThreadsAddUpAcrossShards) {
  RequestMetrics metrics(3);
  constexpr int kThreads = 8;
  constexpr int kEach = 20'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&metrics] {
      for (int i = 0; i < kEach; ++i) metrics.on_request(Done("POST", RouteKind::kAppend, 204));
    });
  }
  for (auto& thread : threads) thread.join();
  std::string text = Render(metrics);
  EXPECT_EQ(Lines(text, "streamkeeper_http_requests_total{"),
            "streamkeeper_http_requests_total{method=\"POST\",route=\"append\",status=\"204\"} " +
                std::to_string(kThreads * kEach) + "\n");
  EXPECT_EQ(Lines(text, "streamkeeper_http_request_duration_seconds_count{route=\"append\"}"),
            "streamkeeper_http_request_duration_seconds_count{route=\"append\"} " +
                std::to_string(kThreads * kEach) + "\n");
}

}  // namespace
}  // namespace streamkeeper
