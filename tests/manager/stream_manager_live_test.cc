// StreamManager contract: live reads (wait_async, cancel_wait, read_live).

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "manager_test_fixture.h"

namespace streamkeeper::manager_test {
namespace {

using std::chrono::milliseconds;

TYPED_TEST(StreamManagerContractTest, WaitReturnsZeroWhenDataIsAlreadyThere) {
  this->MustCreate("/s");
  this->MustAppend("/s", "abc");
  std::atomic<int> woken{0};
  EXPECT_EQ(this->manager().wait_async("/s", 0, [&woken] { ++woken; }), 0u);
  EXPECT_EQ(this->manager().wait_async("/s", 2, [&woken] { ++woken; }), 0u);
  uint64_t at_tail = this->manager().wait_async("/s", 3, [&woken] { ++woken; });
  EXPECT_NE(at_tail, 0u) << "nothing past the tail yet: parked";
  EXPECT_TRUE(this->manager().cancel_wait("/s", at_tail));
  EXPECT_EQ(woken.load(), 0) << "a zero result never calls the callback";
}

TYPED_TEST(StreamManagerContractTest, WaitReturnsZeroOnClosedStream) {
  this->MustCreate("/s");
  this->MustAppend("/s", "abc");
  ASSERT_TRUE(this->manager().close("/s").status.ok());
  EXPECT_EQ(this->manager().wait_async("/s", 3, [] { ADD_FAILURE() << "woken"; }), 0u);
}

// The wake runs once the append is durable: a read inside the callback already sees the data.
TYPED_TEST(StreamManagerContractTest, AppendWakesParkedWaiterAfterItIsDurable) {
  this->MustCreate("/s");
  this->MustAppend("/s", "abc");
  std::promise<ReadResult> seen;
  StreamManager* manager = &this->manager();
  uint64_t handle = manager->wait_async("/s", 3, [&seen, manager] {
    seen.set_value(manager->read("/s", 3));
  });
  ASSERT_NE(handle, 0u);
  this->MustAppend("/s", "def");
  auto future = seen.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  ReadResult read = future.get();
  ASSERT_TRUE(read.status.ok());
  EXPECT_EQ(read.data, "def");
  EXPECT_EQ(read.next, 6u);
  EXPECT_FALSE(this->manager().cancel_wait("/s", handle)) << "a woken waiter is no longer parked";
}

TYPED_TEST(StreamManagerContractTest, EveryParkedWaiterIsWokenOnce) {
  this->MustCreate("/s");
  std::atomic<int> woken{0};
  for (int i = 0; i < 5; ++i) {
    ASSERT_NE(this->manager().wait_async("/s", 0, [&woken] { ++woken; }), 0u);
  }
  this->MustAppend("/s", "a");
  this->MustAppend("/s", "b");
  EXPECT_EQ(woken.load(), 5);
}

TYPED_TEST(StreamManagerContractTest, CloseWakesParkedWaiter) {
  this->MustCreate("/s");
  std::promise<ReadResult> seen;
  StreamManager* manager = &this->manager();
  ASSERT_NE(manager->wait_async("/s", 0, [&seen, manager] { seen.set_value(manager->read("/s", 0)); }),
            0u);
  ASSERT_TRUE(manager->close("/s").status.ok());
  auto future = seen.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  ReadResult read = future.get();
  ASSERT_TRUE(read.status.ok());
  EXPECT_TRUE(read.closed) << "the close is visible when the waiter wakes";
  EXPECT_TRUE(read.data.empty());
}

TYPED_TEST(StreamManagerContractTest, AppendAndCloseWakesWithDataAndClosure) {
  this->MustCreate("/s");
  std::promise<ReadResult> seen;
  StreamManager* manager = &this->manager();
  ASSERT_NE(manager->wait_async("/s", 0, [&seen, manager] { seen.set_value(manager->read("/s", 0)); }),
            0u);
  ASSERT_TRUE(this->Append("/s", "last", Closing(Bytes())).status.ok());
  auto future = seen.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  ReadResult read = future.get();
  EXPECT_EQ(read.data, "last");
  EXPECT_TRUE(read.closed);
}

TYPED_TEST(StreamManagerContractTest, RemoveWakesParkedWaiter) {
  this->MustCreate("/s");
  std::promise<StatusCode> seen;
  StreamManager* manager = &this->manager();
  ASSERT_NE(manager->wait_async("/s", 0,
                                [&seen, manager] {
                                  seen.set_value(manager->read("/s", 0).status.code());
                                }),
            0u);
  ASSERT_TRUE(manager->remove("/s").ok());
  auto future = seen.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(future.get(), StatusCode::kNotFound);
}

TYPED_TEST(StreamManagerContractTest, SoftDeleteWakesParkedWaiter) {
  this->MustCreate("/s");
  this->MustCreate("/fork", ForkOf("/s"));
  std::atomic<int> woken{0};
  ASSERT_NE(this->manager().wait_async("/s", 0, [&woken] { ++woken; }), 0u);
  ASSERT_TRUE(this->manager().remove("/s").ok());
  EXPECT_EQ(woken.load(), 1);
}

TYPED_TEST(StreamManagerContractTest, CancelledWaiterIsNeverCalled) {
  this->MustCreate("/s");
  std::atomic<int> woken{0};
  uint64_t handle = this->manager().wait_async("/s", 0, [&woken] { ++woken; });
  ASSERT_NE(handle, 0u);
  EXPECT_TRUE(this->manager().cancel_wait("/s", handle));
  EXPECT_FALSE(this->manager().cancel_wait("/s", handle)) << "only once";
  this->MustAppend("/s", "abc");
  ASSERT_TRUE(this->manager().close("/s").status.ok());
  ASSERT_TRUE(this->manager().remove("/s").ok());
  EXPECT_EQ(woken.load(), 0);
  EXPECT_FALSE(this->manager().cancel_wait("/missing", handle));
}

TYPED_TEST(StreamManagerContractTest, ShutdownWakesParkedWaiters) {
  this->MustCreate("/s");
  std::atomic<int> woken{0};
  ASSERT_NE(this->manager().wait_async("/s", 0, [&woken] { ++woken; }), 0u);
  this->manager().shutdown();
  EXPECT_EQ(woken.load(), 1);
}

// After shutdown nothing parks: a waiter registered then would never be woken, and whatever
// its callback holds (an HTTP session) would outlive the server.
TYPED_TEST(StreamManagerContractTest, WaitAfterShutdownParksNothing) {
  this->MustCreate("/s");
  this->manager().shutdown();
  EXPECT_EQ(this->manager().wait_async("/s", 0, [] { ADD_FAILURE() << "woken"; }), 0u);
}

// A write racing the shutdown is refused, never acknowledged, and its completion has run by the
// time the manager is gone (the server relies on that to destroy its IO contexts after it).
TYPED_TEST(StreamManagerContractTest, AppendAfterShutdownFailsAndCompletesBeforeDestruction) {
  this->MustCreate("/s");
  this->manager().shutdown();
  std::atomic<int> completed{0};
  std::atomic<bool> ok{true};
  const auto caller = std::this_thread::get_id();
  std::atomic<bool> on_caller_thread{false};
  this->manager().append_async("/s", "late", Bytes(), [&](AppendResult result) {
    on_caller_thread = std::this_thread::get_id() == caller;
    std::this_thread::sleep_for(milliseconds(200));  // a slow completion
    ok = result.status.ok();
    ++completed;
  });
  this->manager_.reset();
  EXPECT_EQ(completed.load(), 1);
  EXPECT_FALSE(ok.load());
  EXPECT_FALSE(on_caller_thread.load()) << "refused by the committer, not validated inline";
}

TYPED_TEST(StreamManagerContractTest, ReadLiveReturnsDataFromAnotherThread) {
  this->MustCreate("/s");
  this->MustAppend("/s", "abc");
  std::thread writer([this] {
    std::this_thread::sleep_for(milliseconds(20));
    this->MustAppend("/s", "def");
  });
  ReadResult read = this->manager().read_live("/s", 3, std::chrono::seconds(10));
  writer.join();
  ASSERT_TRUE(read.status.ok()) << read.status.message();
  EXPECT_EQ(read.data, "def");
  EXPECT_EQ(read.next, 6u);
  EXPECT_TRUE(read.up_to_date);
}

TYPED_TEST(StreamManagerContractTest, ReadLiveAtNowReturnsTheNextAppend) {
  this->MustCreate("/j", TypeOnly(kJson));
  this->MustAppend("/j", "[1,2]", Json());
  std::thread writer([this] {
    std::this_thread::sleep_for(milliseconds(20));
    this->MustAppend("/j", R"({"x":3})", Json());
  });
  ReadResult read = this->manager().read_live("/j", std::nullopt, std::chrono::seconds(10));
  writer.join();
  ASSERT_TRUE(read.status.ok());
  EXPECT_EQ(read.data, R"([{"x":3}])");
  EXPECT_EQ(read.next, 3u);
}

TYPED_TEST(StreamManagerContractTest, ReadLiveReturnsAtOnceWhenDataExists) {
  this->MustCreate("/s");
  this->MustAppend("/s", "abc");
  auto start = std::chrono::steady_clock::now();
  ReadResult read = this->manager().read_live("/s", 1, std::chrono::seconds(10));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(read.data, "bc");
}

TYPED_TEST(StreamManagerContractTest, ReadLiveTimesOutUpToDate) {
  this->MustCreate("/s");
  this->MustAppend("/s", "abc");
  auto start = std::chrono::steady_clock::now();
  ReadResult read = this->manager().read_live("/s", 3, milliseconds(50));
  auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(read.status.ok());
  EXPECT_TRUE(read.data.empty());
  EXPECT_TRUE(read.up_to_date);
  EXPECT_FALSE(read.closed);
  EXPECT_EQ(read.next, 3u);
  EXPECT_GE(waited, milliseconds(45));
  EXPECT_LT(waited, std::chrono::seconds(5));
}

TYPED_TEST(StreamManagerContractTest, ReadLiveEndsOnClose) {
  this->MustCreate("/s");
  std::thread closer([this] {
    std::this_thread::sleep_for(milliseconds(20));
    ASSERT_TRUE(this->manager().close("/s").status.ok());
  });
  ReadResult read = this->manager().read_live("/s", 0, std::chrono::seconds(10));
  closer.join();
  ASSERT_TRUE(read.status.ok());
  EXPECT_TRUE(read.closed);
  EXPECT_TRUE(read.up_to_date);
}

}  // namespace
}  // namespace streamkeeper::manager_test

namespace streamkeeper::manager_test {
namespace {

// While a stream is followed, reads near the tail are served from the entry's copy of the newest
// records. They must be exactly what the storage would return, from any position and page size.
TYPED_TEST(StreamManagerContractTest, ReadsWhileFollowedMatchStorageReads) {
  this->MustCreate("/s");
  this->MustAppend("/s", "0123456789");
  std::atomic<int> woken{0};
  ASSERT_NE(this->manager().wait_async("/s", 10, [&woken] { ++woken; }), 0u);
  this->MustAppend("/s", "abcde");  // followed: copied for readers
  this->MustAppend("/s", "fgh");    // the cache stays alive between waits
  this->MustAppend("/s", "ij");
  EXPECT_EQ(woken.load(), 1);
  for (uint64_t from = 0; from <= 20; ++from) {
    for (size_t page : {1, 2, 3, 7, 100}) {
      std::string expected = std::string("0123456789abcdefghij").substr(from);
      EXPECT_EQ(this->ReadAll("/s", from, page), expected) << "from " << from << " page " << page;
    }
  }
  // Once nobody waits, the sweep drops the copy; reads then come from storage, unchanged.
  this->manager().sweep_expired();
  EXPECT_EQ(this->ReadAll("/s", 12, 2), "cdefghij");
}

TYPED_TEST(StreamManagerContractTest, JsonReadsWhileFollowedMatchStorageReads) {
  CreateOptions json;
  json.content_type = "application/json";
  this->MustCreate("/j", json);
  AppendOptions options;
  options.content_type = "application/json";
  this->MustAppend("/j", "[1,2]", options);
  ASSERT_NE(this->manager().wait_async("/j", 2, [] {}), 0u);
  this->MustAppend("/j", "[3,4,5]", options);
  this->MustAppend("/j", "6", options);
  std::vector<std::string> all = {"1", "2", "3", "4", "5", "6"};
  for (uint64_t from = 0; from <= 6; ++from) {
    for (size_t page : {1, 2, 100}) {
      std::vector<std::string> expected(all.begin() + static_cast<long>(from), all.end());
      EXPECT_EQ(this->ReadMessages("/j", from, page), expected) << from << "/" << page;
    }
  }
}

}  // namespace
}  // namespace streamkeeper::manager_test
