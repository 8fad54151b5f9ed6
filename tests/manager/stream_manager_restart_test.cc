// StreamManager over RocksDB across restarts: everything the protocol promises is durable must be
// there after the manager is destroyed and the same directory reopened.

#include <string>
#include <vector>

#include "manager_test_fixture.h"

namespace streamkeeper::manager_test {
namespace {

class StreamManagerRestartTest : public StreamManagerContractTest<RocksDbBackend> {};

TEST_F(StreamManagerRestartTest, OffsetsContinueAfterReopen) {
  MustCreate("/s");
  MustAppend("/s", "hello");
  MustCreate("/j", TypeOnly(kJson));
  MustAppend("/j", "[1,2,3]", Json());
  Reopen();
  EXPECT_EQ(Metadata("/s").tail, 5u);
  EXPECT_EQ(MustAppend("/s", " world"), 11u);
  EXPECT_EQ(ReadAll("/s"), "hello world");
  EXPECT_EQ(MustAppend("/j", "[4]", Json()), 4u);
  EXPECT_EQ(manager().read("/j", 0).data, "[1,2,3,4]");
  Reopen();
  EXPECT_EQ(ReadAll("/s"), "hello world");
  EXPECT_EQ(ReadMessages("/j"), (std::vector<std::string>{"1", "2", "3", "4"}));
}

TEST_F(StreamManagerRestartTest, CreateConfigSurvives) {
  CreateOptions options = TypeOnly("Text/Plain; charset=utf-8");
  options.ttl_seconds = 3600;
  StreamInfo before = MustCreate("/s", options);
  Reopen();
  StreamInfo after = Metadata("/s");
  EXPECT_EQ(after.content_type, before.content_type);
  EXPECT_EQ(after.ttl_seconds, before.ttl_seconds);
  EXPECT_EQ(after.created_at_ms, before.created_at_ms);
  EXPECT_EQ(after.generation, before.generation);
  CreateResult again;
  ASSERT_TRUE(Create("/s", options, &again).ok());
  EXPECT_FALSE(again.created);
}

TEST_F(StreamManagerRestartTest, StreamSeqSurvives) {
  MustCreate("/s");
  ASSERT_TRUE(Append("/s", "a", WithSeq(Bytes(), "5")).status.ok());
  Reopen();
  EXPECT_EQ(Append("/s", "b", WithSeq(Bytes(), "5")).status.code(), StatusCode::kSeqConflict);
  EXPECT_EQ(Append("/s", "b", WithSeq(Bytes(), "4")).status.code(), StatusCode::kSeqConflict);
  EXPECT_TRUE(Append("/s", "b", WithSeq(Bytes(), "6")).status.ok());
}

TEST_F(StreamManagerRestartTest, ProducerStateSurvives) {
  MustCreate("/s");
  ASSERT_TRUE(Append("/s", "a", WithProducer(Bytes(), "p", 2, 0)).status.ok());
  ASSERT_TRUE(Append("/s", "b", WithProducer(Bytes(), "p", 2, 1)).status.ok());
  ASSERT_TRUE(Append("/s", "c", WithProducer(Bytes(), "q", 0, 0)).status.ok());
  Reopen();
  AppendResult retry = Append("/s", "b", WithProducer(Bytes(), "p", 2, 1));
  EXPECT_TRUE(retry.status.ok());
  EXPECT_TRUE(retry.duplicate);
  EXPECT_EQ(retry.producer_seq, 1u);
  AppendResult gap = Append("/s", "x", WithProducer(Bytes(), "p", 2, 5));
  EXPECT_EQ(gap.status.code(), StatusCode::kProducerSeqGap);
  EXPECT_EQ(gap.expected_seq, 2u);
  AppendResult stale = Append("/s", "x", WithProducer(Bytes(), "p", 1, 0));
  EXPECT_EQ(stale.status.code(), StatusCode::kStaleEpoch);
  EXPECT_EQ(stale.producer_epoch, 2u);
  EXPECT_TRUE(Append("/s", "d", WithProducer(Bytes(), "q", 0, 1)).status.ok());
  EXPECT_EQ(ReadAll("/s"), "abcd");
}

TEST_F(StreamManagerRestartTest, ClosedStateSurvives) {
  MustCreate("/s");
  ASSERT_TRUE(Append("/s", "a", WithProducer(Bytes(), "p", 0, 0)).status.ok());
  ASSERT_TRUE(Append("/s", "b", Closing(WithProducer(Bytes(), "p", 0, 1))).status.ok());
  CreateOptions closed = TypeOnly(kBytes);
  closed.closed = true;
  MustCreate("/c", closed);
  Reopen();
  EXPECT_TRUE(Metadata("/s").closed);
  EXPECT_TRUE(Metadata("/c").closed);
  AppendResult rejected = Append("/s", "x");
  EXPECT_EQ(rejected.status.code(), StatusCode::kClosed);
  EXPECT_EQ(rejected.tail, 2u);
  AppendResult retry = Append("/s", "b", Closing(WithProducer(Bytes(), "p", 0, 1)));
  EXPECT_TRUE(retry.status.ok());
  EXPECT_TRUE(retry.duplicate);
  EXPECT_TRUE(retry.closed);
  ReadResult read = manager().read("/s", 0);
  EXPECT_EQ(read.data, "ab");
  EXPECT_TRUE(read.closed);
  EXPECT_EQ(Create("/c", TypeOnly(kBytes)).code(), StatusCode::kConfigMismatch);
}

TEST_F(StreamManagerRestartTest, ForksAndSoftDeleteSurvive) {
  MustCreate("/a");
  MustAppend("/a", "aaaa");
  MustCreate("/b", ForkOf("/a", 0, 2));
  MustAppend("/b", "bb");
  MustCreate("/c", ForkOf("/b"));
  MustAppend("/c", "cc");
  ASSERT_TRUE(manager().remove("/a").ok());
  Reopen();
  EXPECT_EQ(MetadataCode("/a"), StatusCode::kGone);
  EXPECT_EQ(Create("/a").code(), StatusCode::kGone);
  EXPECT_EQ(ReadAll("/b"), "aabb");
  EXPECT_EQ(ReadAll("/c"), "aabbcc");
  ASSERT_TRUE(manager().remove("/b").ok());  // soft: /c uses it
  Reopen();
  EXPECT_EQ(MetadataCode("/b"), StatusCode::kGone);
  EXPECT_EQ(ReadAll("/c"), "aabbcc");
  ASSERT_TRUE(manager().remove("/c").ok());  // cascades to /b and /a
  Reopen();
  EXPECT_EQ(MetadataCode("/a"), StatusCode::kNotFound);
  EXPECT_EQ(MetadataCode("/b"), StatusCode::kNotFound);
  EXPECT_EQ(MetadataCode("/c"), StatusCode::kNotFound);
  EXPECT_TRUE(manager().list_streams().empty());
  MustCreate("/a");
  EXPECT_EQ(ReadAll("/a"), "");
}

TEST_F(StreamManagerRestartTest, ForkReferenceCountSurvives) {
  MustCreate("/src");
  MustAppend("/src", "abc");
  MustCreate("/fork", ForkOf("/src"));
  Reopen();
  ASSERT_TRUE(manager().remove("/src").ok());
  EXPECT_EQ(MetadataCode("/src"), StatusCode::kGone) << "soft: the fork still references it";
  EXPECT_EQ(ReadAll("/fork"), "abc");
  ASSERT_TRUE(manager().remove("/fork").ok());
  EXPECT_EQ(MetadataCode("/src"), StatusCode::kNotFound);
}

TEST_F(StreamManagerRestartTest, RecreatedStreamShowsNoOldData) {
  MustCreate("/s");
  MustAppend("/s", "old old old");
  ASSERT_TRUE(manager().remove("/s").ok());
  MustCreate("/s");
  MustAppend("/s", "new");
  Reopen();
  EXPECT_EQ(ReadAll("/s"), "new");
  EXPECT_EQ(Metadata("/s").tail, 3u);
  ASSERT_TRUE(manager().remove("/s").ok());
  Reopen();
  EXPECT_EQ(MetadataCode("/s"), StatusCode::kNotFound);
  MustCreate("/s");
  EXPECT_EQ(ReadAll("/s"), "");
  EXPECT_EQ(MustAppend("/s", "x"), 1u);
}

TEST_F(StreamManagerRestartTest, GenerationsAreNeverReused) {
  StreamInfo a = MustCreate("/a");
  StreamInfo b = MustCreate("/b");
  MustAppend("/b", "data of b");
  ASSERT_TRUE(manager().remove("/b").ok());  // the highest generation handed out is gone
  Reopen();
  StreamInfo c = MustCreate("/b");
  EXPECT_GT(c.generation, b.generation);
  EXPECT_GT(c.generation, a.generation);
  EXPECT_EQ(ReadAll("/b"), "") << "a reused generation would expose the old records";
  ASSERT_TRUE(manager().remove("/b").ok());
  ASSERT_TRUE(manager().remove("/a").ok());  // nothing left at all
  Reopen();
  StreamInfo d = MustCreate("/b");
  EXPECT_GT(d.generation, c.generation);
  EXPECT_EQ(ReadAll("/b"), "");
}

TEST_F(StreamManagerRestartTest, SlidingTtlTouchSurvivesReopen) {
  CreateOptions options = TypeOnly(kBytes);
  options.ttl_seconds = 10;
  MustCreate("/s", options);
  AdvanceSeconds(8);
  ASSERT_TRUE(manager().read("/s", 0).status.ok());  // touch at 8 s
  Reopen();
  AdvanceSeconds(8);  // 16 s after creation, 8 s after the touch
  EXPECT_EQ(MetadataCode("/s"), StatusCode::kOk);
  AdvanceSeconds(2);
  EXPECT_EQ(MetadataCode("/s"), StatusCode::kNotFound);
}

TEST_F(StreamManagerRestartTest, ExpiredStreamStaysExpiredAfterReopen) {
  CreateOptions options = TypeOnly(kBytes);
  options.ttl_seconds = 5;
  MustCreate("/s", options);
  MustAppend("/s", "old");
  AdvanceSeconds(6);
  EXPECT_EQ(manager().sweep_expired(), 1u);
  Reopen();
  EXPECT_EQ(MetadataCode("/s"), StatusCode::kNotFound);
  MustCreate("/s");
  EXPECT_EQ(ReadAll("/s"), "");
}

TEST_F(StreamManagerRestartTest, UnsyncedWritesSurviveCleanShutdown) {
  Reopen(/*sync=*/false);
  MustCreate("/s");
  for (int i = 0; i < 100; ++i) MustAppend("/s", "x");
  Reopen();
  EXPECT_EQ(Metadata("/s").tail, 100u);
  EXPECT_EQ(ReadAll("/s"), std::string(100, 'x'));
}

}  // namespace
}  // namespace streamkeeper::manager_test
