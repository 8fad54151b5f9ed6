// StreamManager contract: forks, sub-offsets, soft delete and cascading removal.

#include <atomic>
#include <string>
#include <vector>

#include "manager_test_fixture.h"

namespace streamkeeper::manager_test {
namespace {

TYPED_TEST(StreamManagerContractTest, ForkInheritsUpToOffset) {
  this->MustCreate("/src");
  this->MustAppend("/src", "hello");
  this->MustAppend("/src", "world");
  StreamInfo fork = this->MustCreate("/fork", ForkOf("/src", 5));
  EXPECT_EQ(fork.tail, 5u);
  EXPECT_EQ(fork.content_type, kBytes) << "inherited";
  EXPECT_FALSE(fork.closed);
  EXPECT_EQ(this->ReadAll("/fork"), "hello");
  EXPECT_EQ(this->MustAppend("/fork", "!!"), 7u) << "the fork shares the source's offset space";
  EXPECT_EQ(this->ReadAll("/fork"), "hello!!");
  EXPECT_EQ(this->ReadAll("/fork", 3), "lo!!") << "a read crossing the fork boundary";
  EXPECT_EQ(this->ReadAll("/fork", 5), "!!") << "a read of the fork's own range";
  EXPECT_EQ(this->ReadAll("/src"), "helloworld") << "the source is untouched";
}

TYPED_TEST(StreamManagerContractTest, ForkWithoutOffsetUsesSourceTail) {
  this->MustCreate("/src");
  this->MustAppend("/src", "abc");
  StreamInfo fork = this->MustCreate("/fork", ForkOf("/src"));
  EXPECT_EQ(fork.tail, 3u);
  EXPECT_EQ(this->ReadAll("/fork"), "abc");
  StreamInfo at_zero = this->MustCreate("/zero", ForkOf("/src", 0));
  EXPECT_EQ(at_zero.tail, 0u);
  EXPECT_EQ(this->ReadAll("/zero"), "");
}

TYPED_TEST(StreamManagerContractTest, ForkOfEmptySource) {
  this->MustCreate("/src");
  StreamInfo fork = this->MustCreate("/fork", ForkOf("/src"));
  EXPECT_EQ(fork.tail, 0u);
  EXPECT_EQ(this->MustAppend("/fork", "x"), 1u);
}

TYPED_TEST(StreamManagerContractTest, ForkErrors) {
  this->MustCreate("/src");
  this->MustAppend("/src", "abc");
  EXPECT_EQ(this->Create("/f", ForkOf("/missing")).code(), StatusCode::kNotFound);
  EXPECT_EQ(this->Create("/f", ForkOf("/src", 4)).code(), StatusCode::kBadRequest)
      << "offset beyond the tail";
  EXPECT_EQ(this->Create("/src", ForkOf("/src")).code(), StatusCode::kBadRequest);
  EXPECT_EQ(this->Create("/f", ForkOf("/src", std::nullopt, 1)).code(), StatusCode::kBadRequest)
      << "a sub-offset needs a fork offset";
  CreateOptions sub_without_source = TypeOnly(kBytes);
  sub_without_source.fork_sub_offset = 1;
  EXPECT_EQ(this->Create("/f", sub_without_source).code(), StatusCode::kBadRequest);
  EXPECT_EQ(this->MetadataCode("/f"), StatusCode::kNotFound);
  // None of the failures left a reference: deleting the source is a hard delete.
  ASSERT_TRUE(this->manager().remove("/src").ok());
  this->MustCreate("/src");
}

TYPED_TEST(StreamManagerContractTest, ForkIsIdempotent) {
  this->MustCreate("/src");
  this->MustAppend("/src", "abcdef");
  this->MustCreate("/fork", ForkOf("/src", 0, 2));
  CreateResult again;
  ASSERT_TRUE(this->Create("/fork", ForkOf("/src", 0, 2), &again).ok());
  EXPECT_FALSE(again.created);
  EXPECT_EQ(this->Create("/fork", ForkOf("/src", 0, 3)).code(), StatusCode::kConfigMismatch);
  EXPECT_EQ(this->Create("/fork", ForkOf("/src", 1, 1)).code(), StatusCode::kConfigMismatch);
  EXPECT_EQ(this->Create("/fork", TypeOnly(kBytes)).code(), StatusCode::kConfigMismatch)
      << "a plain create against a fork";
  // Exactly one reference was taken: one fork removal releases the source.
  ASSERT_TRUE(this->manager().remove("/fork").ok());
  ASSERT_TRUE(this->manager().remove("/src").ok());
  this->MustCreate("/src");
}

TYPED_TEST(StreamManagerContractTest, ForkByteSubOffset) {
  this->MustCreate("/src");
  this->MustAppend("/src", "abcdef");  // [0, 6)
  this->MustAppend("/src", "gh");      // [6, 8)
  StreamInfo three = this->MustCreate("/f3", ForkOf("/src", 0, 3));
  EXPECT_EQ(three.tail, 3u);
  EXPECT_EQ(this->ReadAll("/f3"), "abc");
  EXPECT_EQ(this->MustAppend("/f3", "XYZ"), 6u);
  EXPECT_EQ(this->ReadAll("/f3"), "abcXYZ");

  EXPECT_EQ(this->MustCreate("/f6", ForkOf("/src", 0, 6)).tail, 6u)
      << "a sub-offset equal to the record length is accepted";
  EXPECT_EQ(this->ReadAll("/f6"), "abcdef");
  EXPECT_EQ(this->Create("/f7", ForkOf("/src", 0, 7)).code(), StatusCode::kBadRequest)
      << "past the data at the fork offset";

  // An anchor inside a record: the boundary is that record's end.
  EXPECT_EQ(this->MustCreate("/mid", ForkOf("/src", 2, 4)).tail, 6u);
  EXPECT_EQ(this->ReadAll("/mid"), "abcdef");
  EXPECT_EQ(this->Create("/mid5", ForkOf("/src", 2, 5)).code(), StatusCode::kBadRequest);
  EXPECT_EQ(this->Create("/tail", ForkOf("/src", 8, 1)).code(), StatusCode::kBadRequest)
      << "no data at the tail to split";
  EXPECT_EQ(this->MustCreate("/sub0", ForkOf("/src", 6, 0)).tail, 6u) << "0 means no sub-offset";
}

TYPED_TEST(StreamManagerContractTest, ForkJsonSubOffsetCountsMessagesWithinBatch) {
  this->MustCreate("/src", TypeOnly(kJson));
  this->MustAppend("/src", "[1,2,3]", Json());  // one batch at [0, 3)
  this->MustAppend("/src", "[4,5]", Json());    // [3, 5)
  StreamInfo two = this->MustCreate("/f2", ForkOf("/src", 0, 2));
  EXPECT_EQ(two.tail, 2u);
  EXPECT_TRUE(two.is_json);
  EXPECT_EQ(this->manager().read("/f2", 0).data, "[1,2]");
  EXPECT_EQ(this->MustCreate("/f3", ForkOf("/src", 0, 3)).tail, 3u)
      << "a sub-offset equal to the batch's message count is accepted";
  EXPECT_EQ(this->Create("/f4", ForkOf("/src", 0, 4)).code(), StatusCode::kBadRequest)
      << "a sub-offset may not cross into the next batch";
  EXPECT_EQ(this->MustCreate("/m", ForkOf("/src", 1, 2)).tail, 3u);
  EXPECT_EQ(this->Create("/m3", ForkOf("/src", 1, 3)).code(), StatusCode::kBadRequest);
  EXPECT_EQ(this->MustCreate("/n", ForkOf("/src", 3, 1)).tail, 4u);
  EXPECT_EQ(this->manager().read("/n", 0).data, "[1,2,3,4]");
  ASSERT_TRUE(this->Append("/n", R"({"own":true})", Json()).status.ok());
  EXPECT_EQ(this->manager().read("/n", 0).data, R"([1,2,3,4,{"own":true}])")
      << "one array across the fork boundary";
}

TYPED_TEST(StreamManagerContractTest, ForkSubOffsetOnEmptySourceIsBadRequest) {
  this->MustCreate("/src");
  EXPECT_EQ(this->Create("/f", ForkOf("/src", 0, 1)).code(), StatusCode::kBadRequest);
  this->MustCreate("/j", TypeOnly(kJson));
  EXPECT_EQ(this->Create("/fj", ForkOf("/j", 0, 1)).code(), StatusCode::kBadRequest);
}

TYPED_TEST(StreamManagerContractTest, ForkSubOffsetsComposeAcrossChains) {
  this->MustCreate("/a");
  this->MustAppend("/a", "0123456789");
  this->MustCreate("/b", ForkOf("/a", 0, 6));       // "012345"
  this->MustAppend("/b", "bb");                    // [6, 8)
  StreamInfo c = this->MustCreate("/c", ForkOf("/b", 4, 2));  // boundary is b's fork point, 6
  EXPECT_EQ(c.tail, 6u);
  EXPECT_EQ(this->ReadAll("/c"), "012345");
  EXPECT_EQ(this->Create("/c3", ForkOf("/b", 4, 3)).code(), StatusCode::kBadRequest)
      << "the record seen through /b ends at /b's fork position";
}

TYPED_TEST(StreamManagerContractTest, ForkDoesNotSeeLaterSourceAppends) {
  this->MustCreate("/src");
  this->MustAppend("/src", "abc");
  this->MustCreate("/fork", ForkOf("/src"));
  this->MustAppend("/src", "def");
  EXPECT_EQ(this->ReadAll("/fork"), "abc");
  EXPECT_EQ(this->Metadata("/fork").tail, 3u);
  this->MustAppend("/fork", "XYZ");
  EXPECT_EQ(this->ReadAll("/fork"), "abcXYZ");
  EXPECT_EQ(this->ReadAll("/src"), "abcdef");
}

TYPED_TEST(StreamManagerContractTest, DeletedSourceWithForkIsSoftDeleted) {
  this->MustCreate("/src");
  this->MustAppend("/src", "abc");
  this->MustCreate("/fork", ForkOf("/src"));
  ASSERT_TRUE(this->manager().remove("/src").ok());

  EXPECT_EQ(this->manager().read("/src", 0).status.code(), StatusCode::kGone);
  EXPECT_EQ(this->Append("/src", "x").status.code(), StatusCode::kGone);
  EXPECT_EQ(this->manager().close("/src").status.code(), StatusCode::kGone);
  EXPECT_EQ(this->manager().remove("/src").code(), StatusCode::kGone);
  EXPECT_EQ(this->MetadataCode("/src"), StatusCode::kGone);
  EXPECT_EQ(this->Create("/src").code(), StatusCode::kGone);
  EXPECT_EQ(this->Create("/fork2", ForkOf("/src")).code(), StatusCode::kGone);
  EXPECT_EQ(this->manager().list_streams(), (std::vector<std::string>{"/fork"}));

  EXPECT_EQ(this->ReadAll("/fork"), "abc") << "the soft-deleted source still serves fork reads";
  this->MustAppend("/fork", "def");
  EXPECT_EQ(this->ReadAll("/fork"), "abcdef");
}

TYPED_TEST(StreamManagerContractTest, RemovingLastForkRemovesSoftDeletedSource) {
  this->MustCreate("/src");
  this->MustAppend("/src", "old");
  this->MustCreate("/f1", ForkOf("/src"));
  this->MustCreate("/f2", ForkOf("/src"));
  ASSERT_TRUE(this->manager().remove("/src").ok());
  ASSERT_TRUE(this->manager().remove("/f1").ok());
  EXPECT_EQ(this->MetadataCode("/src"), StatusCode::kGone) << "/f2 still uses it";
  EXPECT_EQ(this->ReadAll("/f2"), "old");
  ASSERT_TRUE(this->manager().remove("/f2").ok());

  EXPECT_EQ(this->MetadataCode("/src"), StatusCode::kNotFound);
  EXPECT_EQ(this->manager().remove("/src").code(), StatusCode::kNotFound);
  StreamInfo again = this->MustCreate("/src");
  EXPECT_EQ(again.tail, 0u);
  EXPECT_EQ(this->ReadAll("/src"), "");
}

TYPED_TEST(StreamManagerContractTest, SourceSurvivesRemovalOfItsForks) {
  this->MustCreate("/src");
  this->MustAppend("/src", "abc");
  this->MustCreate("/fork", ForkOf("/src"));
  ASSERT_TRUE(this->manager().remove("/fork").ok());
  EXPECT_EQ(this->ReadAll("/src"), "abc");
  // And with no forks left, deleting the source is a hard delete.
  ASSERT_TRUE(this->manager().remove("/src").ok());
  EXPECT_EQ(this->MetadataCode("/src"), StatusCode::kNotFound);
  this->MustCreate("/src");
}

TYPED_TEST(StreamManagerContractTest, ThreeLevelChain) {
  this->MustCreate("/a");
  this->MustAppend("/a", "aaa");
  this->MustAppend("/a", "AAA");  // not in /b
  this->MustCreate("/b", ForkOf("/a", 3));
  this->MustAppend("/b", "bbb");
  this->MustCreate("/c", ForkOf("/b"));
  this->MustAppend("/c", "ccc");
  this->MustAppend("/b", "BBB");  // not in /c
  EXPECT_EQ(this->ReadAll("/c"), "aaabbbccc");
  for (size_t max_bytes : {1u, 2u, 4u, 100u}) {
    EXPECT_EQ(this->ReadAll("/c", 0, max_bytes), "aaabbbccc") << "max_bytes " << max_bytes;
  }
  EXPECT_EQ(this->ReadAll("/c", 2), "abbbccc");
  EXPECT_EQ(this->ReadAll("/b"), "aaabbbBBB");

  // Soft-delete the top and the middle; the leaf still reads through both.
  ASSERT_TRUE(this->manager().remove("/a").ok());
  ASSERT_TRUE(this->manager().remove("/b").ok());
  EXPECT_EQ(this->MetadataCode("/a"), StatusCode::kGone);
  EXPECT_EQ(this->MetadataCode("/b"), StatusCode::kGone);
  EXPECT_EQ(this->ReadAll("/c"), "aaabbbccc");
  // Removing the leaf cascades up the chain.
  ASSERT_TRUE(this->manager().remove("/c").ok());
  EXPECT_EQ(this->MetadataCode("/a"), StatusCode::kNotFound);
  EXPECT_EQ(this->MetadataCode("/b"), StatusCode::kNotFound);
  EXPECT_TRUE(this->manager().list_streams().empty());
  this->MustCreate("/a");
  this->MustCreate("/b");
}

// Reads through a fork must not skip the source's records when a page starts inside one: the
// storage counts whole stored values toward max_bytes, the reader counts only what it returns.
TYPED_TEST(StreamManagerContractTest, ForkReadFromInsideSourceRecordDoesNotSkipData) {
  this->MustCreate("/src");
  this->MustAppend("/src", "abcdefghij");  // [0, 10)
  this->MustAppend("/src", "XY");          // [10, 12)
  this->MustCreate("/fork", ForkOf("/src"));
  this->MustAppend("/fork", "own");        // [12, 15)
  ReadOptions options;
  options.max_bytes = 5;
  ReadResult page = this->manager().read("/fork", 8, options);
  ASSERT_TRUE(page.status.ok());
  EXPECT_EQ(page.data.substr(0, 2), "ij");
  EXPECT_EQ(page.next, 8 + page.data.size()) << "next must follow the returned bytes";
  EXPECT_EQ(this->ReadAll("/fork", 8, 5), "ijXYown");
}

TYPED_TEST(StreamManagerContractTest, JsonForkPagedReadReturnsEveryMessage) {
  this->MustCreate("/src", TypeOnly(kJson));
  this->MustAppend("/src", "[1,2,3,4,5,6]", Json());
  this->MustCreate("/fork", ForkOf("/src"));
  this->MustAppend("/fork", "[7,8]", Json());
  const std::vector<std::string> all = {"1", "2", "3", "4", "5", "6", "7", "8"};
  EXPECT_EQ(this->ReadMessages("/fork"), all);
  for (size_t max_bytes : {1u, 2u, 3u, 4u, 5u}) {
    EXPECT_EQ(this->ReadMessages("/fork", 0, max_bytes), all) << "max_bytes " << max_bytes;
  }
}

TYPED_TEST(StreamManagerContractTest, ForkOfClosedSourceStartsOpen) {
  this->MustCreate("/src");
  this->MustAppend("/src", "abc");
  ASSERT_TRUE(this->manager().close("/src").status.ok());
  StreamInfo fork = this->MustCreate("/fork", ForkOf("/src"));
  EXPECT_FALSE(fork.closed);
  EXPECT_EQ(this->MustAppend("/fork", "def"), 6u);
  EXPECT_EQ(this->ReadAll("/fork"), "abcdef");
  EXPECT_TRUE(this->Metadata("/src").closed);
  ASSERT_TRUE(this->manager().close("/fork").status.ok());
  EXPECT_EQ(this->Metadata("/src").tail, 3u);

  // A fork that ends inside the closed source's last record, with a sub-offset.
  EXPECT_EQ(this->MustCreate("/sub", ForkOf("/src", 0, 2)).tail, 2u);
  EXPECT_FALSE(this->Metadata("/sub").closed);
}

TYPED_TEST(StreamManagerContractTest, ClosingSourceDoesNotCloseFork) {
  this->MustCreate("/src");
  this->MustAppend("/src", "abc");
  this->MustCreate("/fork", ForkOf("/src"));
  ASSERT_TRUE(this->manager().close("/src").status.ok());
  EXPECT_FALSE(this->Metadata("/fork").closed);
  EXPECT_TRUE(this->Append("/fork", "x").status.ok());
  ReadResult read = this->manager().read("/fork", 0);
  EXPECT_FALSE(read.closed);
}

TYPED_TEST(StreamManagerContractTest, ForkHasFreshProducerAndSeqState) {
  this->MustCreate("/src");
  ASSERT_TRUE(this->Append("/src", "a", WithSeq(WithProducer(Bytes(), "p", 3, 0), "m")).status.ok());
  ASSERT_TRUE(this->Append("/src", "b", WithSeq(WithProducer(Bytes(), "p", 3, 1), "n")).status.ok());
  this->MustCreate("/fork", ForkOf("/src"));
  AppendResult bootstrap = this->Append("/fork", "c", WithProducer(Bytes(), "p", 0, 0));
  ASSERT_TRUE(bootstrap.status.ok()) << "epoch 0 is not stale on the fork";
  EXPECT_FALSE(bootstrap.duplicate);
  AppendResult seq = this->Append("/fork", "d", WithSeq(Bytes(), "a"));
  EXPECT_TRUE(seq.status.ok()) << "the source's Stream-Seq is not inherited";
  EXPECT_EQ(this->ReadAll("/fork"), "abcd");
  // And the source keeps its own state.
  EXPECT_EQ(this->Append("/src", "x", WithProducer(Bytes(), "p", 0, 0)).status.code(),
            StatusCode::kStaleEpoch);
}

TYPED_TEST(StreamManagerContractTest, ForkContentTypeMismatchLeaksNoReference) {
  this->MustCreate("/src", TypeOnly(kText));
  this->MustAppend("/src", "abc", Text());
  CreateOptions json_fork = ForkOf("/src");
  json_fork.content_type = kJson;
  json_fork.content_type_given = true;
  EXPECT_EQ(this->Create("/fork", json_fork).code(), StatusCode::kContentTypeMismatch);
  EXPECT_EQ(this->MetadataCode("/fork"), StatusCode::kNotFound);

  CreateOptions same_type = ForkOf("/src");
  same_type.content_type = "TEXT/PLAIN; charset=utf-8";
  same_type.content_type_given = true;
  EXPECT_TRUE(this->Create("/ok", same_type).ok()) << "compared case-insensitively";
  ASSERT_TRUE(this->manager().remove("/ok").ok());

  // No reference leaked: deleting the source is a hard delete and the path is free again.
  ASSERT_TRUE(this->manager().remove("/src").ok());
  EXPECT_EQ(this->MetadataCode("/src"), StatusCode::kNotFound);
  CreateResult again;
  ASSERT_TRUE(this->Create("/src", TypeOnly(kText), &again).ok());
  EXPECT_TRUE(again.created);
}

TYPED_TEST(StreamManagerContractTest, ForkWithInitialDataAppendsAfterPrefix) {
  this->MustCreate("/src");
  this->MustAppend("/src", "abcdef");
  CreateOptions options = ForkOf("/src", 0, 2);
  options.initial_data = "XY";
  StreamInfo fork = this->MustCreate("/fork", options);
  EXPECT_EQ(fork.tail, 4u);
  EXPECT_EQ(this->ReadAll("/fork"), "abXY");
}

TYPED_TEST(StreamManagerContractTest, SourceAppendsDoNotWakeForkWaiters) {
  this->MustCreate("/src");
  this->MustAppend("/src", "abc");
  this->MustCreate("/fork", ForkOf("/src"));
  std::atomic<int> woken{0};
  uint64_t handle = this->manager().wait_async("/fork", 3, [&woken] { ++woken; });
  ASSERT_NE(handle, 0u);
  this->MustAppend("/src", "def");
  EXPECT_EQ(woken.load(), 0);
  EXPECT_TRUE(this->manager().cancel_wait("/fork", handle)) << "still parked";
  EXPECT_EQ(woken.load(), 0);
}

}  // namespace
}  // namespace streamkeeper::manager_test
