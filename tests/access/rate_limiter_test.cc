// RateLimiter and ParseRateLimit: token buckets per key, with the time given by the test.
#include "access/rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace streamkeeper {
namespace {

using Clock = RateLimiter::Clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

const Clock::time_point kStart = Clock::time_point() + std::chrono::hours(1);

// How many of `count` takes at `now` are allowed.
int Allowed(RateLimiter& limiter, std::string_view key, int count, Clock::time_point now) {
  int allowed = 0;
  for (int i = 0; i < count; ++i) allowed += limiter.take(key, now) ? 0 : 1;
  return allowed;
}

TEST(RateLimiterTest, BurstPassesThenTheNextIsRefusedWithTheWaitForOneRequest) {
  RateLimiter limiter({10, 5});  // a request every 100 ms, 5 at once
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(limiter.take("a", kStart)) << i;
  auto wait = limiter.take("a", kStart);
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, milliseconds(100));
  // Later refusals say what is left of the wait, never less than nothing.
  wait = limiter.take("a", kStart + milliseconds(30));
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, milliseconds(70));
}

TEST(RateLimiterTest, RefusedTakesDoNotDrainTheBucket) {
  RateLimiter limiter({1, 1});
  EXPECT_FALSE(limiter.take("a", kStart));
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(limiter.take("a", kStart + milliseconds(i)));
  EXPECT_FALSE(limiter.take("a", kStart + seconds(1)));
}

TEST(RateLimiterTest, RefillsAtTheRateUpToTheBurst) {
  RateLimiter limiter({10, 5});
  EXPECT_EQ(Allowed(limiter, "a", 5, kStart), 5);
  EXPECT_EQ(Allowed(limiter, "a", 5, kStart + milliseconds(99)), 0);
  EXPECT_EQ(Allowed(limiter, "a", 5, kStart + milliseconds(100)), 1);
  EXPECT_EQ(Allowed(limiter, "a", 5, kStart + milliseconds(400)), 3);
  // A long idle time fills the bucket, and no more than full.
  EXPECT_EQ(Allowed(limiter, "a", 50, kStart + seconds(60)), 5);
}

TEST(RateLimiterTest, SustainedRateIsThePerSecondRate) {
  RateLimiter limiter({20, 1});
  int allowed = 0;
  for (int ms = 0; ms < 10'000; ++ms)
    allowed += Allowed(limiter, "a", 3, kStart + milliseconds(ms));
  EXPECT_EQ(allowed, 200);  // 20/s over 10 s, one every 50 ms
}

TEST(RateLimiterTest, FractionalRates) {
  RateLimiter half({0.5, 1});  // one request every 2 s
  EXPECT_EQ(Allowed(half, "a", 3, kStart), 1);
  auto wait = half.take("a", kStart);
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, seconds(2));
  EXPECT_EQ(Allowed(half, "a", 3, kStart + milliseconds(1999)), 0);
  EXPECT_EQ(Allowed(half, "a", 3, kStart + seconds(2)), 1);

  RateLimiter odd({2.5, 2});  // one every 400 ms
  EXPECT_EQ(Allowed(odd, "a", 5, kStart), 2);
  EXPECT_EQ(Allowed(odd, "a", 5, kStart + milliseconds(399)), 0);
  EXPECT_EQ(Allowed(odd, "a", 5, kStart + milliseconds(400)), 1);
  int allowed = 0;
  for (int ms = 401; ms <= 100'400; ++ms)
    allowed += Allowed(odd, "a", 1, kStart + milliseconds(ms));
  EXPECT_EQ(allowed, 250);  // 2.5/s over 100 s, exactly: no rounding drift
}

// Limits outside what ParseRateLimit accepts are clamped by the limiter itself: a rate below
// 0.001/s waits 1000 s per request, a burst above 1000000 is 1000000, so (burst - 1) intervals
// stay far inside the clock's range and every wait is positive and bounded.
TEST(RateLimiterTest, ExtremeLimitsGiveBoundedWaits) {
  RateLimiter glacial({1e-10, 1});
  EXPECT_FALSE(glacial.take("a", kStart));
  auto wait = glacial.take("a", kStart);
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, seconds(1000));

  RateLimiter widest({0.001, 1'000'000});  // the slowest rate with the largest burst
  EXPECT_EQ(Allowed(widest, "a", 1'000'001, kStart), 1'000'000);
  wait = widest.take("a", kStart);
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, seconds(1000));

  RateLimiter clamped({0.001, 4'000'000'000u});
  EXPECT_EQ(clamped.limit().burst, 1'000'000u);

  RateLimiter instant({1e300, 2});  // one request's refill is at least one clock tick
  EXPECT_EQ(Allowed(instant, "a", 3, kStart), 2);
  wait = instant.take("a", kStart);
  ASSERT_TRUE(wait);
  EXPECT_GT(*wait, Clock::duration::zero());
}

TEST(RateLimiterTest, KeysAreIndependent) {
  RateLimiter limiter({1, 2});
  EXPECT_EQ(Allowed(limiter, "10.0.0.1", 5, kStart), 2);
  EXPECT_EQ(Allowed(limiter, "10.0.0.2", 5, kStart), 2);
  EXPECT_EQ(Allowed(limiter, "token:ingest", 5, kStart), 2);
  EXPECT_EQ(Allowed(limiter, "10.0.0.1", 5, kStart + seconds(1)), 1);
}

TEST(RateLimiterTest, NoLimitAllowsEverything) {
  RateLimiter limiter({0, 0});
  EXPECT_EQ(Allowed(limiter, "a", 10'000, kStart), 10'000);
  EXPECT_EQ(limiter.key_count(), 0u);
}

TEST(RateLimiterTest, KeysAreBoundedAndAForgottenKeyStartsFull) {
  constexpr size_t kMaxKeys = 1024;
  RateLimiter limiter({1, 3}, kMaxKeys);
  EXPECT_EQ(Allowed(limiter, "first", 3, kStart), 3);
  EXPECT_TRUE(limiter.take("first", kStart));
  for (int i = 0; i < 1'000'000; ++i) {
    ASSERT_FALSE(limiter.take("client-" + std::to_string(i), kStart));
    if (i % 100'000 == 0) {
      ASSERT_LE(limiter.key_count(), kMaxKeys);
    }
  }
  EXPECT_LE(limiter.key_count(), kMaxKeys);
  EXPECT_GE(limiter.key_count(), kMaxKeys / 2);  // the bound is used, not just respected
  // "first" was the least recently used and was forgotten: it starts again with a full bucket.
  EXPECT_EQ(Allowed(limiter, "first", 5, kStart), 3);
}

TEST(RateLimiterTest, RecentlyUsedKeysSurviveEviction) {
  RateLimiter limiter({1, 2}, 16 * 4);  // four keys per shard
  EXPECT_EQ(Allowed(limiter, "busy", 2, kStart), 2);
  for (int i = 0; i < 10'000; ++i) {
    limiter.take("passer-" + std::to_string(i), kStart);
    EXPECT_TRUE(limiter.take("busy", kStart)) << i;  // still empty: never forgotten
  }
}

TEST(RateLimiterTest, ConcurrentTakesCountExactly) {
  constexpr int kThreads = 8;
  constexpr int kTakesPerThread = 20'000;
  constexpr int kKeys = 4;
  RateLimiter limiter({1000, 500});
  std::atomic<int> allowed[kKeys] = {};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kTakesPerThread; ++i) {
        // Every thread walks the same 20 ms (one step per 1000 takes) over every key.
        auto now = kStart + milliseconds(i / 1000);
        int key = (i + t) % kKeys;
        if (!limiter.take("key" + std::to_string(key), now)) allowed[key].fetch_add(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  // Each key: the burst of 500, then one per millisecond for 19 ms, whatever the interleaving.
  for (int key = 0; key < kKeys; ++key) EXPECT_EQ(allowed[key].load(), 500 + 19) << key;
}

TEST(ParseRateLimitTest, RateAndBurst) {
  RateLimit limit;
  ASSERT_TRUE(ParseRateLimit("20/s", &limit).ok());
  EXPECT_EQ(limit.per_second, 20);
  EXPECT_EQ(limit.burst, 20u);
  ASSERT_TRUE(ParseRateLimit("20/s,burst=50", &limit).ok());
  EXPECT_EQ(limit.per_second, 20);
  EXPECT_EQ(limit.burst, 50u);
  ASSERT_TRUE(ParseRateLimit("0.5/s", &limit).ok());
  EXPECT_EQ(limit.per_second, 0.5);
  EXPECT_EQ(limit.burst, 1u);  // at least one
  ASSERT_TRUE(ParseRateLimit("2.5/s, burst=1", &limit).ok());
  EXPECT_EQ(limit.per_second, 2.5);
  EXPECT_EQ(limit.burst, 1u);
  ASSERT_TRUE(ParseRateLimit("2.5/s", &limit).ok());
  EXPECT_EQ(limit.burst, 2u);  // rounded down
}

TEST(ParseRateLimitTest, ErrorsNameTheValue) {
  for (const char* bad : {"",
                          "20",
                          "/s",
                          "x/s",
                          "20/m",
                          "20/sec",
                          "20 /s",
                          "-1/s",
                          "0/s",
                          "0.0001/s",
                          "1e7/s",
                          "inf/s",
                          "nan/s",
                          "20/s,",
                          "20/s,burst",
                          "20/s,burst=",
                          "20/s,burst=0",
                          "20/s,burst=-1",
                          "20/s,burst=1.5",
                          "20/s,burst=2000000",
                          "20/s,burst=5x",
                          "20/s;burst=5",
                          "20/s,rate=5",
                          "20/s,burst=99999999999999999999"}) {
    RateLimit limit{7, 7};
    Status s = ParseRateLimit(bad, &limit);
    EXPECT_FALSE(s.ok()) << bad;
    std::string quoted = std::string("'").append(bad).append("'");
    EXPECT_NE(s.message().find(quoted), std::string::npos) << s.message();
    EXPECT_EQ(limit.per_second, 7) << bad;  // untouched
  }
}

}  // namespace
}  // namespace streamkeeper
