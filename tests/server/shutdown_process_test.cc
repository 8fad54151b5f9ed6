// Stopping the real server with SIGTERM: what clients in the middle of something get, what
// storage keeps, and how long it may take (--shutdown-timeout-ms). Real process, real signals.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "http_test_client.h"
#include "server_process_fixture.h"

namespace streamkeeper::testing {
namespace {

using Clock = std::chrono::steady_clock;

long long MillisSince(Clock::time_point start) {
  return std::chrono::duration_cast<Millis>(Clock::now() - start).count();
}

const Headers kText = {{"Content-Type", "text/plain"}};

// What one appending client saw.
struct ClientLog {
  std::vector<int> acknowledged;  // appends answered 2xx, in order
  int sent_before_signal_without_answer = 0;
  int answered_after_signal_non_2xx = 0;
};

// Appends "<i>;" to `path` over keep-alive connections until the server refuses a new one.
// `signalled` is set by the test just before it sends SIGTERM.
ClientLog AppendUntilRefused(uint16_t port, const std::string& path,
                             const std::atomic<bool>& signalled) {
  ClientLog log;
  std::unique_ptr<TestConnection> connection;
  for (int i = 0;; ++i) {
    if (!connection) {
      connection = std::make_unique<TestConnection>(port, Millis(1000));
      if (!connection->ok()) return log;  // refused: the server no longer accepts
    }
    std::string body = std::to_string(i) + ";";
    if (!connection->send(BuildRequest("POST", path, kText, body))) {
      connection.reset();
      continue;
    }
    // Read after the send: true means the request was on the server's socket before SIGTERM.
    bool before = !signalled.load();
    HttpResult result = connection->read_response(Millis(5000));
    if (result.status >= 200 && result.status < 300) {
      log.acknowledged.push_back(i);
    } else if (result.status == 0 && before) {
      ++log.sent_before_signal_without_answer;
    } else if (result.status != 0) {
      ++log.answered_after_signal_non_2xx;
    }
    if (result.status == 0 || result.header("Connection").value_or("") == "close") {
      connection.reset();
    }
    std::this_thread::sleep_for(Millis(i % 3));  // sometimes idle when the signal comes
  }
}

// The appends "<i>;" in `content`, in order.
std::vector<int> Appends(const std::string& content) {
  std::vector<int> out;
  size_t begin = 0;
  for (size_t end; (end = content.find(';', begin)) != std::string::npos; begin = end + 1) {
    out.push_back(std::stoi(content.substr(begin, end - begin)));
  }
  return out;
}

TEST_F(ServerProcessTest, SigtermDuringAppendsAnswersInFlightAndKeepsEveryAcknowledgedAppend) {
  const std::string data_dir = dir_.path() + "/rocks";
  constexpr int kClients = 4;
  std::vector<ClientLog> logs(kClients);
  {
    uint16_t port = 0;
    // --sync none: acknowledged appends are durable here only through the sync at close.
    auto server = Start({"--storage", "rocksdb", "--sync", "none", "--shutdown-timeout-ms",
                         "5000"},
                        &port, data_dir);
    ASSERT_NE(port, 0);
    for (int c = 0; c < kClients; ++c) {
      ASSERT_EQ(Request(port, "PUT", "/v1/stream/c" + std::to_string(c), kText).status, 201);
    }
    std::atomic<bool> signalled{false};
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back([&, c] {
        logs[c] = AppendUntilRefused(port, "/v1/stream/c" + std::to_string(c), signalled);
      });
    }
    std::this_thread::sleep_for(Millis(400));
    signalled = true;
    auto start = Clock::now();
    server->signal(SIGTERM);
    auto code = server->wait_exit(Millis(5000));
    for (auto& client : clients) client.join();
    ASSERT_TRUE(code.has_value()) << "still running 5 s after SIGTERM";
    EXPECT_EQ(*code, 0) << server->err();
    EXPECT_LT(MillisSince(start), 5000);
    EXPECT_NE(server->err().find("every connection answered and closed"), std::string::npos)
        << server->err();
  }
  uint16_t port = 0;
  auto server = Start({"--storage", "rocksdb"}, &port, data_dir);
  ASSERT_NE(port, 0);
  for (int c = 0; c < kClients; ++c) {
    SCOPED_TRACE("client " + std::to_string(c));
    const ClientLog& log = logs[c];
    EXPECT_GT(log.acknowledged.size(), 0u);
    EXPECT_EQ(log.sent_before_signal_without_answer, 0)
        << "requests sent before SIGTERM must be answered";
    HttpResult read = Request(port, "GET", "/v1/stream/c" + std::to_string(c) + "?offset=-1");
    ASSERT_EQ(read.status, 200);
    std::vector<int> stored = Appends(read.body);
    // Everything acknowledged is there, in order; at most an unanswered one after it.
    ASSERT_GE(stored.size(), log.acknowledged.size());
    EXPECT_LE(stored.size(), log.acknowledged.size() + 1);
    for (size_t i = 0; i < log.acknowledged.size(); ++i) {
      EXPECT_EQ(stored[i], log.acknowledged[i]) << "append " << i;
    }
  }
}

TEST_F(ServerProcessTest, AppendStillArrivingAtSigtermIsAnsweredAndKept) {
  const std::string data_dir = dir_.path() + "/rocks";
  {
    uint16_t port = 0;
    auto server = Start({"--storage", "rocksdb", "--sync", "none"}, &port, data_dir);
    ASSERT_NE(port, 0);
    ASSERT_EQ(Request(port, "PUT", "/v1/stream/s", kText).status, 201);
    TestConnection upload(port);
    ASSERT_TRUE(upload.ok());
    std::string request = BuildRequest("POST", "/v1/stream/s", kText, "late but whole");
    ASSERT_TRUE(upload.send(request.substr(0, request.size() - 5)));
    std::this_thread::sleep_for(Millis(100));
    server->signal(SIGTERM);
    std::this_thread::sleep_for(Millis(300));
    ASSERT_TRUE(upload.send(request.substr(request.size() - 5)));
    HttpResult answer = upload.read_response(Millis(3000));
    EXPECT_EQ(answer.status, 204) << answer.error;
    EXPECT_EQ(answer.header("Connection").value_or(""), "close");
    auto code = server->wait_exit(Millis(5000));
    ASSERT_TRUE(code.has_value());
    EXPECT_EQ(*code, 0) << server->err();
  }
  uint16_t port = 0;
  auto server = Start({"--storage", "rocksdb"}, &port, data_dir);
  ASSERT_NE(port, 0);
  EXPECT_EQ(Request(port, "GET", "/v1/stream/s?offset=-1").body, "late but whole");
}

TEST_F(ServerProcessTest, SigtermClosesIdleKeepAliveConnectionsAtOnce) {
  uint16_t port = 0;
  auto server = Start({"--idle-timeout-ms", "60000"}, &port);
  ASSERT_NE(port, 0);
  TestConnection idle(port);
  ASSERT_TRUE(idle.send(BuildRequest("PUT", "/v1/stream/idle", kText, "")));
  ASSERT_EQ(idle.read_response(Millis(2000)).status, 201);
  auto start = Clock::now();
  server->signal(SIGTERM);
  bool closed = false;
  idle.read_until_close(Millis(3000), &closed);
  EXPECT_TRUE(closed);
  EXPECT_LT(MillisSince(start), 1000);
  auto code = server->wait_exit(Millis(3000));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
  EXPECT_LT(MillisSince(start), 1500) << "an idle connection held the shutdown";
}

TEST_F(ServerProcessTest, RequestThatNeverFinishesHoldsShutdownOnlyUntilTheTimeout) {
  uint16_t port = 0;
  auto server = Start({"--shutdown-timeout-ms", "1000", "--request-timeout-ms", "60000"}, &port);
  ASSERT_NE(port, 0);
  ASSERT_EQ(Request(port, "PUT", "/v1/stream/stall", kText).status, 201);
  TestConnection stalled(port);
  ASSERT_TRUE(stalled.send("POST /v1/stream/stall HTTP/1.1\r\nHost: x\r\n"
                           "Content-Type: text/plain\r\nContent-Length: 100\r\n\r\nonly ten b"));
  std::this_thread::sleep_for(Millis(100));
  auto start = Clock::now();
  server->signal(SIGTERM);
  auto code = server->wait_exit(Millis(5000));
  ASSERT_TRUE(code.has_value()) << "still running 5 s after SIGTERM";
  EXPECT_EQ(*code, 0) << server->err();
  EXPECT_GE(MillisSince(start), 900) << "the request in flight was not waited for";
  EXPECT_LT(MillisSince(start), 2500) << "held past --shutdown-timeout-ms";
  EXPECT_NE(server->err().find("shutdown timeout reached"), std::string::npos) << server->err();
  bool closed = false;
  stalled.read_until_close(Millis(1000), &closed);
  EXPECT_TRUE(closed);
}

}  // namespace
}  // namespace streamkeeper::testing
