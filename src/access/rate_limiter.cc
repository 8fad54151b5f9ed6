#include "access/rate_limiter.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <list>
#include <mutex>
#include <unordered_map>

namespace streamkeeper {

namespace {

constexpr size_t kShards = 16;
constexpr double kMinPerSecond = 0.001;
constexpr double kMaxPerSecond = 1'000'000;
constexpr uint64_t kMaxBurst = 1'000'000;

Status BadLimit(std::string_view text, std::string_view why) {
  return Status::BadRequest("invalid rate limit '" + std::string(text) + "': " + std::string(why) +
                            " (expected \"<N>/s\" or \"<N>/s,burst=<B>\", e.g. \"20/s,burst=40\")");
}

}  // namespace

Status ParseRateLimit(std::string_view text, RateLimit* out) {
  std::string_view rest = text;
  size_t per = rest.find("/s");
  if (per == std::string_view::npos) return BadLimit(text, "no \"/s\" after the rate");
  std::string_view number = rest.substr(0, per);
  double per_second = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), per_second);
  if (number.empty() || ec != std::errc() || end != number.data() + number.size() ||
      !std::isfinite(per_second)) {
    return BadLimit(text, "the rate is not a number");
  }
  if (per_second < kMinPerSecond || per_second > kMaxPerSecond) {
    return BadLimit(text, "the rate must be from 0.001 to 1000000 per second");
  }
  rest.remove_prefix(per + 2);
  uint64_t burst = std::max<uint64_t>(1, static_cast<uint64_t>(per_second));
  if (!rest.empty()) {
    if (rest.front() != ',') return BadLimit(text, "unexpected text after \"/s\"");
    rest.remove_prefix(1);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    constexpr std::string_view kBurst = "burst=";
    if (rest.substr(0, kBurst.size()) != kBurst) return BadLimit(text, "expected \"burst=<B>\"");
    rest.remove_prefix(kBurst.size());
    auto [bend, bec] = std::from_chars(rest.data(), rest.data() + rest.size(), burst);
    if (rest.empty() || bec != std::errc() || bend != rest.data() + rest.size()) {
      return BadLimit(text, "the burst is not a whole number");
    }
    if (burst < 1 || burst > kMaxBurst) {
      return BadLimit(text, "the burst must be from 1 to 1000000");
    }
  }
  out->per_second = per_second;
  out->burst = static_cast<uint32_t>(burst);
  return Status::Ok();
}

// A shard's buckets, most recently used first. A bucket is its theoretical arrival time `tat`:
// the time at which it would be full again. A request at `now` is allowed when tat - now, after
// the request, is within the burst tolerance; a key with no bucket is full (tat <= now).
class RateLimiter::Shard {
 public:
  // Returns the wait, or nullopt when allowed. `interval`: one request's worth of time;
  // `tolerance`: (burst - 1) intervals.
  std::optional<Clock::duration> take(std::string_view key, Clock::time_point now,
                                      Clock::duration interval, Clock::duration tolerance,
                                      size_t capacity) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = index_.find(key);
    Clock::time_point tat = now;
    if (found != index_.end()) {
      lru_.splice(lru_.begin(), lru_, found->second);  // most recent first; iterators stay valid
      tat = std::max(found->second->tat, now);
    }
    if (tat - now > tolerance) return tat - now - tolerance;
    if (found == index_.end()) {
      if (index_.size() >= capacity) evict_oldest();
      lru_.push_front(Bucket{std::string(key), tat + interval});
      index_.emplace(lru_.front().key, lru_.begin());
    } else {
      found->second->tat = tat + interval;
    }
    return std::nullopt;
  }

  size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return index_.size();
  }

 private:
  struct Bucket {
    std::string key;
    Clock::time_point tat;
  };

  void evict_oldest() {
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }

  mutable std::mutex mutex_;
  std::list<Bucket> lru_;
  // Keys view their bucket's own string: list nodes never move.
  std::unordered_map<std::string_view, std::list<Bucket>::iterator> index_;
};

namespace {

// Bounds that keep (burst - 1) * interval far from overflowing the clock's 64-bit count.
constexpr double kMaxIntervalSeconds = 1.0 / kMinPerSecond;

RateLimiter::Clock::duration IntervalOf(double per_second) {
  double seconds = std::min(1.0 / std::max(per_second, kMinPerSecond), kMaxIntervalSeconds);
  auto interval = std::chrono::duration_cast<RateLimiter::Clock::duration>(
      std::chrono::duration<double>(seconds));
  return std::max(interval, RateLimiter::Clock::duration(1));
}

}  // namespace

RateLimiter::RateLimiter(RateLimit limit, size_t max_keys)
    : limit_(limit), shards_(std::make_unique<Shard[]>(kShards)) {
  limit_.burst = static_cast<uint32_t>(std::clamp<uint64_t>(limit_.burst, 1, kMaxBurst));
  capacity_per_shard_ = std::max<size_t>(1, max_keys / kShards);
  if (limit_.per_second > 0) {
    interval_ = IntervalOf(limit_.per_second);
    tolerance_ = interval_ * (limit_.burst - 1);
  }
}

RateLimiter::~RateLimiter() = default;

std::optional<RateLimiter::Clock::duration> RateLimiter::take(std::string_view key,
                                                              Clock::time_point now) {
  if (limit_.per_second <= 0) return std::nullopt;
  Shard& shard = shards_[std::hash<std::string_view>{}(key) % kShards];
  return shard.take(key, now, interval_, tolerance_, capacity_per_shard_);
}

size_t RateLimiter::key_count() const {
  size_t count = 0;
  for (size_t i = 0; i < kShards; ++i) count += shards_[i].size();
  return count;
}

}  // namespace streamkeeper
