// ds-admin end to end: a data directory is built with RocksDbStorage and the StreamManager,
// closed, and then inspected and changed by running the ds-admin binary on it.

#include "ds_admin_fixture.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <sstream>
#include <string>

namespace streamkeeper {
namespace {

using namespace streamkeeper::testing;
namespace fs = std::filesystem;

// `list --json` prints JSON lines: one object per stream.
std::vector<boost::json::object> ParseJsonLines(const std::string& text) {
  std::vector<boost::json::object> objects;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    boost::system::error_code ec;
    boost::json::value value = boost::json::parse(line, ec);
    EXPECT_FALSE(ec) << line;
    EXPECT_TRUE(value.is_object()) << line;
    if (value.is_object()) objects.push_back(value.as_object());
  }
  return objects;
}

// --- command line ------------------------------------------------------------------------------

TEST_F(DsAdminTest, HelpDocumentsEveryCommand) {
  RunResult r = Run({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* command : {"list", "show", "read", "tail", "delete", "compact", "expire",
                              "verify", "stats", "backup", "restore", "export", "import"}) {
    EXPECT_NE(r.out.find(std::string("ds-admin ") + command), std::string::npos) << command;
  }
  for (const char* option : {"--max-bytes", "--url", "--token", "--ca", "--format", "--prefix",
                             "--start-after", "--limit", "--out", "--skip-existing", "--json"}) {
    EXPECT_NE(r.out.find(option), std::string::npos) << option;
  }
  EXPECT_NE(r.out.find("Exit codes"), std::string::npos);

  RunResult read_help = Run({"read", "--help"});
  EXPECT_EQ(read_help.exit_code, 0);
  EXPECT_NE(read_help.out.find("--offset"), std::string::npos);
}

TEST_F(DsAdminTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Run({}).exit_code, 2);
  RunResult unknown = Run({"frobnicate", "--data-dir", dir_});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("unknown command"), std::string::npos);
  RunResult no_dir = Run({"list"});
  EXPECT_EQ(no_dir.exit_code, 2);
  EXPECT_NE(no_dir.err.find("--data-dir is required"), std::string::npos);
  EXPECT_EQ(RunOnDir("show").exit_code, 2);              // missing <path>
  EXPECT_EQ(RunOnDir("list", {"/extra"}).exit_code, 2);  // unexpected argument
  EXPECT_EQ(RunOnDir("list", {"--no-such-option"}).exit_code, 2);
  RunResult bad_offset = RunOnDir("read", {"/bytes", "--offset", "12x"});
  EXPECT_EQ(bad_offset.exit_code, 2);
  EXPECT_NE(bad_offset.err.find("--offset"), std::string::npos);
  EXPECT_EQ(RunOnDir("read", {"/bytes", "--max-bytes", "lots"}).exit_code, 2);
  EXPECT_EQ(RunOnDir("read", {"/bytes", "--limit", "0"}).exit_code, 2);
  RunResult bad_format = RunOnDir("read", {"/bytes", "--format", "xml"});
  EXPECT_EQ(bad_format.exit_code, 2);
  EXPECT_NE(bad_format.err.find("--format must be raw, json, jsonl or hex"), std::string::npos);
  EXPECT_EQ(RunOnDir("tail", {"/bytes", "--offset", "soon"}).exit_code, 2);
  // A command that takes a directory or a server takes exactly one of them.
  RunResult both = RunOnDir("delete", {"/bytes", "--url", "http://127.0.0.1:1"});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.err.find("exactly one of --data-dir and --url"), std::string::npos);
  EXPECT_EQ(Run({"compact"}).exit_code, 2);
  // Reading commands take no --url; export needs paths or --prefix, and --out.
  EXPECT_EQ(RunOnDir("list", {"--url", "http://127.0.0.1:1"}).exit_code, 2);
  EXPECT_EQ(RunOnDir("export", {"--out", (root_ / "x.jsonl").string()}).exit_code, 2);
  EXPECT_EQ(RunOnDir("export", {"/bytes"}).exit_code, 2);
  EXPECT_EQ(Run({"restore", "--data-dir", (root_ / "new").string()}).exit_code, 2);  // no <file>
}

// --- opening -------------------------------------------------------------------------------------

TEST_F(DsAdminTest, NonexistentDirectoryIsAClearError) {
  const std::string missing = (root_ / "no-such-dir").string();
  RunResult r = Run({"list", "--data-dir", missing});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(missing), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(missing));  // never created
}

TEST_F(DsAdminTest, DirectoryWithoutDatabaseIsAClearError) {
  const std::string empty = (root_ / "empty").string();
  fs::create_directories(empty);
  RunResult r = Run({"stats", "--data-dir", empty});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot open RocksDB database in " + empty), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(fs::path(empty) / "CURRENT"));
}

// A directory a running server holds is read through a RocksDB secondary instance, which sees
// what the holder wrote after ds-admin's open too (tests/tools/ds_admin_live_test.cc does the
// same with the real server).
TEST_F(DsAdminTest, ReadingCommandsWorkOnALockedDirectory) {
  auto held = OpenManager(dir_);  // as a running server would
  ASSERT_TRUE(held);
  Create(*held, "/new", Typed("text/plain"));
  Append(*held, "/new", "text/plain", "live");
  for (const char* command : {"list", "show", "read", "stats", "verify"}) {
    std::vector<std::string> args;
    if (std::string(command) == "read" || std::string(command) == "show") args = {"/new"};
    RunResult r = RunOnDir(command, args);
    EXPECT_EQ(r.exit_code, 0) << command << ": " << r.err;
    if (std::string(command) == "list") {
      EXPECT_NE(r.out.find("/new "), std::string::npos);
    } else if (std::string(command) == "read") {
      EXPECT_EQ(r.out, "live");
    } else if (std::string(command) == "verify") {
      EXPECT_NE(r.out.find("ok: 8 streams"), std::string::npos);
    }
  }
  // Changing commands still may not open it.
  EXPECT_EQ(RunOnDir("delete", {"/bytes"}).exit_code, 1);
  held.reset();
  EXPECT_EQ(RunOnDir("list").exit_code, 0);
}

// --- list and show -------------------------------------------------------------------------------

TEST_F(DsAdminTest, ListShowsEveryStreamAsATable) {
  RunResult r = RunOnDir("list");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string header;
  std::getline(lines, header);
  const std::vector<std::string> columns = {"PATH",         "CONTENT-TYPE", "TAIL",
                                            "CLOSED",       "TTL/EXPIRES",  "CREATED",
                                            "SOFT-DELETED", "FORK-OF",      "REFCOUNT"};
  std::vector<size_t> starts;
  for (const std::string& column : columns) {
    starts.push_back(header.find(column));
    ASSERT_NE(starts.back(), std::string::npos) << column;
  }
  // rows[path][column]: cells cut at the header's column starts, trailing blanks dropped.
  std::map<std::string, std::map<std::string, std::string>> rows;
  for (std::string line; std::getline(lines, line);) {
    std::map<std::string, std::string> cells;
    for (size_t i = 0; i < columns.size(); ++i) {
      size_t end = i + 1 < columns.size() ? starts[i + 1] : std::string::npos;
      std::string cell = line.substr(starts[i], end == std::string::npos ? end : end - starts[i]);
      cells[columns[i]] = cell.substr(0, cell.find_last_not_of(' ') + 1);
    }
    rows[cells["PATH"]] = cells;
  }
  ASSERT_EQ(rows.size(), 7u) << r.out;
  EXPECT_EQ(rows["/bytes"]["CONTENT-TYPE"], "text/plain");
  EXPECT_EQ(rows["/bytes"]["TAIL"], FormatOffset(11));
  EXPECT_EQ(rows["/bytes"]["CLOSED"], "yes");
  EXPECT_EQ(rows["/bytes"]["TTL/EXPIRES"], "-");
  EXPECT_EQ(rows["/ttl"]["TTL/EXPIRES"], "ttl 3600s");
  EXPECT_EQ(rows["/ttl"]["CREATED"].size(), 24u);  // 2024-05-01T12:00:00.123Z
  // The soft-deleted source: tail 6, one fork referencing it.
  EXPECT_EQ(rows["/src"]["TAIL"], FormatOffset(6));
  EXPECT_EQ(rows["/src"]["SOFT-DELETED"], "yes");
  EXPECT_EQ(rows["/src"]["FORK-OF"], "-");
  EXPECT_EQ(rows["/src"]["REFCOUNT"], "1");
  EXPECT_EQ(rows["/fork"]["SOFT-DELETED"], "no");
  EXPECT_EQ(rows["/fork"]["FORK-OF"], "/src");
  EXPECT_EQ(rows["/fork"]["REFCOUNT"], "0");
}

TEST_F(DsAdminTest, ListJson) {
  RunResult r = RunOnDir("list", {"--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<boost::json::object> streams = ParseJsonLines(r.out);
  ASSERT_EQ(streams.size(), 7u);
  std::map<std::string, boost::json::object> by_path;
  for (const auto& s : streams) by_path[std::string(s.at("path").as_string())] = s;
  EXPECT_EQ(by_path["/bytes"].at("tail").to_number<uint64_t>(), 11u);
  EXPECT_EQ(by_path["/bytes"].at("tail_offset").as_string(), FormatOffset(11));
  EXPECT_TRUE(by_path["/bytes"].at("closed").as_bool());
  EXPECT_EQ(by_path["/json"].at("content_type").as_string(), "application/json");
  EXPECT_EQ(by_path["/ttl"].at("ttl_seconds").to_number<uint64_t>(), 3600u);
  EXPECT_TRUE(by_path["/bin"].at("ttl_seconds").is_null());
  EXPECT_TRUE(by_path["/src"].at("soft_deleted").as_bool());
  EXPECT_EQ(by_path["/src"].at("fork_refcount").to_number<uint64_t>(), 1u);
  EXPECT_EQ(by_path["/fork"].at("fork_parent").as_string(), "/src");
  EXPECT_EQ(by_path["/fork"].at("fork_position").to_number<uint64_t>(), 3u);
  EXPECT_GT(by_path["/fork"].at("created_at_ms").to_number<int64_t>(), 0);
}

TEST_F(DsAdminTest, ShowPrintsMetadataAndProducers) {
  RunResult r = RunOnDir("show", {"/producer"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("/producer"), std::string::npos);
  EXPECT_NE(r.out.find("text/plain"), std::string::npos);
  EXPECT_NE(r.out.find(FormatOffset(2)), std::string::npos);
  EXPECT_NE(r.out.find("PRODUCER  EPOCH  LAST-SEQ"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("p1        0      1"), std::string::npos) << r.out;

  RunResult fork = RunOnDir("show", {"/fork"});
  ASSERT_EQ(fork.exit_code, 0) << fork.err;
  EXPECT_NE(fork.out.find("/src (generation"), std::string::npos) << fork.out;

  RunResult json = RunOnDir("show", {"/producer", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  boost::json::value value = ParseJson(json.out);
  const auto& producers = value.at("producers").as_array();
  ASSERT_EQ(producers.size(), 1u);
  EXPECT_EQ(producers[0].at("id").as_string(), "p1");
  EXPECT_EQ(producers[0].at("last_seq").to_number<uint64_t>(), 1u);

  RunResult missing = RunOnDir("show", {"/nope"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no stream /nope"), std::string::npos) << missing.err;
}

// --- read ----------------------------------------------------------------------------------------

TEST_F(DsAdminTest, ReadPrintsExactBytes) {
  RunResult bin = RunOnDir("read", {"/bin"});
  ASSERT_EQ(bin.exit_code, 0) << bin.err;
  EXPECT_EQ(bin.out, kBinary);
  EXPECT_EQ(bin.err, "");

  RunResult bytes = RunOnDir("read", {"/bytes"});
  ASSERT_EQ(bytes.exit_code, 0) << bytes.err;
  EXPECT_EQ(bytes.out, "hello world");

  // A fork reads its parent's units below the fork position, even with the parent soft-deleted.
  RunResult fork = RunOnDir("read", {"/fork"});
  ASSERT_EQ(fork.exit_code, 0) << fork.err;
  EXPECT_EQ(fork.out, "abcXYZ");
}

TEST_F(DsAdminTest, ReadJsonStreamPrintsOneArray) {
  RunResult r = RunOnDir("read", {"/json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "[{\"a\":1},{\"b\":2},3]\n");

  RunResult from_one = RunOnDir("read", {"/json", "--offset", FormatOffset(1)});
  ASSERT_EQ(from_one.exit_code, 0) << from_one.err;
  EXPECT_EQ(from_one.out, "[{\"b\":2},3]\n");
}

TEST_F(DsAdminTest, ReadOffsetsAndMaxBytes) {
  RunResult tail_part = RunOnDir("read", {"/bytes", "--offset", FormatOffset(6)});
  ASSERT_EQ(tail_part.exit_code, 0) << tail_part.err;
  EXPECT_EQ(tail_part.out, "world");

  RunResult now = RunOnDir("read", {"/bytes", "--offset", "now"});
  ASSERT_EQ(now.exit_code, 0) << now.err;
  EXPECT_EQ(now.out, "");

  RunResult first = RunOnDir("read", {"/bytes", "--max-bytes", "5"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out, "hello");
  EXPECT_NE(first.err.find("continue with --offset " + FormatOffset(5)), std::string::npos)
      << first.err;

  RunResult beyond = RunOnDir("read", {"/bytes", "--offset", FormatOffset(12)});
  EXPECT_EQ(beyond.exit_code, 1);
  EXPECT_NE(beyond.err.find("beyond"), std::string::npos) << beyond.err;
}

TEST_F(DsAdminTest, ReadErrors) {
  RunResult missing = RunOnDir("read", {"/nope"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("read /nope: stream not found"), std::string::npos) << missing.err;
  RunResult soft = RunOnDir("read", {"/src"});
  EXPECT_EQ(soft.exit_code, 1);
  EXPECT_NE(soft.err.find("read /src: stream is deleted"), std::string::npos) << soft.err;
}

TEST_F(DsAdminTest, ReadLeavesTheDirectoryUnchanged) {
  // A manager read touches the sliding TTL; ds-admin must not persist that.
  auto last_access = [this] {
    RunResult r = RunOnDir("show", {"/ttl", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return ParseJson(r.out).at("last_access_ms").to_number<int64_t>();
  };
  int64_t before = last_access();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  RunResult r = RunOnDir("read", {"/ttl"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "t");
  EXPECT_EQ(last_access(), before);
}

// --- delete --------------------------------------------------------------------------------------

TEST_F(DsAdminTest, DeleteThenList) {
  RunResult r = RunOnDir("delete", {"/bytes"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "deleted /bytes\n");

  RunResult list = RunOnDir("list");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(list.out.find("/bytes"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("/bin"), std::string::npos);

  RunResult again = RunOnDir("delete", {"/bytes"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("delete /bytes: stream not found"), std::string::npos) << again.err;
  EXPECT_EQ(RunOnDir("verify").exit_code, 0);
}

TEST_F(DsAdminTest, DeleteRespectsForkSoftDelete) {
  // /src is soft-deleted already: deleting it again is refused.
  RunResult soft = RunOnDir("delete", {"/src"});
  EXPECT_EQ(soft.exit_code, 1);
  EXPECT_NE(soft.err.find("already soft-deleted"), std::string::npos) << soft.err;

  // A stream with a live fork is soft-deleted, not removed.
  {
    auto m = OpenManager(dir_);
    ASSERT_TRUE(m);
    CreateOptions fork = Typed("application/octet-stream");
    fork.fork_from = "/bin";
    Create(*m, "/bin-fork", fork);
  }
  RunResult parent = RunOnDir("delete", {"/bin"});
  ASSERT_EQ(parent.exit_code, 0) << parent.err;
  EXPECT_NE(parent.out.find("soft-deleted /bin"), std::string::npos) << parent.out;

  // Deleting the last fork of /src removes /src with it.
  RunResult fork = RunOnDir("delete", {"/fork"});
  ASSERT_EQ(fork.exit_code, 0) << fork.err;
  EXPECT_EQ(fork.out, "deleted /fork\n");
  RunResult list = RunOnDir("list", {"--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  std::set<std::string> paths;
  for (const auto& s : ParseJsonLines(list.out)) {
    paths.insert(std::string(s.at("path").as_string()));
  }
  EXPECT_EQ(paths,
            (std::set<std::string>{"/bin", "/bin-fork", "/bytes", "/json", "/producer", "/ttl"}));
  RunResult verify = RunOnDir("verify");
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
}

// --- verify, compact, stats
// ------------------------------------------------------------------------

TEST_F(DsAdminTest, VerifyPassesOnAHealthyDirectory) {
  RunResult r = RunOnDir("verify");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "ok: 7 streams, 11 records checked, 0 problems\n");
}

TEST_F(DsAdminTest, VerifyReportsBrokenInvariants) {
  {
    // Damage the directory below the manager: a gap, a short tail, a lost fork parent, and a
    // refcount no fork backs.
    auto storage = OpenStorage(dir_);
    ASSERT_TRUE(storage);
    RecoveredState state;
    ASSERT_TRUE(storage->recover(&state).ok());
    WriteBatch batch;
    batch.generation_counter = state.generation_counter + 10;
    StreamChange gap;
    gap.meta.path = "/gap";
    gap.meta.generation = state.generation_counter + 1;
    gap.meta.content_type = "text/plain";
    gap.meta.tail = 20;
    gap.meta.fork_refcount = 2;
    gap.records = {Record{0, "abc"}, Record{5, "defgh"}};  // 3..5 missing, ends at 10 not 20
    batch.changes.push_back(gap);
    StreamChange orphan;
    orphan.meta.path = "/orphan";
    orphan.meta.generation = state.generation_counter + 2;
    orphan.meta.content_type = "text/plain";
    orphan.meta.fork_parent = "/gone";
    orphan.meta.fork_parent_generation = 1;
    batch.changes.push_back(orphan);
    ASSERT_TRUE(storage->write(batch).ok());
  }
  RunResult r = RunOnDir("verify");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("problem: /gap: record at position 5 should start at 3 (gap)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("problem: /gap: records end at position 10 but the tail is 20"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("problem: /gap: refcount is 2 but 0 stored forks reference it"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("problem: /orphan: fork parent /gone does not exist"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("FAILED: 9 streams, 13 records checked, 4 problems"), std::string::npos)
      << r.out;
}

TEST_F(DsAdminTest, CompactReportsSizesAndKeepsData) {
  RunResult r = RunOnDir("compact");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("compacted " + dir_ + " (0 deleted streams purged first)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\nbefore: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nafter:  "), std::string::npos) << r.out;
  EXPECT_EQ(RunOnDir("verify").exit_code, 0);
  EXPECT_EQ(RunOnDir("read", {"/fork"}).out, "abcXYZ");
}

// A crash between a delete and its purge leaves the stream's data behind, recorded as a purge
// still owed (Storage::recover); compact finishes it before compacting.
TEST_F(DsAdminTest, CompactFinishesAPurgeACrashLeftPending) {
  uint64_t generation = 0;
  {
    auto storage = OpenStorage(dir_);
    ASSERT_TRUE(storage);
    std::optional<LoadedStream> bin;
    ASSERT_TRUE(storage->load_stream("/bin", &bin).ok());
    ASSERT_TRUE(bin);
    generation = bin->meta.generation;
    RecoveredState state;
    ASSERT_TRUE(storage->recover(&state).ok());
    WriteBatch erase;  // the erase without its purge, as a crash would leave it
    erase.generation_counter = state.generation_counter;
    StreamChange change;
    change.kind = StreamChange::Kind::kErase;
    change.meta = bin->meta;
    erase.changes.push_back(change);
    ASSERT_TRUE(storage->write(erase).ok());
    std::vector<Record> records;
    ASSERT_TRUE(storage->read_records("/bin", bin->meta.generation, 0, 1000, 1 << 20, &records).ok());
    ASSERT_FALSE(records.empty()) << "the erase alone keeps the records";
  }
  RunResult r = RunOnDir("compact");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("(1 deleted streams purged first)"), std::string::npos) << r.out;
  auto storage = OpenStorage(dir_);
  ASSERT_TRUE(storage);
  RecoveredState after;
  ASSERT_TRUE(storage->recover(&after).ok());
  EXPECT_TRUE(after.pending_purges.empty());
  std::vector<Record> records;
  ASSERT_TRUE(storage->read_records("/bin", generation, 0, 1000, 1 << 20, &records).ok());
  EXPECT_TRUE(records.empty()) << "purged";
}

TEST_F(DsAdminTest, Stats) {
  RunResult text = RunOnDir("stats");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("streams:"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("directory size:"), std::string::npos) << text.out;

  RunResult r = RunOnDir("stats", {"--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  boost::json::value value = ParseJson(r.out);
  EXPECT_EQ(value.at("streams").to_number<uint64_t>(), 7u);
  EXPECT_EQ(value.at("live").to_number<uint64_t>(), 6u);
  EXPECT_EQ(value.at("soft_deleted").to_number<uint64_t>(), 1u);
  EXPECT_EQ(value.at("forks").to_number<uint64_t>(), 1u);
  EXPECT_EQ(value.at("records").to_number<uint64_t>(), 11u);
  EXPECT_EQ(value.at("payload_bytes").to_number<uint64_t>(), 45u);
  EXPECT_GT(value.at("directory_bytes").to_number<uint64_t>(), 0u);
}

}  // namespace
}  // namespace streamkeeper
