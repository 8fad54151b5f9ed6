// Expiry through the storage's expiry index (src/manager/manager_expiry.cc), over every
// backend with and without a cache: streams are found when due without a walk over all of
// them, sliding TTLs are filed again lazily, and what the sweeper meets is checked against the
// stream itself. A decorator counts what reaches the storage; the clock is the test's.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "forwarding_storage.h"
#include "manager_test_fixture.h"

namespace streamkeeper::manager_test {
namespace {

// What the manager asked of the storage so far.
struct StorageCounts {
  std::atomic<int> index_puts{0};     // expiry index entries written
  std::atomic<int> index_removals{0};
  std::atomic<int> meta_writes{0};    // whole metas written (kPut with write_meta)
  std::atomic<int> stream_loads{0};   // load_stream() calls
  std::atomic<int> lists{0};          // list_streams() calls
};

class CountingStorage final : public streamkeeper::testing::ForwardingStorage {
 public:
  CountingStorage(std::unique_ptr<Storage> inner, std::shared_ptr<StorageCounts> counts)
      : ForwardingStorage(std::move(inner)), counts_(std::move(counts)) {}

  Status write(const WriteBatch& batch) override {
    for (const StreamChange& change : batch.changes) {
      if (change.index_expiry_ms) ++counts_->index_puts;
      if (change.unindex_expiry_ms) ++counts_->index_removals;
      if (change.kind == StreamChange::Kind::kPut && change.write_meta) ++counts_->meta_writes;
    }
    return inner().write(batch);
  }
  Status load_stream(const std::string& path, std::optional<LoadedStream>* out) override {
    ++counts_->stream_loads;
    return inner().load_stream(path, out);
  }
  Status list_streams(std::string_view prefix, std::string_view start_after, size_t limit,
                      std::vector<StreamMeta>* out) override {
    ++counts_->lists;
    return inner().list_streams(prefix, start_after, limit, out);
  }

 private:
  std::shared_ptr<StorageCounts> counts_;
};

template <typename Backend>
class StreamManagerExpiryTest : public ::testing::Test {
 protected:
  static constexpr int64_t kStartMs = 1'700'000'000'000;

  void SetUp() override { Open(); }
  void TearDown() override { manager_.reset(); }

  void Open() {
    ManagerOptions options;
    options.clock = [this] { return now_ms_.load(); };
    options.sweep_interval = std::chrono::milliseconds(0);
    options.stream_cache_bytes = CacheBytesOf<Backend>();
    Status status;
    manager_ = StreamManager::Open(std::make_unique<CountingStorage>(backend_.Open(), counts_),
                                   std::move(options), &status);
    ASSERT_TRUE(status.ok()) << status.message();
  }

  void Reopen() {
    manager_.reset();
    Open();
  }

  void MustCreateWithTtl(const std::string& path, uint64_t seconds) {
    CreateOptions options = TypeOnly(kBytes);
    options.ttl_seconds = seconds;
    CreateResult result;
    Status status = manager_->create(path, std::move(options), &result);
    ASSERT_TRUE(status.ok()) << path << ": " << status.message();
  }

  StatusCode Code(const std::string& path) {
    StreamInfo info;
    return manager_->get_metadata(path, &info).code();
  }

  void AdvanceSeconds(int64_t seconds) { now_ms_ += seconds * 1000; }

  std::atomic<int64_t> now_ms_{kStartMs};
  std::shared_ptr<StorageCounts> counts_ = std::make_shared<StorageCounts>();
  Backend backend_;
  std::unique_ptr<StreamManager> manager_;
};

TYPED_TEST_SUITE(StreamManagerExpiryTest, ManagerBackends, BackendNames);

TYPED_TEST(StreamManagerExpiryTest, ACreateWithAnExpiryFilesItInTheIndexOnce) {
  this->MustCreateWithTtl("/ttl", 60);
  CreateOptions at = TypeOnly(kBytes);
  at.expires_at_ms = this->now_ms_.load() + 60'000;
  ASSERT_TRUE(this->manager_->create("/at", at, nullptr).ok());
  ASSERT_TRUE(this->manager_->create("/forever", TypeOnly(kBytes), nullptr).ok());
  EXPECT_EQ(this->counts_->index_puts.load(), 2);
}

TYPED_TEST(StreamManagerExpiryTest, TheSweepExpiresManyStreamsWithoutListingThem) {
  for (int i = 0; i < 300; ++i) this->MustCreateWithTtl("/s" + std::to_string(i), 10);
  this->MustCreateWithTtl("/later", 100);
  this->AdvanceSeconds(11);
  EXPECT_EQ(this->manager_->sweep_expired(), 300u);
  EXPECT_EQ(this->counts_->lists.load(), 0) << "found through the index, not by a walk";
  EXPECT_EQ(this->Code("/s7"), StatusCode::kNotFound);
  EXPECT_EQ(this->Code("/later"), StatusCode::kOk);
  EXPECT_EQ(this->manager_->sweep_expired(), 0u);
}

// Any 64-bit count of seconds is a valid Stream-TTL; past the largest time it means never (found
// by the http_request fuzzer: 900719925474099160 s overflowed the deadline's arithmetic).
TYPED_TEST(StreamManagerExpiryTest, ATtlBeyondTheLargestTimeNeverExpires) {
  for (uint64_t ttl : {uint64_t{900719925474099160}, std::numeric_limits<uint64_t>::max(),
                       uint64_t{9223372036854775}}) {
    std::string path = "/huge" + std::to_string(ttl);
    this->MustCreateWithTtl(path, ttl);
    ASSERT_TRUE(this->manager_->append(path, "x", Bytes()).status.ok());
  }
  this->AdvanceSeconds(int64_t{100} * 365 * 24 * 3600);
  EXPECT_EQ(this->manager_->sweep_expired(), 0u);
  EXPECT_EQ(this->Code("/huge900719925474099160"), StatusCode::kOk);
  EXPECT_EQ(this->Code("/huge18446744073709551615"), StatusCode::kOk);
  EXPECT_EQ(this->Code("/huge9223372036854775"), StatusCode::kOk);
  if (!TypeParam::kPersistent) return;  // memory keeps nothing across a reopen
  this->Reopen();
  EXPECT_EQ(this->Code("/huge18446744073709551615"), StatusCode::kOk);
}

TYPED_TEST(StreamManagerExpiryTest, ANotDueStreamIsNeitherLoadedNorTouchedByTheSweep) {
  this->MustCreateWithTtl("/s", 10);
  int loads = this->counts_->stream_loads.load();
  this->AdvanceSeconds(5);
  EXPECT_EQ(this->manager_->sweep_expired(), 0u);
  EXPECT_EQ(this->counts_->stream_loads.load(), loads);
}

TYPED_TEST(StreamManagerExpiryTest, ASlidTtlIsFiledAgainWhenDueAndExpiresLater) {
  this->MustCreateWithTtl("/s", 10);
  this->AdvanceSeconds(9);
  ASSERT_TRUE(this->manager_->read("/s", 0).status.ok());  // now due at +19 s
  this->AdvanceSeconds(2);                                  // the entry at +10 s is due
  EXPECT_EQ(this->manager_->sweep_expired(), 0u);
  EXPECT_EQ(this->Code("/s"), StatusCode::kOk);
  this->AdvanceSeconds(7);  // +18 s
  EXPECT_EQ(this->manager_->sweep_expired(), 0u);
  this->AdvanceSeconds(1);  // +19 s
  EXPECT_EQ(this->manager_->sweep_expired(), 1u);
  EXPECT_EQ(this->Code("/s"), StatusCode::kNotFound);
}

// Every second a stream was touched its last access is written (so a restart or an eviction
// keeps the TTL exact), but its index entry moves only once it trails by max(1 s, ttl/10).
TYPED_TEST(StreamManagerExpiryTest, AccessesRefileASlidingTtlAtMostOncePerTenthOfIt) {
  this->MustCreateWithTtl("/s", 100);
  int puts = this->counts_->index_puts.load();
  int metas = this->counts_->meta_writes.load();
  for (int second = 0; second < 60; ++second) {
    this->AdvanceSeconds(1);
    ASSERT_TRUE(this->manager_->read("/s", 0).status.ok());
    this->manager_->sweep_expired();
  }
  int refiles = this->counts_->index_puts.load() - puts;
  EXPECT_GE(refiles, 5);
  EXPECT_LE(refiles, 6) << "60 s of accesses with a 100 s TTL";
  EXPECT_EQ(this->counts_->meta_writes.load() - metas, 60) << "the last access, once a second";
}

TYPED_TEST(StreamManagerExpiryTest, AnUntouchedStreamWritesNothingBetweenSweeps) {
  this->MustCreateWithTtl("/s", 100);
  int metas = this->counts_->meta_writes.load();
  for (int second = 0; second < 10; ++second) {
    this->AdvanceSeconds(1);
    this->manager_->sweep_expired();
  }
  EXPECT_EQ(this->counts_->meta_writes.load(), metas);
}

TYPED_TEST(StreamManagerExpiryTest, ADeletedStreamLeavesTheIndexAndItsPathIsNotExpiredLater) {
  this->MustCreateWithTtl("/s", 10);
  ASSERT_TRUE(this->manager_->remove("/s").ok());
  EXPECT_EQ(this->counts_->index_removals.load(), 1);
  ASSERT_TRUE(this->manager_->create("/s", TypeOnly(kBytes), nullptr).ok());  // no TTL now
  this->AdvanceSeconds(20);
  EXPECT_EQ(this->manager_->sweep_expired(), 0u);
  EXPECT_EQ(this->Code("/s"), StatusCode::kOk);
}

TYPED_TEST(StreamManagerExpiryTest, AStreamRecreatedWithAnotherTtlExpiresByItsOwn) {
  this->MustCreateWithTtl("/s", 10);
  this->AdvanceSeconds(11);
  EXPECT_EQ(this->Code("/s"), StatusCode::kNotFound);  // expired on access, removed
  this->MustCreateWithTtl("/s", 100);
  this->AdvanceSeconds(10);
  EXPECT_EQ(this->manager_->sweep_expired(), 0u);
  EXPECT_EQ(this->Code("/s"), StatusCode::kOk);
  this->AdvanceSeconds(91);
  EXPECT_EQ(this->manager_->sweep_expired(), 1u);
}

TYPED_TEST(StreamManagerExpiryTest, ASoftDeletedSourceNeverExpiresAndGoesWithItsLastFork) {
  this->MustCreateWithTtl("/src", 10);
  ASSERT_TRUE(this->manager_->create("/fork", ForkOf("/src"), nullptr).ok());
  ASSERT_TRUE(this->manager_->remove("/src").ok());  // soft: the fork reads through it
  EXPECT_EQ(this->Code("/src"), StatusCode::kGone);
  ASSERT_TRUE(this->manager_->remove("/fork").ok());
  EXPECT_EQ(this->Code("/src"), StatusCode::kNotFound) << "went with its last fork";
  this->AdvanceSeconds(20);
  EXPECT_EQ(this->manager_->sweep_expired(), 0u) << "nothing left to expire";
}

// The sweeper reads only a stream's meta to refile it; what uses the stream next must still see
// its producers and its tail (the stored meta's tail trails plain appends).
TYPED_TEST(StreamManagerExpiryTest, AStreamTheSweeperRefiledKeepsItsTailAndProducers) {
  this->MustCreateWithTtl("/s", 100);
  AppendOptions producer = WithProducer(Bytes(), "p", 0, 0);
  ASSERT_TRUE(this->manager_->append("/s", "abc", producer).status.ok());
  ASSERT_TRUE(this->manager_->append("/s", "de", WithProducer(Bytes(), "p", 0, 1)).status.ok());
  this->AdvanceSeconds(5);  // due at +100 s still, expiring at +105 s
  ASSERT_TRUE(this->manager_->read("/s", 0).status.ok());
  this->manager_->sweep_expired();
  this->AdvanceSeconds(96);  // +101 s: the entry at +100 s is due, the stream is not expired
  EXPECT_EQ(this->manager_->sweep_expired(), 0u);
  AppendResult retry = this->manager_->append("/s", "de", WithProducer(Bytes(), "p", 0, 1));
  EXPECT_TRUE(retry.status.ok());
  EXPECT_TRUE(retry.duplicate) << "the producer state survived the sweeper's partial load";
  AppendResult next = this->manager_->append("/s", "f", WithProducer(Bytes(), "p", 0, 2));
  ASSERT_TRUE(next.status.ok()) << next.status.message();
  EXPECT_EQ(next.tail, 6u);
  EXPECT_EQ(this->manager_->read("/s", 0).data, "abcdef");
  this->AdvanceSeconds(200);
  EXPECT_EQ(this->manager_->sweep_expired(), 1u);
}

TYPED_TEST(StreamManagerExpiryTest, TheIndexAndLastAccessesSurviveARestart) {
  if (!TypeParam::kPersistent) GTEST_SKIP() << "memory keeps nothing across a reopen";
  this->MustCreateWithTtl("/touched", 10);
  this->MustCreateWithTtl("/idle", 10);
  this->AdvanceSeconds(5);
  ASSERT_TRUE(this->manager_->read("/touched", 0).status.ok());
  this->manager_->sweep_expired();  // persists the last access
  this->Reopen();
  this->AdvanceSeconds(6);  // +11 s: /idle is due and expired, /touched is not (due at +15 s)
  EXPECT_EQ(this->manager_->sweep_expired(), 1u);
  EXPECT_EQ(this->Code("/idle"), StatusCode::kNotFound);
  EXPECT_EQ(this->Code("/touched"), StatusCode::kOk);
  this->AdvanceSeconds(4);
  EXPECT_EQ(this->manager_->sweep_expired(), 1u);
}

TYPED_TEST(StreamManagerExpiryTest, AnExpiresAtInThePastIsSweptEvenBehindTheCursor) {
  this->MustCreateWithTtl("/a", 10);
  this->AdvanceSeconds(20);
  EXPECT_EQ(this->manager_->sweep_expired(), 1u);  // the cursor is now past +10 s
  CreateOptions past = TypeOnly(kBytes);
  past.expires_at_ms = this->now_ms_.load() - 15'000;  // +5 s: before the cursor
  ASSERT_TRUE(this->manager_->create("/past", past, nullptr).ok());
  EXPECT_EQ(this->manager_->sweep_expired(), 1u);
}

}  // namespace
}  // namespace streamkeeper::manager_test
