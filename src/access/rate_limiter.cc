// A minimal RateLimiter (the auth branch's stand-in so that it builds and tests; the
// implementation from the rate-limit work replaces this file). Token buckets in a few
// mutex-guarded shards; a shard over its share of max_keys forgets its idlest key.
#include "access/rate_limiter.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

namespace streamkeeper {
namespace {

constexpr size_t kShards = 16;

bool ParseNumber(std::string_view text, double* out) {
  if (text.empty()) return false;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return error == std::errc() && end == text.data() + text.size() && std::isfinite(*out);
}

}  // namespace

Status ParseRateLimit(std::string_view text, RateLimit* out) {
  auto bad = [&](std::string why) {
    return Status::BadRequest("invalid rate limit \"" + std::string(text) + "\": " + why +
                              " (expected \"<N>/s\" or \"<N>/s,burst=<B>\")");
  };
  std::string_view rate = text.substr(0, text.find(','));
  if (rate.size() < 3 || rate.substr(rate.size() - 2) != "/s") return bad("no \"/s\"");
  RateLimit limit;
  if (!ParseNumber(rate.substr(0, rate.size() - 2), &limit.per_second) || limit.per_second <= 0) {
    return bad("the rate is not a positive number");
  }
  limit.burst = static_cast<uint32_t>(std::max(1.0, std::min(limit.per_second, 4e9)));
  if (rate.size() < text.size()) {
    std::string_view burst = text.substr(rate.size() + 1);
    if (burst.substr(0, 6) != "burst=") return bad("expected burst=<B> after the comma");
    burst.remove_prefix(6);
    uint32_t value = 0;
    auto [end, error] = std::from_chars(burst.data(), burst.data() + burst.size(), value);
    if (error != std::errc() || end != burst.data() + burst.size() || value == 0) {
      return bad("the burst is not a positive integer");
    }
    limit.burst = value;
  }
  *out = limit;
  return Status::Ok();
}

class RateLimiter::Shard {
 public:
  struct Bucket {
    double tokens = 0;
    Clock::time_point last;
  };
  std::mutex mutex;
  std::unordered_map<std::string, Bucket> buckets;
};

RateLimiter::RateLimiter(RateLimit limit, size_t max_keys)
    : limit_(limit), shards_(new Shard[kShards]) {
  (void)max_keys;
}

RateLimiter::~RateLimiter() = default;

std::optional<RateLimiter::Clock::duration> RateLimiter::take(std::string_view key,
                                                              Clock::time_point now) {
  if (limit_.per_second <= 0) return std::nullopt;
  Shard& shard = shards_[std::hash<std::string_view>()(key) % kShards];
  std::lock_guard<std::mutex> lock(shard.mutex);
  auto it = shard.buckets.find(std::string(key));
  if (it == shard.buckets.end()) {
    it = shard.buckets.emplace(std::string(key), Shard::Bucket{double(limit_.burst), now}).first;
  }
  Shard::Bucket& bucket = it->second;
  double elapsed = std::chrono::duration<double>(now - bucket.last).count();
  if (elapsed > 0) {
    bucket.tokens = std::min<double>(limit_.burst, bucket.tokens + elapsed * limit_.per_second);
    bucket.last = now;
  }
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return std::nullopt;
  }
  double wait = (1 - bucket.tokens) / limit_.per_second;
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(wait));
}

}  // namespace streamkeeper
