// Expiry under storage faults and stalls: the expiry index and the last access of a sliding
// TTL stay right when a batch fails around them, and the sweeper never skips an entry that was
// written late. (Found by a review of the streams-on-demand change. The second and third fail
// with their fix reverted; the first is the review's end-to-end scenario, whose root cause -
// an unsynced completion reported OK after a failed sync - is pinned on its own by
// GroupCommitterTest.AnUnsyncedWriteQueuedBehindAFailedSyncFailsToo.)
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include "faulty_storage.h"
#include "forwarding_storage.h"
#include "manager_test_fixture.h"
#include "streamkeeper/memory_storage.h"

namespace streamkeeper::manager_test {
namespace {

using namespace std::chrono_literals;
using streamkeeper::testing::Faults;
using streamkeeper::testing::FaultyStorage;

// Holds writes at a gate, and can fail the next sync once a given number of writes returned.
struct Control {
  std::mutex mu;
  std::condition_variable cv;
  bool hold_writes = false;
  int held = 0;             // writes waiting at the gate
  int writes_done = 0;      // writes returned
  int fail_sync_after = -1;  // >= 0: the next sync waits for writes_done >= this, then fails
};

class ControlledStorage final : public streamkeeper::testing::ForwardingStorage {
 public:
  ControlledStorage(std::unique_ptr<Storage> inner, std::shared_ptr<Control> control)
      : ForwardingStorage(std::move(inner)), c_(std::move(control)) {}
  Status write(const WriteBatch& batch) override {
    {
      std::unique_lock lock(c_->mu);
      ++c_->held;
      c_->cv.notify_all();
      c_->cv.wait(lock, [&] { return !c_->hold_writes; });
      --c_->held;
    }
    Status s = inner().write(batch);
    {
      std::lock_guard lock(c_->mu);
      ++c_->writes_done;
    }
    c_->cv.notify_all();
    return s;
  }
  Status sync() override {
    std::unique_lock lock(c_->mu);
    if (c_->fail_sync_after >= 0) {
      int target = c_->fail_sync_after;
      c_->fail_sync_after = -1;
      c_->cv.wait_for(lock, 5s, [&] { return c_->writes_done >= target; });
      return Status::IoError("injected sync failure");
    }
    lock.unlock();
    return inner().sync();
  }
  Storage& raw() { return inner(); }

 private:
  std::shared_ptr<Control> c_;
};

std::vector<ExpiryEntry> Index(Storage& storage) {
  std::vector<ExpiryEntry> out;
  EXPECT_TRUE(storage.scan_expiry(INT64_MAX, nullptr, 1000, &out).ok());
  return out;
}

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds limit = 5s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return false;
}

CreateOptions Ttl(uint64_t seconds) {
  CreateOptions options = TypeOnly(kBytes);
  options.ttl_seconds = seconds;
  return options;
}

// An unsynced last-access write that reaches the store after an earlier batch's sync failed
// must fail with it: had it completed OK, the stream's durable state would move its index
// entry while the rolled-back accepted state did not, and the sweeper would drop the stream's
// only entry as stale, leaving it stored for ever.
TEST(StreamManagerExpiryFaultTest, AWriteAfterAFailedSyncFailsTooAndTheStreamStillExpires) {
  auto control = std::make_shared<Control>();
  std::atomic<int64_t> now{0};
  ManagerOptions options;
  options.clock = [&] { return now.load(); };
  options.sweep_interval = 0ms;
  options.recovery_interval = 5ms;
  auto owned = std::make_unique<ControlledStorage>(std::make_unique<MemoryStorage>(), control);
  ControlledStorage* storage = owned.get();
  Status status;
  auto manager = StreamManager::Open(std::move(owned), options, &status);
  ASSERT_TRUE(status.ok());

  ASSERT_TRUE(manager->create("/s", Ttl(100), nullptr).ok());  // filed at 100 s
  now = 50'000;
  ASSERT_TRUE(manager->read("/s", 0).status.ok());  // a last access to persist
  {
    std::lock_guard lock(control->mu);
    control->hold_writes = true;
    control->fail_sync_after = control->writes_done + 2;  // the append's group and the flush's
  }
  std::promise<AppendResult> appended;
  manager->append_async("/s", "x", Bytes(), [&](AppendResult r) { appended.set_value(r); });
  {
    std::unique_lock lock(control->mu);
    control->cv.wait(lock, [&] { return control->held == 1; });  // the append is in write()
  }
  // The flush refiles /s at 150 s, queued behind the held append.
  std::thread flush([&] { manager->sweep_expired(); });
  std::this_thread::sleep_for(200ms);
  {
    std::lock_guard lock(control->mu);
    control->hold_writes = false;
  }
  control->cv.notify_all();
  EXPECT_FALSE(appended.get_future().get().status.ok()) << "its sync failed";
  flush.join();
  ASSERT_TRUE(WaitFor([&] { return manager->stats().writable; }));

  now = 200'000;  // past 150 s: expired by its last access at 50 s
  EXPECT_EQ(manager->sweep_expired(), 1u);
  std::optional<LoadedStream> stored;
  ASSERT_TRUE(storage->raw().load_stream("/s", &stored).ok());
  EXPECT_FALSE(stored.has_value()) << "expired, yet still stored";
  EXPECT_TRUE(Index(storage->raw()).empty());
}

// The sweeper resumes after its cursor; an entry filed before the cursor must bring it back
// once the entry is in the store - not when its write was merely queued, or a sweep between
// the two moves the cursor past it for good.
TEST(StreamManagerExpiryFaultTest, AnEntryWrittenLateBehindTheCursorIsStillSwept) {
  auto control = std::make_shared<Control>();
  std::atomic<int64_t> now{1'000};
  ManagerOptions options;
  options.clock = [&] { return now.load(); };
  options.sweep_interval = 10ms;
  auto owned = std::make_unique<ControlledStorage>(std::make_unique<MemoryStorage>(), control);
  ControlledStorage* storage = owned.get();
  Status status;
  auto manager = StreamManager::Open(std::move(owned), options, &status);
  ASSERT_TRUE(status.ok());

  CreateOptions later = TypeOnly(kBytes);
  later.expires_at_ms = 4'500;
  ASSERT_TRUE(manager->create("/c", later, nullptr).ok());
  {
    std::lock_guard lock(control->mu);
    control->hold_writes = true;
  }
  std::promise<Status> created;
  CreateOptions earlier = later;
  earlier.expires_at_ms = 4'000;
  manager->create_async("/a", earlier, [&](Status s, CreateResult) { created.set_value(s); });
  std::this_thread::sleep_for(100ms);  // sweeps run; /a is not in the store yet
  now = 5'000;
  ASSERT_TRUE(WaitFor([&] { return manager->stats().expired == 1; })) << "/c is swept";
  {
    std::lock_guard lock(control->mu);
    control->hold_writes = false;
  }
  control->cv.notify_all();
  ASSERT_TRUE(created.get_future().get().ok());
  EXPECT_TRUE(WaitFor([&] { return manager->stats().expired == 2; }))
      << "/a, due at 4 s, was skipped";
  manager->sweep_expired();  // its erase is written
  std::optional<LoadedStream> stored;
  ASSERT_TRUE(storage->raw().load_stream("/a", &stored).ok());
  EXPECT_FALSE(stored.has_value());
}

// A refused or failed write still slides the TTL. When the failed write carried a newer last
// access in its meta, the rollback must leave that last access to be written again: otherwise
// the stream, once evicted or after a restart, expires by the older stored one.
template <typename Backend>
class StreamManagerExpiryFaultTypedTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void TearDown() override { manager_.reset(); }
  void Open() {
    ManagerOptions options;
    options.clock = [this] { return now_ms_.load(); };
    options.sweep_interval = 0ms;
    options.recovery_interval = 5ms;
    options.stream_cache_bytes = CacheBytesOf<Backend>();
    Status status;
    manager_ = StreamManager::Open(std::make_unique<FaultyStorage>(backend_.Open(), faults_),
                                   std::move(options), &status);
    ASSERT_TRUE(status.ok()) << status.message();
  }
  StatusCode Code(const std::string& path) {
    StreamInfo info;
    return manager_->get_metadata(path, &info).code();
  }

  std::atomic<int64_t> now_ms_{0};
  std::shared_ptr<Faults> faults_ = std::make_shared<Faults>();
  Backend backend_;
  std::unique_ptr<StreamManager> manager_;
};

TYPED_TEST_SUITE(StreamManagerExpiryFaultTypedTest, ManagerBackends, BackendNames);

TYPED_TEST(StreamManagerExpiryFaultTypedTest, AFailedMetaWriteDoesNotLoseTheLastAccess) {
  ASSERT_TRUE(this->manager_->create("/s", Ttl(100), nullptr).ok());
  this->now_ms_ = 50'000;
  this->faults_->fail_writes = 1;  // the Stream-Seq append writes the whole meta, and fails
  EXPECT_FALSE(this->manager_->append("/s", "x", WithSeq(Bytes(), "a")).status.ok());
  ASSERT_TRUE(WaitFor([&] { return this->manager_->stats().writable; }));
  this->manager_->sweep_expired();       // the flush: persists what is left to persist
  EXPECT_EQ(this->Code("/other"), StatusCode::kNotFound);  // an insert: evicts /s if uncached
  this->now_ms_ = 120'000;  // 120 s after creation, 70 s after the last access
  EXPECT_EQ(this->Code("/s"), StatusCode::kOk);
  if (TypeParam::kPersistent) {
    this->manager_.reset();
    this->Open();
    EXPECT_EQ(this->Code("/s"), StatusCode::kOk) << "after a restart";
  }
  this->now_ms_ = 150'000;
  EXPECT_EQ(this->Code("/s"), StatusCode::kNotFound);
}

}  // namespace
}  // namespace streamkeeper::manager_test
