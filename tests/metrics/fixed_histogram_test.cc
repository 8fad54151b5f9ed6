// FixedHistogram (include/streamkeeper/histogram.h): inclusive upper bounds, an overflow
// bucket, and no observation lost when many threads observe at once.
#include "streamkeeper/histogram.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace streamkeeper {
namespace {

TEST(FixedHistogramTest, AValueCountsInTheFirstBucketWhoseBoundIsAtLeastIt) {
  FixedHistogram histogram({1, 2, 4});
  for (double value : {0.0, 1.0, 1.5, 2.0, 4.0, 4.001, 100.0}) histogram.observe(value);
  HistogramSnapshot snapshot = histogram.snapshot();
  EXPECT_EQ(snapshot.upper_bounds, (std::vector<double>{1, 2, 4}));
  EXPECT_EQ(snapshot.counts, (std::vector<uint64_t>{2, 2, 1, 2}));
  EXPECT_DOUBLE_EQ(snapshot.sum, 112.501);
  EXPECT_EQ(snapshot.count(), 7u);
}

TEST(FixedHistogramTest, ConcurrentObservationsAreAllCounted) {
  FixedHistogram histogram({1, 10});
  constexpr int kThreads = 4;
  constexpr int kEach = 50'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&histogram, t] {
      for (int i = 0; i < kEach; ++i) histogram.observe(t % 2 == 0 ? 0.5 : 5.0);
    });
  }
  for (auto& thread : threads) thread.join();
  HistogramSnapshot snapshot = histogram.snapshot();
  EXPECT_EQ(snapshot.counts, (std::vector<uint64_t>{2 * kEach, 2 * kEach, 0}));
  EXPECT_DOUBLE_EQ(snapshot.sum, 2 * kEach * 0.5 + 2 * kEach * 5.0);
}

}  // namespace
}  // namespace streamkeeper
