#include "metrics/request_metrics.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>

namespace streamkeeper {
namespace {

// The method label. Index 0.. of the counters' first dimension.
constexpr std::array<std::string_view, 8> kMethodNames = {"GET",     "HEAD",  "POST", "PUT",
                                                          "DELETE",  "OPTIONS", "other", "none"};
constexpr size_t kMethods = kMethodNames.size();

constexpr size_t kOtherMethod = 6;
constexpr size_t kNoMethod = 7;  // never parsed

// By length first, then fixed-size comparisons the compiler inlines: this runs per request.
size_t MethodIndex(std::string_view method) {
  const char* name = method.data();
  switch (method.size()) {
    case 0: return kNoMethod;
    case 3:
      if (std::memcmp(name, "GET", 3) == 0) return 0;
      if (std::memcmp(name, "PUT", 3) == 0) return 3;
      break;
    case 4:
      if (std::memcmp(name, "POST", 4) == 0) return 2;
      if (std::memcmp(name, "HEAD", 4) == 0) return 1;
      break;
    case 6:
      if (std::memcmp(name, "DELETE", 6) == 0) return 4;
      break;
    case 7:
      if (std::memcmp(name, "OPTIONS", 7) == 0) return 5;
      break;
  }
  return kOtherMethod;
}

// Every registered HTTP status code (IANA HTTP Status Code Registry); slot 0 is "other".
constexpr std::array<uint16_t, 62> kStatusCodes = {
    100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301,
    302, 303, 304, 305, 307, 308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409,
    410, 411, 412, 413, 414, 415, 416, 417, 421, 422, 423, 424, 425, 426, 428, 429,
    431, 451, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511, 418};
static_assert(std::ranges::find(kStatusCodes, 0) == kStatusCodes.end(),
              "kStatusCodes has fewer codes than its declared size");
constexpr size_t kStatusSlots = kStatusCodes.size() + 1;
constexpr int kMaxStatus = 600;

// status code -> slot, one array lookup per request.
constexpr std::array<uint8_t, kMaxStatus> MakeStatusSlots() {
  std::array<uint8_t, kMaxStatus> slots{};
  for (size_t i = 0; i < kStatusCodes.size(); ++i) {
    slots[kStatusCodes[i]] = static_cast<uint8_t>(i + 1);
  }
  return slots;
}
constexpr std::array<uint8_t, kMaxStatus> kStatusSlotOf = MakeStatusSlots();

size_t StatusSlot(int status) {
  return status >= 0 && status < kMaxStatus ? kStatusSlotOf[static_cast<size_t>(status)] : 0;
}

// A small number per thread, taken on its first request; shards are picked by it.
size_t ThisThreadNumber() {
  static std::atomic<size_t> next{0};
  // Constant-initialised, so reading it needs no per-access initialisation guard.
  thread_local size_t number = SIZE_MAX;
  if (number == SIZE_MAX) number = next.fetch_add(1, std::memory_order_relaxed);
  return number;
}

}  // namespace

struct alignas(64) RequestMetrics::Shard {
  Shard() {
    for (auto& duration : durations) {
      duration = std::make_unique<FixedHistogram>(DurationBuckets());
    }
  }
  std::atomic<uint64_t> requests[kMethods][kRouteKinds][kStatusSlots];
  std::atomic<uint64_t> body_bytes[kRouteKinds];
  std::atomic<uint64_t> response_bytes[kRouteKinds];
  std::unique_ptr<FixedHistogram> durations[kRouteKinds];
};

const std::vector<double>& RequestMetrics::DurationBuckets() {
  static const std::vector<double> bounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                          0.05,   0.1,   0.25,   0.5,   1,    2.5,
                                          5,      10,    30,     60};
  return bounds;
}

RequestMetrics::RequestMetrics(size_t shards)
    : shard_count_(shards != 0 ? shards
                               : std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 64)),
      shards_(new Shard[shard_count_]) {}

RequestMetrics::~RequestMetrics() = default;

RequestMetrics::Shard& RequestMetrics::shard_of_this_thread() {
  return shards_[ThisThreadNumber() % shard_count_];
}

void RequestMetrics::on_request(const CompletedRequest& request) {
  Shard& shard = shard_of_this_thread();
  const size_t route = static_cast<size_t>(request.route);
  shard.requests[MethodIndex(request.method)][route][StatusSlot(request.status)].fetch_add(
      1, std::memory_order_relaxed);
  shard.body_bytes[route].fetch_add(request.bytes_in, std::memory_order_relaxed);
  shard.response_bytes[route].fetch_add(request.bytes_out, std::memory_order_relaxed);
  shard.durations[route]->observe(std::chrono::duration<double>(request.duration).count());
}

void RequestMetrics::write(Exposition* out) const {
  out->family("streamkeeper_http_requests_total", MetricType::kCounter,
              "HTTP requests answered, by method, route kind and status code.");
  for (size_t method = 0; method < kMethods; ++method) {
    for (size_t route = 0; route < kRouteKinds; ++route) {
      for (size_t slot = 0; slot < kStatusSlots; ++slot) {
        uint64_t total = 0;
        for (size_t i = 0; i < shard_count_; ++i) {
          total += shards_[i].requests[method][route][slot].load(std::memory_order_relaxed);
        }
        if (total == 0) continue;
        std::string status = slot == 0 ? "other" : std::to_string(kStatusCodes[slot - 1]);
        out->sample("streamkeeper_http_requests_total",
                    {{"method", kMethodNames[method]},
                     {"route", RouteKindName(static_cast<RouteKind>(route))},
                     {"status", status}},
                    total);
      }
    }
  }

  out->family("streamkeeper_http_request_duration_seconds", MetricType::kHistogram,
              "Time from a whole request received to its response's last byte written (a "
              "long-poll includes its wait, an SSE response its whole life), by route kind.");
  for (size_t route = 0; route < kRouteKinds; ++route) {
    HistogramSnapshot total;
    for (size_t i = 0; i < shard_count_; ++i) {
      HistogramSnapshot part = shards_[i].durations[route]->snapshot();
      if (total.counts.empty()) {
        total = std::move(part);
        continue;
      }
      for (size_t b = 0; b < part.counts.size(); ++b) total.counts[b] += part.counts[b];
      total.sum += part.sum;
    }
    out->histogram("streamkeeper_http_request_duration_seconds",
                   {{"route", RouteKindName(static_cast<RouteKind>(route))}}, total);
  }

  // The byte counters: one series per route kind, from the start.
  auto per_route = [&](std::string_view name, std::string_view help, auto select) {
    out->family(name, MetricType::kCounter, help);
    for (size_t route = 0; route < kRouteKinds; ++route) {
      uint64_t total = 0;
      for (size_t i = 0; i < shard_count_; ++i) {
        total += select(shards_[i])[route].load(std::memory_order_relaxed);
      }
      out->sample(name, {{"route", RouteKindName(static_cast<RouteKind>(route))}}, total);
    }
  };
  per_route("streamkeeper_http_request_body_bytes_total", "Request body bytes received.",
            [](const Shard& shard) { return shard.body_bytes; });
  per_route("streamkeeper_http_response_bytes_total",
            "Response bytes written (head, body, every SSE chunk).",
            [](const Shard& shard) { return shard.response_bytes; });
}

}  // namespace streamkeeper
