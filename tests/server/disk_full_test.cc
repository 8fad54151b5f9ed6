// The real server on a real full disk: a small tmpfs mounted by the test (tests run as root; CI
// does). A full disk is an answer (507 with the JSON error and Retry-After), never an abort;
// reads go on; writes come back by themselves once space is freed; a server started on a full
// disk serves reads and takes writes once there is space; nothing acknowledged is lost. /readyz
// says 503 with the reason while writes would be refused (short of disk, degraded), /healthz
// stays 200, and /metrics shows the state.
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "../storage/temp_dir.h"
#include "http_test_client.h"
#include "metrics_scrape.h"

namespace streamkeeper::testing {
namespace {

using Clock = std::chrono::steady_clock;

const Headers kOctet = {{"Content-Type", "application/octet-stream"}};

// Writes `bytes` zero bytes into `path` (stops early when the disk is full).
void WriteFiller(const std::string& path, size_t bytes) {
  std::ofstream out(path, std::ios::binary);
  std::string chunk(1 << 20, '\0');
  while (bytes > 0 && out) {
    size_t n = std::min(bytes, chunk.size());
    out.write(chunk.data(), static_cast<std::streamsize>(n));
    bytes -= n;
  }
}

class DiskFullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mount_ = dir_.path() + "/disk";
    std::filesystem::create_directories(mount_);
    data_dir_ = mount_ + "/data";
    if (::mount("tmpfs", mount_.c_str(), "tmpfs", 0, "size=4m") != 0) {
      if (std::getenv("CI")) FAIL() << "cannot mount a tmpfs (CI runs as root): " << errno;
      GTEST_SKIP() << "cannot mount a tmpfs here (needs root)";
    }
    mounted_ = true;
  }
  // Gives the disk its size for the test.
  void Resize(int megabytes) {
    std::string size = "size=" + std::to_string(megabytes) + "m";
    ASSERT_EQ(::mount("tmpfs", mount_.c_str(), "tmpfs", MS_REMOUNT, size.c_str()), 0) << errno;
  }
  void TearDown() override {
    server_.reset();
    if (mounted_) ::umount2(mount_.c_str(), MNT_DETACH);
  }

  void Start(uint64_t min_free_disk_mb) {
    server_ = std::make_unique<ServerProcess>();
    ASSERT_TRUE(server_->spawn(STREAMKEEPER_BINARY,
                               {"--host", "127.0.0.1", "--port", "0", "--storage", "rocksdb",
                                "--data-dir", data_dir_, "--sync", "always", "--threads", "2",
                                "--min-free-disk-mb", std::to_string(min_free_disk_mb)}));
    port_ = server_->wait_listening(Millis(20000));
    ASSERT_NE(port_, 0) << "stdout:\n" << server_->out() << "\nstderr:\n" << server_->err();
  }

  void Stop() {
    server_->signal(SIGTERM);
    auto code = server_->wait_exit(Millis(20000));
    ASSERT_TRUE(code.has_value());
    EXPECT_EQ(*code, 0) << server_->err();
    server_.reset();
  }

  // Appends 1 MB bodies until one is refused; returns how many were acknowledged.
  int FillUntilRefused(HttpResult* refused) {
    std::string body(1 << 20, 'x');
    for (int i = 0; i < 200; ++i) {
      body[0] = static_cast<char>('a' + i % 26);
      HttpResult result = Request(port_, "POST", "/v1/stream/s", kOctet, body, Millis(20000));
      if (result.status != 204) {
        *refused = result;
        return i;
      }
      acknowledged_ += body;
    }
    return -1;
  }

  // Reads the whole stream (paged).
  std::string ReadAll() {
    std::string out;
    std::string offset = "-1";
    for (int page = 0; page < 1000; ++page) {
      HttpResult read = Request(port_, "GET", "/v1/stream/s?offset=" + offset, {}, {},
                                Millis(20000));
      EXPECT_EQ(read.status, 200) << read.body;
      if (read.status != 200) break;
      out += read.body;
      offset = read.header("Stream-Next-Offset").value_or("");
      if (read.header("Stream-Up-To-Date").value_or("") == "true") break;
    }
    return out;
  }

  // Tries a small append every 50 ms until it is acknowledged (bounded); its latency in ms.
  long long WaitForWrites(const std::string& body) {
    auto start = Clock::now();
    while (Clock::now() - start < std::chrono::seconds(30)) {
      HttpResult result = Request(port_, "POST", "/v1/stream/s", kOctet, body);
      if (result.status == 204) {
        acknowledged_ += body;
        return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start)
            .count();
      }
      EXPECT_TRUE(result.status == 507 || result.status == 503) << result.status << result.body;
      std::this_thread::sleep_for(Millis(50));
    }
    return -1;
  }

  static void ExpectInsufficientStorage(const HttpResult& result) {
    EXPECT_EQ(result.status, 507) << result.body;
    EXPECT_EQ(result.header("Content-Type").value_or(""), "application/json");
    EXPECT_NE(result.body.find("\"INSUFFICIENT_STORAGE\""), std::string::npos) << result.body;
    EXPECT_TRUE(result.header("Retry-After").has_value());
  }

  TempDir dir_;
  std::string mount_;
  std::string data_dir_;
  bool mounted_ = false;
  std::unique_ptr<ServerProcess> server_;
  uint16_t port_ = 0;
  std::string acknowledged_;
};

TEST_F(DiskFullTest, AFullDiskIs507ReadsGoOnAndWritesResumeOnceSpaceIsFreed) {
  Resize(64);
  WriteFiller(mount_ + "/filler", 36 << 20);
  Start(/*min_free_disk_mb=*/0);  // no reserve: RocksDB itself meets ENOSPC
  ASSERT_EQ(Request(port_, "PUT", "/v1/stream/s", kOctet).status, 201);
  HttpResult refused;
  int acked = FillUntilRefused(&refused);
  ASSERT_GT(acked, 0);
  ExpectInsufficientStorage(refused);
  EXPECT_TRUE(server_->running()) << server_->err();
  // Refused at once from now on; reads and HEAD go on.
  ExpectInsufficientStorage(Request(port_, "POST", "/v1/stream/s", kOctet, "x"));
  ExpectInsufficientStorage(Request(port_, "PUT", "/v1/stream/other", kOctet));
  EXPECT_EQ(Request(port_, "HEAD", "/v1/stream/s").status, 200);
  EXPECT_EQ(ReadAll(), acknowledged_);

  std::filesystem::remove(mount_ + "/filler");
  long long resumed_ms = WaitForWrites("after");
  ASSERT_GE(resumed_ms, 0) << "writes did not resume after space was freed\n" << server_->err();
  std::cout << "[ measured ] writes resumed " << resumed_ms << " ms after space was freed\n";
  EXPECT_EQ(ReadAll(), acknowledged_);
  Stop();
  Start(0);
  EXPECT_EQ(ReadAll(), acknowledged_) << "an acknowledged append was lost";
}

TEST_F(DiskFullTest, BelowTheReserveAppendsGet507BeforeRocksDbMeetsAFullDisk) {
  // A reserve must hold a memtable flush (32 MiB here) on top of the preallocated WAL: the
  // default is 256 MiB; this disk and reserve are that, scaled down.
  Resize(256);
  WriteFiller(mount_ + "/filler", 100 << 20);
  Start(/*min_free_disk_mb=*/96);
  ASSERT_EQ(Request(port_, "PUT", "/v1/stream/s", kOctet).status, 201);
  HttpResult refused;
  int acked = FillUntilRefused(&refused);
  ASSERT_GT(acked, 0);
  ExpectInsufficientStorage(refused);
  EXPECT_NE(refused.body.find("reserve"), std::string::npos) << refused.body;
  EXPECT_EQ(server_->err().find("No space left on device"), std::string::npos)
      << "the reserve must refuse before RocksDB meets ENOSPC:\n" << server_->err();
  EXPECT_EQ(ReadAll(), acknowledged_);
  std::filesystem::remove(mount_ + "/filler");
  ASSERT_GE(WaitForWrites("more"), 0) << server_->err();
  EXPECT_EQ(ReadAll(), acknowledged_);
}

TEST_F(DiskFullTest, AServerStartedOnAFullDiskServesReadsAndTakesWritesOnceThereIsSpace) {
  Resize(64);
  Start(/*min_free_disk_mb=*/0);
  ASSERT_EQ(Request(port_, "PUT", "/v1/stream/s", kOctet).status, 201);
  std::string body(512 << 10, 'k');
  for (int i = 0; i < 8; ++i) {
    ASSERT_EQ(Request(port_, "POST", "/v1/stream/s", kOctet, body).status, 204);
    acknowledged_ += body;
  }
  // A crash leaves the data in the WAL only: reopening must replay it (RocksDB's recovery
  // would flush it to a new SST, which needs space).
  server_->signal(SIGKILL);
  server_->wait_exit(Millis(5000));
  server_.reset();
  WriteFiller(mount_ + "/filler", 64 << 20);  // every byte left

  Start(0);
  EXPECT_EQ(ReadAll(), acknowledged_);
  ExpectInsufficientStorage(Request(port_, "POST", "/v1/stream/s", kOctet, "x"));
  std::filesystem::remove(mount_ + "/filler");
  ASSERT_GE(WaitForWrites("back"), 0) << server_->err();
  EXPECT_EQ(ReadAll(), acknowledged_);
  Stop();
  Start(0);
  EXPECT_EQ(ReadAll(), acknowledged_);
}

// Waits (bounded) until GET /readyz answers `status`; the last answer.
HttpResult WaitForReadyz(uint16_t port, int status, Millis timeout = Millis(30000)) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    HttpResult result = Request(port, "GET", "/readyz");
    if (result.status == status || Clock::now() >= deadline) return result;
    std::this_thread::sleep_for(Millis(50));
  }
}

TEST_F(DiskFullTest, ReadyzIs503ShortOfDiskBelowTheReserveBeforeAnyWriteIsRefused) {
  Resize(256);
  Start(/*min_free_disk_mb=*/96);
  ASSERT_EQ(Request(port_, "PUT", "/v1/stream/s", kOctet).status, 201);
  EXPECT_EQ(Request(port_, "GET", "/readyz").status, 200);
  // Space falls below the reserve with no write to notice it: the probe sees it anyway.
  WriteFiller(mount_ + "/filler", 200 << 20);
  HttpResult short_of_disk = Request(port_, "GET", "/readyz");
  EXPECT_EQ(short_of_disk.status, 503);
  EXPECT_EQ(short_of_disk.header("Content-Type").value_or(""), "application/json");
  EXPECT_NE(short_of_disk.body.find("\"INSUFFICIENT_STORAGE\""), std::string::npos)
      << short_of_disk.body;
  EXPECT_NE(short_of_disk.body.find("--min-free-disk-mb"), std::string::npos) << short_of_disk.body;
  EXPECT_EQ(Request(port_, "GET", "/healthz").status, 200) << "the process is up all along";
  std::string metrics = Scrape(port_);
  EXPECT_LT(SeriesValue(metrics, "streamkeeper_storage_free_bytes").value_or(1e18), 96 << 20);
  EXPECT_EQ(SeriesValue(metrics, "streamkeeper_storage_free_reserve_bytes"), 96 << 20);
  // The gate agrees: the next append is refused.
  ExpectInsufficientStorage(Request(port_, "POST", "/v1/stream/s", kOctet, "x"));

  std::filesystem::remove(mount_ + "/filler");
  HttpResult ready = WaitForReadyz(port_, 200);
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(ready.body, R"({"status":"ready"})");
  ASSERT_GE(WaitForWrites("after"), 0) << server_->err();
}

TEST_F(DiskFullTest, ReadyzIs503WhileTheStorageIsDegradedAndMetricsCountTheFailure) {
  Resize(64);
  WriteFiller(mount_ + "/filler", 36 << 20);
  Start(/*min_free_disk_mb=*/0);  // no reserve: RocksDB itself meets ENOSPC and degrades
  ASSERT_EQ(Request(port_, "PUT", "/v1/stream/s", kOctet).status, 201);
  EXPECT_EQ(Request(port_, "GET", "/readyz").status, 200);
  HttpResult refused;
  ASSERT_GT(FillUntilRefused(&refused), 0);
  ExpectInsufficientStorage(refused);

  HttpResult not_ready = Request(port_, "GET", "/readyz");
  EXPECT_EQ(not_ready.status, 503);
  // Degraded (or between two recovery attempts while the disk stays full), for lack of space:
  // the code names the remedy, the message the state.
  EXPECT_NE(not_ready.body.find("\"INSUFFICIENT_STORAGE\""), std::string::npos) << not_ready.body;
  bool state_named = not_ready.body.find("storage is degraded") != std::string::npos ||
                     not_ready.body.find("storage is recovering") != std::string::npos;
  EXPECT_TRUE(state_named) << not_ready.body;
  EXPECT_EQ(Request(port_, "GET", "/healthz").status, 200);
  std::string metrics = Scrape(port_);
  EXPECT_EQ(SeriesValue(metrics, "streamkeeper_storage_writable"), 0);
  EXPECT_EQ(SeriesValue(metrics, "streamkeeper_storage_state{state=\"healthy\"}"), 0);
  EXPECT_EQ(SeriesValue(metrics, "streamkeeper_storage_failures_total"), 1);
  EXPECT_EQ(SeriesValue(metrics, "streamkeeper_http_requests_total{method=\"POST\",route=\"append\","
                                 "status=\"507\"}"),
            1);

  std::filesystem::remove(mount_ + "/filler");
  EXPECT_EQ(WaitForReadyz(port_, 200).status, 200);
  metrics = Scrape(port_);
  EXPECT_EQ(SeriesValue(metrics, "streamkeeper_storage_writable"), 1);
  EXPECT_GE(SeriesValue(metrics, "streamkeeper_storage_recoveries_total").value_or(0), 1);
  ASSERT_GE(WaitForWrites("after"), 0) << server_->err();
}

}  // namespace
}  // namespace streamkeeper::testing
