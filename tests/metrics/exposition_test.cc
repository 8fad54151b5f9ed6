// The Prometheus text format as Exposition writes it: exact text, because scrapers parse it
// byte by byte (HELP/TYPE lines, label escaping, value formatting, cumulative histogram
// buckets ending in +Inf, _sum and _count).
#include "metrics/exposition.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace streamkeeper {
namespace {

TEST(ExpositionTest, AFamilyIsItsHelpAndTypeLinesThenOneLinePerSample) {
  Exposition out;
  out.family("jobs_total", MetricType::kCounter, "Jobs done.");
  out.sample("jobs_total", {{"kind", "a"}}, uint64_t{3});
  out.sample("jobs_total", {{"kind", "b"}, {"result", "ok"}}, uint64_t{18446744073709551615u});
  out.single("temperature", MetricType::kGauge, "Now.", 21.5);
  EXPECT_EQ(out.text(),
            "# HELP jobs_total Jobs done.\n"
            "# TYPE jobs_total counter\n"
            "jobs_total{kind=\"a\"} 3\n"
            "jobs_total{kind=\"b\",result=\"ok\"} 18446744073709551615\n"
            "# HELP temperature Now.\n"
            "# TYPE temperature gauge\n"
            "temperature 21.5\n");
}

TEST(ExpositionTest, LabelValuesEscapeBackslashQuoteAndNewline) {
  Exposition out;
  out.sample("m", {{"path", "a\\b\"c\nd"}}, uint64_t{1});
  EXPECT_EQ(out.text(), "m{path=\"a\\\\b\\\"c\\nd\"} 1\n");
}

TEST(ExpositionTest, HelpEscapesBackslashAndNewlineButNotQuotes) {
  Exposition out;
  out.family("m", MetricType::kGauge, "say \"hi\"\\\nbye");
  EXPECT_EQ(out.text(), "# HELP m say \"hi\"\\\\\\nbye\n# TYPE m gauge\n");
}

TEST(ExpositionTest, ValuesAreShortDecimalsInfinitiesAndNaNAsTheFormatSpells) {
  EXPECT_EQ(FormatMetricValue(0), "0");
  EXPECT_EQ(FormatMetricValue(3), "3");
  EXPECT_EQ(FormatMetricValue(0.1), "0.1");
  EXPECT_EQ(FormatMetricValue(0.0001), "0.0001");
  EXPECT_EQ(FormatMetricValue(-2.5), "-2.5");
  EXPECT_EQ(FormatMetricValue(1796663045.13), "1796663045.13");
  EXPECT_EQ(FormatMetricValue(1e-9), "1e-09");
  EXPECT_EQ(FormatMetricValue(1e20), "1e+20");
  EXPECT_EQ(FormatMetricValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatMetricValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatMetricValue(std::nan("")), "NaN");
  // What is printed reads back as the same double.
  EXPECT_EQ(std::stod(FormatMetricValue(0.017929486999999997)), 0.017929486999999997);
}

TEST(ExpositionTest, AHistogramIsCumulativeBucketsEndingInInfThenSumAndCount) {
  HistogramSnapshot snapshot;
  snapshot.upper_bounds = {0.5, 1, 2.5};
  snapshot.counts = {2, 0, 3, 1};  // per bucket; the last one is above 2.5
  snapshot.sum = 9.25;
  Exposition out;
  out.family("wait_seconds", MetricType::kHistogram, "Waits.");
  out.histogram("wait_seconds", {{"route", "x"}}, snapshot);
  EXPECT_EQ(out.text(),
            "# HELP wait_seconds Waits.\n"
            "# TYPE wait_seconds histogram\n"
            "wait_seconds_bucket{route=\"x\",le=\"0.5\"} 2\n"
            "wait_seconds_bucket{route=\"x\",le=\"1\"} 2\n"
            "wait_seconds_bucket{route=\"x\",le=\"2.5\"} 5\n"
            "wait_seconds_bucket{route=\"x\",le=\"+Inf\"} 6\n"
            "wait_seconds_sum{route=\"x\"} 9.25\n"
            "wait_seconds_count{route=\"x\"} 6\n");
}

TEST(ExpositionTest, AHistogramWithoutLabelsOrObservationsStillHasItsInfBucket) {
  Exposition out;
  out.histogram("h", {}, HistogramSnapshot{});
  EXPECT_EQ(out.text(), "h_bucket{le=\"+Inf\"} 0\nh_sum 0\nh_count 0\n");
}

TEST(ExpositionTest, TheContentTypeNamesVersion004) {
  EXPECT_EQ(Exposition::kContentType, "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace
}  // namespace streamkeeper
