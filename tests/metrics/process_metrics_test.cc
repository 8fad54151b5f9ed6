// Process metrics read from /proc: the stat line is parsed by field number after the command
// name (which may itself hold spaces and parentheses), and the values this process reports
// move as the process does.
#include "metrics/process_metrics.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace streamkeeper {
namespace {

// A /proc/<pid>/stat line (proc(5)) whose command is "a) (b c": utime 250, stime 50,
// starttime 1000 ticks, vsize 123456789, rss 300 pages.
constexpr std::string_view kStat =
    "42 (a) (b c) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 1000 123456789 300 "
    "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";

TEST(ProcessMetricsTest, TheStatLineIsReadByFieldNumberAfterTheLastParenthesis) {
  ProcessStats stats;
  ParseProcStat(kStat, /*ticks_per_second=*/100, /*page_size=*/4096,
                /*boot_time_seconds=*/1'700'000'000, &stats);
  ASSERT_TRUE(stats.cpu_seconds && stats.start_time_seconds && stats.resident_bytes &&
              stats.virtual_bytes);
  EXPECT_DOUBLE_EQ(*stats.cpu_seconds, 3.0);
  EXPECT_DOUBLE_EQ(*stats.start_time_seconds, 1'700'000'010.0);
  EXPECT_EQ(*stats.resident_bytes, 300u * 4096u);
  EXPECT_EQ(*stats.virtual_bytes, 123456789u);
}

TEST(ProcessMetricsTest, AStatLineThatDoesNotParseSetsNothing) {
  for (std::string_view bad : {std::string_view(""), std::string_view("42 (x S 1"),
                               std::string_view("42 (x) S 1 2 3"),
                               std::string_view("42 (x) S 1 42 42 0 -1 4 1 0 0 0 z 50 0")}) {
    ProcessStats stats;
    ParseProcStat(bad, 100, 4096, 0, &stats);
    EXPECT_FALSE(stats.cpu_seconds) << bad;
    EXPECT_FALSE(stats.resident_bytes) << bad;
  }
}

TEST(ProcessMetricsTest, TheBootTimeIsTheBtimeLine) {
  EXPECT_EQ(ParseBootTime("cpu  1 2 3\nintr 5\nbtime 1765000000\nprocesses 9\n"),
            1765000000u);
  EXPECT_EQ(ParseBootTime("cpu 1\n"), std::nullopt);
}

TEST(ProcessMetricsTest, ThisProcessReportsEveryValueAndItsOpenDescriptorsMove) {
  ProcessStats before = ReadProcessStats();
  ASSERT_TRUE(before.cpu_seconds && before.resident_bytes && before.virtual_bytes &&
              before.open_fds && before.max_fds && before.start_time_seconds);
  EXPECT_GT(*before.resident_bytes, 0u);
  EXPECT_GT(*before.start_time_seconds, 1.6e9);  // after 2020
  int fd = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(fd, 0);
  ProcessStats after = ReadProcessStats();
  ::close(fd);
  EXPECT_EQ(*after.open_fds, *before.open_fds + 1);
}

TEST(ProcessMetricsTest, OnlyTheValuesReadAreWrittenUnderTheStandardNames) {
  ProcessStats stats;
  stats.cpu_seconds = 1.5;
  stats.open_fds = 7;
  Exposition out;
  WriteProcessMetrics(stats, &out);
  EXPECT_EQ(out.text(),
            "# HELP process_cpu_seconds_total CPU time this process has used, user and system, "
            "in seconds.\n"
            "# TYPE process_cpu_seconds_total counter\n"
            "process_cpu_seconds_total 1.5\n"
            "# HELP process_open_fds File descriptors this process has open.\n"
            "# TYPE process_open_fds gauge\n"
            "process_open_fds 7\n");
}

}  // namespace
}  // namespace streamkeeper
