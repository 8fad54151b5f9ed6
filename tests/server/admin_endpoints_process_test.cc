// The admin routes as a client of the real binary sees them (service/admin_endpoints.h):
// GET /_admin/snapshot streams a whole, sound tar of the store (checked with the reader
// `ds-admin restore` uses) and leaves no scratch checkpoint behind, also when the client goes
// away mid-way; a second snapshot while one is streaming gets 429 SNAPSHOT_IN_PROGRESS with
// Retry-After; POST /_admin/compact and /_admin/expire answer their JSON; the memory backend
// answers 501 for what it cannot do; the routes need the admin right when auth is on; other
// methods 405, other paths 404. Run plain and over TLS (server_process_tests_tls).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "http_test_client.h"
#include "server_process_fixture.h"
#include "snapshot/scratch_checkpoint.h"
#include "snapshot/tar_reader.h"

namespace streamkeeper::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const Headers kText = {{"Content-Type", "text/plain"}};
const Headers kOctet = {{"Content-Type", "application/octet-stream"}};

boost::json::value ParseJson(const std::string& text) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(text, ec);
  EXPECT_FALSE(ec) << text;
  return value;
}

std::string ErrorCode(const HttpResult& result) {
  boost::json::value value = ParseJson(result.body);
  if (!value.is_object() || !value.as_object().contains("error")) return "";
  return std::string(value.at("error").at("code").as_string());
}

// The archive's entries, read with the checks `ds-admin restore` applies.
Status ListArchive(const std::string& bytes, const std::string& scratch,
                   std::vector<TarEntry>* entries) {
  std::ofstream(scratch, std::ios::binary | std::ios::trunc) << bytes;
  int fd = ::open(scratch.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IoError("cannot open " + scratch);
  Status s = ListTar(fd, entries);
  ::close(fd);
  return s;
}

bool HasScratchCheckpoint(const std::string& data_dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(data_dir, ec)) {
    if (entry.path().filename().string().starts_with(kScratchCheckpointPrefix)) return true;
  }
  return false;
}

// Polls (bounded) until the data directory holds no scratch checkpoint: the server removes it
// just after it hands over the last piece, which the client may read first.
bool ScratchGoneWithin(const std::string& data_dir, Millis timeout) {
  auto deadline = Clock::now() + timeout;
  while (HasScratchCheckpoint(data_dir)) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(Millis(20));
  }
  return true;
}

class AdminEndpointsTest : public ServerProcessTest {
 protected:
  std::unique_ptr<ServerProcess> StartRocksDb(uint16_t* port, std::vector<std::string> extra = {}) {
    extra.insert(extra.end(), {"--storage", "rocksdb"});
    return Start(extra, port);
  }
  std::string data_dir() const { return dir_.path() + "/data"; }
  std::string scratch_file() const { return dir_.path() + "/snapshot.tar"; }
};

TEST_F(AdminEndpointsTest, SnapshotIsAChunkedTarOfTheWholeStoreAndLeavesNoScratchBehind) {
  uint16_t port = 0;
  auto server = StartRocksDb(&port);
  ASSERT_NE(port, 0);
  ASSERT_EQ(Request(port, "PUT", "/v1/stream/a", kText).status, 201);
  ASSERT_EQ(Request(port, "POST", "/v1/stream/a", kText, "hello").status, 204);

  HttpResult snapshot = Request(port, "GET", "/_admin/snapshot", {}, {}, Millis(10000));
  ASSERT_EQ(snapshot.status, 200) << snapshot.body;
  EXPECT_EQ(snapshot.header("Content-Type").value_or(""), "application/x-tar");
  EXPECT_EQ(snapshot.header("Cache-Control").value_or(""), "no-store");
  EXPECT_TRUE(snapshot.chunked);
  EXPECT_TRUE(snapshot.complete);
  std::vector<TarEntry> entries;
  Status s = ListArchive(snapshot.body, scratch_file(), &entries);
  ASSERT_TRUE(s.ok()) << s.message();
  bool current = false, manifest = false, table = false;
  for (const TarEntry& entry : entries) {
    current |= entry.name == "CURRENT";
    manifest |= entry.name.starts_with("MANIFEST-");
    table |= entry.name.ends_with(".sst");
    EXPECT_NE(entry.name, "LOCK");  // the live directory's lock is not part of a store
  }
  EXPECT_TRUE(current && manifest && table) << "entries: " << entries.size();
  EXPECT_TRUE(ScratchGoneWithin(data_dir(), Millis(5000)));
  // The store goes on.
  EXPECT_EQ(Request(port, "POST", "/v1/stream/a", kText, " again").status, 204);
}

// A store larger than the socket buffers, so that a client that does not read keeps the
// snapshot in progress.
void FillStore(uint16_t port, size_t megabytes) {
  ASSERT_EQ(Request(port, "PUT", "/v1/stream/big", kOctet).status, 201);
  std::mt19937_64 random(42);
  std::string chunk(1 << 20, '\0');
  for (size_t i = 0; i < megabytes; ++i) {
    for (size_t j = 0; j + 8 <= chunk.size(); j += 8) {
      uint64_t word = random();
      std::memcpy(chunk.data() + j, &word, 8);  // incompressible: the tables stay this large
    }
    ASSERT_EQ(Request(port, "POST", "/v1/stream/big", kOctet, chunk, Millis(10000)).status, 204);
  }
}

TEST_F(AdminEndpointsTest, OneSnapshotAtATimeOthersGet429AndAClientThatLeavesFreesTheNext) {
  uint16_t port = 0;
  auto server = StartRocksDb(&port);
  ASSERT_NE(port, 0);
  ASSERT_NO_FATAL_FAILURE(FillStore(port, 24));

  // The first snapshot's client reads the head and stops reading: the server's pieces wait.
  auto slow = std::make_unique<TestConnection>(port, Millis(5000));
  ASSERT_TRUE(slow->ok()) << slow->error();
  ASSERT_TRUE(slow->send(BuildRequest("GET", "/_admin/snapshot", {}, {})));
  ASSERT_TRUE(slow->read_until("\r\n\r\n", Millis(10000)));
  EXPECT_NE(slow->buffered().find("200 OK"), std::string::npos);

  HttpResult second = Request(port, "GET", "/_admin/snapshot");
  EXPECT_EQ(second.status, 429);
  EXPECT_EQ(ErrorCode(second), "SNAPSHOT_IN_PROGRESS");
  EXPECT_TRUE(second.header("Retry-After").has_value());

  // The client goes away mid-way: the scratch checkpoint is removed, and the next snapshot
  // is served whole.
  slow.reset();
  EXPECT_TRUE(ScratchGoneWithin(data_dir(), Millis(10000)));
  HttpResult next;
  auto deadline = Clock::now() + Millis(10000);
  do {  // the worker frees its slot just after removing the checkpoint
    next = Request(port, "GET", "/_admin/snapshot", {}, {}, Millis(20000));
  } while (next.status == 429 && Clock::now() < deadline);
  ASSERT_EQ(next.status, 200);
  EXPECT_TRUE(next.complete);
  std::vector<TarEntry> entries;
  Status s = ListArchive(next.body, scratch_file(), &entries);
  ASSERT_TRUE(s.ok()) << s.message();
  uint64_t bytes = 0;
  for (const TarEntry& entry : entries) bytes += entry.size;
  EXPECT_GE(bytes, uint64_t{24} << 20);
  EXPECT_TRUE(ScratchGoneWithin(data_dir(), Millis(5000)));
}

TEST_F(AdminEndpointsTest, AStopDuringASnapshotEndsItAndRemovesItsScratchCheckpoint) {
  uint16_t port = 0;
  auto server = StartRocksDb(&port, {"--shutdown-timeout-ms", "500"});
  ASSERT_NE(port, 0);
  ASSERT_NO_FATAL_FAILURE(FillStore(port, 24));
  TestConnection slow(port, Millis(5000));
  ASSERT_TRUE(slow.ok()) << slow.error();
  ASSERT_TRUE(slow.send(BuildRequest("GET", "/_admin/snapshot", {}, {})));
  ASSERT_TRUE(slow.read_until("\r\n\r\n", Millis(10000)));
  ASSERT_TRUE(HasScratchCheckpoint(data_dir()));
  server->signal(SIGTERM);
  EXPECT_EQ(server->wait_exit(Millis(10000)), std::optional<int>(0)) << server->err();
  EXPECT_FALSE(HasScratchCheckpoint(data_dir()));
}

TEST_F(AdminEndpointsTest, AScratchCheckpointLeftByACrashIsRemovedAtStart) {
  const std::string leftover = data_dir() + "/" + std::string(kScratchCheckpointPrefix) + "12345.1";
  {
    uint16_t port = 0;
    auto server = StartRocksDb(&port);  // creates the store
    ASSERT_NE(port, 0);
    fs::create_directories(leftover);
    std::ofstream(leftover + "/000007.sst") << "a table a crash left behind";
    server->signal(SIGKILL);
    server->wait_exit(Millis(10000));
  }
  uint16_t port = 0;
  auto server = StartRocksDb(&port);
  ASSERT_NE(port, 0);
  EXPECT_FALSE(fs::exists(leftover));
}

TEST_F(AdminEndpointsTest, CompactAnswersTheDirectorySizesAndExpireTheCount) {
  uint16_t port = 0;
  auto server = StartRocksDb(&port);
  ASSERT_NE(port, 0);
  ASSERT_EQ(Request(port, "PUT", "/v1/stream/a", kText).status, 201);
  ASSERT_EQ(Request(port, "POST", "/v1/stream/a", kText, "data").status, 204);
  HttpResult compact = Request(port, "POST", "/_admin/compact", {}, {}, Millis(20000));
  ASSERT_EQ(compact.status, 200) << compact.body;
  EXPECT_EQ(compact.header("Content-Type").value_or(""), "application/json");
  boost::json::value sizes = ParseJson(compact.body);
  EXPECT_GT(sizes.at("bytes_before").to_number<uint64_t>(), 0u);
  EXPECT_GT(sizes.at("bytes_after").to_number<uint64_t>(), 0u);

  Headers ttl = kText;
  ttl.emplace_back("Stream-TTL", "1");
  ASSERT_EQ(Request(port, "PUT", "/v1/stream/short", ttl).status, 201);
  std::this_thread::sleep_for(Millis(1100));
  HttpResult expire = Request(port, "POST", "/_admin/expire");
  ASSERT_EQ(expire.status, 200) << expire.body;
  // The server's own sweeper may have been first: the count is 0 or 1, the stream gone either way.
  EXPECT_LE(ParseJson(expire.body).at("expired").to_number<uint64_t>(), 1u);
  EXPECT_EQ(Request(port, "GET", "/v1/stream/short?offset=-1").status, 404);
  EXPECT_EQ(Request(port, "GET", "/v1/stream/a?offset=-1").body, "data");
}

TEST_F(AdminEndpointsTest, TheMemoryBackendAnswers501ForSnapshotAndCompactionButExpires) {
  uint16_t port = 0;
  auto server = Start({}, &port);  // memory
  ASSERT_NE(port, 0);
  HttpResult snapshot = Request(port, "GET", "/_admin/snapshot");
  EXPECT_EQ(snapshot.status, 501);
  EXPECT_EQ(ErrorCode(snapshot), "NOT_SUPPORTED");
  HttpResult compact = Request(port, "POST", "/_admin/compact");
  EXPECT_EQ(compact.status, 501);
  EXPECT_EQ(ErrorCode(compact), "NOT_SUPPORTED");
  HttpResult expire = Request(port, "POST", "/_admin/expire");
  EXPECT_EQ(expire.status, 200);
  EXPECT_EQ(ParseJson(expire.body).at("expired").to_number<uint64_t>(), 0u);
}

TEST_F(AdminEndpointsTest, WrongMethodsAre405WithAllowAndUnknownRoutes404) {
  uint16_t port = 0;
  auto server = Start({}, &port);
  ASSERT_NE(port, 0);
  HttpResult post_snapshot = Request(port, "POST", "/_admin/snapshot");
  EXPECT_EQ(post_snapshot.status, 405);
  EXPECT_EQ(post_snapshot.header("Allow").value_or(""), "GET");
  HttpResult get_compact = Request(port, "GET", "/_admin/compact");
  EXPECT_EQ(get_compact.status, 405);
  EXPECT_EQ(get_compact.header("Allow").value_or(""), "POST");
  EXPECT_EQ(Request(port, "GET", "/_admin/expire").status, 405);
  HttpResult unknown = Request(port, "POST", "/_admin/reboot");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(ErrorCode(unknown), "NOT_FOUND");
}

TEST_F(AdminEndpointsTest, WithAuthTheRoutesNeedTheAdminRight) {
  const std::string auth = dir_.path() + "/auth.toml";
  std::ofstream(auth) << "[tokens.writer]\nsecret = \"writer-token-1\"\nread = [\"/\"]\n"
                         "write = [\"/\"]\n\n[tokens.ops]\nsecret = \"ops-token-2\"\n"
                         "admin = [\"/\"]\n";
  uint16_t port = 0;
  auto server = StartRocksDb(&port, {"--auth-file", auth});
  ASSERT_NE(port, 0);
  const Headers writer = {{"Authorization", "Bearer writer-token-1"}};
  const Headers ops = {{"Authorization", "Bearer ops-token-2"}};
  for (const char* route : {"/_admin/snapshot", "/_admin/compact", "/_admin/expire"}) {
    const char* method = std::string_view(route) == "/_admin/snapshot" ? "GET" : "POST";
    EXPECT_EQ(Request(port, method, route).status, 401) << route;
    EXPECT_EQ(Request(port, method, route, writer).status, 403) << route;
  }
  HttpResult snapshot = Request(port, "GET", "/_admin/snapshot", ops, {}, Millis(10000));
  EXPECT_EQ(snapshot.status, 200);
  EXPECT_TRUE(snapshot.complete);
  EXPECT_EQ(Request(port, "POST", "/_admin/compact", ops, {}, Millis(20000)).status, 200);
  EXPECT_EQ(Request(port, "POST", "/_admin/expire", ops).status, 200);
}

}  // namespace
}  // namespace streamkeeper::testing
