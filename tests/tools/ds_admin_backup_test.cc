// ds-admin backup, restore, expire and compact, end to end: the real ds-admin and streamkeeper
// binaries on real directories. The rules:
//   - a backup of a stopped directory restores to a store that verifies and reads the same;
//   - the changing commands refuse a directory a running server holds, naming --url;
//   - restore refuses a non-empty target, and a truncated, damaged or unsafe archive (a path
//     that climbs out, a link), leaving nothing behind;
//   - expire and compact work offline and through the server (--url);
//   - the issue's test: a backup through the server while 32 writers append holds every append
//     acknowledged before the backup was asked for, at its offset; it verifies; a server
//     started on it continues each stream above its restored tail.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../server/http_test_client.h"
#include "../tls/test_certs.h"
#include "ds_admin_fixture.h"
#include "snapshot/tar_writer.h"

#ifndef STREAMKEEPER_BINARY
#error "STREAMKEEPER_BINARY must name the server binary"
#endif

namespace streamkeeper::testing {
namespace {

using Clock = std::chrono::steady_clock;

const Headers kText = {{"Content-Type", "text/plain"}};

class DsAdminBackupTest : public DsAdminTest {
 protected:
  // A server on `dir` (RocksDB), its port in *port.
  std::unique_ptr<ServerProcess> StartServer(const std::string& dir, uint16_t* port,
                                             std::vector<std::string> extra = {}) {
    auto server = std::make_unique<ServerProcess>();
    std::vector<std::string> args = {"--host",  "127.0.0.1",  "--port", "0",         "--storage",
                                     "rocksdb", "--data-dir", dir,      "--threads", "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    EXPECT_TRUE(server->spawn(STREAMKEEPER_BINARY, args));
    *port = server->wait_listening(Millis(10000));
    EXPECT_NE(*port, 0) << server->err();
    return server;
  }

  static void Stop(ServerProcess* server) {
    server->signal(SIGTERM);
    EXPECT_EQ(server->wait_exit(Millis(10000)), std::optional<int>(0)) << server->err();
  }

  std::string Url(uint16_t port) const { return "http://127.0.0.1:" + std::to_string(port); }
  std::string Path(const std::string& name) const { return (root_ / name).string(); }

  // Writes a tar whose one entry has the raw header fields given (for unsafe entries).
  void WriteArchive(const std::string& path, const std::string& name, char type,
                    const std::string& data) {
    std::string header = TarFileHeader("placeholder", data.size(), 0);
    std::memset(header.data(), 0, 100);
    std::memcpy(header.data(), name.data(), std::min<size_t>(name.size(), 100));
    header[156] = type;
    std::memset(header.data() + 148, ' ', 8);
    unsigned sum = 0;
    for (unsigned char c : header) sum += c;
    std::snprintf(header.data() + 148, 8, "%06o", sum);
    std::string archive = header + data;
    archive.append((512 - data.size() % 512) % 512, '\0');
    archive.append(1024, '\0');
    std::ofstream(path, std::ios::binary | std::ios::trunc) << archive;
  }

  bool Exists(const std::string& path) const { return fs::exists(path); }
};

TEST_F(DsAdminBackupTest, ABackupOfAStoppedDirectoryRestoresToAStoreThatVerifiesAndReadsTheSame) {
  const std::string archive = Path("backup.tar");
  RunResult backup = Run({"backup", "--data-dir", dir_, "--out", archive, "--json"});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  EXPECT_EQ(backup.err, "");  // RocksDB's checkpoint warnings are its own business
  boost::json::value summary = ParseJson(backup.out);
  EXPECT_GT(summary.at("files").to_number<uint64_t>(), 2u);
  EXPECT_FALSE(Exists(archive + ".partial"));
  // The source directory keeps no scratch checkpoint.
  for (const auto& entry : fs::directory_iterator(dir_)) {
    EXPECT_FALSE(entry.path().filename().string().starts_with("snapshot-in-progress"));
  }

  const std::string restored = Path("restored/data");  // parents are created
  RunResult restore = Run({"restore", archive, "--data-dir", restored});
  ASSERT_EQ(restore.exit_code, 0) << restore.out << restore.err;
  EXPECT_NE(restore.out.find("7 streams"), std::string::npos) << restore.out;
  EXPECT_NE(restore.out.find("0 problems"), std::string::npos) << restore.out;
  EXPECT_EQ(Run({"verify", "--data-dir", restored}).exit_code, 0);
  for (const char* path : {"/bytes", "/bin", "/json", "/fork", "/producer"}) {
    RunResult original = Run({"read", path, "--data-dir", dir_});
    RunResult copy = Run({"read", path, "--data-dir", restored});
    EXPECT_EQ(copy.exit_code, 0) << copy.err;
    EXPECT_EQ(copy.out, original.out) << path;
  }
}

TEST_F(DsAdminBackupTest, BackupToStdoutIsTheArchiveItself) {
  RunResult backup = Run({"backup", "--data-dir", dir_, "--out", "-"});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  std::ofstream(Path("piped.tar"), std::ios::binary) << backup.out;
  EXPECT_EQ(Run({"restore", Path("piped.tar"), "--data-dir", Path("from-pipe")}).exit_code, 0);
}

TEST_F(DsAdminBackupTest, ChangingCommandsRefuseADirectoryARunningServerHoldsAndNameUrl) {
  uint16_t port = 0;
  auto server = StartServer(dir_, &port);
  ASSERT_NE(port, 0);
  for (std::vector<std::string> args :
       {std::vector<std::string>{"backup", "--data-dir", dir_, "--out", Path("x.tar")},
        std::vector<std::string>{"expire", "--data-dir", dir_},
        std::vector<std::string>{"compact", "--data-dir", dir_}}) {
    RunResult refused = Run(args);
    EXPECT_EQ(refused.exit_code, 1) << args[0];
    EXPECT_NE(refused.err.find("running server"), std::string::npos) << refused.err;
    EXPECT_NE(refused.err.find("--url"), std::string::npos) << refused.err;
    EXPECT_EQ(refused.err.find("lock"), std::string::npos) << refused.err;
  }
  EXPECT_FALSE(Exists(Path("x.tar")));
  EXPECT_FALSE(Exists(Path("x.tar.partial")));

  // Through the server they work.
  RunResult expire = Run({"expire", "--url", Url(port), "--json"});
  ASSERT_EQ(expire.exit_code, 0) << expire.err;
  EXPECT_EQ(ParseJson(expire.out).at("expired").to_number<uint64_t>(), 0u);
  RunResult compact = Run({"compact", "--url", Url(port), "--json"});
  ASSERT_EQ(compact.exit_code, 0) << compact.err;
  EXPECT_GT(ParseJson(compact.out).at("bytes_after").to_number<uint64_t>(), 0u);
  RunResult backup = Run({"backup", "--url", Url(port), "--out", Path("live.tar")});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  Stop(server.get());
  ASSERT_EQ(Run({"restore", Path("live.tar"), "--data-dir", Path("live")}).exit_code, 0);
  EXPECT_EQ(Run({"read", "/bytes", "--data-dir", Path("live")}).out, "hello world");
}

TEST_F(DsAdminBackupTest, BackupOverHttpsChecksTheServerAndNeedsAnAdminToken) {
  const TestCerts& certs = SharedTestCerts();
  const std::string auth = Path("auth.toml");
  std::ofstream(auth) << "[tokens.ops]\nsecret = \"ops-token-77\"\nadmin = [\"/\"]\n";
  uint16_t port = 0;
  auto server = StartServer(
      dir_, &port,
      {"--tls-cert", certs.server_cert, "--tls-key", certs.server_key, "--auth-file", auth});
  ASSERT_NE(port, 0);
  const std::string url = "https://127.0.0.1:" + std::to_string(port);
  RunResult no_token = Run({"backup", "--url", url, "--ca", certs.ca, "--out", Path("x.tar")});
  EXPECT_EQ(no_token.exit_code, 1);
  EXPECT_NE(no_token.err.find("401"), std::string::npos) << no_token.err;
  EXPECT_NE(no_token.err.find("admin right"), std::string::npos) << no_token.err;
  EXPECT_FALSE(Exists(Path("x.tar")));
  RunResult untrusted = Run({"backup", "--url", url, "--ca", certs.other_ca, "--token",
                             "ops-token-77", "--out", Path("x.tar")});
  EXPECT_EQ(untrusted.exit_code, 1);
  EXPECT_FALSE(Exists(Path("x.tar")));
  RunResult backup = Run({"backup", "--url", url, "--ca", certs.ca, "--token", "ops-token-77",
                          "--out", Path("tls.tar")});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  Stop(server.get());
  ASSERT_EQ(Run({"restore", Path("tls.tar"), "--data-dir", Path("tls")}).exit_code, 0);
  EXPECT_EQ(Run({"read", "/bytes", "--data-dir", Path("tls")}).out, "hello world");
}

TEST_F(DsAdminBackupTest, AnUnreachableUrlIsAClearError) {
  RunResult backup = Run({"backup", "--url", "http://127.0.0.1:1", "--out", Path("x.tar")});
  EXPECT_EQ(backup.exit_code, 1);
  EXPECT_NE(backup.err.find("127.0.0.1:1"), std::string::npos) << backup.err;
  EXPECT_FALSE(Exists(Path("x.tar")));
  EXPECT_FALSE(Exists(Path("x.tar.partial")));
}

TEST_F(DsAdminBackupTest, ExpireOfflineRemovesTheStreamsWhoseTtlHasPassed) {
  {
    auto m = OpenManager(dir_);
    CreateOptions ttl = Typed("text/plain");
    ttl.ttl_seconds = 1;
    Create(*m, "/short", ttl);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  RunResult expire = RunOnDir("expire", {"--json"});
  ASSERT_EQ(expire.exit_code, 0) << expire.err;
  EXPECT_EQ(ParseJson(expire.out).at("expired").to_number<uint64_t>(), 1u);
  EXPECT_EQ(RunOnDir("show", {"/short"}).exit_code, 1);
  EXPECT_EQ(RunOnDir("show", {"/ttl"}).exit_code, 0);  // an hour to go
  EXPECT_EQ(ParseJson(RunOnDir("expire", {"--json"}).out).at("expired").to_number<uint64_t>(), 0u);
}

TEST_F(DsAdminBackupTest, RestoreRefusesANonEmptyTargetAndWritesNothing) {
  const std::string archive = Path("backup.tar");
  ASSERT_EQ(Run({"backup", "--data-dir", dir_, "--out", archive}).exit_code, 0);
  const std::string target = Path("occupied");
  fs::create_directories(target);
  std::ofstream(target + "/keep") << "mine";
  RunResult restore = Run({"restore", archive, "--data-dir", target});
  EXPECT_EQ(restore.exit_code, 1);
  EXPECT_NE(restore.err.find("not empty"), std::string::npos) << restore.err;
  EXPECT_EQ(std::distance(fs::directory_iterator(target), fs::directory_iterator()), 1);
  // An empty directory is a fine target.
  fs::create_directories(Path("empty"));
  EXPECT_EQ(Run({"restore", archive, "--data-dir", Path("empty")}).exit_code, 0);
}

TEST_F(DsAdminBackupTest, RestoreRefusesATruncatedOrDamagedArchiveAndLeavesNothing) {
  const std::string archive = Path("backup.tar");
  ASSERT_EQ(Run({"backup", "--data-dir", dir_, "--out", archive}).exit_code, 0);
  const std::string whole = ReadFile(archive);
  ASSERT_GT(whole.size(), 4096u);

  std::ofstream(Path("cut.tar"), std::ios::binary) << whole.substr(0, whole.size() / 2);
  RunResult cut = Run({"restore", Path("cut.tar"), "--data-dir", Path("cut")});
  EXPECT_EQ(cut.exit_code, 1);
  EXPECT_NE(cut.err.find("truncated"), std::string::npos) << cut.err;
  EXPECT_FALSE(Exists(Path("cut")));

  // Without its end-of-archive blocks: a cut exactly between two files.
  std::ofstream(Path("no-end.tar"), std::ios::binary) << whole.substr(0, whole.size() - 1024);
  RunResult no_end = Run({"restore", Path("no-end.tar"), "--data-dir", Path("no-end")});
  EXPECT_EQ(no_end.exit_code, 1);
  EXPECT_NE(no_end.err.find("truncated"), std::string::npos) << no_end.err;
  EXPECT_FALSE(Exists(Path("no-end")));

  std::string damaged = whole;
  damaged[10] ^= 0x55;  // in the first header's name: its checksum no longer matches
  std::ofstream(Path("damaged.tar"), std::ios::binary) << damaged;
  RunResult bad = Run({"restore", Path("damaged.tar"), "--data-dir", Path("damaged")});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("checksum"), std::string::npos) << bad.err;
  EXPECT_FALSE(Exists(Path("damaged")));

  std::ofstream(Path("text.tar")) << "this is not an archive\n";
  EXPECT_EQ(Run({"restore", Path("text.tar"), "--data-dir", Path("text")}).exit_code, 1);
  EXPECT_EQ(Run({"restore", Path("missing.tar"), "--data-dir", Path("missing")}).exit_code, 1);
}

TEST_F(DsAdminBackupTest, RestoreRefusesEntriesThatCouldWriteOutsideTheTarget) {
  struct Case {
    std::string name;
    char type;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"../escaped", '0', "path"},   {"/tmp/absolute", '0', "path"}, {"sub/file", '0', "path"},
      {"..", '0', "no usable name"}, {"link", '2', "symbolic link"}, {"hard", '1', "hard link"},
      {"dir", '5', "directory"},     {"fifo", '6', "FIFO"},
  };
  for (const Case& c : cases) {
    const std::string archive = Path("unsafe.tar");
    WriteArchive(archive, c.name, c.type, c.type == '0' ? "payload" : "");
    const std::string target = Path("unsafe-target");
    RunResult restore = Run({"restore", archive, "--data-dir", target});
    EXPECT_EQ(restore.exit_code, 1) << c.name;
    EXPECT_NE(restore.err.find(c.message), std::string::npos) << c.name << ": " << restore.err;
    EXPECT_FALSE(Exists(target)) << c.name;
    EXPECT_FALSE(Exists(Path("escaped"))) << c.name;
  }
  // A well-formed archive of a file that is no store is refused too.
  WriteArchive(Path("plain.tar"), "notes.txt", '0', "hello");
  RunResult plain = Run({"restore", Path("plain.tar"), "--data-dir", Path("plain")});
  EXPECT_EQ(plain.exit_code, 1);
  EXPECT_NE(plain.err.find("CURRENT"), std::string::npos) << plain.err;
  EXPECT_FALSE(Exists(Path("plain")));
}

// One writer of the issue's test: appends to its own stream over one keep-alive connection
// and records every acknowledged append with when it was acknowledged.
struct Acked {
  std::string data;
  std::string next_offset;  // Stream-Next-Offset of the answer: the tail after this append
  Clock::time_point at;
};

void Write(uint16_t port, int writer, const std::atomic<bool>* stop, std::vector<Acked>* acked,
           std::string* failure) {
  TestConnection connection(port, Millis(5000));
  if (!connection.ok()) {
    *failure = "connect: " + connection.error();
    return;
  }
  const std::string target = "/v1/stream/w/" + std::to_string(writer);
  for (int n = 0; !stop->load(); ++n) {
    std::string data = "[w" + std::to_string(writer) + "#" + std::to_string(n) + "]";
    if (!connection.send(BuildRequest("POST", target, kText, data))) {
      *failure = "send failed";
      return;
    }
    HttpResult result = connection.read_response(Millis(10000));
    if (result.status != 204) {
      *failure = "append answered " + std::to_string(result.status) + " " + result.error;
      return;
    }
    acked->push_back({data, result.header("Stream-Next-Offset").value_or(""), Clock::now()});
  }
}

TEST_F(DsAdminBackupTest, ABackupWhile32WritersAppendHoldsEveryAcknowledgedAppend) {
  constexpr int kWriters = 32;
  const std::string live = Path("live");
  uint16_t port = 0;
  auto server = StartServer(live, &port, {"--sync", "always"});
  ASSERT_NE(port, 0);
  for (int i = 0; i < kWriters; ++i) {
    ASSERT_EQ(Request(port, "PUT", "/v1/stream/w/" + std::to_string(i), kText).status, 201);
  }

  std::atomic<bool> stop{false};
  std::vector<std::vector<Acked>> acked(kWriters);
  std::vector<std::string> failures(kWriters);
  std::vector<std::thread> writers;
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back(Write, port, i, &stop, &acked[i], &failures[i]);
  }
  std::this_thread::sleep_for(Millis(500));
  // Every append acknowledged before this instant must be in the backup.
  const Clock::time_point backup_asked = Clock::now();
  RunResult backup = Run({"backup", "--url", Url(port), "--out", Path("backup.tar"), "--json"});
  std::this_thread::sleep_for(Millis(200));  // appends go on after the backup too
  stop = true;
  for (std::thread& writer : writers) writer.join();
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  Stop(server.get());
  size_t before = 0;
  for (int i = 0; i < kWriters; ++i) {
    ASSERT_EQ(failures[i], "") << "writer " << i;
    for (const Acked& a : acked[i]) before += a.at < backup_asked;
  }
  ASSERT_GT(before, size_t{kWriters}) << "the writers did not get going before the backup";

  const std::string restored = Path("restored");
  RunResult restore = Run({"restore", Path("backup.tar"), "--data-dir", restored});
  ASSERT_EQ(restore.exit_code, 0) << restore.out << restore.err;
  RunResult verify = Run({"verify", "--data-dir", restored});
  ASSERT_EQ(verify.exit_code, 0) << verify.out << verify.err;

  server = StartServer(restored, &port);
  ASSERT_NE(port, 0);
  for (int i = 0; i < kWriters; ++i) {
    const std::string target = "/v1/stream/w/" + std::to_string(i);
    HttpResult read = Request(port, "GET", target + "?offset=-1", {}, {}, Millis(10000));
    ASSERT_EQ(read.status, 200) << target;
    const std::string tail = read.header("Stream-Next-Offset").value_or("");
    // Each acknowledged append is where its offset says: the stream's bytes up to the offset
    // acknowledged for it end with its data. (Offsets are fixed-width: they order as strings.)
    std::string expected;
    for (const Acked& a : acked[i]) {
      expected += a.data;
      if (a.at >= backup_asked) break;
      ASSERT_GE(read.body.size(), expected.size()) << target << " lost " << a.data;
      ASSERT_EQ(read.body.substr(0, expected.size()), expected) << target;
      EXPECT_LE(a.next_offset, tail) << target;
      HttpResult at = Request(port, "GET", target + "?offset=" + a.next_offset);
      EXPECT_EQ(at.header("Stream-Next-Offset").value_or(""), tail) << target;
    }
    // New appends continue above the restored tail.
    HttpResult append = Request(port, "POST", target, kText, "after-restore");
    ASSERT_EQ(append.status, 204) << target;
    const std::string next = append.header("Stream-Next-Offset").value_or("");
    EXPECT_GT(next, tail) << target;
    HttpResult again = Request(port, "GET", target + "?offset=" + tail);
    EXPECT_EQ(again.body, "after-restore") << target;
  }
  Stop(server.get());
}

}  // namespace
}  // namespace streamkeeper::testing
