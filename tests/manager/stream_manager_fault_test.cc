// The StreamManager under storage faults, on both backends: a failed write or sync is never
// acknowledged, leaves the streams exactly as if it had never been submitted (offsets, producer
// state, Stream-Seq, closed, creates, deletes, forks), refuses writes while the storage fails,
// keeps serving reads, and recovers on its own once the fault clears.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "faulty_storage.h"
#include "manager_test_fixture.h"

namespace streamkeeper::manager_test {
namespace {

using streamkeeper::testing::Faults;
using streamkeeper::testing::FaultyStorage;

template <typename Backend>
class StreamManagerFaultTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void TearDown() override { manager_.reset(); }

  void Open(uint64_t min_free_disk_bytes = 0) {
    ManagerOptions options;
    options.sweep_interval = std::chrono::milliseconds(0);
    options.recovery_interval = std::chrono::milliseconds(5);
    options.min_free_disk_bytes = min_free_disk_bytes;
    options.stream_cache_bytes = CacheBytesOf<Backend>();
    Status status;
    manager_ = StreamManager::Open(std::make_unique<FaultyStorage>(backend_.Open(), faults_),
                                   std::move(options), &status);
    ASSERT_TRUE(status.ok()) << status.message();
  }

  // Closes the manager and opens the same data again (persistent backends only keep it).
  void Reopen(uint64_t min_free_disk_bytes = 0) {
    manager_.reset();
    Open(min_free_disk_bytes);
  }

  // Waits (bounded) until the manager takes writes again after a fault.
  bool WaitWritable(std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (manager_->stats().writable) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return false;
  }

  void MustCreate(const std::string& path, CreateOptions options = {}) {
    CreateResult result;
    Status status = manager_->create(path, std::move(options), &result);
    ASSERT_TRUE(status.ok()) << path << ": " << status.message();
  }

  AppendResult Append(const std::string& path, std::string data, AppendOptions options = Bytes()) {
    return manager_->append(path, std::move(data), std::move(options));
  }

  std::string ReadAll(const std::string& path) {
    ReadResult result = manager_->read(path, 0);
    EXPECT_TRUE(result.status.ok()) << path << ": " << result.status.message();
    EXPECT_TRUE(result.up_to_date);
    return result.data;
  }

  StreamInfo Metadata(const std::string& path) {
    StreamInfo info;
    Status status = manager_->get_metadata(path, &info);
    EXPECT_TRUE(status.ok()) << path << ": " << status.message();
    return info;
  }

  // Fails the next write, before (or after) it reaches the store.
  void FailNextWrite(bool reaches_store = false) {
    faults_->writes_reach_store = reaches_store;
    faults_->fail_writes = 1;
  }
  void FailNextSync() {
    faults_->writes_reach_store = false;
    faults_->fail_syncs = 1;
  }

  std::shared_ptr<Faults> faults_ = std::make_shared<Faults>();
  Backend backend_;
  std::unique_ptr<StreamManager> manager_;
};

TYPED_TEST_SUITE(StreamManagerFaultTest, ManagerBackends, BackendNames);

TYPED_TEST(StreamManagerFaultTest, AFailedWriteIsRefusedAndLeavesNoGapInOffsets) {
  this->MustCreate("/s");
  ASSERT_TRUE(this->Append("/s", "a").status.ok());
  this->FailNextWrite();
  AppendResult failed = this->Append("/s", "bb");
  EXPECT_EQ(failed.status.code(), StatusCode::kNoSpace);
  ASSERT_TRUE(this->WaitWritable());
  AppendResult next = this->Append("/s", "c");
  ASSERT_TRUE(next.status.ok()) << next.status.message();
  EXPECT_EQ(next.tail, 2u) << "the failed append must not leave a gap";
  EXPECT_EQ(this->ReadAll("/s"), "ac");
  if (!TypeParam::kPersistent) return;
  this->Reopen();
  EXPECT_EQ(this->ReadAll("/s"), "ac");
  EXPECT_EQ(this->Metadata("/s").tail, 2u);
}

TYPED_TEST(StreamManagerFaultTest, AnIoErrorIsUnavailableAndADiskFullIsNoSpace) {
  this->MustCreate("/s");
  this->faults_->no_space = false;
  this->FailNextWrite();
  EXPECT_EQ(this->Append("/s", "x").status.code(), StatusCode::kUnavailable);
  ASSERT_TRUE(this->WaitWritable());
  this->faults_->no_space = true;
  this->FailNextSync();
  EXPECT_EQ(this->Append("/s", "y").status.code(), StatusCode::kNoSpace);
  ASSERT_TRUE(this->WaitWritable());
  EXPECT_TRUE(this->Append("/s", "z").status.ok());
  EXPECT_EQ(this->ReadAll("/s"), "z");
}

TYPED_TEST(StreamManagerFaultTest, AWriteThatReachedTheStoreBeforeItsSyncFailedIsUndone) {
  this->MustCreate("/s");
  ASSERT_TRUE(this->Append("/s", "a").status.ok());
  // The write lands (on RocksDB: in the WAL and the memtable, which Resume() flushes), then
  // its sync fails.
  this->FailNextSync();
  EXPECT_FALSE(this->Append("/s", "LOST").status.ok());
  ASSERT_TRUE(this->WaitWritable());
  EXPECT_EQ(this->ReadAll("/s"), "a");
  if (TypeParam::kPersistent) {
    this->Reopen();  // before any new append could overwrite what the failed one left
    EXPECT_EQ(this->ReadAll("/s"), "a");
    EXPECT_EQ(this->Metadata("/s").tail, 1u);
  }
  AppendResult next = this->Append("/s", "b");
  ASSERT_TRUE(next.status.ok());
  EXPECT_EQ(next.tail, 2u);
  EXPECT_EQ(this->ReadAll("/s"), "ab");
  if (!TypeParam::kPersistent) return;
  this->Reopen();
  EXPECT_EQ(this->ReadAll("/s"), "ab") << "the unacknowledged append came back after a restart";
  EXPECT_EQ(this->Metadata("/s").tail, 2u);
}

TYPED_TEST(StreamManagerFaultTest, AFailedWriteThatReachedTheStoreIsUndoneToo) {
  this->MustCreate("/s");
  this->FailNextWrite(/*reaches_store=*/true);
  EXPECT_FALSE(this->Append("/s", "LONG UNACKNOWLEDGED").status.ok());
  ASSERT_TRUE(this->WaitWritable());
  if (TypeParam::kPersistent) {
    this->Reopen();
    EXPECT_EQ(this->Metadata("/s").tail, 0u);
  }
  ASSERT_TRUE(this->Append("/s", "ok").status.ok());
  EXPECT_EQ(this->ReadAll("/s"), "ok");
  if (!TypeParam::kPersistent) return;
  this->Reopen();
  EXPECT_EQ(this->ReadAll("/s"), "ok");
}

TYPED_TEST(StreamManagerFaultTest, AProducerRetryOfAFailedAppendIsStoredNotTakenForADuplicate) {
  this->MustCreate("/s");
  ASSERT_TRUE(this->Append("/s", "x", WithProducer(Bytes(), "p", 0, 0)).status.ok());
  this->FailNextWrite(/*reaches_store=*/true);
  EXPECT_FALSE(this->Append("/s", "y", WithProducer(Bytes(), "p", 0, 1)).status.ok());
  ASSERT_TRUE(this->WaitWritable());
  AppendResult retry = this->Append("/s", "y", WithProducer(Bytes(), "p", 0, 1));
  ASSERT_TRUE(retry.status.ok()) << retry.status.message();
  EXPECT_FALSE(retry.duplicate) << "acknowledging the retry as a duplicate would lose it";
  EXPECT_EQ(this->ReadAll("/s"), "xy");
  if (!TypeParam::kPersistent) return;
  this->Reopen();
  AppendResult again = this->Append("/s", "y", WithProducer(Bytes(), "p", 0, 1));
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(this->ReadAll("/s"), "xy");
}

TYPED_TEST(StreamManagerFaultTest, ANewProducerWhoseFirstAppendFailedStartsAgainAtZero) {
  this->MustCreate("/s");
  this->FailNextWrite(/*reaches_store=*/true);
  EXPECT_FALSE(this->Append("/s", "a", WithProducer(Bytes(), "new", 3, 0)).status.ok());
  ASSERT_TRUE(this->WaitWritable());
  if (TypeParam::kPersistent) this->Reopen();  // the store must not know the producer either
  AppendResult retry = this->Append("/s", "a", WithProducer(Bytes(), "new", 3, 0));
  ASSERT_TRUE(retry.status.ok()) << retry.status.message();
  EXPECT_FALSE(retry.duplicate);
  EXPECT_EQ(this->ReadAll("/s"), "a");
}

TYPED_TEST(StreamManagerFaultTest, AStreamSeqRetryOfAFailedAppendIsAccepted) {
  this->MustCreate("/s");
  ASSERT_TRUE(this->Append("/s", "1", WithSeq(Bytes(), "001")).status.ok());
  this->FailNextWrite();
  EXPECT_FALSE(this->Append("/s", "2", WithSeq(Bytes(), "002")).status.ok());
  ASSERT_TRUE(this->WaitWritable());
  AppendResult retry = this->Append("/s", "2", WithSeq(Bytes(), "002"));
  EXPECT_TRUE(retry.status.ok()) << retry.status.message();
  EXPECT_EQ(this->ReadAll("/s"), "12");
}

TYPED_TEST(StreamManagerFaultTest, AFailedAppendAndCloseLeavesTheStreamOpen) {
  this->MustCreate("/s");
  this->FailNextWrite(/*reaches_store=*/true);
  AppendResult failed = this->Append("/s", "last", Closing(Bytes()));
  EXPECT_FALSE(failed.status.ok());
  EXPECT_FALSE(this->Metadata("/s").closed);
  ASSERT_TRUE(this->WaitWritable());
  EXPECT_FALSE(this->Metadata("/s").closed);
  ASSERT_TRUE(this->Append("/s", "more").status.ok()) << "the stream must still be open";
  if (!TypeParam::kPersistent) return;
  this->Reopen();
  EXPECT_FALSE(this->Metadata("/s").closed);
  EXPECT_EQ(this->ReadAll("/s"), "more");
}

TYPED_TEST(StreamManagerFaultTest, AFailedCreateLeavesNoStream) {
  this->FailNextWrite(/*reaches_store=*/true);
  CreateResult result;
  EXPECT_FALSE(this->manager_->create("/new", {}, &result).ok());
  StreamInfo info;
  EXPECT_EQ(this->manager_->get_metadata("/new", &info).code(), StatusCode::kNotFound);
  ASSERT_TRUE(this->WaitWritable());
  if (TypeParam::kPersistent) {
    this->Reopen();
    EXPECT_EQ(this->manager_->get_metadata("/new", &info).code(), StatusCode::kNotFound);
  }
  ASSERT_TRUE(this->manager_->create("/new", {}, &result).ok());
  EXPECT_TRUE(result.created);
}

TYPED_TEST(StreamManagerFaultTest, AFailedDeleteLeavesTheStreamWhole) {
  this->MustCreate("/s");
  ASSERT_TRUE(this->Append("/s", "abc").status.ok());
  this->faults_->fail_syncs = 1;  // the erase reaches the store, its sync fails
  EXPECT_FALSE(this->manager_->remove("/s").ok());
  EXPECT_EQ(this->ReadAll("/s"), "abc") << "reads go on while degraded";
  ASSERT_TRUE(this->WaitWritable());
  EXPECT_EQ(this->ReadAll("/s"), "abc");
  ASSERT_TRUE(this->Append("/s", "d").status.ok());
  if (TypeParam::kPersistent) {
    this->Reopen();
    EXPECT_EQ(this->ReadAll("/s"), "abcd");
  }
  EXPECT_TRUE(this->manager_->remove("/s").ok());
}

TYPED_TEST(StreamManagerFaultTest, AFailedForkLeavesItsSourceWithoutAReference) {
  this->MustCreate("/src");
  ASSERT_TRUE(this->Append("/src", "abc").status.ok());
  this->FailNextWrite(/*reaches_store=*/true);
  CreateResult result;
  EXPECT_FALSE(this->manager_->create("/fork", ForkOf("/src"), &result).ok());
  ASSERT_TRUE(this->WaitWritable());
  if (TypeParam::kPersistent) this->Reopen();
  // Without forks a delete removes the stream at once (with a fork it would be soft: 410).
  ASSERT_TRUE(this->manager_->remove("/src").ok());
  StreamInfo info;
  EXPECT_EQ(this->manager_->get_metadata("/src", &info).code(), StatusCode::kNotFound);
}

TYPED_TEST(StreamManagerFaultTest, WhileTheStorageFailsWritesAreRefusedAtOnceAndReadsGoOn) {
  this->MustCreate("/s");
  ASSERT_TRUE(this->Append("/s", "kept").status.ok());
  this->faults_->broken = true;
  EXPECT_EQ(this->Append("/s", "x").status.code(), StatusCode::kNoSpace);
  // Let recovery attempts fail a few times.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(this->manager_->stats().writable);
  EXPECT_GT(this->faults_->resumes.load(), 1) << "recovery is retried";
  int attempted = this->faults_->writes_attempted.load();
  EXPECT_EQ(this->Append("/s", "y").status.code(), StatusCode::kNoSpace);
  CreateResult result;
  EXPECT_EQ(this->manager_->create("/t", {}, &result).code(), StatusCode::kNoSpace);
  EXPECT_EQ(this->manager_->remove("/s").code(), StatusCode::kNoSpace);
  EXPECT_EQ(this->faults_->writes_attempted.load(), attempted)
      << "refused writes must not reach the storage";
  EXPECT_EQ(this->ReadAll("/s"), "kept");
  EXPECT_EQ(this->Metadata("/s").tail, 4u);
  this->faults_->broken = false;  // space freed
  ASSERT_TRUE(this->WaitWritable());
  EXPECT_TRUE(this->Append("/s", "!").status.ok());
  EXPECT_EQ(this->ReadAll("/s"), "kept!");
  EXPECT_GE(this->manager_->stats().recoveries, 1u);
}

TYPED_TEST(StreamManagerFaultTest, BelowTheFreeSpaceReserveWritesGetNoSpaceBeforeTheStorage) {
  this->faults_->free_bytes = 100 << 20;
  this->Reopen(/*min_free_disk_bytes=*/10 << 20);
  this->MustCreate("/s");
  ASSERT_TRUE(this->Append("/s", "a").status.ok());
  this->faults_->free_bytes = 5 << 20;
  // Free space is asked at most once a millisecond (for small writes).
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  int failed_before = this->faults_->writes_failed.load();
  AppendResult refused = this->Append("/s", "b");
  EXPECT_EQ(refused.status.code(), StatusCode::kNoSpace) << refused.status.message();
  EXPECT_EQ(this->faults_->writes_failed.load(), failed_before) << "the storage never met it";
  EXPECT_EQ(this->ReadAll("/s"), "a");
  this->faults_->free_bytes = 50 << 20;
  ASSERT_TRUE(this->WaitWritable());
  AppendResult next = this->Append("/s", "c");
  ASSERT_TRUE(next.status.ok());
  EXPECT_EQ(next.tail, 2u);
}

TYPED_TEST(StreamManagerFaultTest, StartingBelowTheReserveServesReadsAndTakesWritesOnceSpaceIsBack) {
  this->MustCreate("/s");
  ASSERT_TRUE(this->Append("/s", "old").status.ok());
  this->faults_->free_bytes = 1 << 20;
  this->Reopen(/*min_free_disk_bytes=*/10 << 20);
  EXPECT_FALSE(this->manager_->stats().writable);
  CreateResult result;
  EXPECT_EQ(this->manager_->create("/t", {}, &result).code(), StatusCode::kNoSpace);
  if (TypeParam::kPersistent) {
    EXPECT_EQ(this->Append("/s", "x").status.code(), StatusCode::kNoSpace);
    EXPECT_EQ(this->ReadAll("/s"), "old");
  }
  this->faults_->free_bytes = 100 << 20;
  ASSERT_TRUE(this->WaitWritable());
  EXPECT_TRUE(this->manager_->create("/t", {}, &result).ok());
}

// Many writers, one failure in the middle: every acknowledged append is stored once, in order,
// with contiguous offsets; nothing unacknowledged is visible; writes resume.
TYPED_TEST(StreamManagerFaultTest, WritesQueuedBehindAFailedOneFailWithItAndNothingIsLost) {
  this->MustCreate("/s");
  constexpr int kWriters = 8;
  constexpr int kAppends = 60;
  std::atomic<int> acknowledged_bytes{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kAppends; ++i) {
        if (w == 0 && i == kAppends / 3) this->FailNextWrite(/*reaches_store=*/i % 2 == 0);
        std::string data(1 + (i % 5), static_cast<char>('a' + w));
        AppendResult result = this->Append("/s", data);
        if (result.status.ok()) acknowledged_bytes += static_cast<int>(data.size());
        if (!result.status.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
  }
  for (auto& writer : writers) writer.join();
  ASSERT_TRUE(this->WaitWritable());
  std::string content = this->ReadAll("/s");
  EXPECT_EQ(content.size(), static_cast<size_t>(acknowledged_bytes.load()))
      << "every acknowledged byte once, nothing else";
  EXPECT_EQ(this->Metadata("/s").tail, content.size()) << "no gap in offsets";
  if (!TypeParam::kPersistent) return;
  this->Reopen();
  EXPECT_EQ(this->ReadAll("/s"), content);
}

}  // namespace
}  // namespace streamkeeper::manager_test
