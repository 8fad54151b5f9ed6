// Damaged data directories (storage_rocksdb/README.md, "Damaged data directories"): the real
// streamkeeper binary writes a stream, `ds-admin compact` flushes it into table files, a last
// few appends stay in the WAL, the server is SIGKILLed, and then one file is damaged on disk.
// For each damage the rule is: the server recovers everything intact (only a torn tail may go)
// and logs what it dropped, or it refuses to start naming the file and the cause, or - for a
// damaged data block, which start-up does not read - every read that meets the block fails with
// a 5xx and a log line. It never serves wrong data. `ds-admin verify` reports each damage with
// exit code 1 and a line naming the file.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "../storage/temp_dir.h"
#include "http_test_client.h"

#ifndef STREAMKEEPER_BINARY
#error "STREAMKEEPER_BINARY must name the server binary"
#endif
#ifndef DS_ADMIN_BINARY
#error "DS_ADMIN_BINARY must name the ds-admin binary"
#endif

namespace streamkeeper::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kStream = "/v1/stream/s";
constexpr int kFlushedAppends = 100;  // in table files after `ds-admin compact`
constexpr int kWalAppends = 4;        // only in the WAL when the server is killed
constexpr size_t kAppendBytes = 1000;

std::string Offset(uint64_t position) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016llu_%016llu", 0ULL,
                static_cast<unsigned long long>(position));
  return buf;
}

// Incompressible bytes, so the data table has many 4 KiB blocks.
std::string RandomBytes(std::mt19937* random, size_t size) {
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>((*random)() & 0xff);
  return bytes;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

void FlipByte(const std::string& path, size_t offset, unsigned char mask = 0xff) {
  std::string bytes = ReadFile(path);
  ASSERT_LT(offset, bytes.size()) << path;
  bytes[offset] = static_cast<char>(bytes[offset] ^ mask);
  WriteFile(path, bytes);
}

bool Contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

struct Exited {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class DamagedDataDirTest : public ::testing::Test {
 protected:
  void SetUp() override { MakeData(); }

  // The stream: kFlushedAppends in table files, then kWalAppends in the WAL only.
  void MakeData() {
    std::mt19937 random(42);
    uint16_t port = 0;
    {
      auto server = Start(&port);
      ASSERT_NE(port, 0);
      ASSERT_EQ(
          Request(port, "PUT", kStream, {{"Content-Type", "application/octet-stream"}}).status,
          201);
      Append(port, kFlushedAppends, &random);
      server->signal(SIGTERM);
      ASSERT_EQ(server->wait_exit(Millis(10000)), 0) << server->err();
    }
    Exited compact = RunAdmin({"compact", "--data-dir", data_});
    ASSERT_EQ(compact.exit_code, 0) << compact.err;
    auto server = Start(&port);
    ASSERT_NE(port, 0);
    Append(port, kWalAppends, &random);
    server->signal(SIGKILL);
    server->wait_exit(Millis(10000));
    ASSERT_FALSE(DataTable().empty()) << "no table file after compact";
  }

  void Append(uint16_t port, int count, std::mt19937* random) {
    for (int i = 0; i < count; ++i) {
      std::string bytes = RandomBytes(random, kAppendBytes);
      ASSERT_EQ(
          Request(port, "POST", kStream, {{"Content-Type", "application/octet-stream"}}, bytes)
              .status,
          204);
      content_ += bytes;
    }
  }

  std::unique_ptr<ServerProcess> Start(uint16_t* port) {
    auto server = std::make_unique<ServerProcess>();
    *port = 0;
    if (!server->spawn(STREAMKEEPER_BINARY, ServerArgs())) {
      ADD_FAILURE() << "cannot spawn " << STREAMKEEPER_BINARY;
      return server;
    }
    *port = server->wait_listening(Millis(10000));
    EXPECT_NE(*port, 0) << "server did not start; stderr:\n" << server->err();
    return server;
  }

  std::vector<std::string> ServerArgs() const {
    return {"--storage", "rocksdb", "--data-dir", data_,    "--host",    "127.0.0.1",
            "--port",    "0",       "--sync",     "always", "--threads", "2"};
  }

  // Starts the server on a directory it must refuse; returns how it exited.
  Exited StartRefused() {
    ServerProcess server;
    Exited run;
    if (!server.spawn(STREAMKEEPER_BINARY, ServerArgs())) {
      ADD_FAILURE() << "cannot spawn " << STREAMKEEPER_BINARY;
      return run;
    }
    auto code = server.wait_exit(Millis(10000));
    if (!code) ADD_FAILURE() << "the server did not exit; stdout:\n" << server.out();
    run.exit_code = code.value_or(-1);
    run.out = server.out();
    run.err = server.err();
    return run;
  }

  Exited RunAdmin(const std::vector<std::string>& args) {
    ServerProcess admin;
    Exited run;
    if (!admin.spawn(DS_ADMIN_BINARY, args)) {
      ADD_FAILURE() << "cannot spawn " << DS_ADMIN_BINARY;
      return run;
    }
    auto code = admin.wait_exit(Millis(20000));
    if (!code) ADD_FAILURE() << "ds-admin did not exit";
    run.exit_code = code.value_or(-1);
    run.out = admin.out();
    run.err = admin.err();
    return run;
  }

  Exited Verify() { return RunAdmin({"verify", "--data-dir", data_}); }

  // The files of the data directory whose name ends with `suffix` (or starts with it, for
  // "MANIFEST-"), largest first.
  std::vector<std::string> Files(const std::string& suffix) const {
    std::vector<std::pair<uintmax_t, std::string>> found;
    for (const auto& entry : fs::directory_iterator(data_)) {
      std::string name = entry.path().filename().string();
      bool match = name.size() >= suffix.size() &&
                   (name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 ||
                    name.compare(0, suffix.size(), suffix) == 0);
      if (match) found.emplace_back(entry.file_size(), entry.path().string());
    }
    std::sort(found.rbegin(), found.rend());
    std::vector<std::string> paths;
    for (auto& item : found) paths.push_back(item.second);
    return paths;
  }
  // The data family's table: by far the largest (the stream's 100 KB).
  std::string DataTable() const {
    auto tables = Files(".sst");
    return tables.empty() ? "" : tables[0];
  }
  std::string Wal() const { return Files(".log").at(0); }  // the one holding the last appends
  std::string Manifest() const { return Files("MANIFEST-").at(0); }

  TempDir dir_;
  std::string data_ = dir_.path() + "/data";
  std::string content_;  // every acknowledged byte of the stream, in order
};

// ---------------------------------------------------------------------------------------------

TEST_F(DamagedDataDirTest, TruncatedWalTailIsDroppedLoggedAndTheRestServed) {
  const std::string wal = Wal();
  const uintmax_t torn_size = fs::file_size(wal) - 10;  // the last append loses its last bytes
  fs::resize_file(wal, torn_size);
  const std::string wal_name = fs::path(wal).filename().string();

  Exited verify = Verify();
  EXPECT_EQ(verify.exit_code, 1) << verify.out << verify.err;
  EXPECT_TRUE(Contains(verify.out, "problem: " + wal + ": dropping ")) << verify.out;
  EXPECT_TRUE(Contains(verify.out, "Corruption: truncated record")) << verify.out;
  // verify opens read-only: the torn tail is still there for the server (and for an operator).
  ASSERT_TRUE(fs::exists(wal)) << "verify replayed and removed the WAL it was to report";
  EXPECT_EQ(fs::file_size(wal), torn_size);

  uint16_t port = 0;
  auto server = Start(&port);
  ASSERT_NE(port, 0);
  HttpResult read = Request(port, "GET", std::string(kStream) + "?offset=-1");
  ASSERT_EQ(read.status, 200);
  const size_t kept = content_.size() - kAppendBytes;  // all but the torn append
  EXPECT_EQ(read.header("Stream-Next-Offset").value_or(""), Offset(kept));
  EXPECT_TRUE(read.body == content_.substr(0, kept)) << "recovered bytes differ from those written";
  server->signal(SIGTERM);
  server->wait_exit(Millis(10000));
  // The server's log says which WAL lost how much.
  EXPECT_TRUE(Contains(server->err(), "warn rocksdb: ")) << server->err();
  EXPECT_TRUE(Contains(server->err(), wal + ": dropping ")) << server->err();
  EXPECT_TRUE(Contains(server->err(), "truncated record")) << server->err();
}

TEST_F(DamagedDataDirTest, FlippedByteInAnSstDataBlockFailsEveryReadThatMeetsIt) {
  const std::string table = DataTable();
  FlipByte(table, 100);  // inside the first data block: the stream's first bytes

  Exited verify = Verify();
  EXPECT_EQ(verify.exit_code, 1) << verify.out << verify.err;
  // The whole-table checksum pass names the table ...
  EXPECT_TRUE(Contains(verify.out, "problem: data directory " + data_ +
                                       " is damaged: Corruption: block checksum mismatch"))
      << verify.out;
  // ... and the stream that cannot be read is a problem of its own.
  EXPECT_TRUE(Contains(verify.out, std::string("problem: ") + kStream + ": reading stream"))
      << verify.out;
  EXPECT_TRUE(Contains(verify.out, table)) << verify.out;

  // Start-up reads no data block but each stream's last, so the server starts ...
  uint16_t port = 0;
  auto server = Start(&port);
  ASSERT_NE(port, 0);
  // ... a read meeting the block fails loudly, as an error, never as a short 200 ...
  HttpResult bad = Request(port, "GET", std::string(kStream) + "?offset=-1");
  EXPECT_GE(bad.status, 500) << bad.body;
  EXPECT_LT(bad.status, 600) << bad.body;
  EXPECT_TRUE(Contains(bad.body, "checksum mismatch")) << bad.body;
  // ... and reads of intact blocks are served, byte for byte.
  const size_t late = 90000;
  HttpResult good = Request(port, "GET", std::string(kStream) + "?offset=" + Offset(late));
  EXPECT_EQ(good.status, 200);
  EXPECT_TRUE(good.body == content_.substr(late)) << "bytes read differ from those written";
  server->signal(SIGTERM);
  server->wait_exit(Millis(10000));
  // The operator learns of it from the log, not only from a client.
  EXPECT_TRUE(Contains(server->err(), " error reading stream '" + std::string(kStream) + "'"))
      << server->err();
  EXPECT_TRUE(Contains(server->err(), table)) << server->err();
}

TEST_F(DamagedDataDirTest, FlippedByteInAnSstFooterOrIndexRefusesToStartNamingTheTable) {
  const std::string table = DataTable();
  const std::string intact = ReadFile(table);
  // 10 bytes from the end: the footer's format version. 200: the properties block, just
  // before the footer for this data; its "block checksum mismatch" was once taken for a locked
  // directory (a "lock" in "block"). Not 40: that is footer padding, read by nobody.
  for (size_t from_end : {10, 200}) {
    SCOPED_TRACE("flipped byte " + std::to_string(from_end) + " from the end");
    WriteFile(table, intact);
    FlipByte(table, intact.size() - from_end);
    Exited run = StartRefused();
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_TRUE(Contains(run.err, "cannot open storage: data directory " + data_ +
                                      " is damaged: SST file " + table + " is corrupt"))
        << run.err;
    EXPECT_FALSE(Contains(run.err, "is locked")) << run.err;
    Exited verify = Verify();
    EXPECT_EQ(verify.exit_code, 1) << verify.out << verify.err;
    EXPECT_TRUE(Contains(verify.out, "SST file " + table + " is corrupt")) << verify.out;
  }
}

TEST_F(DamagedDataDirTest, FlippedByteInTheManifestRefusesToStartNamingIt) {
  const std::string manifest = Manifest();
  const std::string intact = ReadFile(manifest);
  FlipByte(manifest, intact.size() / 2);  // a record's payload or header: a checksum mismatch
  Exited run = StartRefused();
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(Contains(run.err, "cannot open storage: data directory " + data_ +
                                    " is damaged: MANIFEST " + manifest + " is corrupt"))
      << run.err;
  Exited verify = Verify();
  EXPECT_EQ(verify.exit_code, 1) << verify.out << verify.err;
  EXPECT_TRUE(Contains(verify.out, "problem: data directory " + data_ + " is damaged: MANIFEST " +
                                       manifest + " is corrupt"))
      << verify.out;
}

// The flip RocksDB does not see: the length field of the last record, made to run past the end
// of the file, reads as an edit torn by a crash and would be dropped without a word.
TEST_F(DamagedDataDirTest, FlippedLengthOfTheLastManifestRecordRefusesToStart) {
  const std::string manifest = Manifest();
  const std::string intact = ReadFile(manifest);
  ASSERT_LT(intact.size(), 32768u) << "one log block expected";
  size_t last = 0;  // walk the 7-byte headers: masked crc (4), length (2), type (1)
  for (size_t pos = 0; pos + 7 <= intact.size();) {
    last = pos;
    pos += 7 + (static_cast<unsigned char>(intact[pos + 4]) |
                static_cast<unsigned char>(intact[pos + 5]) << 8);
  }
  FlipByte(manifest, last + 5, 0x01);  // +256 bytes: past the end
  Exited run = StartRefused();
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(Contains(run.err, "is damaged: MANIFEST " + manifest + " is corrupt: the last " +
                                    "record, at offset " + std::to_string(last)))
      << run.err;
  Exited verify = Verify();
  EXPECT_EQ(verify.exit_code, 1) << verify.out << verify.err;
  EXPECT_TRUE(Contains(verify.out, "MANIFEST " + manifest + " is corrupt")) << verify.out;
}

TEST_F(DamagedDataDirTest, FlippedByteInCurrentRefusesToStartNamingIt) {
  const std::string current = data_ + "/CURRENT";
  const std::string intact = ReadFile(current);  // "MANIFEST-000026\n"
  ASSERT_GT(intact.size(), 2u);
  // Every byte flipped whole: CURRENT no longer holds a MANIFEST name.
  for (size_t offset = 0; offset < intact.size(); ++offset) {
    SCOPED_TRACE("flipped byte " + std::to_string(offset) + " of CURRENT");
    WriteFile(current, intact);
    FlipByte(current, offset);
    Exited run = StartRefused();
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_TRUE(Contains(run.err, "is damaged: " + current + " is corrupt: it holds \""))
        << run.err;
  }
  // One bit of the last digit: CURRENT names a MANIFEST that is not there.
  WriteFile(current, intact);
  FlipByte(current, intact.size() - 2, 0x01);
  Exited run = StartRefused();
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(Contains(run.err, "is damaged: " + current + " names MANIFEST-")) << run.err;
  EXPECT_TRUE(Contains(run.err, "which does not exist")) << run.err;
  Exited verify = Verify();
  EXPECT_EQ(verify.exit_code, 1) << verify.out << verify.err;
  EXPECT_TRUE(Contains(verify.out, "problem: data directory " + data_ + " is damaged: " + current))
      << verify.out;
}

TEST_F(DamagedDataDirTest, MissingSstRefusesToStartNamingIt) {
  const std::string table = DataTable();
  fs::remove(table);
  Exited run = StartRefused();
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(Contains(run.err, "cannot open storage: data directory " + data_ +
                                    " is damaged: SST file " + table + " is missing"))
      << run.err;
  Exited verify = Verify();
  EXPECT_EQ(verify.exit_code, 1) << verify.out << verify.err;
  EXPECT_TRUE(Contains(verify.out, "SST file " + table + " is missing")) << verify.out;
}

// Not one of the flips, but the damage RocksDB itself would serve silently: without CURRENT it
// takes the directory for a new database (create_if_missing) and, unless a WAL file is there
// ("wal_dir contains existing log file"), creates one over the tables: the server would start
// empty, every stream gone. The WALs go too here, as after an operator's "cleanup".
TEST_F(DamagedDataDirTest, MissingCurrentRefusesToStartInsteadOfServingAnEmptyDatabase) {
  const std::string current = data_ + "/CURRENT";
  fs::remove(current);
  for (const std::string& wal : Files(".log")) fs::remove(wal);
  Exited run = StartRefused();
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(Contains(run.err, "is damaged: " + current + " is missing")) << run.err;
  Exited verify = Verify();
  EXPECT_EQ(verify.exit_code, 1) << verify.out << verify.err;
  EXPECT_TRUE(Contains(verify.out, current + " is missing")) << verify.out;
}

}  // namespace
}  // namespace streamkeeper::testing
