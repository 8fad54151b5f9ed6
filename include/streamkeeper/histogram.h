// FixedHistogram: how many observations fell in each of a fixed set of buckets, recorded
// without locks, for the engine's statistics (ManagerStats) and the server's metrics.
//
// Buckets are given once, by ascending upper bounds; an observation counts in the first bucket
// whose bound is >= the value (bounds are inclusive, as Prometheus' `le`), or in the overflow
// bucket after the last bound. Snapshots report per-bucket counts; exposition formats make them
// cumulative.
//
// Thread-safety: observe() may run on any number of threads at once: relaxed atomic adds, no
// lock and no allocation. snapshot() may run concurrently with observe(); it is not atomic
// across buckets (an observation in flight may show in its bucket and not yet in the sum), which
// is what a statistic read while it moves can expect.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace streamkeeper {

struct HistogramSnapshot {
  std::vector<double> upper_bounds;  // ascending
  // Per bucket, not cumulative: upper_bounds.size() + 1 entries, the last one the overflow.
  std::vector<uint64_t> counts;
  double sum = 0;  // of every value observed

  // Observations in total (the sum of `counts`).
  uint64_t count() const;
};

class FixedHistogram {
 public:
  // `upper_bounds` must be ascending and finite (the overflow bucket is implicit).
  explicit FixedHistogram(std::vector<double> upper_bounds);
  FixedHistogram(const FixedHistogram&) = delete;
  FixedHistogram& operator=(const FixedHistogram&) = delete;

  void observe(double value);
  HistogramSnapshot snapshot() const;
  const std::vector<double>& upper_bounds() const { return upper_bounds_; }

 private:
  const std::vector<double> upper_bounds_;
  const std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // upper_bounds_.size() + 1
  std::atomic<double> sum_{0};
};

}  // namespace streamkeeper
