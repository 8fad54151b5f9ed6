// ds-admin on a live store: the real streamkeeper serves a RocksDB data directory while HTTP
// clients append, and the reading commands (list, show, read, stats, verify) and `tail` run on
// that directory (a RocksDB secondary instance) or, for tail, through --url. Also list's paging,
// read's output formats and the errors of the reading commands.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../server/server_process_fixture.h"
#include "ds_admin_fixture.h"

namespace streamkeeper {
namespace {

using namespace streamkeeper::testing;
namespace fs = std::filesystem;
using std::chrono::steady_clock;

const std::string kText = "text/plain";
const std::string kJson = "application/json";

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

boost::json::value ParseValue(const std::string& text) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(text, ec);
  EXPECT_FALSE(ec) << text;
  return value;
}

boost::json::object ParseObject(const std::string& line) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(line, ec);
  EXPECT_FALSE(ec) << line;
  if (ec || !value.is_object()) {
    ADD_FAILURE() << "not a JSON object: " << line;
    return {};
  }
  return value.as_object();
}

// Waits (bounded) until `process` has printed at least `count` lines on stdout.
bool WaitForLines(ServerProcess& process, size_t count, Millis timeout = Millis(5000)) {
  auto deadline = steady_clock::now() + timeout;
  while (Lines(process.out()).size() < count) {
    if (steady_clock::now() >= deadline) return false;
    process.drain_output(Millis(50));
  }
  return true;
}

// --- a server running on the data directory -----------------------------------------------------

class DsAdminLiveTest : public ServerProcessTest {
 protected:
  // Every ds-admin this test starts makes its secondary's scratch directory under this TMPDIR,
  // which must be empty again once they have all exited, however they ended.
  void SetUp() override {
    tmp_dir_ = dir_.path() + "/tmp";
    fs::create_directories(tmp_dir_);
    ::setenv("TMPDIR", tmp_dir_.c_str(), 1);
    data_dir_ = dir_.path() + "/data";
    server_ = Start({"--storage", "rocksdb", "--sync", "always", "--long-poll-timeout-ms", "300"},
                    &port_, data_dir_);
    ASSERT_NE(port_, 0);
  }

  void CreateStream(const std::string& path, const std::string& type) {
    HttpResult r = Request(port_, "PUT", path, {{"Content-Type", type}});
    ASSERT_EQ(r.status, 201) << r.body;
  }
  // An append the server acknowledged (204): durable (--sync always) before ds-admin runs.
  void AppendAcked(const std::string& path, const std::string& type, const std::string& body) {
    HttpResult r = Request(port_, "POST", path, {{"Content-Type", type}}, body);
    ASSERT_EQ(r.status, 204) << r.body;
  }
  std::string TailOffset(const std::string& path) {
    HttpResult r = Request(port_, "HEAD", path);
    EXPECT_EQ(r.status, 200);
    return r.header("Stream-Next-Offset").value_or("");
  }
  RunResult OnDir(const std::string& command, std::vector<std::string> args = {}) {
    args.insert(args.begin(), {command, "--data-dir", data_dir_});
    return RunDsAdmin(args, dir_.path());
  }

  void TearDown() override {
    EXPECT_TRUE(fs::is_empty(tmp_dir_)) << "a scratch directory was left in " << tmp_dir_;
    ::unsetenv("TMPDIR");
    ServerProcessTest::TearDown();
  }

  std::string tmp_dir_;
  std::string data_dir_;
  uint16_t port_ = 0;
  std::unique_ptr<ServerProcess> server_;
};

// While a writer keeps appending, every reading command sees at least every append the server
// had acknowledged when the command started, in order and without a gap.
TEST_F(DsAdminLiveTest, ReadingCommandsSeeEveryAcknowledgedAppendWhileWritesGoOn) {
  const std::string path = "/v1/stream/live";
  CreateStream(path, kText);
  std::atomic<int> acked{0};
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop && i < 100000; ++i) {
      char line[16];
      std::snprintf(line, sizeof line, "r%05d\n", i);  // 7 bytes each
      HttpResult r = Request(port_, "POST", path, {{"Content-Type", kText}}, line);
      if (r.status != 204) break;
      acked = i + 1;
    }
  });
  while (acked < 5) std::this_thread::sleep_for(Millis(5));

  for (int round = 0; round < 3; ++round) {
    int before = acked;
    RunResult read = OnDir("read", {path});
    ASSERT_EQ(read.exit_code, 0) << read.err;
    std::vector<std::string> lines = Lines(read.out);
    ASSERT_GE(lines.size(), static_cast<size_t>(before));
    for (size_t i = 0; i < lines.size(); ++i) {
      char expected[32];
      std::snprintf(expected, sizeof expected, "r%05zu", i);
      ASSERT_EQ(lines[i], expected) << "a gap or a torn record at line " << i;
    }

    before = acked;
    RunResult show = OnDir("show", {path, "--json"});
    ASSERT_EQ(show.exit_code, 0) << show.err;
    EXPECT_GE(ParseValue(show.out).at("tail").to_number<int64_t>(), 7 * before);

    before = acked;
    RunResult stats = OnDir("stats", {"--json"});
    ASSERT_EQ(stats.exit_code, 0) << stats.err;
    EXPECT_GE(ParseValue(stats.out).at("records").to_number<int64_t>(), before);

    RunResult list = OnDir("list", {"--json"});
    ASSERT_EQ(list.exit_code, 0) << list.err;
    ASSERT_EQ(Lines(list.out).size(), 1u) << list.out;
    EXPECT_EQ(ParseObject(Lines(list.out)[0]).at("path").as_string(), path);

    before = acked;
    RunResult verify = OnDir("verify");
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
    EXPECT_NE(verify.out.find("ok: 1 streams"), std::string::npos) << verify.out;

    before = acked;
    const std::string exported = dir_.path() + "/round" + std::to_string(round) + ".jsonl";
    RunResult export_run = OnDir("export", {path, "--out", exported});
    ASSERT_EQ(export_run.exit_code, 0) << export_run.err;
    // The format line, the stream, one line per append, the end line.
    EXPECT_GE(Lines(ReadFile(exported)).size(), static_cast<size_t>(before) + 3);
  }
  stop = true;
  writer.join();
}

TEST_F(DsAdminLiveTest, TailThroughTheDataDirectoryPrintsAppendsAsTheyArriveUntilClosed) {
  const std::string path = "/v1/stream/t";
  CreateStream(path, kText);
  AppendAcked(path, kText, "before");
  ServerProcess tail;
  // From the current tail, named explicitly: nothing depends on when the tail starts.
  ASSERT_TRUE(tail.spawn(DS_ADMIN_BINARY, {"tail", path, "--data-dir", data_dir_, "--offset",
                                           TailOffset(path), "--format", "jsonl"}));
  AppendAcked(path, kText, "one");
  ASSERT_TRUE(WaitForLines(tail, 1)) << tail.out() << tail.err();
  AppendAcked(path, kText, "two");
  AppendAcked(path, kText, "three");
  ASSERT_TRUE(WaitForLines(tail, 3)) << tail.out() << tail.err();
  std::vector<std::string> lines = Lines(tail.out());
  EXPECT_EQ(ParseObject(lines[0]).at("text").as_string(), "one");
  EXPECT_EQ(ParseObject(lines[0]).at("offset").as_string(), FormatOffset(6));
  EXPECT_EQ(ParseObject(lines[1]).at("text").as_string(), "two");
  EXPECT_EQ(ParseObject(lines[2]).at("offset").as_string(), FormatOffset(12));
  EXPECT_TRUE(tail.running());

  HttpResult close = Request(port_, "POST", path, {{"Stream-Closed", "true"}});
  ASSERT_EQ(close.status, 204);
  EXPECT_EQ(tail.wait_exit(Millis(5000)), std::optional<int>(0)) << tail.err();
  EXPECT_EQ(Lines(tail.out()).size(), 3u);
}

TEST_F(DsAdminLiveTest, TailThroughUrlFollowsLongPollsUntilClosed) {
  const std::string path = "/v1/stream/u";
  CreateStream(path, kJson);
  ServerProcess tail;
  ASSERT_TRUE(tail.spawn(DS_ADMIN_BINARY, {"tail", path, "--url",
                                           "http://127.0.0.1:" + std::to_string(port_),
                                           "--offset", "-1", "--format", "jsonl"}));
  AppendAcked(path, kJson, R"([{"a":1},"b"])");
  ASSERT_TRUE(WaitForLines(tail, 2)) << tail.out() << tail.err();
  // Longer than the server's long-poll timeout (300 ms): the tail takes the 204 and asks again.
  std::this_thread::sleep_for(Millis(700));
  AppendAcked(path, kJson, "3");
  ASSERT_TRUE(WaitForLines(tail, 3)) << tail.out() << tail.err();
  std::vector<std::string> lines = Lines(tail.out());
  EXPECT_EQ(boost::json::serialize(ParseObject(lines[0])),
            R"({"offset":")" + FormatOffset(0) + R"(","data":{"a":1}})");
  EXPECT_EQ(ParseObject(lines[1]).at("data").as_string(), "b");
  EXPECT_EQ(ParseObject(lines[2]).at("offset").as_string(), FormatOffset(2));
  EXPECT_EQ(ParseObject(lines[2]).at("data").to_number<int>(), 3);

  HttpResult close = Request(port_, "POST", path, {{"Stream-Closed", "true"}});
  ASSERT_EQ(close.status, 204);
  EXPECT_EQ(tail.wait_exit(Millis(5000)), std::optional<int>(0)) << tail.err();
}

// A JSON message is printed as it was stored, compacted, never through a number type: big
// integers keep their digits, 1.5e400 stays a number (not Infinity), 0.10 keeps its zero; a
// message with line breaks is one line. The same in read, tail through the directory and tail
// through --url.
TEST_F(DsAdminLiveTest, JsonMessagesArePrintedAsStoredInEveryMode) {
  const std::string path = "/v1/stream/numbers";
  CreateStream(path, kJson);
  AppendAcked(path, kJson, "[12345678901234567890123, 1.5e400, 0.10, {\"a\" :\n [1, \"x y\"]}]");
  HttpResult close = Request(port_, "POST", path, {{"Stream-Closed", "true"}});
  ASSERT_EQ(close.status, 204);
  const std::vector<std::string> expected = {"12345678901234567890123", "1.5e400", "0.10",
                                             R"({"a":[1,"x y"]})"};
  auto jsonl = [&](size_t i) {
    return "{\"offset\":\"" + FormatOffset(i) + "\",\"data\":" + expected[i] + "}";
  };

  RunResult read = OnDir("read", {path, "--format", "jsonl"});
  ASSERT_EQ(read.exit_code, 0) << read.err;
  EXPECT_EQ(Lines(read.out), (std::vector<std::string>{jsonl(0), jsonl(1), jsonl(2), jsonl(3)}));

  RunResult document = OnDir("read", {path, "--format", "json"});
  ASSERT_EQ(document.exit_code, 0) << document.err;
  EXPECT_NE(document.out.find("\"records\":[" + jsonl(0) + "," + jsonl(1) + "," + jsonl(2) +
                              "," + jsonl(3) + "]}"),
            std::string::npos)
      << document.out;

  RunResult tail_dir = OnDir("tail", {path, "--offset", "-1"});
  ASSERT_EQ(tail_dir.exit_code, 0) << tail_dir.err;
  EXPECT_EQ(Lines(tail_dir.out), expected);

  RunResult tail_url = RunDsAdmin({"tail", path, "--url", "http://127.0.0.1:" + std::to_string(port_),
                                   "--offset", "-1", "--format", "jsonl"},
                                  dir_.path());
  ASSERT_EQ(tail_url.exit_code, 0) << tail_url.err;
  EXPECT_EQ(Lines(tail_url.out), (std::vector<std::string>{jsonl(0), jsonl(1), jsonl(2), jsonl(3)}));
}

// export reads like the other reading commands: on a live directory through a secondary, and
// changes nothing there.
TEST_F(DsAdminLiveTest, ExportWorksOnALiveDirectory) {
  const std::string path = "/v1/stream/exported";
  CreateStream(path, "text/plain");
  AppendAcked(path, "text/plain", "acknowledged");
  const std::string out = dir_.path() + "/live.jsonl";
  RunResult r = OnDir("export", {path, "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = Lines(ReadFile(out));
  ASSERT_EQ(lines.size(), 4u);  // format, stream, record, end
  EXPECT_NE(lines[2].find("\"data\":\"acknowledged\""), std::string::npos) << lines[2];
}

// Appends in flight while both kinds of tail follow from the start: each prints exactly what
// was appended, in order, nothing twice, and ends when the stream is closed.
TEST_F(DsAdminLiveTest, TailsPrintExactlyEveryAppendMadeWhileTheyRun) {
  const std::string path = "/v1/stream/busy";
  CreateStream(path, kText);
  ServerProcess dir_tail, url_tail;
  ASSERT_TRUE(dir_tail.spawn(DS_ADMIN_BINARY, {"tail", path, "--data-dir", data_dir_, "--offset",
                                               "-1"}));
  ASSERT_TRUE(url_tail.spawn(DS_ADMIN_BINARY, {"tail", path, "--url",
                                               "http://127.0.0.1:" + std::to_string(port_),
                                               "--offset", "-1"}));
  std::string expected;
  for (int i = 0; i < 150; ++i) {
    std::string line = "append " + std::to_string(i) + "\n";
    AppendAcked(path, kText, line);
    expected += line;
    if (i % 50 == 0) std::this_thread::sleep_for(Millis(200));  // some arrive while idle
  }
  ASSERT_EQ(Request(port_, "POST", path, {{"Stream-Closed", "true"}}).status, 204);
  EXPECT_EQ(dir_tail.wait_exit(Millis(5000)), std::optional<int>(0)) << dir_tail.err();
  EXPECT_EQ(url_tail.wait_exit(Millis(5000)), std::optional<int>(0)) << url_tail.err();
  EXPECT_EQ(dir_tail.out(), expected);
  EXPECT_EQ(url_tail.out(), expected);
}

TEST_F(DsAdminLiveTest, TailStopsOnSignalsAndOnDeletion) {
  const std::string path = "/v1/stream/s";
  CreateStream(path, kText);
  const std::string url = "http://127.0.0.1:" + std::to_string(port_);
  ServerProcess dir_tail, url_tail;
  ASSERT_TRUE(dir_tail.spawn(DS_ADMIN_BINARY, {"tail", path, "--data-dir", data_dir_, "--offset",
                                               "-1"}));
  ASSERT_TRUE(url_tail.spawn(DS_ADMIN_BINARY, {"tail", path, "--url", url, "--offset", "-1"}));
  AppendAcked(path, kText, "x\n");
  ASSERT_TRUE(WaitForLines(dir_tail, 1)) << dir_tail.err();
  ASSERT_TRUE(WaitForLines(url_tail, 1)) << url_tail.err();
  // SIGINT and SIGTERM: exit 0, what was printed stays printed.
  dir_tail.signal(SIGINT);
  url_tail.signal(SIGTERM);
  EXPECT_EQ(dir_tail.wait_exit(Millis(5000)), std::optional<int>(0)) << dir_tail.err();
  EXPECT_EQ(url_tail.wait_exit(Millis(5000)), std::optional<int>(0)) << url_tail.err();
  EXPECT_EQ(dir_tail.out(), "x\n");
  EXPECT_EQ(url_tail.out(), "x\n");

  // A stream deleted while followed: exit 1, saying so.
  ServerProcess dir_tail2, url_tail2;
  ASSERT_TRUE(dir_tail2.spawn(DS_ADMIN_BINARY, {"tail", path, "--data-dir", data_dir_}));
  ASSERT_TRUE(url_tail2.spawn(DS_ADMIN_BINARY, {"tail", path, "--url", url}));
  std::this_thread::sleep_for(Millis(400));  // both have started following
  ASSERT_EQ(Request(port_, "DELETE", path).status, 204);
  EXPECT_EQ(dir_tail2.wait_exit(Millis(5000)), std::optional<int>(1));
  EXPECT_EQ(url_tail2.wait_exit(Millis(5000)), std::optional<int>(1));
  EXPECT_NE(dir_tail2.err().find("tail " + path + ": the stream was deleted"), std::string::npos)
      << dir_tail2.err();
  EXPECT_NE(url_tail2.err().find("tail " + path + ": the stream was deleted"), std::string::npos)
      << url_tail2.err();
}

TEST_F(DsAdminLiveTest, TailErrors) {
  const std::string url = "http://127.0.0.1:" + std::to_string(port_);
  RunResult missing_dir = OnDir("tail", {"/v1/stream/none"});
  EXPECT_EQ(missing_dir.exit_code, 1);
  EXPECT_NE(missing_dir.err.find("tail /v1/stream/none: stream not found"), std::string::npos)
      << missing_dir.err;
  RunResult missing_url = RunDsAdmin({"tail", "/v1/stream/none", "--url", url}, dir_.path());
  EXPECT_EQ(missing_url.exit_code, 1);
  EXPECT_NE(missing_url.err.find("no such stream"), std::string::npos) << missing_url.err;
  RunResult unreachable = RunDsAdmin(
      {"tail", "/v1/stream/none", "--url", "http://127.0.0.1:" + std::to_string(FreeLoopbackPort())},
      dir_.path());
  EXPECT_EQ(unreachable.exit_code, 1);
  EXPECT_NE(unreachable.err.find("127.0.0.1"), std::string::npos) << unreachable.err;
}

// --- paging, formats and errors, on directories built with the library --------------------------

class DsAdminListPagingTest : public ::testing::Test {
 protected:
  // 2,500 streams /p/00000 .. /p/02499 and 10 under /q/.
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    ManagerOptions options;
    options.sweep_interval = Millis(0);
    options.sync = false;  // one fsync at close is enough for a test directory
    Status s;
    auto m = StreamManager::Open(testing::OpenStorage(dir_->path() + "/data"), options, &s);
    ASSERT_TRUE(m) << s.message();
    for (int i = 0; i < 2500; ++i) {
      char path[16];
      std::snprintf(path, sizeof path, "/p/%05d", i);
      Create(*m, path, Typed(kText));
    }
    for (int i = 0; i < 10; ++i) Create(*m, "/q/" + std::to_string(i), Typed(kText));
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  RunResult List(std::vector<std::string> args) {
    args.insert(args.begin(), {"list", "--data-dir", dir_->path() + "/data"});
    return RunDsAdmin(args, scratch_.path());
  }
  static std::string Hint(const std::string& after) {
    return "ds-admin: more streams follow; continue with --start-after " + after + "\n";
  }

  static inline TempDir* dir_ = nullptr;
  TempDir scratch_;
};

// Each call reads one page: a bounded scan of limit + 1 metas (the one more tells whether more
// follow) and a load of each listed stream, nothing else, so memory is O(--limit) whatever the
// store holds; the continuation is a path, not a position in some in-memory list.
TEST_F(DsAdminListPagingTest, PagesThroughEveryStreamInOrder) {
  std::vector<std::string> paths;
  std::string after;
  for (int page = 0; page < 3; ++page) {
    std::vector<std::string> args = {"--json", "--prefix", "/p/"};
    if (!after.empty()) args.insert(args.end(), {"--start-after", after});
    RunResult r = List(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::string> lines = Lines(r.out);
    ASSERT_EQ(lines.size(), page < 2 ? 1000u : 500u);  // the default limit is 1000
    for (const std::string& line : lines) {
      paths.push_back(std::string(ParseObject(line).at("path").as_string()));
    }
    if (page < 2) {
      EXPECT_EQ(r.err, Hint(paths.back()));
      after = paths.back();
    } else {
      EXPECT_EQ(r.err, "");  // the last page says nothing more follows
    }
  }
  ASSERT_EQ(paths.size(), 2500u);
  for (int i = 0; i < 2500; ++i) {
    char expected[32];
    std::snprintf(expected, sizeof expected, "/p/%05d", i);
    ASSERT_EQ(paths[i], expected);
  }
}

TEST_F(DsAdminListPagingTest, LimitPrefixAndStartAfter) {
  RunResult ten = List({"--limit", "10", "--start-after", "/p/01000"});
  ASSERT_EQ(ten.exit_code, 0) << ten.err;
  std::vector<std::string> rows = Lines(ten.out);
  ASSERT_EQ(rows.size(), 11u);  // header and 10 streams
  EXPECT_EQ(rows[1].rfind("/p/01001 ", 0), 0u) << rows[1];
  EXPECT_EQ(rows[10].rfind("/p/01010 ", 0), 0u) << rows[10];
  EXPECT_EQ(ten.err, Hint("/p/01010"));

  RunResult q = List({"--json", "--prefix", "/q/"});
  ASSERT_EQ(q.exit_code, 0) << q.err;
  EXPECT_EQ(Lines(q.out).size(), 10u);
  EXPECT_EQ(q.err, "");
  // Exactly a page's worth: no hint, since nothing follows.
  RunResult exact = List({"--json", "--prefix", "/q/", "--limit", "10"});
  EXPECT_EQ(Lines(exact.out).size(), 10u);
  EXPECT_EQ(exact.err, "");
  RunResult none = List({"--prefix", "/zzz"});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_EQ(Lines(none.out).size(), 1u);  // the header only
  EXPECT_EQ(List({"--limit", "0"}).exit_code, 2);
}

// read's formats on the fixture directory of ds_admin_fixture.h.
using DsAdminReadFormatTest = DsAdminTest;

TEST_F(DsAdminReadFormatTest, JsonlIsOneUnitPerLineWithItsOffset) {
  RunResult json = RunOnDir("read", {"/json", "--format", "jsonl"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(json.out, "{\"offset\":\"" + FormatOffset(0) + "\",\"data\":{\"a\":1}}\n" +
                          "{\"offset\":\"" + FormatOffset(1) + "\",\"data\":{\"b\":2}}\n" +
                          "{\"offset\":\"" + FormatOffset(2) + "\",\"data\":3}\n");
  RunResult text = RunOnDir("read", {"/bytes", "--format", "jsonl"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(text.out, "{\"offset\":\"" + FormatOffset(0) + "\",\"text\":\"hello\"}\n" +
                          "{\"offset\":\"" + FormatOffset(5) + "\",\"text\":\" world\"}\n");
  RunResult bin = RunOnDir("read", {"/bin", "--format", "jsonl"});
  ASSERT_EQ(bin.exit_code, 0) << bin.err;
  EXPECT_EQ(bin.out, "{\"offset\":\"" + FormatOffset(0) + "\",\"base64\":\"AAH/Cg16AA==\"}\n");
  // A fork: the parent's record cut at the fork position, then the fork's own.
  RunResult fork = RunOnDir("read", {"/fork", "--format", "jsonl"});
  ASSERT_EQ(fork.exit_code, 0) << fork.err;
  EXPECT_EQ(fork.out, "{\"offset\":\"" + FormatOffset(0) + "\",\"base64\":\"YWJj\"}\n" +
                          "{\"offset\":\"" + FormatOffset(3) + "\",\"base64\":\"WFla\"}\n");
  // Starting inside a record cuts it there.
  RunResult inside = RunOnDir("read", {"/bytes", "--format", "jsonl", "--offset", FormatOffset(2)});
  EXPECT_EQ(inside.out, "{\"offset\":\"" + FormatOffset(2) + "\",\"text\":\"llo\"}\n" +
                            "{\"offset\":\"" + FormatOffset(5) + "\",\"text\":\" world\"}\n");
}

TEST_F(DsAdminReadFormatTest, JsonIsOneDocumentAndHexDumpsEachRecord) {
  RunResult json = RunOnDir("read", {"/bytes", "--format", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  boost::json::value doc = ParseJson(json.out);
  EXPECT_EQ(doc.at("path").as_string(), "/bytes");
  EXPECT_EQ(doc.at("content_type").as_string(), "text/plain");
  EXPECT_EQ(doc.at("next_offset").as_string(), FormatOffset(11));
  ASSERT_EQ(doc.at("records").as_array().size(), 2u);
  EXPECT_EQ(doc.at("records").as_array()[1].at("text").as_string(), " world");

  RunResult hex = RunOnDir("read", {"/bin", "--format", "hex"});
  ASSERT_EQ(hex.exit_code, 0) << hex.err;
  EXPECT_EQ(hex.out, "offset " + FormatOffset(0) +
                         ", 7 bytes\n"
                         "00000000  00 01 ff 0a 0d 7a 00                              |.....z.|\n");
}

TEST_F(DsAdminReadFormatTest, LimitAndMaxBytesCountUnitsAndSayWhereToContinue) {
  RunResult two = RunOnDir("read", {"/json", "--limit", "2"});
  ASSERT_EQ(two.exit_code, 0) << two.err;
  EXPECT_EQ(two.out, "[{\"a\":1},{\"b\":2}]\n");
  EXPECT_EQ(two.err, "ds-admin: more data follows; continue with --offset " + FormatOffset(2) +
                         "\n");
  RunResult one = RunOnDir("read", {"/bytes", "--limit", "1", "--format", "jsonl"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(Lines(one.out).size(), 1u);
  EXPECT_EQ(one.err, "ds-admin: more data follows; continue with --offset " + FormatOffset(5) +
                         "\n");
  // Raw with --limit: the bytes of the first record only.
  RunResult raw = RunOnDir("read", {"/bytes", "--limit", "1"});
  EXPECT_EQ(raw.out, "hello");
  // --max-bytes stops after the unit that reaches it.
  RunResult bytes = RunOnDir("read", {"/bytes", "--max-bytes", "3", "--format", "jsonl"});
  EXPECT_EQ(Lines(bytes.out).size(), 1u);
  EXPECT_NE(bytes.out.find("\"hello\""), std::string::npos);
  RunResult all = RunOnDir("read", {"/bytes", "--limit", "5", "--format", "jsonl"});
  EXPECT_EQ(Lines(all.out).size(), 2u);
  EXPECT_EQ(all.err, "");  // read to the tail
  EXPECT_EQ(RunOnDir("read", {"/bytes", "--format", "yaml"}).exit_code, 2);
}

TEST_F(DsAdminReadFormatTest, TextThatIsNotUtf8IsBase64) {
  {
    auto m = OpenManager(dir_);
    ASSERT_TRUE(m);
    Create(*m, "/latin1", Typed("text/plain; charset=iso-8859-1"));
    Append(*m, "/latin1", "text/plain; charset=iso-8859-1", "caf\xe9");
  }
  RunResult r = RunOnDir("read", {"/latin1", "--format", "jsonl"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"offset\":\"" + FormatOffset(0) + "\",\"base64\":\"Y2Fm6Q==\"}\n");
}

// tail follows a stopped directory too (a server may start on it later); a closed stream ends
// it once everything is printed.
TEST_F(DsAdminReadFormatTest, TailOfAClosedStreamInAStoppedDirectoryPrintsItAllAndExits) {
  RunResult r = RunOnDir("tail", {"/bytes", "--offset", "-1", "--format", "hex"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "offset " + FormatOffset(0) + ", 5 bytes\n" +
                       "00000000  68 65 6c 6c 6f                                    |hello|\n" +
                       "offset " + FormatOffset(5) + ", 6 bytes\n" +
                       "00000000  20 77 6f 72 6c 64                                 | world|\n");
  RunResult json = RunOnDir("tail", {"/bytes", "--offset", "-1", "--format", "json"});
  EXPECT_EQ(json.exit_code, 0) << json.err;
  ASSERT_EQ(Lines(json.out).size(), 1u);  // one batch
  EXPECT_EQ(ParseObject(json.out).at("records").as_array().size(), 2u);
  RunResult beyond = RunOnDir("tail", {"/bytes", "--offset", FormatOffset(99)});
  EXPECT_EQ(beyond.exit_code, 1);
  EXPECT_NE(beyond.err.find("beyond the stream's tail"), std::string::npos) << beyond.err;
}

TEST_F(DsAdminReadFormatTest, ReadingCommandsRefuseWhatIsNotAStore) {
  const std::string missing = (root_ / "missing").string();
  const std::string empty = (root_ / "empty").string();
  const std::string other = (root_ / "other").string();
  fs::create_directories(empty);
  fs::create_directories(other);
  std::ofstream(other + "/notes.txt") << "not a database";
  for (const char* command : {"list", "show", "read", "stats", "verify", "tail"}) {
    std::vector<std::string> path;
    if (std::string(command) == "show" || std::string(command) == "read" ||
        std::string(command) == "tail") {
      path = {"/bytes"};
    }
    auto run = [&](const std::string& dir) {
      std::vector<std::string> args = {command};
      args.insert(args.end(), path.begin(), path.end());
      args.insert(args.end(), {"--data-dir", dir});
      return Run(args);
    };
    RunResult gone = run(missing);
    EXPECT_EQ(gone.exit_code, 1) << command;
    EXPECT_NE(gone.err.find(missing + " does not exist"), std::string::npos) << gone.err;
    for (const std::string& dir : {empty, other}) {
      RunResult r = run(dir);
      EXPECT_EQ(r.exit_code, 1) << command << " " << dir;
      EXPECT_NE(r.err.find(dir), std::string::npos) << command << ": " << r.err;
      EXPECT_EQ(r.err.find("ds-admin: "), 0u) << r.err;
    }
    // Nothing was created in any of them.
    EXPECT_FALSE(fs::exists(missing));
    EXPECT_TRUE(fs::is_empty(empty)) << command;
  }
}

}  // namespace
}  // namespace streamkeeper
