// The service routes of the real binary, on both backends: /metrics counts exactly what was
// done (requests by method, route kind and status; appended records and bytes; group-commit
// batches; live long-poll and SSE readers while they wait), /healthz and /readyz answer, and
// none of them shadows or is shadowed by a stream.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "../storage/temp_dir.h"
#include "../tls/test_certs.h"
#include "http_test_client.h"
#include "metrics_scrape.h"

#ifndef STREAMKEEPER_BINARY
#error "STREAMKEEPER_BINARY must name the server binary"
#endif

namespace streamkeeper::testing {
namespace {

const Headers kOctet = {{"Content-Type", "application/octet-stream"}};

std::string Requests(std::string_view method, std::string_view route, int status) {
  return "streamkeeper_http_requests_total{method=\"" + std::string(method) + "\",route=\"" +
         std::string(route) + "\",status=\"" + std::to_string(status) + "\"}";
}

class MetricsEndpointTest : public ::testing::TestWithParam<std::string> {
 protected:
  void Start(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--host", "127.0.0.1", "--port", "0",
                                     "--storage", GetParam(), "--data-dir", dir_.path() + "/data",
                                     "--sync", "always", "--threads", "2",
                                     "--min-free-disk-mb", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    if (TlsTestMode()) {  // STREAMKEEPER_TEST_TLS=1: the same counts over HTTPS
      const TestCerts& certs = SharedTestCerts();
      args.insert(args.end(), {"--tls-cert", certs.server_cert, "--tls-key", certs.server_key});
      SetDefaultClientTls(ClientTls{.ca_file = certs.ca});
    }
    server_ = std::make_unique<ServerProcess>();
    ASSERT_TRUE(server_->spawn(STREAMKEEPER_BINARY, args));
    port_ = server_->wait_listening(Millis(10000));
    ASSERT_NE(port_, 0) << server_->out() << server_->err();
  }

  void TearDown() override { SetDefaultClientTls(std::nullopt); }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  uint16_t port_ = 0;
};

TEST_P(MetricsEndpointTest, CountersMoveByExactlyWhatWasDone) {
  Start();
  ASSERT_EQ(Request(port_, "PUT", "/v1/stream/a", kOctet).status, 201);
  size_t sent = 0;
  for (std::string body : {std::string("0123456789"), std::string(20, 'x'), std::string(30, 'y')}) {
    ASSERT_EQ(Request(port_, "POST", "/v1/stream/a", kOctet, body).status, 204);
    sent += body.size();
  }
  ASSERT_EQ(Request(port_, "POST", "/v1/stream/a", {{"Content-Type", "text/plain"}}, "z").status,
            409);  // refused: counted as a request, not as appended
  ASSERT_EQ(Request(port_, "GET", "/v1/stream/a?offset=-1").status, 200);
  ASSERT_EQ(Request(port_, "HEAD", "/v1/stream/a").status, 200);
  ASSERT_EQ(Request(port_, "PUT", "/v1/stream/b", kOctet).status, 201);
  ASSERT_EQ(Request(port_, "DELETE", "/v1/stream/b").status, 204);
  ASSERT_EQ(Request(port_, "GET", "/v1/stream/missing?offset=-1").status, 404);
  // A request is counted once its response is written, just after the client may have read
  // it: the last one can trail by a moment.
  ASSERT_EQ(WaitForSeries(port_, Requests("GET", "read", 404), 1, Millis(5000)), 1);

  int status = 0;
  std::string first = Scrape(port_, &status);
  ASSERT_EQ(status, 200);
  EXPECT_EQ(SeriesValue(first, Requests("PUT", "create", 201)), 2);
  EXPECT_EQ(SeriesValue(first, Requests("POST", "append", 204)), 3);
  EXPECT_EQ(SeriesValue(first, Requests("POST", "append", 409)), 1);
  EXPECT_EQ(SeriesValue(first, Requests("GET", "read", 200)), 1);
  EXPECT_EQ(SeriesValue(first, Requests("GET", "read", 404)), 1);
  EXPECT_EQ(SeriesValue(first, Requests("HEAD", "head", 200)), 1);
  EXPECT_EQ(SeriesValue(first, Requests("DELETE", "delete", 204)), 1);
  EXPECT_EQ(SeriesValue(first, "streamkeeper_http_request_duration_seconds_count{route=\"append\"}"),
            4);
  EXPECT_EQ(SeriesValue(first, "streamkeeper_http_request_body_bytes_total{route=\"append\"}"),
            sent + 1);
  EXPECT_EQ(SeriesValue(first, "streamkeeper_appended_records_total"), 3);
  EXPECT_EQ(SeriesValue(first, "streamkeeper_appended_bytes_total"), sent);
  // Only the appends wrote records; each sequential write was its own group and sync.
  EXPECT_EQ(SeriesValue(first, "streamkeeper_commit_batch_records_sum"), 3);
  EXPECT_GE(SeriesValue(first, "streamkeeper_commit_batch_records_count").value_or(0), 6);
  EXPECT_GE(SeriesValue(first, "streamkeeper_storage_sync_duration_seconds_count").value_or(0), 6);
  EXPECT_EQ(SeriesValue(first, "streamkeeper_storage_writable"), 1);
  EXPECT_EQ(SeriesValue(first, "streamkeeper_storage_state{state=\"healthy\"}"), 1);
  EXPECT_EQ(SeriesValue(first, "streamkeeper_storage_failures_total"), 0);
  EXPECT_GT(SeriesValue(first, "process_resident_memory_bytes").value_or(0), 0);
  EXPECT_GT(SeriesValue(first, "process_open_fds").value_or(0), 0);
  EXPECT_TRUE(SeriesValue(first, "process_cpu_seconds_total"));
  EXPECT_TRUE(SeriesValue(first, "process_start_time_seconds"));
  if (GetParam() == "rocksdb") {
    EXPECT_GT(SeriesValue(first, "streamkeeper_storage_memtable_bytes").value_or(0), 0);
    EXPECT_TRUE(SeriesValue(first, "streamkeeper_storage_live_sst_bytes"));
    EXPECT_TRUE(SeriesValue(first, "streamkeeper_storage_pending_compaction_bytes"));
    EXPECT_GT(SeriesValue(first, "streamkeeper_storage_free_bytes").value_or(0), 0);
  } else {  // the memory backend reports no storage stats and no free space
    EXPECT_EQ(SeriesValue(first, "streamkeeper_storage_memtable_bytes"), std::nullopt);
    EXPECT_EQ(SeriesValue(first, "streamkeeper_storage_free_bytes"), std::nullopt);
  }

  // Scrapes are requests too (route "other"): each one shows in the scrapes after it.
  double scrapes = SeriesValue(first, Requests("GET", "other", 200)).value_or(0);
  EXPECT_GE(scrapes, 1);
  std::optional<double> later = WaitForSeries(port_, Requests("GET", "other", 200), scrapes + 1,
                                              Millis(5000));
  EXPECT_GT(later.value_or(0), scrapes);
  EXPECT_EQ(SeriesValue(Scrape(port_), Requests("POST", "append", 204)), 3);
}

TEST_P(MetricsEndpointTest, LiveReaderGaugesCountParkedLongPollsAndOpenSseResponses) {
  Start({"--long-poll-timeout-ms", "20000", "--sse-reconnect-ms", "1500"});
  const std::string long_polls = "streamkeeper_live_readers{mode=\"long-poll\"}";
  const std::string sse = "streamkeeper_live_readers{mode=\"sse\"}";
  ASSERT_EQ(Request(port_, "PUT", "/v1/stream/live", kOctet).status, 201);
  EXPECT_EQ(SeriesValue(Scrape(port_), long_polls), 0);
  EXPECT_EQ(SeriesValue(Scrape(port_), sse), 0);

  TestConnection poll_a(port_), poll_b(port_), events(port_);
  ASSERT_TRUE(poll_a.ok() && poll_b.ok() && events.ok());
  for (TestConnection* poll : {&poll_a, &poll_b}) {
    ASSERT_TRUE(poll->send(BuildRequest("GET", "/v1/stream/live?offset=now&live=long-poll", {}, "")));
  }
  EXPECT_EQ(WaitForSeries(port_, long_polls, 2, Millis(5000)), 2) << "two parked long-polls";
  ASSERT_TRUE(events.send(BuildRequest("GET", "/v1/stream/live?offset=-1&live=sse", {}, "")));
  EXPECT_EQ(WaitForSeries(port_, sse, 1, Millis(5000)), 1) << "one open SSE response";

  ASSERT_EQ(Request(port_, "POST", "/v1/stream/live", kOctet, "wake").status, 204);
  EXPECT_EQ(poll_a.read_response(Millis(5000)).body, "wake");
  EXPECT_EQ(poll_b.read_response(Millis(5000)).body, "wake");
  EXPECT_EQ(WaitForSeries(port_, long_polls, 0, Millis(5000)), 0) << "both answered";
  EXPECT_EQ(WaitForSeries(port_, Requests("GET", "long-poll", 200), 2, Millis(5000)), 2);

  // The SSE response ends by itself after --sse-reconnect-ms.
  EXPECT_EQ(WaitForSeries(port_, sse, 0, Millis(10000)), 0) << "the SSE response ended";
  EXPECT_EQ(WaitForSeries(port_, Requests("GET", "sse", 200), 1, Millis(5000)), 1);
  std::string text = Scrape(port_);
  EXPECT_GT(SeriesValue(text, "streamkeeper_http_response_bytes_total{route=\"sse\"}").value_or(0),
            0);
}

TEST_P(MetricsEndpointTest, HealthAndReadinessAnswerOutsideTheStreamApi) {
  Start();
  HttpResult health = Request(port_, "GET", "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, R"({"status":"ok"})");
  EXPECT_EQ(health.header("Content-Type").value_or(""), "application/json");
  EXPECT_EQ(health.header("Cache-Control").value_or(""), "no-store");
  HttpResult ready = Request(port_, "GET", "/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.body, R"({"status":"ready"})");

  HttpResult metrics = Request(port_, "GET", "/metrics?name[]=x");  // the query is ignored
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.header("Content-Type").value_or(""),
            "text/plain; version=0.0.4; charset=utf-8");

  for (std::string path : {"/healthz", "/readyz", "/metrics"}) {
    HttpResult head = Request(port_, "HEAD", path);
    EXPECT_EQ(head.status, 200) << path;
    EXPECT_EQ(head.body, "") << path;
    HttpResult post = Request(port_, "POST", path, kOctet, "x");
    EXPECT_EQ(post.status, 405) << path;
    EXPECT_EQ(post.header("Allow").value_or(""), "GET, HEAD") << path;
    EXPECT_NE(post.body.find("\"METHOD_NOT_ALLOWED\""), std::string::npos) << post.body;
  }

  // Streams of the same names live under the prefix, untouched by the service routes.
  ASSERT_EQ(Request(port_, "PUT", "/v1/stream/metrics", kOctet).status, 201);
  ASSERT_EQ(Request(port_, "POST", "/v1/stream/metrics", kOctet, "m").status, 204);
  EXPECT_EQ(Request(port_, "GET", "/v1/stream/metrics?offset=-1").body, "m");
  // Anything else outside the prefix is the protocol handler's, as before.
  EXPECT_EQ(Request(port_, "GET", "/healthz/more").status, 404);
  EXPECT_EQ(Request(port_, "GET", "/v1/metrics").status, 404);
}

INSTANTIATE_TEST_SUITE_P(Backends, MetricsEndpointTest, ::testing::Values("memory", "rocksdb"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace streamkeeper::testing
