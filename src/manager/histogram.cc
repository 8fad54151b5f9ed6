#include "streamkeeper/histogram.h"

#include <numeric>

namespace streamkeeper {

uint64_t HistogramSnapshot::count() const {
  return std::accumulate(counts.begin(), counts.end(), uint64_t{0});
}

FixedHistogram::FixedHistogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)),
      counts_(std::make_unique<std::atomic<uint64_t>[]>(upper_bounds_.size() + 1)) {}

void FixedHistogram::observe(double value) {
  // A linear scan: the histograms here have about a dozen buckets, and most values land early.
  size_t bucket = 0;
  while (bucket < upper_bounds_.size() && value > upper_bounds_[bucket]) ++bucket;
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

HistogramSnapshot FixedHistogram::snapshot() const {
  HistogramSnapshot out;
  out.upper_bounds = upper_bounds_;
  out.counts.resize(upper_bounds_.size() + 1);
  for (size_t i = 0; i < out.counts.size(); ++i) {
    out.counts[i] = counts_[i].load(std::memory_order_relaxed);
  }
  out.sum = sum_.load(std::memory_order_relaxed);
  return out;
}

}  // namespace streamkeeper
