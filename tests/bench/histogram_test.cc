// Pins ds-bench's latency histogram: exact below 64 us, within ~3% above, and the same answer
// whether the samples came from one thread or from several (each thread has its own shard).
#include <gtest/gtest.h>

#include <cstdint>
#include <thread>
#include <vector>

#include "histogram.h"

namespace dsbench {
namespace {

TEST(HistogramTest, EmptyReportsZero) {
  Histogram h;
  EXPECT_EQ(h.Count(), 0u);
  EXPECT_EQ(h.Max(), 0u);
  EXPECT_EQ(h.ValueAtQuantile(0.5), 0u);
  EXPECT_EQ(h.Mean(), 0.0);
}

TEST(HistogramTest, SmallValuesAreExact) {
  Histogram h;
  for (uint64_t v = 1; v <= 50; ++v) h.Record(v);
  EXPECT_EQ(h.Count(), 50u);
  EXPECT_EQ(h.Max(), 50u);
  EXPECT_EQ(h.ValueAtQuantile(0.5), 25u);
  EXPECT_EQ(h.ValueAtQuantile(1.0), 50u);
  EXPECT_DOUBLE_EQ(h.Mean(), 25.5);
}

TEST(HistogramTest, LargeValuesWithinThreePercent) {
  for (uint64_t v : {1000u, 70000u, 123456u, 5000000u}) {
    Histogram one;
    one.Record(v);
    const double reported = static_cast<double>(one.ValueAtQuantile(0.5));
    EXPECT_NEAR(reported, static_cast<double>(v), 0.03 * static_cast<double>(v)) << v;
  }
}

TEST(HistogramTest, ThreadsRecordingTogetherLoseNothing) {
  Histogram h;
  constexpr int kThreads = 6;  // more than the shards: some threads share one
  constexpr uint64_t kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&h, t] {
      for (uint64_t i = 0; i < kPerThread; ++i) h.Record(i % 100 + static_cast<uint64_t>(t));
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(h.Count(), kThreads * kPerThread);
  EXPECT_EQ(h.Max(), 99u + kThreads - 1);
  // Values 0..104 spread almost evenly: the median sits near 52.
  EXPECT_NEAR(static_cast<double>(h.ValueAtQuantile(0.5)), 52.0, 3.0);
}

}  // namespace
}  // namespace dsbench
