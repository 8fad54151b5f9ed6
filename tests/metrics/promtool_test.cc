// The real server's /metrics, after traffic of every route kind, passes Prometheus' own
// checker: `promtool check metrics` (format and naming lint) exits 0 and reports nothing. Run
// on both backends (the RocksDB one adds the storage gauges). promtool comes with Debian's
// prometheus package (tools/setup.sh).
#include <stdio.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <array>
#include <fstream>
#include <memory>
#include <string>

#include "../storage/temp_dir.h"
#include "http_test_client.h"
#include "metrics_scrape.h"

#ifndef STREAMKEEPER_BINARY
#error "STREAMKEEPER_BINARY must name the server binary"
#endif

namespace streamkeeper::testing {
namespace {

const Headers kOctet = {{"Content-Type", "application/octet-stream"}};

// Runs `command` through the shell; its exit code, and its output (stdout and stderr) in *out.
int RunShell(const std::string& command, std::string* out) {
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out->append(buf.data(), n);
  int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class PromtoolTest : public ::testing::TestWithParam<std::string> {};

TEST_P(PromtoolTest, AScrapeAfterEveryKindOfRequestPassesPromtoolCheckMetrics) {
  std::string version;
  ASSERT_EQ(RunShell("promtool --version", &version), 0)
      << "promtool is missing (tools/setup.sh installs Debian's prometheus package): " << version;

  TempDir dir;
  ServerProcess server;
  ASSERT_TRUE(server.spawn(STREAMKEEPER_BINARY,
                           {"--host", "127.0.0.1", "--port", "0", "--storage", GetParam(),
                            "--data-dir", dir.path() + "/data", "--threads", "2",
                            "--long-poll-timeout-ms", "100", "--sse-reconnect-ms", "200",
                            "--min-free-disk-mb", "0"}));
  uint16_t port = server.wait_listening(Millis(10000));
  ASSERT_NE(port, 0) << server.err();

  // Every route kind, several statuses, and a series whose labels need no escaping but whose
  // method is not a known one.
  ASSERT_EQ(Request(port, "PUT", "/v1/stream/p", kOctet).status, 201);
  ASSERT_EQ(Request(port, "POST", "/v1/stream/p", kOctet, "abc").status, 204);
  ASSERT_EQ(Request(port, "GET", "/v1/stream/p?offset=-1").status, 200);
  ASSERT_EQ(Request(port, "GET", "/v1/stream/p?offset=now&live=long-poll").status, 204);
  ASSERT_EQ(Request(port, "GET", "/v1/stream/p?offset=-1&live=sse").status, 200);
  ASSERT_EQ(Request(port, "HEAD", "/v1/stream/p").status, 200);
  ASSERT_EQ(Request(port, "OPTIONS", "/v1/stream/p").status, 204);
  ASSERT_EQ(Request(port, "DELETE", "/v1/stream/p").status, 204);
  ASSERT_EQ(Request(port, "GET", "/v1/stream/p?offset=-1").status, 404);
  Request(port, "BREW", "/v1/stream/p");
  ASSERT_EQ(Request(port, "GET", "/healthz").status, 200);
  ASSERT_EQ(Request(port, "GET", "/readyz").status, 200);
  ASSERT_NE(Scrape(port), "");  // so the next scrape has a /metrics series too

  int status = 0;
  std::string text = Scrape(port, &status);
  ASSERT_EQ(status, 200);
  std::string file = dir.path() + "/scrape.txt";
  std::ofstream(file) << text;
  std::string report;
  EXPECT_EQ(RunShell("promtool check metrics < " + file, &report), 0) << report << "\n" << text;
  EXPECT_EQ(report, "") << "promtool lint findings";
}

INSTANTIATE_TEST_SUITE_P(Backends, PromtoolTest, ::testing::Values("memory", "rocksdb"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace streamkeeper::testing
