#include "histogram.h"

#include <algorithm>
#include <bit>

namespace dsbench {

int Histogram::BucketOf(uint64_t micros) {
  if (micros < kLinearLimit) return static_cast<int>(micros);
  // For v >= 64, the top bit is at position p >= 6; keep 6 significant bits
  // (32..63) and index by (p, those bits).
  const int top_bit = std::bit_width(micros) - 1;
  const int shift = top_bit - 5;
  if (top_bit >= kMaxExponent) return kBucketCount - 1;
  const int sub = static_cast<int>(micros >> shift) - kSubBuckets;
  return kLinearLimit + (shift - 1) * kSubBuckets + sub;
}

uint64_t Histogram::BucketMidpoint(int bucket) {
  if (bucket < kLinearLimit) return static_cast<uint64_t>(bucket);
  const int shift = (bucket - kLinearLimit) / kSubBuckets + 1;
  const uint64_t sub = static_cast<uint64_t>((bucket - kLinearLimit) % kSubBuckets + kSubBuckets);
  const uint64_t low = sub << shift;
  return low + ((uint64_t{1} << shift) >> 1);
}

int Histogram::ShardOfThisThread() {
  static std::atomic<int> next{0};
  thread_local const int shard = next.fetch_add(1, std::memory_order_relaxed) % kShards;
  return shard;
}

void Histogram::Record(uint64_t micros) {
  Shard& shard = shards_[ShardOfThisThread()];
  shard.buckets[BucketOf(micros)].fetch_add(1, std::memory_order_relaxed);
  shard.count.fetch_add(1, std::memory_order_relaxed);
  shard.sum.fetch_add(micros, std::memory_order_relaxed);
  uint64_t seen = shard.max.load(std::memory_order_relaxed);
  while (micros > seen &&
         !shard.max.compare_exchange_weak(seen, micros, std::memory_order_relaxed)) {
  }
}

uint64_t Histogram::Count() const {
  uint64_t n = 0;
  for (const Shard& shard : shards_) n += shard.count.load(std::memory_order_relaxed);
  return n;
}

uint64_t Histogram::Max() const {
  uint64_t m = 0;
  for (const Shard& shard : shards_) m = std::max(m, shard.max.load(std::memory_order_relaxed));
  return m;
}

double Histogram::Mean() const {
  const uint64_t n = Count();
  uint64_t sum = 0;
  for (const Shard& shard : shards_) sum += shard.sum.load(std::memory_order_relaxed);
  return n == 0 ? 0.0 : static_cast<double>(sum) / n;
}

uint64_t Histogram::ValueAtQuantile(double quantile) const {
  std::array<uint64_t, kBucketCount> merged{};
  uint64_t total = 0;
  for (const Shard& shard : shards_) {
    for (int i = 0; i < kBucketCount; ++i) {
      const uint64_t n = shard.buckets[i].load(std::memory_order_relaxed);
      merged[i] += n;
      total += n;
    }
  }
  if (total == 0) return 0;
  const auto rank = static_cast<uint64_t>(std::clamp(quantile, 0.0, 1.0) * (total - 1)) + 1;
  const uint64_t max = Max();
  uint64_t seen = 0;
  for (int i = 0; i < kBucketCount; ++i) {
    seen += merged[i];
    if (seen >= rank) return std::min(BucketMidpoint(i), max);
  }
  return max;
}

}  // namespace dsbench
