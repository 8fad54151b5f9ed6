// RateLimiter: token buckets keyed by a string (a token's name, a client's IP address), so that
// one client cannot take the whole server. Each key gets a bucket of `burst` requests that
// refills at `per_second`; a request that finds its bucket empty is refused with how long to
// wait. Buckets of keys not seen for a while are forgotten, so memory stays bounded however many
// keys (addresses) come.
//
// Thread-safety: take() may be called concurrently from every IO thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "streamkeeper/status.h"

namespace streamkeeper {

struct RateLimit {
  double per_second = 0;  // sustained requests per second per key; 0: no limit
  uint32_t burst = 0;     // requests a key may make at once after being idle (>= 1)
};

// Parses a --rate-limit value: "<N>/s" or "<N>/s,burst=<B>" (burst defaults to N rounded down,
// at least 1). N is a number from 0.001 to 1000000 (a fraction allowed: "0.5/s"); B an integer
// from 1 to 1000000. Fails with a message naming the value.
Status ParseRateLimit(std::string_view text, RateLimit* out);

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  // `max_keys` bounds the buckets kept; beyond it the least recently used keys are forgotten
  // (a forgotten key starts again with a full bucket).
  explicit RateLimiter(RateLimit limit, size_t max_keys = 100000);
  ~RateLimiter();
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Takes one request from `key`'s bucket at `now`. nullopt: allowed. Otherwise refused, and
  // the time until the bucket has a request again (what Retry-After says, rounded up to whole
  // seconds by the caller).
  std::optional<Clock::duration> take(std::string_view key, Clock::time_point now = Clock::now());

  // Keys that have a bucket now (at most max(max_keys, 16)). For tests and metrics.
  size_t key_count() const;

  const RateLimit& limit() const { return limit_; }

 private:
  class Shard;
  RateLimit limit_;
  Clock::duration interval_{};   // one request's worth of refill: 1 / per_second
  Clock::duration tolerance_{};  // (burst - 1) intervals
  size_t capacity_per_shard_ = 1;
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace streamkeeper
