// ds-admin export, import and delete end to end: the fixture directory (ds_admin_fixture.h) is
// exported to the portable format (tools/ds_admin/README.md, "Export format"), imported into
// new directories and into real servers (memory and RocksDB backends, with and without auth),
// and read back; every refusal and error an operator can meet is run on purpose.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json/serialize.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "../server/http_test_client.h"
#include "../storage/raw_rocksdb.h"
#include "ds_admin_fixture.h"

namespace streamkeeper {
namespace {

using namespace streamkeeper::testing;
namespace fs = std::filesystem;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

void WriteText(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

std::string Str(const boost::json::value& value) {
  return value.is_string() ? std::string(value.get_string()) : boost::json::serialize(value);
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string ReadAll(StreamManager& m, const std::string& path) {
  ReadResult r = m.read(path, 0, ReadOptions{1 << 20});
  EXPECT_TRUE(r.status.ok()) << path << ": " << r.status.message();
  return r.data;
}

class DsAdminExportTest : public DsAdminTest {
 protected:
  // Exports the whole fixture directory (every stream clients can read) to `file`.
  fs::path ExportAll(const std::string& dir, const std::string& name) {
    fs::path file = root_ / name;
    RunResult r = Run({"export", "--data-dir", dir, "--prefix", "", "--out", file.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return file;
  }

  // Starts the real server on 127.0.0.1 (port 0) with `extra` flags; its data directory is
  // `data_dir` (RocksDB when given, else the memory backend).
  std::unique_ptr<ServerProcess> StartServer(const std::string& data_dir, uint16_t* port,
                                             std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--host", "127.0.0.1", "--port",    "0",
                                     "--sync", "none",      "--threads", "2"};
    if (data_dir.empty()) {
      args.insert(args.end(), {"--storage", "memory", "--data-dir", (root_ / "mem").string()});
    } else {
      args.insert(args.end(), {"--storage", "rocksdb", "--data-dir", data_dir});
    }
    args.insert(args.end(), extra.begin(), extra.end());
    auto server = std::make_unique<ServerProcess>();
    EXPECT_TRUE(server->spawn(STREAMKEEPER_BINARY, args));
    *port = server->wait_listening(Millis(10000));
    EXPECT_NE(*port, 0) << server->err();
    return server;
  }

  static std::string UrlOf(uint16_t port) { return "http://127.0.0.1:" + std::to_string(port); }

  // What a client reads of `path` from offset -1, as (status, body, Stream-Closed).
  static HttpResult Get(uint16_t port, const std::string& path) {
    return Request(port, "GET", "/v1/stream" + path + "?offset=-1");
  }

  // Checks that the server at `port` serves the fixture's exportable streams as written.
  static void ExpectFixtureServed(uint16_t port) {
    HttpResult bytes = Get(port, "/bytes");
    EXPECT_EQ(bytes.status, 200);
    EXPECT_EQ(bytes.body, "hello world");
    EXPECT_EQ(bytes.header("Stream-Closed").value_or(""), "true");
    EXPECT_EQ(Get(port, "/bin").body, kBinary);
    EXPECT_EQ(Get(port, "/json").body, R"([{"a":1},{"b":2},3])");
    EXPECT_EQ(Get(port, "/fork").body, "abcXYZ");  // flattened: the source's part included
    EXPECT_EQ(Get(port, "/ttl").body, "t");
    EXPECT_EQ(Get(port, "/producer").body, "pq");
    HttpResult head = Request(port, "HEAD", "/v1/stream/ttl");
    EXPECT_EQ(head.header("Stream-TTL").value_or(""), "3600");
    EXPECT_EQ(Get(port, "/src").status, 404);  // soft-deleted: not exported
    HttpResult appended = Request(port, "POST", "/v1/stream/bin",
                                  {{"Content-Type", "application/octet-stream"}}, "more");
    EXPECT_EQ(appended.status, 204) << appended.body;  // open streams stay open
  }
};

// --- the format and the round trip ---------------------------------------------------------------

TEST_F(DsAdminExportTest, ExportIsTheDocumentedFormat) {
  const std::vector<std::string> lines = Lines(ReadFile(ExportAll(dir_, "all.jsonl")));
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines.front(), R"({"format":"streamkeeper-export","version":1})");
  // 6 streams (/src is soft-deleted), 11 records (/fork's source part is one record cut at 3).
  EXPECT_EQ(lines.back(), R"({"end":{"streams":6,"records":11}})");

  std::map<std::string, boost::json::object> headers;
  std::map<std::string, std::vector<boost::json::object>> records;
  std::string current;
  for (size_t i = 1; i + 1 < lines.size(); ++i) {
    boost::json::object line = ParseJson(lines[i]).as_object();
    if (line.contains("stream")) {
      current = std::string(line["stream"].as_object()["path"].as_string());
      headers[current] = line["stream"].as_object();
    } else {
      records[current].push_back(line);
    }
  }
  EXPECT_EQ(headers.size(), 6u);
  EXPECT_FALSE(headers.contains("/src"));
  EXPECT_EQ(headers["/bytes"]["closed"], true);
  EXPECT_EQ(headers["/bytes"]["content_type"], "text/plain");
  EXPECT_EQ(Str(headers["/bytes"]["tail"]), FormatOffset(11));
  EXPECT_EQ(headers["/ttl"]["ttl_seconds"], 3600);
  EXPECT_FALSE(headers["/bin"].contains("ttl_seconds"));
  EXPECT_TRUE(headers["/bin"]["created_at_ms"].is_int64());
  EXPECT_EQ(boost::json::serialize(headers["/producer"]["producers"]),
            R"({"p1":{"epoch":0,"seq":1}})");

  ASSERT_EQ(records["/bytes"].size(), 2u);
  EXPECT_EQ(boost::json::serialize(records["/bytes"][1]),
            "{\"offset\":\"" + FormatOffset(5) + "\",\"data\":\" world\"}");
  ASSERT_EQ(records["/bin"].size(), 1u);
  EXPECT_EQ(records["/bin"][0]["data_base64"], "AAH/Cg16AA==");  // kBinary
  ASSERT_EQ(records["/json"].size(), 3u);                        // one line per message
  EXPECT_EQ(records["/json"][0]["data"], R"({"a":1})");
  EXPECT_EQ(records["/json"][0]["batch_remaining"], 2);  // [{"a":1},{"b":2}] was one append
  EXPECT_FALSE(records["/json"][1].contains("batch_remaining"));
  EXPECT_EQ(Str(records["/json"][2]["offset"]), FormatOffset(2));
  ASSERT_EQ(records["/fork"].size(), 2u);
  EXPECT_EQ(records["/fork"][0]["data_base64"], "YWJj");  // "abc" of /src, cut at the fork
  EXPECT_EQ(Str(records["/fork"][1]["offset"]), FormatOffset(3));
}

TEST_F(DsAdminExportTest, RoundTripThroughAnEmptyDirectoryIsByteIdentical) {
  const fs::path first = ExportAll(dir_, "first.jsonl");
  const std::string imported = (root_ / "imported").string();  // missing: import creates it
  RunResult r = Run({"import", first.string(), "--data-dir", imported});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "imported 6 streams (11 records) into data directory " + imported))
      << r.out;
  const fs::path second = ExportAll(imported, "second.jsonl");
  EXPECT_EQ(ReadFile(first), ReadFile(second));

  // An existing empty directory is as good as a missing one.
  const std::string empty = (root_ / "empty").string();
  fs::create_directories(empty);
  ASSERT_EQ(Run({"import", first.string(), "--data-dir", empty}).exit_code, 0);
  EXPECT_EQ(ReadFile(first), ReadFile(ExportAll(empty, "third.jsonl")));

  RunResult verify = Run({"verify", "--data-dir", imported});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

TEST_F(DsAdminExportTest, OfflineImportKeepsOffsetsProducersAndLifetimes) {
  const fs::path file = ExportAll(dir_, "all.jsonl");
  const std::string imported = (root_ / "imported").string();
  ASSERT_EQ(Run({"import", file.string(), "--data-dir", imported}).exit_code, 0);

  auto original = OpenManager(dir_);
  StreamInfo before;
  ASSERT_TRUE(original->get_metadata("/ttl", &before).ok());
  original->shutdown();
  original.reset();

  auto m = OpenManager(imported);
  ASSERT_TRUE(m);
  EXPECT_EQ(ReadAll(*m, "/fork"), "abcXYZ");
  EXPECT_EQ(ReadAll(*m, "/bin"), kBinary);
  StreamInfo ttl;
  ASSERT_TRUE(m->get_metadata("/ttl", &ttl).ok());
  EXPECT_EQ(ttl.ttl_seconds, std::optional<uint64_t>(3600));
  EXPECT_EQ(ttl.created_at_ms, before.created_at_ms);
  StreamInfo bytes;
  ASSERT_TRUE(m->get_metadata("/bytes", &bytes).ok());
  EXPECT_TRUE(bytes.closed);
  EXPECT_EQ(bytes.tail, 11u);
  // The producer state came along: seq 1 again is a duplicate, 2 is next.
  AppendOptions retry;
  retry.content_type = "text/plain";
  retry.producer = Producer{"p1", 0, 1};
  AppendResult duplicate = m->append("/producer", "q", retry);
  EXPECT_TRUE(duplicate.status.ok());
  EXPECT_TRUE(duplicate.duplicate);
  retry.producer = Producer{"p1", 0, 3};
  EXPECT_EQ(m->append("/producer", "r", retry).status.code(), StatusCode::kProducerSeqGap);
  // JSON batches are kept: a fork may split the first append at its sub-offset.
  CreateOptions split = Typed("application/json");
  split.fork_from = "/json";
  split.fork_offset = 0;
  split.fork_sub_offset = 1;
  ASSERT_TRUE(m->create("/split", split, nullptr).ok());
  EXPECT_EQ(ReadAll(*m, "/split"), R"([{"a":1}])");
  // New streams get generations above the imported ones.
  Create(*m, "/new", Typed("text/plain"));
  StreamInfo fresh;
  ASSERT_TRUE(m->get_metadata("/new", &fresh).ok());
  EXPECT_GT(fresh.generation, ttl.generation);
  m->shutdown();
}

TEST_F(DsAdminExportTest, ForksOfForksAreFlattenedAsTheirReadersSeeThem) {
  const std::string dir = (root_ / "forks").string();
  {
    auto m = OpenManager(dir);
    const std::string kOctet = "application/octet-stream";
    Create(*m, "/x", Typed(kOctet));
    Append(*m, "/x", kOctet, "0123");
    Append(*m, "/x", kOctet, "4567");
    CreateOptions c = Typed(kOctet);
    c.fork_from = "/x";
    c.fork_offset = 6;  // inside the second record
    Create(*m, "/c", c);
    AppendOptions sequenced;
    sequenced.content_type = kOctet;
    sequenced.stream_seq = "0005";
    ASSERT_TRUE(m->append("/c", "cc", sequenced).status.ok());
    CreateOptions d = Typed(kOctet);
    d.fork_from = "/c";
    d.fork_offset = 2;  // below /c's own fork position: all of it is /x's
    Create(*m, "/d", d);
    Append(*m, "/d", kOctet, "dd");
    Create(*m, "/j", Typed("application/json"));
    Append(*m, "/j", "application/json", "[1,2,3]");
    CreateOptions k = Typed("application/json");
    k.fork_from = "/j";
    k.fork_offset = 1;
    k.fork_sub_offset = 1;  // inside the batch: sees 1, 2
    Create(*m, "/k", k);
    Append(*m, "/k", "application/json", "4");
    m->shutdown();
  }
  RunResult r = Run({"export", "/c", "/d", "/k", "--data-dir", dir, "--out", "-"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.err, "exported 3 streams")) << r.err;  // summary on stderr
  const std::vector<std::string> lines = Lines(r.out);
  EXPECT_TRUE(Contains(r.out, R"("data_base64":"MDEyMw==")"));  // "0123"
  EXPECT_TRUE(Contains(r.out, "{\"offset\":\"" + FormatOffset(4) + "\",\"data_base64\":\"NDU=\"}"));
  EXPECT_TRUE(Contains(
      r.out, "{\"offset\":\"" + FormatOffset(0) + "\",\"data\":\"1\",\"batch_remaining\":2}"));
  EXPECT_TRUE(Contains(r.out, "{\"offset\":\"" + FormatOffset(1) + "\",\"data\":\"2\"}"));

  const fs::path file = root_ / "forks.jsonl";
  WriteText(file, r.out);
  const std::string imported = (root_ / "imported").string();
  RunResult import = Run({"import", file.string(), "--data-dir", imported});
  ASSERT_EQ(import.exit_code, 0) << import.err;
  auto original = OpenManager(dir);
  auto copy = OpenManager(imported);
  for (const char* path : {"/c", "/d", "/k"}) {
    EXPECT_EQ(ReadAll(*copy, path), ReadAll(*original, path)) << path;
  }
  EXPECT_EQ(ReadAll(*copy, "/d"), "01dd");
  EXPECT_TRUE(Contains(r.out, R"("stream_seq":"0005")")) << r.out;
  AppendOptions stale;
  stale.content_type = "application/octet-stream";
  stale.stream_seq = "0004";  // the imported stream remembers its last Stream-Seq
  EXPECT_EQ(copy->append("/c", "late", stale).status.code(), StatusCode::kSeqConflict);
  EXPECT_EQ(ReadAll(*copy, "/k"), "[1,2,4]");
}

// Streams larger than a read page (4 MiB), an offline write batch (4 MiB) and a POST (1 MiB):
// every page boundary, batch and POST keeps the units whole and in order.
TEST_F(DsAdminExportTest, LargeStreamsCrossPagesBatchesAndPosts) {
  const std::string dir = (root_ / "large").string();
  std::string bytes_written;
  std::string json_written = "[";
  {
    auto m = OpenManager(dir);
    const std::string kOctet = "application/octet-stream";
    Create(*m, "/big", Typed(kOctet));
    for (int i = 0; i < 60; ++i) {
      std::string chunk(100'000, static_cast<char>('a' + i % 26));
      chunk[0] = static_cast<char>(i % 256);  // not text: base64 in the file
      Append(*m, "/big", kOctet, chunk);
      bytes_written += chunk;
    }
    Create(*m, "/messages", Typed("application/json"));
    for (int i = 0; i < 30; ++i) {
      std::string batch = "[";
      for (int k = 0; k < 100; ++k) {
        std::string message =
            "{\"n\":" + std::to_string(i * 100 + k) + ",\"pad\":\"" + std::string(500, 'x') + "\"}";
        batch += (k ? "," : "") + message;
        json_written += (json_written.size() > 1 ? "," : "") + message;
      }
      Append(*m, "/messages", "application/json", batch + "]");
    }
    json_written += "]";
    m->shutdown();
  }
  const fs::path first = ExportAll(dir, "large.jsonl");
  const std::string imported = (root_ / "imported").string();
  RunResult r = Run({"import", first.string(), "--data-dir", imported});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "imported 2 streams (3060 records)")) << r.out;
  EXPECT_TRUE(ReadFile(first) == ReadFile(ExportAll(imported, "again.jsonl")));

  uint16_t port = 0;
  auto server = StartServer("", &port);
  ASSERT_NE(port, 0);
  RunResult served = Run({"import", first.string(), "--url", UrlOf(port)});
  ASSERT_EQ(served.exit_code, 0) << served.err;
  // A read answers at most --max-read-bytes (1 MiB): follow Stream-Next-Offset to the end.
  auto read_all = [&](const std::string& path, bool json) {
    std::string all = json ? "[" : "";
    std::string offset = "-1";
    for (int reads = 0; reads < 100; ++reads) {
      HttpResult got = Request(port, "GET", "/v1/stream" + path + "?offset=" + offset);
      EXPECT_EQ(got.status, 200);
      const std::string& body = got.body;
      if (json && body.size() > 2) {
        all += (all.size() > 1 ? "," : "") + body.substr(1, body.size() - 2);
      } else if (!json) {
        all += body;
      }
      offset = got.header("Stream-Next-Offset").value_or("");
      if (got.header("Stream-Up-To-Date").value_or("") == "true") break;
    }
    return json ? all + "]" : all;
  };
  EXPECT_TRUE(read_all("/big", false) == bytes_written);
  EXPECT_TRUE(read_all("/messages", true) == json_written);
}

// --- export errors -------------------------------------------------------------------------------

TEST_F(DsAdminExportTest, ExportRefusesPathsThatCannotBeReadAndWritesNothing) {
  const fs::path out = root_ / "out.jsonl";
  RunResult missing = RunOnDir("export", {"/bytes", "/nope", "--out", out.string()});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(Contains(missing.err, "no stream /nope")) << missing.err;
  EXPECT_FALSE(fs::exists(out));
  RunResult soft = RunOnDir("export", {"/src", "--out", out.string()});
  EXPECT_EQ(soft.exit_code, 1);
  EXPECT_TRUE(Contains(soft.err, "/src is soft-deleted")) << soft.err;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(RunOnDir("export", {"--out", out.string()}).exit_code, 2);  // no paths, no --prefix
}

TEST_F(DsAdminExportTest, ExportByPrefixWithJsonSummary) {
  const fs::path out = root_ / "b.jsonl";
  RunResult r = RunOnDir("export", {"--prefix", "/b", "--out", out.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  boost::json::object summary = ParseJson(r.out).as_object();
  EXPECT_EQ(summary["streams"], 2);  // /bin, /bytes
  EXPECT_EQ(summary["records"], 3);
  EXPECT_EQ(Str(summary["out"]), out.string());
  EXPECT_EQ(Lines(ReadFile(out)).size(), 1u + 2u + 3u + 1u);
}

TEST_F(DsAdminExportTest, ExportNamesTheDirectoryProblem) {
  RunResult missing = Run({"export", "--data-dir", (root_ / "none").string(), "--prefix", "",
                           "--out", (root_ / "x").string()});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(Contains(missing.err, "does not exist")) << missing.err;
  {
    RawRocksDb raw(dir_);
    raw.Put("default", "streamkeeper.format", "3");
  }
  RunResult newer = RunOnDir("export", {"--prefix", "", "--out", (root_ / "x").string()});
  EXPECT_EQ(newer.exit_code, 1);
  EXPECT_TRUE(Contains(newer.err, "format version '3'")) << newer.err;
}

// --- import errors -------------------------------------------------------------------------------

TEST_F(DsAdminExportTest, ImportRefusesStreamsThatExistAndNamesThem) {
  const fs::path file = ExportAll(dir_, "all.jsonl");
  RunResult r = Run({"import", file.string(), "--data-dir", dir_});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "6 streams of " + file.string() + " already exist")) << r.err;
  EXPECT_TRUE(Contains(r.err, "/bytes")) << r.err;
  EXPECT_TRUE(Contains(r.err, "nothing was imported")) << r.err;
  // --skip-existing is for --url only: offline imports go into a fresh store.
  EXPECT_EQ(Run({"import", file.string(), "--data-dir", dir_, "--skip-existing"}).exit_code, 2);
}

TEST_F(DsAdminExportTest, ImportRefusesANewerFormatVersion) {
  const fs::path file = root_ / "v2.jsonl";
  WriteText(file, "{\"format\":\"streamkeeper-export\",\"version\":2}\n{\"end\":{}}\n");
  const std::string target = (root_ / "target").string();
  RunResult r = Run({"import", file.string(), "--data-dir", target});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "is export format version 2; this ds-admin reads version 1"))
      << r.err;
  EXPECT_FALSE(fs::exists(target));  // refused before the target was touched
}

TEST_F(DsAdminExportTest, ImportNamesTheLineOfEveryMalformedPart) {
  const std::vector<std::string> good = Lines(ReadFile(ExportAll(dir_, "all.jsonl")));
  const std::string target = (root_ / "target").string();
  // Replaces line `number` (1-based) of the good export and imports the result.
  auto import_with = [&](size_t number, const std::string& replacement) {
    std::string text;
    for (size_t i = 0; i < good.size(); ++i) {
      if (i + 1 == number) {
        if (!replacement.empty()) text += replacement + "\n";
      } else {
        text += good[i] + "\n";
      }
    }
    const fs::path file = root_ / "bad.jsonl";
    WriteText(file, text);
    return Run({"import", file.string(), "--data-dir", target});
  };
  struct Case {
    size_t line;
    std::string replacement;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {3, "{not json", "bad.jsonl line 3: not valid JSON"},
      {3, "[1,2]", "line 3: not a JSON object"},
      {3, "{\"offset\":\"" + FormatOffset(7) + "\",\"data\":\"x\"}", "line 3: record at offset"},
      {3, "{\"offset\":\"0_0\",\"data_base64\":\"***\"}", "line 3: \"data_base64\" is not valid"},
      {2, "{\"stream\":{\"path\":\"/a\"}}", "line 2: the stream has no \"content_type\""},
      {2,
       "{\"stream\":{\"path\":\"/a\",\"content_type\":\"text/plain\",\"created_at_ms\":1,"
       "\"closed\":false,\"tail\":\"0_0\",\"colour\":1}}",
       "line 2: unknown stream field \"colour\""},
      {good.size(), "", "without its end line: the file is truncated"},
      {good.size(), "{\"end\":{\"streams\":7,\"records\":11}}", "the end line counts 7 streams"},
      {1, "{\"hello\":1}", "is not a Streamkeeper export"},
      {good.size(), good.back() + "\n" + good[1], "a line after the end line"},
      {2, good[2], "line 2: a record line before any stream line"},
      {4, good[1] + "\n" + good[2] + "\n" + good[3], "line 4: stream /bin appears twice"},
  };
  for (const Case& c : cases) {
    RunResult r = import_with(c.line, c.replacement);
    EXPECT_EQ(r.exit_code, 1) << c.replacement;
    EXPECT_TRUE(Contains(r.err, c.expected)) << c.replacement << "\n" << r.err;
    EXPECT_TRUE(Contains(r.err, "nothing was imported")) << r.err;
    EXPECT_FALSE(fs::exists(target));
  }
  // A stream cut short of its tail: the line after it is named. Lines 2-3: /bin; 4-6: /bytes.
  RunResult short_stream = import_with(6, "");  // /bytes loses " world"
  EXPECT_TRUE(Contains(short_stream.err, "line 6: stream /bytes ends at offset"))
      << short_stream.err;
}

TEST_F(DsAdminExportTest, ImportNamesTheDirectoryProblem) {
  const fs::path file = ExportAll(dir_, "all.jsonl");
  const std::string foreign = (root_ / "foreign").string();
  fs::create_directories(foreign);
  WriteText(fs::path(foreign) / "notes.txt", "not a database");
  RunResult r = Run({"import", file.string(), "--data-dir", foreign});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "cannot open RocksDB database in " + foreign)) << r.err;
  EXPECT_TRUE(Contains(r.err, "only in a missing or empty directory")) << r.err;

  RunResult no_file = Run({"import", (root_ / "none.jsonl").string(), "--data-dir", foreign});
  EXPECT_EQ(no_file.exit_code, 1);
  EXPECT_TRUE(Contains(no_file.err, "cannot open " + (root_ / "none.jsonl").string()));
}

// --- through a running server --------------------------------------------------------------------

TEST_F(DsAdminExportTest, ImportIntoAMemoryServerThenSkipExisting) {
  const fs::path file = ExportAll(dir_, "all.jsonl");
  uint16_t port = 0;
  auto server = StartServer("", &port);
  ASSERT_NE(port, 0);
  RunResult r = Run({"import", file.string(), "--url", UrlOf(port)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "imported 6 streams (11 records) into the server at " + UrlOf(port) +
                                  ", with new offsets"))
      << r.out;
  EXPECT_TRUE(Contains(r.out, "producer states of 1 streams were not carried over")) << r.out;
  ExpectFixtureServed(port);

  RunResult again = Run({"import", file.string(), "--url", UrlOf(port)});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_TRUE(Contains(again.err, "already exist in the server at " + UrlOf(port))) << again.err;
  EXPECT_TRUE(Contains(again.err, "--skip-existing")) << again.err;

  // One stream gone: --skip-existing imports it alone and reports the rest.
  ASSERT_EQ(Request(port, "DELETE", "/v1/stream/json").status, 204);
  RunResult skip =
      Run({"import", file.string(), "--url", UrlOf(port), "--skip-existing", "--json"});
  ASSERT_EQ(skip.exit_code, 0) << skip.err;
  boost::json::object summary = ParseJson(skip.out).as_object();
  EXPECT_EQ(summary["streams"], 1);
  EXPECT_EQ(summary["records"], 3);
  EXPECT_EQ(summary["skipped_existing"].as_array().size(), 5u);
  EXPECT_EQ(summary["offsets_kept"], false);
  EXPECT_EQ(Get(port, "/json").body, R"([{"a":1},{"b":2},3])");
  EXPECT_EQ(Get(port, "/bin").body, kBinary + "more");  // skipped: left as it was
}

TEST_F(DsAdminExportTest, ImportIntoARocksDbServerAndDeleteThroughIt) {
  const fs::path file = ExportAll(dir_, "all.jsonl");
  const std::string live = (root_ / "live").string();
  uint16_t port = 0;
  auto server = StartServer(live, &port);
  ASSERT_NE(port, 0);

  // Offline changes to the directory the server holds are refused, pointing at --url.
  RunResult offline = Run({"import", file.string(), "--data-dir", live});
  EXPECT_EQ(offline.exit_code, 1);
  EXPECT_TRUE(Contains(offline.err, "data directory " + live +
                                        " is in use by a running server (pid " +
                                        std::to_string(server->pid()) + ")"))
      << offline.err;
  EXPECT_TRUE(Contains(offline.err, "--url")) << offline.err;
  RunResult offline_delete = Run({"delete", "/bytes", "--data-dir", live});
  EXPECT_EQ(offline_delete.exit_code, 1);
  EXPECT_TRUE(Contains(offline_delete.err, "is in use by a running server")) << offline_delete.err;
  EXPECT_TRUE(Contains(offline_delete.err, "--url")) << offline_delete.err;
  EXPECT_FALSE(Contains(offline_delete.err, "locked")) << offline_delete.err;

  RunResult r = Run({"import", file.string(), "--url", UrlOf(port)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ExpectFixtureServed(port);

  RunResult deleted = Run({"delete", "/bytes", "--url", UrlOf(port)});
  EXPECT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_TRUE(Contains(deleted.out, "deleted /bytes")) << deleted.out;
  EXPECT_EQ(Get(port, "/bytes").status, 404);
  RunResult again = Run({"delete", "/bytes", "--url", UrlOf(port)});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_TRUE(Contains(again.err, "no such stream on " + UrlOf(port))) << again.err;

  // The server stored the streams under their request paths; an export of its directory
  // carries those, and an import through the API keeps their names.
  server->signal(SIGTERM);
  ASSERT_TRUE(server->wait_exit(Millis(10000)).has_value());
  const fs::path served = ExportAll(live, "served.jsonl");
  const std::vector<std::string> lines = Lines(ReadFile(served));
  ASSERT_GE(lines.size(), 3u);
  EXPECT_TRUE(Contains(lines[1], R"({"stream":{"path":"/v1/stream/bin",)")) << lines[1];
  uint16_t memory_port = 0;
  auto memory = StartServer("", &memory_port);
  ASSERT_NE(memory_port, 0);
  RunResult reimport = Run({"import", served.string(), "--url", UrlOf(memory_port)});
  ASSERT_EQ(reimport.exit_code, 0) << reimport.err;
  EXPECT_EQ(Get(memory_port, "/fork").body, "abcXYZ");
  EXPECT_EQ(Get(memory_port, "/bin").body, kBinary + "more");
}

TEST_F(DsAdminExportTest, UnreachableUrlIsAClearError) {
  const fs::path file = ExportAll(dir_, "all.jsonl");
  const std::string url = UrlOf(FreeLoopbackPort());
  RunResult import = Run({"import", file.string(), "--url", url});
  EXPECT_EQ(import.exit_code, 1);
  EXPECT_TRUE(Contains(import.err, "cannot reach the server at " + url)) << import.err;
  RunResult deleted = Run({"delete", "/bytes", "--url", url});
  EXPECT_EQ(deleted.exit_code, 1);
  EXPECT_TRUE(Contains(deleted.err, "cannot reach the server at " + url)) << deleted.err;
}

TEST_F(DsAdminExportTest, MissingOrWeakTokenIsNamed) {
  const fs::path file = ExportAll(dir_, "all.jsonl");
  const fs::path auth = root_ / "auth.toml";
  WriteText(auth,
            "[tokens.reader]\nsecret = \"reader-token-1234\"\nread = [\"/\"]\n"
            "[tokens.ops]\nsecret = \"ops-token-5678\"\nread = [\"/\"]\nwrite = [\"/\"]\n");
  uint16_t port = 0;
  auto server = StartServer("", &port, {"--auth-file", auth.string()});
  ASSERT_NE(port, 0);
  RunResult none = Run({"import", file.string(), "--url", UrlOf(port)});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_TRUE(Contains(none.err, "HTTP 401")) << none.err;
  EXPECT_TRUE(Contains(none.err, "--token")) << none.err;
  RunResult weak =
      Run({"import", file.string(), "--url", UrlOf(port), "--token", "reader-token-1234"});
  EXPECT_EQ(weak.exit_code, 1);
  EXPECT_TRUE(Contains(weak.err, "HTTP 403")) << weak.err;
  EXPECT_TRUE(Contains(weak.err, "the token lacks the right")) << weak.err;
  RunResult weak_delete =
      Run({"delete", "/bytes", "--url", UrlOf(port), "--token", "reader-token-1234"});
  EXPECT_EQ(weak_delete.exit_code, 1);
  EXPECT_TRUE(Contains(weak_delete.err, "the token lacks the right")) << weak_delete.err;
  RunResult ok = Run({"import", file.string(), "--url", UrlOf(port), "--token", "ops-token-5678"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

}  // namespace
}  // namespace streamkeeper
