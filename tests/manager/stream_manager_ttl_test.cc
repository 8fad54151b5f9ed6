// StreamManager contract: sliding TTL, Expires-At, expiry and sweeping. The clock is the
// fixture's; nothing here sleeps.

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "manager_test_fixture.h"

namespace streamkeeper::manager_test {
namespace {

CreateOptions WithTtl(uint64_t seconds, const std::string& content_type = kBytes) {
  CreateOptions options = TypeOnly(content_type);
  options.ttl_seconds = seconds;
  return options;
}

CreateOptions WithExpiresAt(int64_t at_ms) {
  CreateOptions options = TypeOnly(kBytes);
  options.expires_at_ms = at_ms;
  return options;
}

TYPED_TEST(StreamManagerContractTest, TtlStreamLivesUntilIdleForTtl) {
  this->MustCreate("/s", WithTtl(10));
  this->AdvanceSeconds(9);
  EXPECT_EQ(this->MetadataCode("/s"), StatusCode::kOk);
  this->AdvanceSeconds(1);
  EXPECT_EQ(this->MetadataCode("/s"), StatusCode::kNotFound) << "expires exactly at the deadline";
}

TYPED_TEST(StreamManagerContractTest, TtlIsNotExtendedByMetadata) {
  this->MustCreate("/s", WithTtl(10));
  for (int i = 0; i < 3; ++i) {
    this->AdvanceSeconds(3);
    EXPECT_EQ(this->MetadataCode("/s"), StatusCode::kOk);
  }
  this->AdvanceSeconds(1);  // 10 s after creation
  EXPECT_EQ(this->MetadataCode("/s"), StatusCode::kNotFound);
}

// Each touch keeps the stream alive for another full TTL measured from the touch.
TYPED_TEST(StreamManagerContractTest, TtlIsExtendedByReadsAppendsAndClose) {
  struct Touch {
    const char* name;
    std::function<bool(StreamManager&)> run;
  };
  const std::vector<Touch> touches = {
      {"append", [](StreamManager& m) { return m.append("/s", "x", Bytes()).status.ok(); }},
      {"read", [](StreamManager& m) { return m.read("/s", 0).status.ok(); }},
      {"read at now", [](StreamManager& m) { return m.read("/s", std::nullopt).status.ok(); }},
      {"read_messages", [](StreamManager& m) { return m.read_messages("/s", 0).status.ok(); }},
      {"wait_async",
       [](StreamManager& m) {
         uint64_t handle = m.wait_async("/s", 1 << 30, [] {});
         return handle != 0 && m.cancel_wait("/s", handle);
       }},
      {"producer append",
       [](StreamManager& m) {
         return m.append("/s", "p", WithProducer(Bytes(), "p", 0, 0)).status.ok();
       }},
      {"close-only", [](StreamManager& m) { return m.close("/s").status.ok(); }},
  };
  for (const Touch& touch : touches) {
    SCOPED_TRACE(touch.name);
    ASSERT_TRUE(this->Create("/s", WithTtl(10)).ok());
    this->AdvanceSeconds(8);
    ASSERT_TRUE(touch.run(this->manager()));
    this->AdvanceSeconds(8);  // 16 s after creation, 8 s after the touch
    EXPECT_EQ(this->MetadataCode("/s"), StatusCode::kOk);
    this->AdvanceSeconds(2);  // 10 s after the touch
    EXPECT_EQ(this->MetadataCode("/s"), StatusCode::kNotFound);
  }
}

TYPED_TEST(StreamManagerContractTest, TtlIsExtendedByProducerCloseOnly) {
  this->MustCreate("/s", WithTtl(10));
  this->AdvanceSeconds(8);
  ASSERT_TRUE(this->Append("/s", "", Closing(WithProducer(Bytes(), "p", 0, 0))).status.ok());
  this->AdvanceSeconds(8);
  EXPECT_EQ(this->MetadataCode("/s"), StatusCode::kOk);
}

TYPED_TEST(StreamManagerContractTest, ExpiredStreamIsNotFoundEverywhere) {
  this->MustCreate("/s", WithTtl(5));
  this->MustAppend("/s", "abc");
  this->AdvanceSeconds(5);
  EXPECT_EQ(this->manager().read("/s", 0).status.code(), StatusCode::kNotFound);
  EXPECT_EQ(this->manager().read_messages("/s", 0).status.code(), StatusCode::kNotFound);
  EXPECT_EQ(this->manager().read("/s", std::nullopt).status.code(), StatusCode::kNotFound);
  EXPECT_EQ(this->Append("/s", "x").status.code(), StatusCode::kNotFound);
  EXPECT_EQ(this->manager().close("/s").status.code(), StatusCode::kNotFound);
  EXPECT_EQ(this->MetadataCode("/s"), StatusCode::kNotFound);
  EXPECT_EQ(this->manager().remove("/s").code(), StatusCode::kNotFound);
  EXPECT_EQ(this->manager().wait_async("/s", 0, [] {}), 0u);
  EXPECT_TRUE(this->manager().list_streams().empty());
}

TYPED_TEST(StreamManagerContractTest, RemoveOfExpiredStreamIsNotFoundFirstTime) {
  this->MustCreate("/s", WithTtl(5));
  this->AdvanceSeconds(6);
  EXPECT_EQ(this->manager().remove("/s").code(), StatusCode::kNotFound)
      << "expiry is checked before the first access after it";
}

TYPED_TEST(StreamManagerContractTest, ExpiredPathCanBeCreatedAgain) {
  StreamInfo old_info = this->MustCreate("/s", WithTtl(5));
  this->MustAppend("/s", "old");
  ASSERT_TRUE(this->Append("/s", "x", WithSeq(WithProducer(Bytes(), "p", 0, 0), "z")).status.ok());
  this->AdvanceSeconds(5);
  // No access in between: the create itself finds the stream expired.
  CreateResult created;
  ASSERT_TRUE(this->Create("/s", WithTtl(5), &created).ok());
  EXPECT_TRUE(created.created);
  EXPECT_GT(created.info.generation, old_info.generation);
  EXPECT_EQ(created.info.tail, 0u);
  EXPECT_EQ(this->ReadAll("/s"), "");
  AppendResult fresh = this->Append("/s", "new", WithSeq(WithProducer(Bytes(), "p", 0, 0), "a"));
  ASSERT_TRUE(fresh.status.ok()) << fresh.status.message();
  EXPECT_FALSE(fresh.duplicate);
  EXPECT_EQ(this->ReadAll("/s"), "new");
}

TYPED_TEST(StreamManagerContractTest, ExpiredPathCreatedWithADifferentConfig) {
  this->MustCreate("/s", WithTtl(5));
  this->AdvanceSeconds(5);
  CreateResult created;
  ASSERT_TRUE(this->Create("/s", TypeOnly(kJson), &created).ok())
      << "an expired stream's config does not conflict";
  EXPECT_TRUE(created.created);
  EXPECT_TRUE(created.info.is_json);
  EXPECT_FALSE(created.info.ttl_seconds.has_value());
}

TYPED_TEST(StreamManagerContractTest, ExpiresAtNeverMoves) {
  int64_t deadline = this->Now() + 10'000;
  this->MustCreate("/s", WithExpiresAt(deadline));
  for (int i = 0; i < 9; ++i) {
    this->AdvanceSeconds(1);
    ASSERT_TRUE(this->Append("/s", "x").status.ok());
    ASSERT_TRUE(this->manager().read("/s", 0).status.ok());
  }
  StreamInfo info = this->Metadata("/s");
  ASSERT_TRUE(info.expires_at_ms.has_value());
  EXPECT_EQ(*info.expires_at_ms, deadline);
  this->AdvanceSeconds(1);
  EXPECT_EQ(this->manager().read("/s", 0).status.code(), StatusCode::kNotFound);
  EXPECT_EQ(this->Append("/s", "x").status.code(), StatusCode::kNotFound);
  CreateResult created;
  ASSERT_TRUE(this->Create("/s", WithExpiresAt(deadline + 60'000), &created).ok());
  EXPECT_TRUE(created.created);
}

TYPED_TEST(StreamManagerContractTest, SweepRemovesIdleStreams) {
  this->MustCreate("/short", WithTtl(5));
  this->MustCreate("/long", WithTtl(50));
  this->MustCreate("/at", WithExpiresAt(this->Now() + 5'000));
  this->MustCreate("/forever");
  this->MustAppend("/short", "data");
  EXPECT_EQ(this->manager().sweep_expired(), 0u);
  this->AdvanceSeconds(6);
  EXPECT_EQ(this->manager().sweep_expired(), 2u);
  EXPECT_EQ(this->manager().sweep_expired(), 0u) << "already swept";
  EXPECT_EQ(this->manager().list_streams(), (std::vector<std::string>{"/forever", "/long"}));
  EXPECT_EQ(this->MetadataCode("/short"), StatusCode::kNotFound);
  CreateResult created;
  ASSERT_TRUE(this->Create("/short", WithTtl(5), &created).ok());
  EXPECT_TRUE(created.created);
  EXPECT_EQ(this->ReadAll("/short"), "");
}

TYPED_TEST(StreamManagerContractTest, SweepSparesRecentlyTouchedStreams) {
  this->MustCreate("/s", WithTtl(10));
  this->AdvanceSeconds(9);
  ASSERT_TRUE(this->manager().read("/s", 0).status.ok());
  this->AdvanceSeconds(9);
  EXPECT_EQ(this->manager().sweep_expired(), 0u);
  EXPECT_EQ(this->MetadataCode("/s"), StatusCode::kOk);
}

TYPED_TEST(StreamManagerContractTest, ExpiryWakesParkedWaiters) {
  this->MustCreate("/s", WithTtl(5));
  std::atomic<int> woken{0};
  uint64_t handle = this->manager().wait_async("/s", 0, [&woken] { ++woken; });
  ASSERT_NE(handle, 0u);
  this->AdvanceSeconds(6);
  EXPECT_EQ(this->manager().sweep_expired(), 1u);
  this->MustCreate("/barrier");  // completes after the sweep's write and its wakes
  EXPECT_EQ(woken.load(), 1);
}

// A create at an expired path removes the old stream first. When the create then fails (here:
// invalid initial JSON), that removal must still be written and the old stream's waiters woken.
TYPED_TEST(StreamManagerContractTest, FailedCreateAtExpiredPathStillWakesOldWaiters) {
  this->MustCreate("/s", WithTtl(5, kJson));
  std::atomic<int> woken{0};
  uint64_t handle = this->manager().wait_async("/s", 0, [&woken] { ++woken; });
  ASSERT_NE(handle, 0u);
  this->AdvanceSeconds(6);
  CreateOptions bad = TypeOnly(kJson);
  bad.initial_data = "{not json";
  EXPECT_EQ(this->Create("/s", bad).code(), StatusCode::kBadRequest);
  this->MustCreate("/barrier");
  EXPECT_EQ(woken.load(), 1) << "the expired stream went away; its waiter must be woken";
  EXPECT_FALSE(this->manager().cancel_wait("/s", handle));
}

TYPED_TEST(StreamManagerContractTest, ForkInheritsSourceTtl) {
  this->MustCreate("/src", WithTtl(10));
  this->MustAppend("/src", "abc");
  StreamInfo fork = this->MustCreate("/fork", ForkOf("/src"));
  ASSERT_TRUE(fork.ttl_seconds.has_value());
  EXPECT_EQ(*fork.ttl_seconds, 10u);
  EXPECT_FALSE(fork.expires_at_ms.has_value());
  CreateResult again;
  ASSERT_TRUE(this->Create("/fork", ForkOf("/src"), &again).ok())
      << "re-creating the fork without a TTL still matches";
  EXPECT_FALSE(again.created);

  // Refreshed independently: keep the fork busy, let the source idle out.
  this->AdvanceSeconds(6);
  ASSERT_TRUE(this->manager().read("/fork", 0).status.ok());
  this->AdvanceSeconds(6);
  StatusCode source = this->MetadataCode("/src");
  EXPECT_TRUE(source == StatusCode::kNotFound || source == StatusCode::kGone) << (int)source;
  EXPECT_EQ(this->ReadAll("/fork"), "abc") << "the fork outlives its source";
  // When the fork expires too, it releases the source, which is then gone for good.
  this->AdvanceSeconds(10);
  this->manager().sweep_expired();
  EXPECT_EQ(this->MetadataCode("/fork"), StatusCode::kNotFound);
  EXPECT_EQ(this->MetadataCode("/src"), StatusCode::kNotFound);
  this->MustCreate("/src");
}

TYPED_TEST(StreamManagerContractTest, ForkInheritsSourceExpiresAt) {
  int64_t deadline = this->Now() + 10'000;
  this->MustCreate("/src", WithExpiresAt(deadline));
  StreamInfo fork = this->MustCreate("/fork", ForkOf("/src"));
  ASSERT_TRUE(fork.expires_at_ms.has_value());
  EXPECT_EQ(*fork.expires_at_ms, deadline);
  EXPECT_FALSE(fork.ttl_seconds.has_value());
}

TYPED_TEST(StreamManagerContractTest, ForkOwnExpiryOverridesSource) {
  this->MustCreate("/src", WithTtl(10));
  CreateOptions ttl_fork = ForkOf("/src");
  ttl_fork.ttl_seconds = 100;
  StreamInfo with_ttl = this->MustCreate("/t", ttl_fork);
  EXPECT_EQ(with_ttl.ttl_seconds, std::optional<uint64_t>(100));
  CreateOptions at_fork = ForkOf("/src");
  at_fork.expires_at_ms = this->Now() + 100'000;
  StreamInfo with_at = this->MustCreate("/a", at_fork);
  EXPECT_FALSE(with_at.ttl_seconds.has_value());
  EXPECT_EQ(with_at.expires_at_ms, at_fork.expires_at_ms);
  this->AdvanceSeconds(50);
  this->manager().sweep_expired();
  EXPECT_EQ(this->MetadataCode("/t"), StatusCode::kOk) << "fork TTLs are not capped by the source";
  EXPECT_EQ(this->MetadataCode("/a"), StatusCode::kOk);
}

TYPED_TEST(StreamManagerContractTest, ExpiredForkReleasesItsSource) {
  this->MustCreate("/src");
  this->MustAppend("/src", "abc");
  CreateOptions short_fork = ForkOf("/src");
  short_fork.ttl_seconds = 5;
  this->MustCreate("/fork", short_fork);
  this->AdvanceSeconds(6);
  EXPECT_EQ(this->manager().read("/fork", 0).status.code(), StatusCode::kNotFound);
  ASSERT_TRUE(this->manager().remove("/src").ok());
  EXPECT_EQ(this->MetadataCode("/src"), StatusCode::kNotFound) << "a hard delete: no forks left";
  this->MustCreate("/src");
}

}  // namespace
}  // namespace streamkeeper::manager_test
