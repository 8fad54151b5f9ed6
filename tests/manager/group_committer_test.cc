// GroupCommitter (src/manager/group_committer.h) on its own, over a storage whose writes and
// syncs the test holds at gates: completions in submission order, empty submissions as
// barriers, and what a failure does to everything not yet completed.
#include "manager/group_committer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "forwarding_storage.h"
#include "gate.h"
#include "streamkeeper/memory_storage.h"

namespace streamkeeper {
namespace {

using namespace std::chrono_literals;
using testing::Gate;

// A gate a storage call waits at until the test opens it.
class GatedStorage final : public testing::ForwardingStorage {
 public:
  GatedStorage() : ForwardingStorage(std::make_unique<MemoryStorage>()) {}
  Status write(const WriteBatch& batch) override {
    write_gate.Pass();
    writes.fetch_add(1);
    return inner().write(batch);
  }
  Status sync() override {
    sync_gate.Pass();
    if (fail_next_sync.exchange(false)) return Status::IoError("injected sync failure");
    return inner().sync();
  }
  Gate write_gate;
  Gate sync_gate;
  std::atomic<bool> fail_next_sync{false};
  std::atomic<int> writes{0};
};

std::vector<StreamChange> OneRecord(const std::string& path) {
  StreamChange change;
  change.meta.path = path;
  change.meta.generation = 1;
  change.write_meta = false;
  change.records.push_back(Record{0, "x"});
  std::vector<StreamChange> changes;
  changes.push_back(std::move(change));
  return changes;
}

class GroupCommitterTest : public ::testing::Test {
 protected:
  GatedStorage storage_;
  std::atomic<uint64_t> generations_{1};
};

TEST_F(GroupCommitterTest, CompletionsRunInSubmissionOrder) {
  GroupCommitter committer(&storage_, true, &generations_);
  std::mutex mu;
  std::vector<int> order;
  std::promise<void> last;
  for (int i = 0; i < 50; ++i) {
    auto done = [&, i](const Status& s) {
      EXPECT_TRUE(s.ok());
      std::lock_guard lock(mu);
      order.push_back(i);
      if (i == 49) last.set_value();
    };
    if (i % 3 == 0) {
      committer.submit({}, done);  // a barrier
    } else if (i % 3 == 1) {
      committer.submit(OneRecord("/s" + std::to_string(i)), done);
    } else {
      committer.submit_unsynced(OneRecord("/u" + std::to_string(i)), done);
    }
  }
  last.get_future().wait();
  std::vector<int> expected(50);
  for (int i = 0; i < 50; ++i) expected[i] = i;
  EXPECT_EQ(order, expected);
}

TEST_F(GroupCommitterTest, AnEmptySubmissionCompletesAfterEverythingBeforeIt) {
  GroupCommitter committer(&storage_, true, &generations_);
  storage_.write_gate.Close();
  std::atomic<bool> written{false};
  committer.submit(OneRecord("/s"), [&](const Status&) { written = true; });
  storage_.write_gate.WaitForArrival();
  std::promise<bool> barrier;
  committer.submit({}, [&](const Status&) { barrier.set_value(written.load()); });
  storage_.write_gate.Open();
  EXPECT_TRUE(barrier.get_future().get());
}

// A write that was handed to the sync thread fails when that sync fails; an unsynced write
// queued behind it, written while the sync ran, must not complete OK: it may have been
// validated against the failed one, and a completion that reports success would make its
// caller advance state that the failed write's rollback just undid.
TEST_F(GroupCommitterTest, AnUnsyncedWriteQueuedBehindAFailedSyncFailsToo) {
  GroupCommitter committer(&storage_, true, &generations_);
  storage_.write_gate.Close();
  storage_.sync_gate.Close();
  std::promise<Status> synced, unsynced;
  committer.submit(OneRecord("/a"), [&](const Status& s) { synced.set_value(s); });
  storage_.write_gate.WaitForArrival();  // A is in write()
  committer.submit_unsynced(OneRecord("/b"), [&](const Status& s) { unsynced.set_value(s); });
  storage_.fail_next_sync = true;
  storage_.write_gate.Open();  // A is written and handed to the sync thread (B is queued)
  storage_.sync_gate.WaitForArrival();
  // B is written while A's sync is held.
  for (int i = 0; i < 500 && storage_.writes.load() < 2; ++i) std::this_thread::sleep_for(2ms);
  ASSERT_EQ(storage_.writes.load(), 2);
  storage_.sync_gate.Open();
  EXPECT_FALSE(synced.get_future().get().ok());
  EXPECT_FALSE(unsynced.get_future().get().ok());
  EXPECT_TRUE(committer.failed());
}

TEST_F(GroupCommitterTest, SubmissionsWhileFailedAreRefusedUntilARecoverySucceeds) {
  GroupCommitter committer(&storage_, true, &generations_);
  storage_.fail_next_sync = true;
  std::promise<Status> first;
  committer.submit(OneRecord("/a"), [&](const Status& s) { first.set_value(s); });
  EXPECT_FALSE(first.get_future().get().ok());
  int writes = storage_.writes.load();
  std::promise<Status> refused;
  committer.submit(OneRecord("/b"), [&](const Status& s) { refused.set_value(s); });
  EXPECT_EQ(refused.get_future().get().code(), StatusCode::kUnavailable);
  EXPECT_EQ(storage_.writes.load(), writes) << "nothing is written while failed";
  std::promise<Status> recovered;
  committer.recover([] { return Status::Ok(); },
                    [&](const Status& s) { recovered.set_value(s); });
  EXPECT_TRUE(recovered.get_future().get().ok());
  std::promise<Status> after;
  committer.submit(OneRecord("/c"), [&](const Status& s) { after.set_value(s); });
  EXPECT_TRUE(after.get_future().get().ok());
}

}  // namespace
}  // namespace streamkeeper
