// The real streamkeeper binary, started as a child process on 127.0.0.1 with --port 0, driven
// over plain sockets. Covers the transport's limits and timeouts, SSE reconnect, graceful
// shutdown, RocksDB restart and start-up failures. Every wait is bounded; teardown kills the child.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "http_test_client.h"
#include "server_process_fixture.h"
#include "sse_test_parser.h"

namespace streamkeeper::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::string Offset(uint64_t position) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016llu_%016llu", 0ULL, static_cast<unsigned long long>(position));
  return buf;
}

long long MillisSince(Clock::time_point start) {
  return std::chrono::duration_cast<Millis>(Clock::now() - start).count();
}


void ExpectJsonErrorBody(const HttpResult& result, std::string_view code) {
  EXPECT_EQ(result.header("Content-Type").value_or(""), "application/json");
  EXPECT_EQ(result.body.rfind(R"({"error":{"code":")" + std::string(code) + "\"", 0), 0u)
      << result.body;
}

// Creates `path` and appends 64 pieces of 64 KiB (4 MiB) made by piece(i); returns the stream's
// content, or "" (with a test failure) if a request failed.
template <class MakePiece>
std::string CreateBigStream(uint16_t port, const std::string& path,
                            const std::string& content_type, MakePiece piece) {
  const Headers headers = {{"Content-Type", content_type}};
  EXPECT_EQ(Request(port, "PUT", path, headers).status, 201);
  std::string content;
  for (int i = 0; i < 64; ++i) {
    std::string bytes = piece(i);
    if (Request(port, "POST", path, headers, bytes).status != 204) {
      ADD_FAILURE() << "append " << i << " to " << path << " failed";
      return "";
    }
    content += bytes;
  }
  return content;
}

// Sends the head of an upload declaring 100 MB, far over any --max-body-bytes the tests set,
// without its body, and reads the server's answer (a 413 sent from the head alone).
HttpResult BeginOversizedUpload(TestConnection* connection, const std::string& path) {
  if (!connection->send("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                        "Content-Length: 100000000\r\n\r\n")) {
    return HttpResult{};
  }
  return connection->read_response(Millis(3000));
}

// Sends GET `target`, does not read for a while (so the server's sends come up short), then
// reads the whole response.
HttpResult ReadSlowly(TestConnection* connection, const std::string& target) {
  if (!connection->send(BuildRequest("GET", target, {}, ""))) return HttpResult{};
  std::this_thread::sleep_for(Millis(500));  // let the server fill the socket buffers
  return connection->read_response(Millis(10000));
}

// ---------------------------------------------------------------------------------------------
// Limits

TEST_F(ServerProcessTest, BodyOverMaxBodyBytesIs413WithJsonError) {
  uint16_t port = 0;
  auto server = Start({"--max-body-bytes", "1024"}, &port);
  ASSERT_NE(port, 0);
  ASSERT_EQ(Request(port, "PUT", "/v1/stream/limits", {{"Content-Type", "text/plain"}}).status, 201);

  HttpResult at_limit = Request(port, "POST", "/v1/stream/limits",
                                {{"Content-Type", "text/plain"}}, std::string(1024, 'a'));
  EXPECT_EQ(at_limit.status, 204) << at_limit.error << at_limit.body;

  HttpResult over = Request(port, "POST", "/v1/stream/limits", {{"Content-Type", "text/plain"}},
                            std::string(4096, 'b'));
  EXPECT_EQ(over.status, 413) << over.error;
  ExpectJsonErrorBody(over, "PAYLOAD_TOO_LARGE");

  // Declared length over the limit, body not sent at all: answered from the head alone.
  TestConnection declared(port);
  ASSERT_TRUE(declared.ok());
  HttpResult early = BeginOversizedUpload(&declared, "/v1/stream/limits");
  EXPECT_EQ(early.status, 413) << early.error;

  // Chunked body that grows past the limit.
  TestConnection chunked(port);
  ASSERT_TRUE(chunked.ok());
  std::string request =
      "POST /v1/stream/limits HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 4; ++i) request += "200\r\n" + std::string(512, 'c') + "\r\n";
  request += "0\r\n\r\n";
  ASSERT_TRUE(chunked.send(request));
  HttpResult chunked_over = chunked.read_response(Millis(3000));
  EXPECT_EQ(chunked_over.status, 413) << chunked_over.error;

  // Nothing over the limit was stored.
  HttpResult read = Request(port, "GET", "/v1/stream/limits?offset=-1");
  EXPECT_EQ(read.status, 200);
  EXPECT_EQ(read.body, std::string(1024, 'a'));
}

TEST_F(ServerProcessTest, LargeBodyOverLimitStillGets413BeforeReset) {
  // The client has written far more than the limit by the time it reads; the 413 must not be
  // lost to a TCP reset caused by closing a socket with unread request bytes.
  uint16_t port = 0;
  auto server = Start({"--max-body-bytes", "1024"}, &port);
  ASSERT_NE(port, 0);
  ASSERT_EQ(Request(port, "PUT", "/v1/stream/big", {{"Content-Type", "text/plain"}}).status, 201);
  int got_413 = 0;
  constexpr int kTries = 5;
  for (int i = 0; i < kTries; ++i) {
    TestConnection connection(port);
    ASSERT_TRUE(connection.ok());
    connection.send(BuildRequest("POST", "/v1/stream/big", {{"Content-Type", "text/plain"}},
                                 std::string(2 << 20, 'z')));
    HttpResult result = connection.read_response(Millis(3000));
    if (result.status == 413) ++got_413;
  }
  EXPECT_EQ(got_413, kTries);
}

TEST_F(ServerProcessTest, RefusedUploadIsDrainedNotReset) {
  // After a 413 the client may go on sending the body it had started. The server half-closes
  // and drops what still arrives, so those sends succeed and the client then sees an orderly
  // end of the connection; closing at once would answer them with a reset.
  uint16_t port = 0;
  auto server = Start({"--max-body-bytes", "1024"}, &port);
  ASSERT_NE(port, 0);
  ASSERT_EQ(Request(port, "PUT", "/v1/stream/drained", {{"Content-Type", "text/plain"}}).status,
            201);
  TestConnection connection(port);
  ASSERT_TRUE(connection.ok());
  HttpResult refused = BeginOversizedUpload(&connection, "/v1/stream/drained");
  ASSERT_EQ(refused.status, 413) << refused.error;
  std::this_thread::sleep_for(Millis(100));  // the server has finished its answer by now
  const std::string piece(64 * 1024, 'z');
  for (int i = 0; i < 16; ++i) {
    ASSERT_TRUE(connection.send(piece)) << "send " << i << " after the 413 failed: reset";
    std::this_thread::sleep_for(Millis(10));
  }
  connection.shutdown_send();
  bool closed = false;
  connection.read_until_close(Millis(3000), &closed);
  EXPECT_TRUE(closed);
  HttpResult read = Request(port, "GET", "/v1/stream/drained?offset=-1");
  EXPECT_EQ(read.status, 200);
  EXPECT_EQ(read.body, "");
}

TEST_F(ServerProcessTest, DrainAfterARefusalIsBoundedInTime) {
  // A client that keeps sending after its 413 cannot hold the connection open: the drain lasts
  // about 2 s, then the server closes.
  uint16_t port = 0;
  auto server = Start({"--max-body-bytes", "1024"}, &port);
  ASSERT_NE(port, 0);
  ASSERT_EQ(Request(port, "PUT", "/v1/stream/endless", {{"Content-Type", "text/plain"}}).status,
            201);
  TestConnection connection(port);
  ASSERT_TRUE(connection.ok());
  HttpResult refused = BeginOversizedUpload(&connection, "/v1/stream/endless");
  ASSERT_EQ(refused.status, 413) << refused.error;
  // The server half-closes at once (its answer is complete), so reads see the end; what ends
  // the drain is the full close, after which our sends are answered with a reset and fail.
  auto start = Clock::now();
  const std::string piece(16 * 1024, 'z');
  while (MillisSince(start) < 6000) {
    if (!connection.send(piece)) break;
    std::this_thread::sleep_for(Millis(50));
  }
  EXPECT_LT(MillisSince(start), 4000) << "still draining after 4 s";
  EXPECT_GE(MillisSince(start), 1500) << "closed before draining for long";
}

TEST_F(ServerProcessTest, EndlessChunkSizeLineIs400) {
  // A chunk-size line (with extensions) that never ends is bounded like a request head, not
  // buffered until the request timeout.
  uint16_t port = 0;
  auto server = Start({"--max-header-bytes", "4096"}, &port);
  ASSERT_NE(port, 0);
  ASSERT_EQ(Request(port, "PUT", "/v1/stream/chunky", {{"Content-Type", "text/plain"}}).status,
            201);
  TestConnection connection(port);
  ASSERT_TRUE(connection.ok());
  auto start = Clock::now();
  ASSERT_TRUE(connection.send("POST /v1/stream/chunky HTTP/1.1\r\nHost: x\r\n"
                              "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                              "5;ext=" + std::string(20000, 'e')));
  HttpResult response = connection.read_response(Millis(3000));
  EXPECT_EQ(response.status, 400) << response.error;
  ExpectJsonErrorBody(response, "BAD_REQUEST");
  EXPECT_LT(MillisSince(start), 2000);
}

TEST_F(ServerProcessTest, MalformedRequestAfterAHeadStillGetsItsErrorBody) {
  uint16_t port = 0;
  auto server = Start({}, &port);
  ASSERT_NE(port, 0);
  ASSERT_EQ(Request(port, "PUT", "/v1/stream/headfirst", {{"Content-Type", "text/plain"}}).status,
            201);
  TestConnection connection(port);
  ASSERT_TRUE(connection.ok());
  ASSERT_TRUE(connection.send(BuildRequest("HEAD", "/v1/stream/headfirst", {}, "")));
  HttpResult head = connection.read_response(Millis(3000), /*head_request=*/true);
  ASSERT_EQ(head.status, 200) << head.error;
  ASSERT_TRUE(connection.send("GET /v1/stream/headfirst HTTP/1.1\r\nNo colon here\r\n\r\n"));
  HttpResult bad = connection.read_response(Millis(3000));
  EXPECT_EQ(bad.status, 400) << bad.error;
  ExpectJsonErrorBody(bad, "BAD_REQUEST");
}

TEST_F(ServerProcessTest, RandomBadRequestsGetA4xxWithJsonErrorNeverA5xx) {
  // A seeded random mix of methods, targets, protocol headers, bodies and raw garbage, each on
  // its own connection: every answer is below 500, every error (but HEAD's) carries the JSON
  // error body, and the server is still there and consistent afterwards.
  uint16_t port = 0;
  auto server = Start({"--storage", "rocksdb", "--sync", "always", "--long-poll-timeout-ms", "20",
                       "--sse-reconnect-ms", "20"},
                      &port);
  ASSERT_NE(port, 0);
  ASSERT_EQ(Request(port, "PUT", "/v1/stream/f", {{"Content-Type", "text/plain"}}).status, 201);
  ASSERT_EQ(Request(port, "PUT", "/v1/stream/j", {{"Content-Type", "application/json"}}).status,
            201);
  const std::vector<std::string> methods = {"GET", "POST", "PUT", "DELETE", "HEAD",
                                            "GET", "POST", "PUT", "OPTIONS", "PATCH", "BREW"};
  const std::vector<std::string> targets = {
      "/v1/stream/f", "/v1/stream/j", "/v1/stream/n", "/v1/stream/", "/v1/stream/%2e%2e/x",
      "/", "*", "/v1/stream/" + std::string(300, 'a'), "/v1/stream/f?offset=",
      "/v1/stream/f?offset=-1&live=sse", "/v1/stream/j?offset=-1&live=long-poll",
      "/v1/stream/f?offset=0000000000000000_0000000000000001",
      "/v1/stream/f?offset=99999999999999999999_1", "/v1/stream/f?offset=-1&offset=now",
      "/v1/stream/f?live=sse", "/v1/stream/f%00x"};
  const std::vector<std::string> headers = {
      "Content-Type: application/json", "Content-Type: text/plain", "Content-Type: ;;;",
      "Stream-Seq: 5", "Stream-Seq: ", "Producer-Id: p", "Producer-Epoch: 1",
      "Producer-Seq: -1", "Producer-Epoch: 99999999999999999999999", "Stream-TTL: 10",
      "Stream-TTL: -5", "Stream-Expires-At: garbage", "Stream-Closed: true",
      "Stream-Forked-From: /v1/stream/f", "If-None-Match: *", "Transfer-Encoding: chunked",
      "Content-Length: 5", "Content-Length: -1", "Expect: 100-continue", "X-Bytes: \x01\x02"};
  const std::vector<std::string> bodies = {"", "[1,2,3]", "{\"a\":1}", "[", "]", "abc",
                                           "\xff\xfe", "[]", "[[],{}]",
                                           "5\r\nhello\r\n0\r\n\r\n", "zz\r\n", "null"};
  std::mt19937 random(20261127);
  auto pick = [&](const std::vector<std::string>& from) {
    return from[std::uniform_int_distribution<size_t>(0, from.size() - 1)(random)];
  };
  auto chance = [&](double p) { return std::uniform_real_distribution<>(0, 1)(random) < p; };
  std::map<int, int> statuses;  // by hundreds: the mix must reach both accepted and refused paths
  for (int i = 0; i < 600; ++i) {
    std::string method = pick(methods);
    std::string request = method + " " + pick(targets) + (chance(0.9) ? " HTTP/1.1" : " HTTP/1.0");
    request += "\r\nHost: x\r\n";
    for (int h = std::uniform_int_distribution<>(0, 4)(random); h > 0; --h) {
      request += pick(headers) + "\r\n";
    }
    std::string body = pick(bodies);
    if (chance(0.5)) request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    request += "\r\n" + body;
    if (chance(0.1)) {  // raw garbage instead of a request
      request.resize(std::uniform_int_distribution<size_t>(1, 200)(random));
      for (char& c : request) c = static_cast<char>(random());
      method = "?";
    } else if (chance(0.1)) {  // one byte flipped somewhere
      request[std::uniform_int_distribution<size_t>(0, request.size() - 1)(random)] ^= 0x20;
      method = "?";
    }
    TestConnection connection(port);
    ASSERT_TRUE(connection.ok());
    connection.send(request);
    connection.shutdown_send();
    HttpResult response = connection.read_response(Millis(3000), method == "HEAD");
    SCOPED_TRACE("request " + std::to_string(i) + ": " + request.substr(0, 120));
    if (response.status == 0) {
      EXPECT_TRUE(response.closed) << "no answer and no close: " << response.error;
      continue;
    }
    ++statuses[response.status / 100];
    EXPECT_LT(response.status, 500) << response.body;
    if (response.status >= 400 && method != "HEAD") {
      EXPECT_EQ(response.body.rfind("{\"error\":{\"code\":\"", 0), 0u) << response.body;
    }
  }
  EXPECT_GT(statuses[2], 30);
  EXPECT_GT(statuses[4], 200);
  // Still serving (the random DELETEs may have removed f and j, so a new stream).
  EXPECT_EQ(Request(port, "PUT", "/v1/stream/after", {{"Content-Type", "text/plain"}}).status, 201);
  EXPECT_EQ(
      Request(port, "POST", "/v1/stream/after", {{"Content-Type", "text/plain"}}, "ok").status,
      204);
  EXPECT_EQ(Request(port, "GET", "/v1/stream/after?offset=-1").body, "ok");
}

TEST_F(ServerProcessTest, HeadOverMaxHeaderBytesIs431) {
  uint16_t port = 0;
  auto server = Start({"--max-header-bytes", "2048"}, &port);
  ASSERT_NE(port, 0);
  HttpResult small = Request(port, "PUT", "/v1/stream/h", {{"X-Pad", std::string(512, 'p')}});
  EXPECT_EQ(small.status, 201) << small.error;
  HttpResult big = Request(port, "GET", "/v1/stream/h", {{"X-Pad", std::string(4096, 'p')}});
  EXPECT_EQ(big.status, 431) << big.error;
  ExpectJsonErrorBody(big, "HEADERS_TOO_LARGE");
  // Many small headers add up too.
  Headers many;
  for (int i = 0; i < 100; ++i) many.emplace_back("X-H" + std::to_string(i), std::string(40, 'q'));
  EXPECT_EQ(Request(port, "GET", "/v1/stream/h", many).status, 431);
}

// ---------------------------------------------------------------------------------------------
// Timeouts

TEST_F(ServerProcessTest, HalfRequestHeadIsDisconnected) {
  uint16_t port = 0;
  auto server = Start({"--request-timeout-ms", "300", "--idle-timeout-ms", "300"}, &port);
  ASSERT_NE(port, 0);
  TestConnection connection(port);
  ASSERT_TRUE(connection.ok());
  auto start = Clock::now();
  ASSERT_TRUE(connection.send("GET /v1/stream/x HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
  bool closed = false;
  connection.read_until_close(Millis(3000), &closed);
  EXPECT_TRUE(closed) << "a half-sent request head held the connection for 3 s";
  EXPECT_LT(MillisSince(start), 2000);
  EXPECT_GE(MillisSince(start), 250);
}

TEST_F(ServerProcessTest, TricklingHeadIsDisconnectedAfterRequestTimeout) {
  // A slow client that keeps sending a byte at a time must not extend the deadline.
  uint16_t port = 0;
  auto server = Start({"--request-timeout-ms", "300", "--idle-timeout-ms", "300"}, &port);
  ASSERT_NE(port, 0);
  TestConnection connection(port);
  ASSERT_TRUE(connection.ok());
  auto start = Clock::now();
  std::string head = "GET /v1/stream/x HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
  bool closed = false;
  for (int i = 0; i < 40 && !closed; ++i) {
    if (!connection.send(i < static_cast<int>(head.size()) ? head.substr(i, 1) : "a")) break;
    connection.read_until_close(Millis(50), &closed);
  }
  if (!closed) connection.read_until_close(Millis(1000), &closed);
  EXPECT_TRUE(closed);
  EXPECT_LT(MillisSince(start), 1500);
}

TEST_F(ServerProcessTest, RequestTimeoutBoundsHalfHeadEvenWithLongIdleTimeout) {
  // --request-timeout-ms is "time allowed to receive one whole request"; --idle-timeout-ms is for
  // keep-alive connections with no request. A client that has started a request must be held to
  // the request timeout, not the (much longer) idle timeout.
  uint16_t port = 0;
  auto server = Start({"--request-timeout-ms", "300", "--idle-timeout-ms", "20000"}, &port);
  ASSERT_NE(port, 0);
  TestConnection connection(port);
  ASSERT_TRUE(connection.ok());
  auto start = Clock::now();
  ASSERT_TRUE(connection.send("GET /v1/stream/x HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
  bool closed = false;
  connection.read_until_close(Millis(2000), &closed);
  EXPECT_TRUE(closed) << "half a request head is still connected after "
                      << MillisSince(start) << " ms with --request-timeout-ms 300";
}

TEST_F(ServerProcessTest, IdleKeepAliveConnectionIsClosed) {
  uint16_t port = 0;
  auto server = Start({"--request-timeout-ms", "1000", "--idle-timeout-ms", "300"}, &port);
  ASSERT_NE(port, 0);
  TestConnection connection(port);
  ASSERT_TRUE(connection.ok());
  ASSERT_TRUE(connection.send(BuildRequest("PUT", "/v1/stream/idle", {}, "")));
  HttpResult created = connection.read_response(Millis(3000));
  EXPECT_EQ(created.status, 201);
  auto start = Clock::now();
  bool closed = false;
  connection.read_until_close(Millis(3000), &closed);
  EXPECT_TRUE(closed);
  EXPECT_LT(MillisSince(start), 2000);
}

// ---------------------------------------------------------------------------------------------
// SSE reconnect

TEST_F(ServerProcessTest, SseEndsAfterReconnectIntervalWithCurrentOffset) {
  uint16_t port = 0;
  auto server = Start({"--sse-reconnect-ms", "800"}, &port);
  ASSERT_NE(port, 0);
  ASSERT_EQ(Request(port, "PUT", "/v1/stream/sse", {{"Content-Type", "text/plain"}}, "abc").status,
            201);
  TestConnection sse(port);
  ASSERT_TRUE(sse.ok());
  auto start = Clock::now();
  ASSERT_TRUE(sse.send(BuildRequest("GET", "/v1/stream/sse?offset=-1&live=sse", {}, "")));
  ASSERT_TRUE(sse.read_until("upToDate", Millis(3000))) << sse.buffered();
  // Data appended while the response is open is delivered before the reconnect.
  ASSERT_EQ(Request(port, "POST", "/v1/stream/sse", {{"Content-Type", "text/plain"}}, "defg").status,
            204);
  HttpResult response = sse.read_response(Millis(5000));
  long long elapsed = MillisSince(start);
  EXPECT_EQ(response.status, 200) << response.error;
  EXPECT_TRUE(response.chunked);
  EXPECT_TRUE(response.complete) << "no chunked terminator: " << response.error;
  EXPECT_FALSE(response.header("Content-Length").has_value());
  EXPECT_EQ(response.header("Content-Type").value_or(""), "text/event-stream");
  EXPECT_GE(elapsed, 700);
  EXPECT_LT(elapsed, 3000);
  auto events = ParseSse(response.body);
  ASSERT_FALSE(events.empty()) << response.body;
  std::string data;
  for (const auto& event : events) {
    if (event.type == "data") data += event.data;
  }
  EXPECT_EQ(data, "abcdefg");
  EXPECT_EQ(events.back().type, "control");
  EXPECT_NE(events.back().data.find("\"streamNextOffset\":\"" + Offset(7) + "\""),
            std::string::npos)
      << events.back().data;
  EXPECT_NE(events.back().data.find("streamCursor"), std::string::npos);
  bool closed = false;
  sse.read_until_close(Millis(1000), &closed);
  EXPECT_TRUE(closed) << "connection stays open after the SSE response ended";
}

// A catch-up larger than the socket buffers, to a reader that does not read at first: the
// server's direct send comes up short and the rest must go out asynchronously, in order.
TEST_F(ServerProcessTest, SseCatchUpReachesASlowReaderWhole) {
  uint16_t port = 0;
  auto server = Start({"--sse-reconnect-ms", "2000"}, &port);
  ASSERT_NE(port, 0);
  const std::string expected =
      CreateBigStream(port, "/v1/stream/sse-big", "text/plain", [](int i) {
        std::string piece(64 * 1024, static_cast<char>('a' + i % 26));
        return piece.replace(0, std::to_string(i).size(), std::to_string(i));
      });
  ASSERT_FALSE(expected.empty());
  TestConnection sse(port);
  ASSERT_TRUE(sse.ok());
  HttpResult response = ReadSlowly(&sse, "/v1/stream/sse-big?offset=-1&live=sse");
  ASSERT_EQ(response.status, 200) << response.error;
  EXPECT_TRUE(response.complete) << response.error;
  std::string data;
  for (const auto& event : ParseSse(response.body)) {
    if (event.type == "data") data += event.data;
  }
  EXPECT_EQ(data.size(), expected.size());
  EXPECT_TRUE(data == expected) << "the delivered bytes differ from the appended ones";
}

// An SSE reader that stops reading: the event being written waits for it, bounded by the write
// timeout, and costs no CPU meanwhile. (The response's one timer once re-armed itself, again
// and again, for a reconnect or heartbeat time that passed during the write, spinning an IO
// thread until the write ended.)
TEST_F(ServerProcessTest, SseWriteToAStalledReaderWaitsWithoutSpinning) {
  uint16_t port = 0;
  auto server = Start({"--sse-reconnect-ms", "200"}, &port);
  ASSERT_NE(port, 0);
  ASSERT_FALSE(CreateBigStream(port, "/v1/stream/sse-stalled", "text/plain", [](int i) {
                 return std::string(64 * 1024, static_cast<char>('a' + i % 26));
               }).empty());
  TestConnection sse(port);
  ASSERT_TRUE(sse.ok());
  // 4 MiB of catch-up, never read: the server's write stalls once the socket buffers are full,
  // and the reconnect time passes with it in flight.
  ASSERT_TRUE(sse.send(BuildRequest("GET", "/v1/stream/sse-stalled?offset=-1&live=sse", {}, "")));
  std::this_thread::sleep_for(Millis(500));
  const long long before = ProcessCpuMillis(server->pid());
  std::this_thread::sleep_for(Millis(2000));
  const long long used = ProcessCpuMillis(server->pid()) - before;
  ASSERT_GE(before, 0);
  EXPECT_LT(used, 500) << "the server used " << used << " ms of CPU in 2 s while its only "
                       << "client was a stalled SSE reader";
}

// A response larger than the socket buffers, to a client that does not read at first: the
// direct send comes up short and the rest must follow asynchronously, in order.
TEST_F(ServerProcessTest, LargeReadReachesASlowReaderWhole) {
  uint16_t port = 0;
  auto server = Start({"--max-read-bytes", "8388608"}, &port);
  ASSERT_NE(port, 0);
  const std::string expected = CreateBigStream(
      port, "/v1/stream/big-read", "application/octet-stream",
      [](int i) { return std::string(64 * 1024, static_cast<char>(i)); });
  ASSERT_FALSE(expected.empty());
  TestConnection reader(port);
  ASSERT_TRUE(reader.ok());
  HttpResult response = ReadSlowly(&reader, "/v1/stream/big-read?offset=-1");
  ASSERT_EQ(response.status, 200) << response.error;
  EXPECT_TRUE(response.complete) << response.error;
  EXPECT_EQ(response.body.size(), expected.size());
  EXPECT_TRUE(response.body == expected) << "the delivered bytes differ from the appended ones";
  // The connection stays usable for the next request.
  ASSERT_TRUE(reader.send(BuildRequest("HEAD", "/v1/stream/big-read", {}, "")));
  HttpResult head = reader.read_response(Millis(5000), /*head_request=*/true);
  EXPECT_EQ(head.status, 200) << head.error;
}

TEST_F(ServerProcessTest, SseOnClosedStreamEndsAtOnce) {
  uint16_t port = 0;
  auto server = Start({}, &port);
  ASSERT_NE(port, 0);
  ASSERT_EQ(Request(port, "PUT", "/v1/stream/sse-closed",
                    {{"Content-Type", "application/octet-stream"}, {"Stream-Closed", "true"}},
                    std::string("\x00\x01\x02", 3))
                .status,
            201);
  auto start = Clock::now();
  HttpResult response = Request(port, "GET", "/v1/stream/sse-closed?offset=-1&live=sse");
  EXPECT_EQ(response.status, 200);
  EXPECT_TRUE(response.complete);
  EXPECT_LT(MillisSince(start), 2000);
  EXPECT_EQ(response.header("stream-sse-data-encoding").value_or(""), "base64");
  auto events = ParseSse(response.body);
  ASSERT_EQ(events.size(), 2u) << response.body;
  EXPECT_EQ(events[0].data, "AAEC");
  EXPECT_NE(events[1].data.find("\"streamClosed\":true"), std::string::npos);
  EXPECT_EQ(events[1].data.find("streamCursor"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Long-poll over the wire

TEST_F(ServerProcessTest, LongPollTimesOutWith204) {
  uint16_t port = 0;
  auto server = Start({"--long-poll-timeout-ms", "300"}, &port);
  ASSERT_NE(port, 0);
  ASSERT_EQ(Request(port, "PUT", "/v1/stream/lp").status, 201);
  auto start = Clock::now();
  HttpResult response = Request(port, "GET", "/v1/stream/lp?offset=now&live=long-poll");
  EXPECT_EQ(response.status, 204) << response.error;
  EXPECT_GE(MillisSince(start), 250);
  EXPECT_LT(MillisSince(start), 2000);
  EXPECT_TRUE(response.header("Stream-Cursor").has_value());
  EXPECT_EQ(response.header("Stream-Up-To-Date").value_or(""), "true");
}

// One connection in turn: a long-poll woken by an append, one ended by its timeout, then an SSE
// response. The connection hands each live read to its responder and gets it back; a wake or
// timer of one must never be taken for the next.
TEST_F(ServerProcessTest, OneConnectionServesLongPollsInTurnThenAnSseResponse) {
  uint16_t port = 0;
  auto server = Start({"--long-poll-timeout-ms", "300", "--sse-reconnect-ms", "500"}, &port);
  ASSERT_NE(port, 0);
  ASSERT_EQ(Request(port, "PUT", "/v1/stream/turns", {{"Content-Type", "text/plain"}}, "ab").status,
            201);
  TestConnection connection(port);
  ASSERT_TRUE(connection.ok());
  ASSERT_TRUE(connection.send(
      BuildRequest("GET", "/v1/stream/turns?offset=" + Offset(2) + "&live=long-poll", {}, "")));
  std::this_thread::sleep_for(Millis(100));  // parked by now
  ASSERT_EQ(
      Request(port, "POST", "/v1/stream/turns", {{"Content-Type", "text/plain"}}, "cd").status,
      204);
  HttpResult woken = connection.read_response(Millis(3000));
  EXPECT_EQ(woken.status, 200) << woken.error;
  EXPECT_EQ(woken.body, "cd");
  EXPECT_EQ(woken.header("Stream-Next-Offset").value_or(""), Offset(4));

  auto start = Clock::now();
  ASSERT_TRUE(connection.send(
      BuildRequest("GET", "/v1/stream/turns?offset=" + Offset(4) + "&live=long-poll", {}, "")));
  HttpResult timed_out = connection.read_response(Millis(3000));
  EXPECT_EQ(timed_out.status, 204) << timed_out.error;
  EXPECT_GE(MillisSince(start), 250);

  ASSERT_TRUE(connection.send(BuildRequest("GET", "/v1/stream/turns?offset=-1&live=sse", {}, "")));
  HttpResult sse = connection.read_response(Millis(3000));
  EXPECT_EQ(sse.status, 200) << sse.error;
  EXPECT_TRUE(sse.complete) << "no chunked terminator: " << sse.error;
  std::string data;
  for (const auto& event : ParseSse(sse.body)) {
    if (event.type == "data") data += event.data;
  }
  EXPECT_EQ(data, "abcd");
  bool closed = false;
  connection.read_until_close(Millis(1000), &closed);
  EXPECT_TRUE(closed) << "connection stays open after the SSE response ended";
}

// ---------------------------------------------------------------------------------------------
// Connection reuse

TEST_F(ServerProcessTest, PipelinedRequestsAreAnsweredInOrder) {
  uint16_t port = 0;
  auto server = Start({}, &port);
  ASSERT_NE(port, 0);
  ASSERT_EQ(Request(port, "PUT", "/v1/stream/pipe", {{"Content-Type", "text/plain"}}, "ab").status,
            201);
  TestConnection connection(port);
  ASSERT_TRUE(connection.ok());
  ASSERT_TRUE(connection.send(
      BuildRequest("POST", "/v1/stream/pipe", {{"Content-Type", "text/plain"}}, "cd") +
      BuildRequest("GET", "/v1/stream/pipe?offset=-1", {}, "") +
      BuildRequest("GET", "/v1/stream/missing", {}, "")));
  HttpResult append = connection.read_response(Millis(3000));
  EXPECT_EQ(append.status, 204) << append.error;
  HttpResult read = connection.read_response(Millis(3000));
  EXPECT_EQ(read.status, 200) << read.error;
  EXPECT_EQ(read.body, "abcd");
  HttpResult missing = connection.read_response(Millis(3000));
  EXPECT_EQ(missing.status, 404) << missing.error;
}

TEST_F(ServerProcessTest, RequestArrivingInPiecesIsParsedWhole) {
  // The head, then the body in three pieces with pauses between them (each piece a separate
  // read on the server), then a second request on the same connection: the request deadline
  // (counted from the first bytes) is long enough, so nothing is cut and nothing is lost.
  uint16_t port = 0;
  auto server = Start({"--request-timeout-ms", "5000", "--idle-timeout-ms", "5000"}, &port);
  ASSERT_NE(port, 0);
  ASSERT_EQ(Request(port, "PUT", "/v1/stream/pieces", {{"Content-Type", "text/plain"}}).status,
            201);
  TestConnection connection(port);
  ASSERT_TRUE(connection.ok());
  const std::string body = "first-second-third";
  std::string request =
      BuildRequest("POST", "/v1/stream/pieces", {{"Content-Type", "text/plain"}}, body);
  const size_t head_size = request.size() - body.size();
  ASSERT_TRUE(connection.send(std::string_view(request).substr(0, head_size - 1)));
  std::this_thread::sleep_for(Millis(100));
  ASSERT_TRUE(connection.send(std::string_view(request).substr(head_size - 1, 7)));
  std::this_thread::sleep_for(Millis(100));
  ASSERT_TRUE(connection.send(std::string_view(request).substr(head_size + 6, 7)));
  std::this_thread::sleep_for(Millis(100));
  ASSERT_TRUE(connection.send(std::string_view(request).substr(head_size + 13)));
  HttpResult append = connection.read_response(Millis(3000));
  EXPECT_EQ(append.status, 204) << append.error;
  ASSERT_TRUE(connection.send(BuildRequest("GET", "/v1/stream/pieces?offset=-1", {}, "")));
  HttpResult read = connection.read_response(Millis(3000));
  EXPECT_EQ(read.status, 200) << read.error;
  EXPECT_EQ(read.body, body);
}

TEST_F(ServerProcessTest, BodyCutShortByTheClientIs400AndAppendsNothing) {
  uint16_t port = 0;
  auto server = Start({}, &port);
  ASSERT_NE(port, 0);
  ASSERT_EQ(Request(port, "PUT", "/v1/stream/cut", {{"Content-Type", "text/plain"}}).status, 201);
  {
    TestConnection connection(port);
    ASSERT_TRUE(connection.ok());
    std::string request =
        BuildRequest("POST", "/v1/stream/cut", {{"Content-Type", "text/plain"}}, "0123456789");
    ASSERT_TRUE(connection.send(std::string_view(request).substr(0, request.size() - 4)));
    connection.shutdown_send();  // the client is done sending, six of ten body bytes in
    HttpResult response = connection.read_response(Millis(3000));
    EXPECT_EQ(response.status, 400) << response.error;
    ExpectJsonErrorBody(response, "BAD_REQUEST");
  }
  HttpResult read = Request(port, "GET", "/v1/stream/cut?offset=-1");
  EXPECT_EQ(read.status, 200);
  EXPECT_EQ(read.body, "");
}

TEST_F(ServerProcessTest, ResponsesCarryDateHeader) {
  // RFC 9110 6.6.1: an origin server with a clock MUST send Date in 2xx, 3xx and 4xx responses.
  uint16_t port = 0;
  auto server = Start({}, &port);
  ASSERT_NE(port, 0);
  HttpResult created = Request(port, "PUT", "/v1/stream/dated");
  EXPECT_EQ(created.status, 201);
  EXPECT_TRUE(created.header("Date").has_value()) << "no Date on 201";
  HttpResult missing = Request(port, "GET", "/v1/stream/undated");
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(missing.header("Date").has_value()) << "no Date on 404";
}

TEST_F(ServerProcessTest, HeadResponseDoesNotClaimAZeroLengthBody) {
  // RFC 9110 8.6: a HEAD response may omit Content-Length, but must not send one unless it equals
  // the length a GET would have returned. GET of this stream returns 5 bytes.
  uint16_t port = 0;
  auto server = Start({}, &port);
  ASSERT_NE(port, 0);
  ASSERT_EQ(Request(port, "PUT", "/v1/stream/head", {{"Content-Type", "text/plain"}}, "hello").status,
            201);
  TestConnection connection(port);
  ASSERT_TRUE(connection.ok());
  ASSERT_TRUE(connection.send(BuildRequest("HEAD", "/v1/stream/head", {}, "") +
                              BuildRequest("GET", "/v1/stream/head", {}, "")));
  HttpResult head = connection.read_response(Millis(3000), /*head_request=*/true);
  EXPECT_EQ(head.status, 200);
  auto length = head.header("Content-Length");
  if (length) {
    EXPECT_EQ(*length, "5") << "HEAD claims a different body length than GET";
  }
  // The HEAD response carried no body: the next response follows directly.
  HttpResult get = connection.read_response(Millis(3000));
  EXPECT_EQ(get.status, 200) << get.error;
  EXPECT_EQ(get.body, "hello");
}

// ---------------------------------------------------------------------------------------------
// Shutdown and restart

TEST_F(ServerProcessTest, SigtermEndsLiveReadersAndExitsZero) {
  uint16_t port = 0;
  auto server = Start({"--long-poll-timeout-ms", "20000", "--sse-reconnect-ms", "20000"}, &port);
  ASSERT_NE(port, 0);
  ASSERT_EQ(Request(port, "PUT", "/v1/stream/live", {{"Content-Type", "text/plain"}}, "x").status,
            201);
  TestConnection long_poll(port);
  TestConnection sse(port);
  ASSERT_TRUE(long_poll.ok() && sse.ok());
  ASSERT_TRUE(long_poll.send(BuildRequest("GET", "/v1/stream/live?offset=now&live=long-poll", {}, "")));
  ASSERT_TRUE(sse.send(BuildRequest("GET", "/v1/stream/live?offset=now&live=sse", {}, "")));
  ASSERT_TRUE(sse.read_until("upToDate", Millis(3000)));
  std::this_thread::sleep_for(Millis(200));  // let the long-poll park

  auto start = Clock::now();
  server->signal(SIGTERM);
  HttpResult poll_result = long_poll.read_response(Millis(3000));
  EXPECT_LT(MillisSince(start), 2500);
  EXPECT_NE(poll_result.status, 0) << "long-poll got no response: " << poll_result.error;
  EXPECT_EQ(poll_result.status, 204);
  HttpResult sse_result = sse.read_response(Millis(3000));
  EXPECT_EQ(sse_result.status, 200);
  EXPECT_TRUE(sse_result.complete) << "SSE response not terminated: " << sse_result.error;
  EXPECT_LT(MillisSince(start), 2500);
  auto code = server->wait_exit(Millis(5000));
  ASSERT_TRUE(code.has_value()) << "server still running 5 s after SIGTERM";
  EXPECT_EQ(*code, 0) << server->err();
  EXPECT_LT(MillisSince(start), 5000);
  EXPECT_NE(server->err().find("stopped"), std::string::npos) << server->err();
}

TEST_F(ServerProcessTest, RocksDbRestartKeepsBytesAndOffsets) {
  std::string data_dir = dir_.path() + "/rocks";
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  const Headers octet = {{"Content-Type", "application/octet-stream"}};
  std::string tail;
  {
    uint16_t port = 0;
    auto server = Start({"--storage", "rocksdb", "--sync", "always"}, &port, data_dir);
    ASSERT_NE(port, 0);
    ASSERT_EQ(Request(port, "PUT", "/v1/stream/durable", octet, bytes.substr(0, 100)).status, 201);
    HttpResult append = Request(port, "POST", "/v1/stream/durable", octet, bytes.substr(100));
    ASSERT_EQ(append.status, 204);
    tail = append.header("Stream-Next-Offset").value_or("");
    EXPECT_EQ(tail, Offset(256));
    ASSERT_EQ(Request(port, "PUT", "/v1/stream/json", {{"Content-Type", "application/json"}},
                      R"([1,2,3])")
                  .status,
              201);
    server->signal(SIGTERM);
    auto code = server->wait_exit(Millis(5000));
    ASSERT_TRUE(code.has_value());
    EXPECT_EQ(*code, 0) << server->err();
  }
  uint16_t port = 0;
  auto server = Start({"--storage", "rocksdb", "--sync", "always"}, &port, data_dir);
  ASSERT_NE(port, 0);
  HttpResult read = Request(port, "GET", "/v1/stream/durable?offset=-1");
  EXPECT_EQ(read.status, 200);
  EXPECT_EQ(read.body, bytes);
  EXPECT_EQ(read.header("Stream-Next-Offset").value_or(""), tail);
  EXPECT_EQ(read.header("Content-Type").value_or(""), "application/octet-stream");
  HttpResult append = Request(port, "POST", "/v1/stream/durable", octet, "more");
  EXPECT_EQ(append.status, 204);
  EXPECT_EQ(append.header("Stream-Next-Offset").value_or(""), Offset(260));
  HttpResult after = Request(port, "GET", "/v1/stream/durable?offset=" + tail);
  EXPECT_EQ(after.body, "more");
  HttpResult json = Request(port, "GET", "/v1/stream/json?offset=-1");
  EXPECT_EQ(json.body, "[1,2,3]");
  EXPECT_EQ(json.header("Stream-Next-Offset").value_or(""), Offset(3));
}

TEST_F(ServerProcessTest, SecondServerOnSameDataDirFailsClearly) {
  std::string data_dir = dir_.path() + "/locked";
  uint16_t port = 0;
  auto first = Start({"--storage", "rocksdb"}, &port, data_dir);
  ASSERT_NE(port, 0);
  ServerProcess second;
  auto code = RunToExit({"--host", "127.0.0.1", "--port", "0", "--storage", "rocksdb",
                         "--data-dir", data_dir, "--threads", "1"},
                        &second);
  ASSERT_TRUE(code.has_value());
  EXPECT_NE(*code, 0);
  EXPECT_EQ((second.out() + second.err()).find("listening on"), std::string::npos) << second.err();
  EXPECT_NE(second.err().find("cannot open storage"), std::string::npos) << second.err();
  EXPECT_NE(second.err().find("lock"), std::string::npos)
      << "the message should say the directory is locked (in use): " << second.err();
  // The first server is unaffected.
  EXPECT_EQ(Request(port, "PUT", "/v1/stream/still-here").status, 201);
}

TEST_F(ServerProcessTest, TakenPortFailsClearly) {
  uint16_t port = 0;
  auto first = Start({}, &port);
  ASSERT_NE(port, 0);
  ServerProcess second;
  auto code = RunToExit({"--host", "127.0.0.1", "--port", std::to_string(port), "--storage",
                         "memory", "--threads", "1"},
                        &second);
  ASSERT_TRUE(code.has_value());
  EXPECT_NE(*code, 0);
  EXPECT_NE(second.err().find("cannot listen on 127.0.0.1:" + std::to_string(port)),
            std::string::npos)
      << second.err();
  EXPECT_NE(second.err().find("in use"), std::string::npos) << second.err();
  EXPECT_EQ(Request(port, "PUT", "/v1/stream/first-still-serves").status, 201);
}

// ---------------------------------------------------------------------------------------------
// Command line

TEST_F(ServerProcessTest, HelpExitsZeroAndDocumentsEveryFlag) {
  ServerProcess help;
  auto code = RunToExit({"--help"}, &help);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
  for (const char* flag :
       {"--host", "--port", "--data-dir", "--storage", "--sync", "--long-poll-timeout-ms",
        "--max-body-bytes", "--max-header-bytes", "--max-read-bytes", "--threads",
        "--request-timeout-ms", "--idle-timeout-ms", "--sse-reconnect-ms", "--help"}) {
    EXPECT_NE(help.out().find(flag), std::string::npos) << flag << " is not in --help:\n"
                                                        << help.out();
  }
}

TEST_F(ServerProcessTest, InvalidFlagsExitNonZeroWithMessage) {
  // Each bad command line, and what the message must name.
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--storage", "floppy"}, "streamkeeper: bad value for storage (--storage)"},
      {{"--sync", "sometimes"}, "streamkeeper: bad value for sync (--sync)"},
      {{"--long-poll-timeout-ms", "0"}, "streamkeeper: bad value for long-poll-timeout-ms"},
      {{"--max-read-bytes", "0"}, "streamkeeper: bad value for max-read-bytes"},
      {{"--port", "notaport"}, "streamkeeper: bad value for port (--port)"},
      {{"--no-such-flag"}, "streamkeeper: "},
  };
  for (const auto& [args, message] : cases) {
    ServerProcess process;
    auto code = RunToExit(args, &process);
    ASSERT_TRUE(code.has_value());
    EXPECT_EQ(*code, 2) << args[0];
    EXPECT_NE(process.err().find(message), std::string::npos) << args[0] << ": "
                                                                << process.err();
  }
  // An address that does not parse is found when the server binds it: a start-up failure.
  ServerProcess process;
  auto code = RunToExit({"--host", "not an address", "--port", "0", "--storage", "memory"},
                        &process);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 1);
  EXPECT_NE(process.err().find("error invalid --host 'not an address'"), std::string::npos)
      << process.err();
}

}  // namespace
}  // namespace streamkeeper::testing
