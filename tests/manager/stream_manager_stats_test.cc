// What the StreamManager reports for operators (ManagerStats, storage_health()), on every
// backend: acknowledged appends counted by records and payload bytes (refused, duplicate and
// failed ones not), the group committer's batch and sync histograms agreeing with its
// counters, and the write health a readiness probe reads: degraded with its cause after a
// failed write, below the reserve as soon as free space is, healthy again after recovery.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "faulty_storage.h"
#include "manager_test_fixture.h"

namespace streamkeeper::manager_test {
namespace {

using streamkeeper::testing::Faults;
using streamkeeper::testing::FaultyStorage;

template <typename Backend>
class StreamManagerStatsTest : public StreamManagerContractTest<Backend> {};
TYPED_TEST_SUITE(StreamManagerStatsTest, ManagerBackends, BackendNames);

TYPED_TEST(StreamManagerStatsTest, AcknowledgedAppendsAreCountedByRecordsAndPayloadBytes) {
  this->MustCreate("/b", TypeOnly(kBytes));
  this->MustCreate("/j", TypeOnly(kJson));
  this->MustAppend("/b", "hello");
  this->MustAppend("/b", "1234567", WithProducer(Bytes(), "p", 0, 0));
  EXPECT_TRUE(this->Append("/b", "1234567", WithProducer(Bytes(), "p", 0, 0)).duplicate);
  EXPECT_EQ(this->Append("/b", "refused", Text()).status.code(), StatusCode::kContentTypeMismatch);
  this->MustAppend("/j", R"([1, {"a":2}])", Json());  // two messages: "1" and {"a":2}
  this->MustAppend("/b", "", Closing(Bytes()));       // a close writes no record

  ManagerStats stats = this->manager().stats();
  EXPECT_EQ(stats.appended_records, 4u);
  EXPECT_EQ(stats.appended_bytes, 5u + 7u + 1u + 7u);
}

TYPED_TEST(StreamManagerStatsTest, TheCommitHistogramsAgreeWithTheCommittersCounters) {
  this->MustCreate("/s", TypeOnly(kBytes));
  for (int i = 0; i < 5; ++i) this->MustAppend("/s", "x");
  this->MustAppend("/s", R"(y)");
  ManagerStats stats = this->manager().stats();
  EXPECT_EQ(stats.batch_records.upper_bounds, BatchRecordsBuckets());
  EXPECT_EQ(stats.batch_records.count(), stats.write_batches);
  EXPECT_DOUBLE_EQ(stats.batch_records.sum, 6.0) << "only the appends wrote records";
  EXPECT_GE(stats.write_batches, 7u);  // each sequential write is its own group
  EXPECT_EQ(stats.sync_seconds.upper_bounds, SyncSecondsBuckets());
  EXPECT_EQ(stats.sync_seconds.count(), stats.syncs);
  EXPECT_GE(stats.syncs, 7u);
  EXPECT_GE(stats.sync_seconds.sum, 0.0);
}

TYPED_TEST(StreamManagerStatsTest, AHealthyManagerWithoutAReserveIsWritable) {
  StorageHealthReport health = this->manager().storage_health();
  EXPECT_EQ(health.state, StorageState::kHealthy);
  EXPECT_TRUE(health.cause.ok());
  EXPECT_FALSE(health.below_reserve());
  EXPECT_TRUE(health.writable());
  EXPECT_EQ(health.free_disk_bytes.has_value(), TypeParam::kPersistent)
      << "RocksDB reports its volume's free space, memory nothing";
}

// Over FaultyStorage: free space and failures the test sets.
class StreamManagerHealthTest : public ::testing::Test {
 protected:
  void Open(uint64_t min_free_disk_bytes) {
    ManagerOptions options;
    options.sweep_interval = std::chrono::milliseconds(0);
    options.recovery_interval = std::chrono::milliseconds(5);
    options.min_free_disk_bytes = min_free_disk_bytes;
    Status status;
    manager_ = StreamManager::Open(
        std::make_unique<FaultyStorage>(backend_.Open(), faults_), std::move(options), &status);
    ASSERT_TRUE(status.ok()) << status.message();
  }

  bool WaitFor(StorageState state) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (manager_->storage_health().state == state) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return false;
  }

  testing::MemoryBackend backend_;
  std::shared_ptr<Faults> faults_ = std::make_shared<Faults>();
  std::unique_ptr<StreamManager> manager_;
};

TEST_F(StreamManagerHealthTest, FreeSpaceBelowTheReserveShowsBeforeAnyWriteMeetsIt) {
  faults_->free_bytes = 10 << 20;
  Open(/*min_free_disk_bytes=*/8 << 20);
  EXPECT_TRUE(manager_->storage_health().writable());
  faults_->free_bytes = 4 << 20;
  StorageHealthReport health = manager_->storage_health();
  EXPECT_EQ(health.state, StorageState::kHealthy) << "no write has met the reserve yet";
  EXPECT_TRUE(health.below_reserve());
  EXPECT_FALSE(health.writable());
  EXPECT_EQ(health.free_disk_bytes, uint64_t{4 << 20});
  EXPECT_EQ(health.min_free_disk_bytes, uint64_t{8 << 20});
  faults_->free_bytes = 9 << 20;
  EXPECT_TRUE(manager_->storage_health().writable());
}

TEST_F(StreamManagerHealthTest, AFailedWriteDegradesWithItsCauseUntilRecoveryAndIsNotCounted) {
  Open(0);
  ASSERT_TRUE(manager_->create("/s", TypeOnly(kBytes), nullptr).ok());
  faults_->broken = true;  // a disk that stays full
  EXPECT_EQ(manager_->append("/s", "lost", Bytes()).status.code(), StatusCode::kNoSpace);
  StorageHealthReport health = manager_->storage_health();
  EXPECT_NE(health.state, StorageState::kHealthy);
  EXPECT_EQ(health.cause.code(), StatusCode::kNoSpace);
  EXPECT_NE(health.cause.message().find("No space left on device"), std::string::npos)
      << health.cause.message();
  EXPECT_FALSE(health.writable());
  ManagerStats stats = manager_->stats();
  EXPECT_FALSE(stats.writable);
  EXPECT_EQ(stats.storage_failures, 1u);
  EXPECT_EQ(stats.appended_records, 0u);
  EXPECT_EQ(stats.appended_bytes, 0u);

  faults_->broken = false;
  ASSERT_TRUE(WaitFor(StorageState::kHealthy));
  EXPECT_TRUE(manager_->storage_health().cause.ok());
  EXPECT_GE(manager_->stats().recoveries, 1u);
  EXPECT_TRUE(manager_->append("/s", "kept", Bytes()).status.ok());
  EXPECT_EQ(manager_->stats().appended_bytes, 4u);
}

}  // namespace
}  // namespace streamkeeper::manager_test
