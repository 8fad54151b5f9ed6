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

void Histogram::Record(uint64_t micros) {
  buckets_[BucketOf(micros)].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(micros, std::memory_order_relaxed);
  uint64_t seen = max_.load(std::memory_order_relaxed);
  while (micros > seen && !max_.compare_exchange_weak(seen, micros, std::memory_order_relaxed)) {
  }
}

double Histogram::Mean() const {
  const uint64_t n = Count();
  return n == 0 ? 0.0 : static_cast<double>(sum_.load(std::memory_order_relaxed)) / n;
}

uint64_t Histogram::ValueAtQuantile(double quantile) const {
  uint64_t total = 0;
  for (const auto& b : buckets_) total += b.load(std::memory_order_relaxed);
  if (total == 0) return 0;
  const auto rank = static_cast<uint64_t>(std::clamp(quantile, 0.0, 1.0) * (total - 1)) + 1;
  uint64_t seen = 0;
  for (int i = 0; i < kBucketCount; ++i) {
    seen += buckets_[i].load(std::memory_order_relaxed);
    if (seen >= rank) return std::min(BucketMidpoint(i), Max());
  }
  return Max();
}

}  // namespace dsbench
