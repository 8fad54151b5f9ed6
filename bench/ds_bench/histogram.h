// A log-linear latency histogram in microseconds, safe for concurrent Record().
#ifndef DS_BENCH_HISTOGRAM_H_
#define DS_BENCH_HISTOGRAM_H_

#include <array>
#include <atomic>
#include <cstdint>

namespace dsbench {

// Values below 64 us are exact; above, each power of two is split into 32
// buckets, so a reported percentile is within ~3% of the true value. Counters
// are relaxed atomics: many connections on several threads record into one
// histogram without locks, and readers only look once recording has stopped
// (or accept a slightly torn snapshot for progress output). Each recording
// thread gets its own shard (cache-line aligned), so threads recording the same
// value do not bounce one cache line between cores; readers sum the shards.
class Histogram {
 public:
  Histogram() = default;
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  void Record(uint64_t micros);

  uint64_t Count() const;
  uint64_t Max() const;
  double Mean() const;
  // The value at or below which `quantile` (0..1) of samples lie, as the
  // midpoint of its bucket. Returns 0 when empty.
  uint64_t ValueAtQuantile(double quantile) const;

 private:
  static constexpr int kLinearLimit = 64;
  static constexpr int kSubBuckets = 32;
  static constexpr int kMaxExponent = 42;  // 2^42 us is ~50 days
  static constexpr int kBucketCount = kLinearLimit + (kMaxExponent - 5) * kSubBuckets;

  static int BucketOf(uint64_t micros);
  static uint64_t BucketMidpoint(int bucket);

  static constexpr int kShards = 4;  // threads beyond this share shards (still correct)

  struct alignas(64) Shard {
    std::array<std::atomic<uint64_t>, kBucketCount> buckets{};
    std::atomic<uint64_t> count{0};
    std::atomic<uint64_t> sum{0};
    std::atomic<uint64_t> max{0};
  };
  static int ShardOfThisThread();

  std::array<Shard, kShards> shards_{};
};

}  // namespace dsbench

#endif  // DS_BENCH_HISTOGRAM_H_
