// tools/nginx/streamkeeper.conf as it ships, in a real nginx in front of the real streamkeeper,
// both on loopback ports (tools/nginx/local-nginx.sh changes only the conf's addresses and paths).
//
// What reached the origin is read from nginx's access log, which the conf writes with the
// upstream each request was sent to ("-" when nginx answered alone) and logs subrequests too:
// it is nginx's own record of every request it made to streamkeeper.
//
// Each rule here is one the conf exists for; breaking the conf (no cache lock, a key without the
// query, HEAD or offset=now cached, SSE buffered, the long-poll 204 not shared) fails one of them.
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "../server/http_test_client.h"
#include "../storage/temp_dir.h"

#if !defined(STREAMKEEPER_BINARY) || !defined(NGINX_BINARY) || !defined(LOCAL_NGINX_SCRIPT)
#error "STREAMKEEPER_BINARY, NGINX_BINARY and LOCAL_NGINX_SCRIPT must be defined"
#endif

namespace streamkeeper::testing {
namespace {

using Clock = std::chrono::steady_clock;

// One line of the conf's access log (log_format streamkeeper_cache).
struct LogLine {
  std::string method;
  std::string target;
  int status = 0;
  std::string cache;     // $upstream_cache_status, "-" when none
  std::string upstream;  // $upstream_addr, "-" when nginx did not ask the origin
  bool reached_origin() const { return upstream != "-"; }
};

class NginxCacheTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (nginx_) {
      nginx_->signal(SIGTERM);  // the script stops nginx (master and workers) and exits
      EXPECT_TRUE(nginx_->wait_exit(Millis(10000)).has_value()) << "nginx did not stop";
    }
    if (origin_) {
      origin_->signal(SIGTERM);
      origin_->wait_exit(Millis(10000));
    }
  }

  // Starts streamkeeper (memory storage) and nginx with the shipped conf in front of it, each
  // nginx worker taking up to `connections` connections.
  void Start(std::vector<std::string> origin_flags = {}, int connections = 1024) {
    std::vector<std::string> args = {"--host", "127.0.0.1", "--port", "0", "--storage", "memory",
                                     "--data-dir", dir_.path() + "/data", "--threads", "2"};
    args.insert(args.end(), origin_flags.begin(), origin_flags.end());
    origin_ = std::make_unique<ServerProcess>();
    ASSERT_TRUE(origin_->spawn(STREAMKEEPER_BINARY, args));
    origin_port_ = origin_->wait_listening(Millis(10000));
    ASSERT_NE(origin_port_, 0) << origin_->err();

    std::string nginx_dir = dir_.path() + "/nginx";
    std::filesystem::create_directories(nginx_dir);
    ::setenv("NGINX", NGINX_BINARY, 1);
    ::setenv("NGINX_WORKER_CONNECTIONS", std::to_string(connections).c_str(), 1);
    ::setenv("NGINX_NOFILE", std::to_string(2 * connections).c_str(), 1);
    nginx_ = std::make_unique<ServerProcess>();
    ASSERT_TRUE(nginx_->spawn("/bin/bash", {LOCAL_NGINX_SCRIPT, nginx_dir,
                                            std::to_string(FreeLoopbackPort()),
                                            std::to_string(origin_port_)}));
    port_ = nginx_->wait_listening(Millis(20000));
    ASSERT_NE(port_, 0) << "nginx did not start:\n" << nginx_->out() << nginx_->err();
    access_log_ = nginx_dir + "/access.log";
    error_log_ = nginx_dir + "/error.log";
  }

  // Every logged request whose request target is `target` (and method `method`), waiting up to
  // 3 s for at least `expected` of them: the conf's log is flushed at least once a second.
  std::vector<LogLine> Logged(const std::string& method, const std::string& target,
                              size_t expected = 1) {
    static const std::regex kLine(
        R"re("(\S+) (\S+) HTTP/1\.[01]" (\d+) \d+ cache=(\S+) upstream=(\S+) )re");
    std::vector<LogLine> lines;
    auto deadline = Clock::now() + Millis(3000);
    do {
      lines.clear();
      std::ifstream in(access_log_);
      std::string text;
      while (std::getline(in, text)) {
        std::smatch m;
        if (!std::regex_search(text, m, kLine)) continue;
        if (m[1] != method || m[2] != target) continue;
        lines.push_back(LogLine{m[1], m[2], std::stoi(m[3]), m[4], m[5]});
      }
      if (lines.size() >= expected) break;
      std::this_thread::sleep_for(Millis(20));
    } while (Clock::now() < deadline);
    return lines;
  }

  static size_t OriginRequests(const std::vector<LogLine>& lines) {
    return static_cast<size_t>(
        std::count_if(lines.begin(), lines.end(), [](const LogLine& l) { return l.reached_origin(); }));
  }

  HttpResult Get(const std::string& target, const Headers& headers = {}) {
    return Request(port_, "GET", target, headers);
  }
  HttpResult Head(const std::string& target) { return Request(port_, "HEAD", target); }

  // Creates a text stream through nginx, with `body` as its first data; returns the tail.
  std::string CreateStream(const std::string& path, const std::string& body) {
    HttpResult created = Request(port_, "PUT", path, {{"Content-Type", "text/plain"}}, body);
    EXPECT_EQ(created.status, 201) << created.error << created.body;
    return created.header("Stream-Next-Offset").value_or("");
  }
  // Appends through nginx; returns the new tail.
  std::string Append(const std::string& path, const std::string& body) {
    HttpResult appended = Request(port_, "POST", path, {{"Content-Type", "text/plain"}}, body);
    EXPECT_EQ(appended.status, 204) << appended.error << appended.body;
    return appended.header("Stream-Next-Offset").value_or("");
  }

  // Opens `count` connections and sends GET `target` on each, without reading.
  std::vector<std::unique_ptr<TestConnection>> SendConcurrently(const std::string& target,
                                                                int count) {
    std::vector<std::unique_ptr<TestConnection>> clients;
    for (int i = 0; i < count; ++i) {
      // Generous: a connect that finds nginx's accept queue full is retried by the kernel after 1 s.
      auto client = std::make_unique<TestConnection>(port_, Millis(10000));
      EXPECT_TRUE(client->ok() && client->send(BuildRequest("GET", target, {}, "")));
      clients.push_back(std::move(client));
    }
    return clients;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> origin_;
  std::unique_ptr<ServerProcess> nginx_;
  uint16_t origin_port_ = 0;
  uint16_t port_ = 0;
  std::string access_log_;
  std::string error_log_;
};

// ---------------------------------------------------------------------------------------------
// Catch-up reads

TEST_F(NginxCacheTest, RepeatedCatchUpReadIsAHitAndNeverReachesTheOrigin) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const std::string path = "/v1/stream/catch-up";
  std::string middle = CreateStream(path, "first;");
  Append(path, "second;");
  for (const std::string& offset : {std::string("-1"), middle}) {
    const std::string target = path + "?offset=" + offset;
    HttpResult first = Get(target);
    ASSERT_EQ(first.status, 200) << first.error;
    EXPECT_EQ(first.header("X-Cache-Status").value_or(""), "MISS");
    for (int i = 0; i < 5; ++i) {
      HttpResult again = Get(target);
      EXPECT_EQ(again.status, 200);
      EXPECT_EQ(again.header("X-Cache-Status").value_or(""), "HIT") << target;
      EXPECT_EQ(again.body, first.body);
      EXPECT_EQ(again.header("ETag"), first.header("ETag"));
    }
    // A client revalidating its copy is answered by nginx too.
    HttpResult validated = Get(target, {{"If-None-Match", first.header("ETag").value_or("")}});
    EXPECT_EQ(validated.status, 304);
    auto lines = Logged("GET", target, 7);
    ASSERT_EQ(lines.size(), 7u);
    EXPECT_EQ(OriginRequests(lines), 1u) << target << ": only the first read may reach the origin";
  }
  EXPECT_EQ(Get(path + "?offset=-1").body, "first;second;");
  EXPECT_EQ(Get(path + "?offset=" + middle).body, "second;");
}

TEST_F(NginxCacheTest, CacheKeyIsTheWholeQuery) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const std::string path = "/v1/stream/key";
  std::string middle = CreateStream(path, "abc");
  Append(path, "def");
  ASSERT_EQ(Get(path + "?offset=-1").body, "abcdef");
  // Another offset, and the same offset as a long-poll, are other entries: a key without the
  // query would answer them with the cached "abcdef".
  HttpResult later = Get(path + "?offset=" + middle);
  EXPECT_EQ(later.body, "def");
  EXPECT_NE(later.header("X-Cache-Status").value_or(""), "HIT");
  HttpResult live = Get(path + "?offset=" + middle + "&live=long-poll&cursor=1");
  EXPECT_EQ(live.body, "def");
  EXPECT_NE(live.header("X-Cache-Status").value_or(""), "HIT");
  EXPECT_TRUE(live.header("Stream-Cursor").has_value());
}

// The empty answer at the tail of an open stream ("nothing more yet") must not hide what is
// appended after it, nor the close: readers at the tail always get the origin's answer.
TEST_F(NginxCacheTest, ReadAtTheTailOfAnOpenStreamIsNeverServedStale) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const std::string path = "/v1/stream/tail";
  std::string tail = CreateStream(path, "abc");
  const std::string target = path + "?offset=" + tail;
  HttpResult empty = Get(target);
  ASSERT_EQ(empty.status, 200);
  EXPECT_EQ(empty.body, "");
  EXPECT_EQ(empty.header("Stream-Up-To-Date").value_or(""), "true");
  EXPECT_NE(empty.header("X-Cache-Status").value_or(""), "HIT");

  std::string after = Append(path, "def");
  HttpResult grown = Get(target);
  EXPECT_EQ(grown.body, "def");
  EXPECT_NE(grown.header("X-Cache-Status").value_or(""), "HIT");

  // The close is learned by reading at the final offset, through the cache as well.
  HttpResult open_end = Get(path + "?offset=" + after);
  EXPECT_EQ(open_end.header("Stream-Closed"), std::nullopt);
  ASSERT_EQ(Request(port_, "POST", path, {{"Stream-Closed", "true"}}).status, 204);
  HttpResult eof = Get(path + "?offset=" + after);
  EXPECT_EQ(eof.status, 200);
  EXPECT_EQ(eof.header("Stream-Closed").value_or(""), "true");
}

// ---------------------------------------------------------------------------------------------
// Long-poll collapsing

TEST_F(NginxCacheTest, HundredLongPollsAtOneOffsetAndCursorAreOneOriginRequest) {
  ASSERT_NO_FATAL_FAILURE(Start());  // the origin's long-poll timeout: 30 s, the default
  const std::string path = "/v1/stream/collapse";
  std::string tail = CreateStream(path, "history;");
  const std::string target = path + "?offset=" + tail + "&live=long-poll&cursor=42";
  auto clients = SendConcurrently(target, 100);
  // All parked: one at the origin, 99 on the cache lock, for longer than nginx's default lock
  // timeout and age (5 s), after which waiters would go to the origin themselves.
  std::this_thread::sleep_for(Millis(6000));
  std::string next = Append(path, "news;");

  std::set<std::string> cursors;
  for (auto& client : clients) {
    HttpResult result = client->read_response(Millis(10000));
    ASSERT_EQ(result.status, 200) << result.error;
    EXPECT_EQ(result.body, "news;");
    EXPECT_EQ(result.header("Stream-Next-Offset").value_or(""), next);
    cursors.insert(result.header("Stream-Cursor").value_or(""));
  }
  EXPECT_EQ(cursors.size(), 1u) << "all 100 must get the one answer, with one next cursor";
  auto lines = Logged("GET", target, 100);
  ASSERT_EQ(lines.size(), 100u);
  EXPECT_EQ(OriginRequests(lines), 1u);
  EXPECT_EQ(std::count_if(lines.begin(), lines.end(),
                          [](const LogLine& l) { return l.cache == "HIT"; }),
            99);

  // The same offset with another cursor is another request to the origin (answered at once:
  // the data is there now).
  const std::string other = path + "?offset=" + tail + "&live=long-poll&cursor=43";
  EXPECT_EQ(Get(other).body, "news;");
  EXPECT_EQ(OriginRequests(Logged("GET", other)), 1u);
}

// nginx counts the requests waiting for an entry in 10 bits: with its default min_uses every
// 1024th went to the origin past the lock, and came back with a cursor of its own (the conf sets
// proxy_cache_min_uses 0).
TEST_F(NginxCacheTest, ThousandsOfLongPollsAtOneKeyAreStillOneOriginRequest) {
  constexpr int kReaders = 1500;
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  ASSERT_GE(limit.rlim_max, rlim_t{kReaders + 500}) << "raise the hard descriptor limit";
  limit.rlim_cur = limit.rlim_max;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &limit), 0);
  ASSERT_NO_FATAL_FAILURE(Start({}, 4096));
  const std::string path = "/v1/stream/thousands";
  std::string tail = CreateStream(path, "a");
  const std::string target = path + "?offset=" + tail + "&live=long-poll&cursor=5";
  auto clients = SendConcurrently(target, kReaders);
  std::this_thread::sleep_for(Millis(1500));
  Append(path, "b");
  std::set<std::string> cursors;
  for (auto& client : clients) {
    HttpResult result = client->read_response(Millis(10000));
    ASSERT_EQ(result.status, 200) << result.error;
    EXPECT_EQ(result.body, "b");
    cursors.insert(result.header("Stream-Cursor").value_or(""));
  }
  EXPECT_EQ(cursors.size(), 1u);
  EXPECT_EQ(OriginRequests(Logged("GET", target, kReaders)), 1u);
}

// A long-poll that times out answers every reader collapsed onto it, with a cursor that takes
// them all to one new key; neither that 204 nor the waiters go to the origin again.
TEST_F(NginxCacheTest, LongPollTimeoutReachesEveryWaiterAndMovesThemToANewCursor) {
  ASSERT_NO_FATAL_FAILURE(Start({"--long-poll-timeout-ms", "1500"}));
  const std::string path = "/v1/stream/timeout";
  std::string tail = CreateStream(path, "x");
  const std::string first_target = path + "?offset=" + tail + "&live=long-poll&cursor=7";
  auto clients = SendConcurrently(first_target, 20);
  auto start = Clock::now();
  std::set<std::string> cursors;
  for (auto& client : clients) {
    HttpResult result = client->read_response(Millis(10000));
    ASSERT_EQ(result.status, 204) << result.error;
    EXPECT_EQ(result.header("Stream-Next-Offset").value_or(""), tail);
    EXPECT_EQ(result.header("Stream-Up-To-Date").value_or(""), "true");
    cursors.insert(result.header("Stream-Cursor").value_or(""));
  }
  // One origin timeout (1.5 s) plus the waiters' 0.5 s look at the lock; one at a time would be
  // 20 timeouts.
  EXPECT_LT(Clock::now() - start, Millis(4000));
  auto lines = Logged("GET", first_target, 20);
  EXPECT_EQ(OriginRequests(lines), 1u);
  ASSERT_EQ(cursors.size(), 1u);
  const std::string cursor = *cursors.begin();
  EXPECT_GT(std::stoull(cursor), 7u);

  // The next poll, with the new cursor, is a new key: it reaches the origin (the cached 204 is
  // not reused for it) and gets what is appended while it waits.
  const std::string second_target = path + "?offset=" + tail + "&live=long-poll&cursor=" + cursor;
  auto second = SendConcurrently(second_target, 20);
  std::this_thread::sleep_for(Millis(500));
  Append(path, "y");
  for (auto& client : second) {
    HttpResult result = client->read_response(Millis(10000));
    ASSERT_EQ(result.status, 200) << result.error;
    EXPECT_EQ(result.body, "y");
  }
  EXPECT_EQ(OriginRequests(Logged("GET", second_target, 20)), 1u);
}

// ---------------------------------------------------------------------------------------------
// Never cached: HEAD, offset=now, writes; SSE passed through

TEST_F(NginxCacheTest, HeadAlwaysReachesTheOriginAsAHead) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const std::string path = "/v1/stream/head";
  CreateStream(path, "abc");
  // A GET of the same URL is cached first; HEAD must still be the origin's metadata answer.
  ASSERT_EQ(Get(path).body, "abc");
  ASSERT_EQ(Get(path).header("X-Cache-Status").value_or(""), "HIT");
  for (int i = 0; i < 3; ++i) {
    std::string tail = Append(path, "d");
    HttpResult head = Head(path);
    ASSERT_EQ(head.status, 200) << head.error;
    EXPECT_EQ(head.header("Stream-Next-Offset").value_or(""), tail);
    EXPECT_NE(head.header("X-Cache-Status").value_or(""), "HIT");
    // The origin's HEAD answer (a GET's would carry an ETag and a public Cache-Control).
    EXPECT_EQ(head.header("Cache-Control").value_or(""), "no-store");
    EXPECT_EQ(head.header("ETag"), std::nullopt);
  }
  EXPECT_EQ(OriginRequests(Logged("HEAD", path, 3)), 3u);
}

TEST_F(NginxCacheTest, OffsetNowAlwaysReachesTheOrigin) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const std::string path = "/v1/stream/now";
  CreateStream(path, "old");
  const std::string target = path + "?offset=now";
  for (int i = 0; i < 3; ++i) {
    std::string tail = Append(path, "more");
    HttpResult now = Get(target);
    ASSERT_EQ(now.status, 200);
    EXPECT_EQ(now.header("Stream-Next-Offset").value_or(""), tail);
    EXPECT_NE(now.header("X-Cache-Status").value_or(""), "HIT");
  }
  EXPECT_EQ(OriginRequests(Logged("GET", target, 3)), 3u);

  // offset=now long-polls: the data one of them got must not be what the next one gets.
  const std::string live = path + "?offset=now&live=long-poll";
  auto waiting = SendConcurrently(live, 1);
  std::this_thread::sleep_for(Millis(500));
  Append(path, "first");
  HttpResult got = waiting[0]->read_response(Millis(5000));
  ASSERT_EQ(got.status, 200) << got.error;
  EXPECT_EQ(got.body, "first");
  auto next = SendConcurrently(live, 1);
  std::this_thread::sleep_for(Millis(500));
  Append(path, "second");
  HttpResult later = next[0]->read_response(Millis(5000));
  ASSERT_EQ(later.status, 200) << later.error;
  EXPECT_EQ(later.body, "second");
  EXPECT_NE(later.header("X-Cache-Status").value_or(""), "HIT");
  EXPECT_EQ(OriginRequests(Logged("GET", live, 2)), 2u);
}

TEST_F(NginxCacheTest, WritesPassThrough) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const std::string path = "/v1/stream/writes";
  HttpResult created = Request(port_, "PUT", path, {{"Content-Type", "text/plain"}});
  ASSERT_EQ(created.status, 201);
  EXPECT_EQ(created.header("Location").value_or(""), "http://127.0.0.1" + path);
  // Larger than nginx's default client_max_body_size (1 MiB).
  std::string big(3 << 20, 'b');
  HttpResult appended = Request(port_, "POST", path, {{"Content-Type", "text/plain"},
                                                      {"Stream-Seq", "b"}}, big);
  EXPECT_EQ(appended.status, 204) << appended.body;
  // Conflicts come from the origin, uncached, every time.
  for (int i = 0; i < 2; ++i) {
    HttpResult stale = Request(port_, "POST", path, {{"Content-Type", "text/plain"},
                                                     {"Stream-Seq", "a"}}, "x");
    EXPECT_EQ(stale.status, 409);
    EXPECT_EQ(stale.header("X-Cache-Status"), std::nullopt);
  }
  EXPECT_EQ(Get(path + "?offset=-1").body.size(), big.size());
  EXPECT_EQ(Request(port_, "DELETE", path).status, 204);
  EXPECT_EQ(Request(port_, "DELETE", path).status, 404);
  EXPECT_EQ(OriginRequests(Logged("PUT", path)), 1u);
  EXPECT_EQ(OriginRequests(Logged("POST", path, 3)), 3u);
  EXPECT_EQ(OriginRequests(Logged("DELETE", path, 2)), 2u);
}

TEST_F(NginxCacheTest, SseIsPassedThroughUnbufferedAndNeverCached) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const std::string path = "/v1/stream/sse";
  std::string tail = CreateStream(path, "abc");
  const std::string target = path + "?offset=" + tail + "&live=sse";
  for (int round = 0; round < 2; ++round) {
    TestConnection client(port_);
    ASSERT_TRUE(client.ok() && client.send(BuildRequest("GET", target, {}, "")));
    ASSERT_TRUE(client.read_until("upToDate", Millis(5000))) << client.buffered();
    EXPECT_EQ(client.buffered().find("X-Cache-Status"), std::string::npos);
    // Each event arrives as it is sent: a few bytes, far below any buffer nginx would fill.
    std::string word = "event" + std::to_string(round);
    Append(path, word);
    EXPECT_TRUE(client.read_until("data:" + word, Millis(2000))) << client.buffered();
  }
  EXPECT_EQ(OriginRequests(Logged("GET", target, 2)), 2u);
}

// Unbuffered also means nginx does not soak up a live stream for a reader that has stopped
// reading (buffered, it reads on from the origin into a temporary file, up to 1 GB per reader);
// the origin's own flow control and write deadline deal with such readers.
TEST_F(NginxCacheTest, SseToAReaderThatStopsReadingIsNotSpooledByNginx) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const std::string path = "/v1/stream/sse-slow";
  std::string tail = CreateStream(path, "");
  TestConnection reader(port_);
  ASSERT_TRUE(reader.ok() &&
              reader.send(BuildRequest("GET", path + "?offset=" + tail + "&live=sse", {}, "")));
  ASSERT_TRUE(reader.read_until("upToDate", Millis(5000)));
  const std::string mebibyte(1 << 20, 'x');
  for (int i = 0; i < 16; ++i) Append(path, mebibyte);  // far more than the socket buffers hold
  std::this_thread::sleep_for(Millis(1000));
  std::ifstream error_log(error_log_);
  std::string errors((std::istreambuf_iterator<char>(error_log)), std::istreambuf_iterator<char>());
  EXPECT_EQ(errors.find("buffered to a temporary file"), std::string::npos) << errors;
}

}  // namespace
}  // namespace streamkeeper::testing
