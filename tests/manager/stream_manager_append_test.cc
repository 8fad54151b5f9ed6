// StreamManager contract: idempotent producers, close, delete.

#include <string>

#include "manager_test_fixture.h"

namespace streamkeeper::manager_test {
namespace {

// ---------------------------------------------------------------------------------------------
// Idempotent producers

TYPED_TEST(StreamManagerContractTest, ProducerFirstAppendIsAccepted) {
  this->MustCreate("/s");
  AppendResult result = this->Append("/s", "abc", WithProducer(Bytes(), "p", 0, 0));
  ASSERT_TRUE(result.status.ok()) << result.status.message();
  EXPECT_FALSE(result.duplicate);
  EXPECT_EQ(result.producer_epoch, 0u);
  EXPECT_EQ(result.producer_seq, 0u);
  EXPECT_EQ(result.tail, 3u);
}

TYPED_TEST(StreamManagerContractTest, ProducerDuplicateIsAcknowledgedWithoutWriting) {
  this->MustCreate("/s");
  const char* const bodies[] = {"r0", "r1", "r2"};
  for (uint64_t seq = 0; seq < 3; ++seq) {
    ASSERT_TRUE(this->Append("/s", bodies[seq], WithProducer(Bytes(), "p", 0, seq)).status.ok());
  }
  AppendResult retry = this->Append("/s", "r1", WithProducer(Bytes(), "p", 0, 1));
  ASSERT_TRUE(retry.status.ok()) << retry.status.message();
  EXPECT_TRUE(retry.duplicate);
  EXPECT_EQ(retry.producer_seq, 2u) << "the highest accepted seq, not the request's";
  EXPECT_EQ(retry.producer_epoch, 0u);
  EXPECT_EQ(retry.tail, 6u);
  AppendResult last_again = this->Append("/s", "r2", WithProducer(Bytes(), "p", 0, 2));
  EXPECT_TRUE(last_again.duplicate);
  EXPECT_EQ(this->ReadAll("/s"), "r0r1r2");
}

TYPED_TEST(StreamManagerContractTest, ProducerDuplicateJsonDoesNotDuplicateMessages) {
  this->MustCreate("/j", TypeOnly(kJson));
  ASSERT_TRUE(this->Append("/j", "[1,2]", WithProducer(Json(), "p", 0, 0)).status.ok());
  AppendResult retry = this->Append("/j", "[1,2]", WithProducer(Json(), "p", 0, 0));
  EXPECT_TRUE(retry.status.ok());
  EXPECT_TRUE(retry.duplicate);
  EXPECT_EQ(retry.tail, 2u);
  EXPECT_EQ(this->manager().read("/j", 0).data, "[1,2]");
}

TYPED_TEST(StreamManagerContractTest, ProducerSeqGapReportsExpectedAndReceived) {
  this->MustCreate("/s");
  ASSERT_TRUE(this->Append("/s", "a", WithProducer(Bytes(), "p", 0, 0)).status.ok());
  AppendResult gap = this->Append("/s", "b", WithProducer(Bytes(), "p", 0, 3));
  EXPECT_EQ(gap.status.code(), StatusCode::kProducerSeqGap);
  EXPECT_EQ(gap.expected_seq, 1u);
  EXPECT_EQ(gap.received_seq, 3u);
  EXPECT_EQ(this->Metadata("/s").tail, 1u);
  // The gap did not move the producer state: seq 1 is still the next one.
  AppendResult next = this->Append("/s", "b", WithProducer(Bytes(), "p", 0, 1));
  EXPECT_TRUE(next.status.ok());
  EXPECT_FALSE(next.duplicate);
  EXPECT_EQ(next.producer_seq, 1u);
}

TYPED_TEST(StreamManagerContractTest, UnknownProducerMustStartAtSeqZero) {
  this->MustCreate("/s");
  AppendResult gap = this->Append("/s", "a", WithProducer(Bytes(), "p", 0, 5));
  EXPECT_EQ(gap.status.code(), StatusCode::kProducerSeqGap);
  EXPECT_EQ(gap.expected_seq, 0u);
  EXPECT_EQ(gap.received_seq, 5u);
  EXPECT_EQ(this->Metadata("/s").tail, 0u);
}

TYPED_TEST(StreamManagerContractTest, ProducerStaleEpochIsFenced) {
  this->MustCreate("/s");
  ASSERT_TRUE(this->Append("/s", "a", WithProducer(Bytes(), "p", 2, 0)).status.ok());
  AppendResult stale = this->Append("/s", "b", WithProducer(Bytes(), "p", 1, 1));
  EXPECT_EQ(stale.status.code(), StatusCode::kStaleEpoch);
  EXPECT_EQ(stale.producer_epoch, 2u) << "reports the current epoch";
  AppendResult stale_zero = this->Append("/s", "b", WithProducer(Bytes(), "p", 0, 0));
  EXPECT_EQ(stale_zero.status.code(), StatusCode::kStaleEpoch);
  EXPECT_EQ(this->ReadAll("/s"), "a");
}

TYPED_TEST(StreamManagerContractTest, ProducerNewEpochStartsAtSeqZero) {
  this->MustCreate("/s");
  ASSERT_TRUE(this->Append("/s", "a", WithProducer(Bytes(), "p", 0, 0)).status.ok());
  ASSERT_TRUE(this->Append("/s", "b", WithProducer(Bytes(), "p", 0, 1)).status.ok());
  AppendResult bad = this->Append("/s", "x", WithProducer(Bytes(), "p", 1, 1));
  EXPECT_EQ(bad.status.code(), StatusCode::kBadRequest);
  AppendResult bumped = this->Append("/s", "c", WithProducer(Bytes(), "p", 1, 0));
  ASSERT_TRUE(bumped.status.ok()) << bumped.status.message();
  EXPECT_FALSE(bumped.duplicate);
  EXPECT_EQ(bumped.producer_epoch, 1u);
  EXPECT_EQ(bumped.producer_seq, 0u);
  // The old epoch is fenced now; the new one continues from 0.
  EXPECT_EQ(this->Append("/s", "x", WithProducer(Bytes(), "p", 0, 2)).status.code(),
            StatusCode::kStaleEpoch);
  EXPECT_TRUE(this->Append("/s", "d", WithProducer(Bytes(), "p", 1, 1)).status.ok());
  EXPECT_EQ(this->ReadAll("/s"), "abcd");
}

TYPED_TEST(StreamManagerContractTest, ProducerDedupRunsBeforeStreamSeq) {
  this->MustCreate("/s");
  AppendResult first = this->Append("/s", "a", WithSeq(WithProducer(Bytes(), "p", 0, 0), "5"));
  ASSERT_TRUE(first.status.ok()) << first.status.message();
  AppendResult retry = this->Append("/s", "a", WithSeq(WithProducer(Bytes(), "p", 0, 0), "5"));
  EXPECT_TRUE(retry.status.ok()) << "a retry is a duplicate, not a Stream-Seq conflict";
  EXPECT_TRUE(retry.duplicate);
  // A new producer seq with a stale Stream-Seq still conflicts.
  EXPECT_EQ(this->Append("/s", "b", WithSeq(WithProducer(Bytes(), "p", 0, 1), "5")).status.code(),
            StatusCode::kSeqConflict);
  EXPECT_EQ(this->ReadAll("/s"), "a");
}

TYPED_TEST(StreamManagerContractTest, ProducersAreIndependent) {
  this->MustCreate("/s");
  EXPECT_TRUE(this->Append("/s", "A0", WithProducer(Bytes(), "a", 0, 0)).status.ok());
  EXPECT_TRUE(this->Append("/s", "B0", WithProducer(Bytes(), "b", 0, 0)).status.ok());
  AppendResult a1 = this->Append("/s", "A1", WithProducer(Bytes(), "a", 0, 1));
  EXPECT_TRUE(a1.status.ok());
  EXPECT_FALSE(a1.duplicate);
  AppendResult b_epoch = this->Append("/s", "B5", WithProducer(Bytes(), "b", 5, 0));
  EXPECT_TRUE(b_epoch.status.ok());
  EXPECT_EQ(this->Append("/s", "A2", WithProducer(Bytes(), "a", 0, 2)).status.code(),
            StatusCode::kOk)
      << "b's epoch bump does not fence a";
  EXPECT_EQ(this->ReadAll("/s"), "A0B0A1B5A2");
}

TYPED_TEST(StreamManagerContractTest, ProducerCloseRetryIsDuplicate) {
  this->MustCreate("/s");
  ASSERT_TRUE(this->Append("/s", "a", WithProducer(Bytes(), "p", 0, 0)).status.ok());
  AppendResult close = this->Append("/s", "b", Closing(WithProducer(Bytes(), "p", 0, 1)));
  ASSERT_TRUE(close.status.ok()) << close.status.message();
  EXPECT_TRUE(close.closed);
  EXPECT_EQ(close.tail, 2u);

  // The retry of the closing tuple, even with another body, is acknowledged as a duplicate.
  AppendResult retry = this->Append("/s", "other", Closing(WithProducer(Bytes(), "p", 0, 1)));
  ASSERT_TRUE(retry.status.ok()) << retry.status.message();
  EXPECT_TRUE(retry.duplicate);
  EXPECT_TRUE(retry.closed);
  EXPECT_EQ(retry.tail, 2u);
  EXPECT_EQ(retry.producer_seq, 1u);

  // Everything else is rejected as closed, with the final tail.
  AppendResult next_seq = this->Append("/s", "c", WithProducer(Bytes(), "p", 0, 2));
  EXPECT_EQ(next_seq.status.code(), StatusCode::kClosed);
  EXPECT_TRUE(next_seq.closed);
  EXPECT_EQ(next_seq.tail, 2u);
  EXPECT_EQ(this->Append("/s", "c", WithProducer(Bytes(), "q", 0, 0)).status.code(),
            StatusCode::kClosed);
  EXPECT_EQ(this->Append("/s", "c", WithProducer(Bytes(), "p", 1, 0)).status.code(),
            StatusCode::kClosed)
      << "a new epoch cannot reopen a closed stream";
  EXPECT_EQ(this->Append("/s", "c").status.code(), StatusCode::kClosed);
  EXPECT_EQ(this->ReadAll("/s"), "ab");
}

TYPED_TEST(StreamManagerContractTest, ProducerCloseOnlyTakesPartInSequencing) {
  this->MustCreate("/s");
  ASSERT_TRUE(this->Append("/s", "a", WithProducer(Bytes(), "p", 0, 0)).status.ok());
  AppendResult close = this->Append("/s", "", Closing(WithProducer(Bytes(), "p", 0, 1)));
  ASSERT_TRUE(close.status.ok()) << close.status.message();
  EXPECT_TRUE(close.closed);
  EXPECT_EQ(close.producer_seq, 1u);
  AppendResult retry = this->Append("/s", "", Closing(WithProducer(Bytes(), "p", 0, 1)));
  EXPECT_TRUE(retry.status.ok());
  EXPECT_TRUE(retry.duplicate);
  EXPECT_EQ(this->ReadAll("/s"), "a");
}

TYPED_TEST(StreamManagerContractTest, ProducerStaleEpochOnClosedStreamIsStaleEpoch) {
  this->MustCreate("/s");
  ASSERT_TRUE(this->Append("/s", "a", Closing(WithProducer(Bytes(), "p", 3, 0))).status.ok());
  AppendResult stale = this->Append("/s", "b", WithProducer(Bytes(), "p", 2, 0));
  EXPECT_EQ(stale.status.code(), StatusCode::kStaleEpoch) << "fencing is checked before closure";
  EXPECT_EQ(stale.producer_epoch, 3u);
}

// ---------------------------------------------------------------------------------------------
// Close

TYPED_TEST(StreamManagerContractTest, CloseIsIdempotent) {
  this->MustCreate("/s");
  this->MustAppend("/s", "abc");
  AppendResult first = this->manager().close("/s");
  ASSERT_TRUE(first.status.ok());
  EXPECT_TRUE(first.closed);
  EXPECT_EQ(first.tail, 3u);
  AppendResult second = this->manager().close("/s");
  ASSERT_TRUE(second.status.ok()) << second.status.message();
  EXPECT_TRUE(second.closed);
  EXPECT_EQ(second.tail, 3u);
  EXPECT_TRUE(this->Metadata("/s").closed);
}

TYPED_TEST(StreamManagerContractTest, CloseOnlyIgnoresContentType) {
  this->MustCreate("/s", TypeOnly(kText));
  AppendOptions close_with_wrong_type = Closing(Json());
  AppendResult result = this->Append("/s", "", close_with_wrong_type);
  EXPECT_TRUE(result.status.ok()) << result.status.message();
  EXPECT_TRUE(result.closed);
}

TYPED_TEST(StreamManagerContractTest, AppendAndCloseIsAtomic) {
  this->MustCreate("/s");
  this->MustAppend("/s", "abc");
  AppendResult result = this->Append("/s", "def", Closing(Bytes()));
  ASSERT_TRUE(result.status.ok());
  EXPECT_TRUE(result.closed);
  EXPECT_EQ(result.tail, 6u);
  StreamInfo info = this->Metadata("/s");
  EXPECT_TRUE(info.closed);
  EXPECT_EQ(info.tail, 6u);
  ReadResult read = this->manager().read("/s", 3);
  ASSERT_TRUE(read.status.ok());
  EXPECT_EQ(read.data, "def");
  EXPECT_TRUE(read.closed);
  EXPECT_TRUE(read.up_to_date);
}

TYPED_TEST(StreamManagerContractTest, AppendToClosedStreamIsClosedWithTail) {
  this->MustCreate("/s");
  this->MustAppend("/s", "abcd");
  ASSERT_TRUE(this->manager().close("/s").status.ok());
  AppendResult result = this->Append("/s", "x");
  EXPECT_EQ(result.status.code(), StatusCode::kClosed);
  EXPECT_TRUE(result.closed);
  EXPECT_EQ(result.tail, 4u);
  AppendResult and_close = this->Append("/s", "x", Closing(Bytes()));
  EXPECT_EQ(and_close.status.code(), StatusCode::kClosed) << "append-and-close on a closed stream";
  EXPECT_EQ(and_close.tail, 4u);
  EXPECT_EQ(this->ReadAll("/s"), "abcd");
}

TYPED_TEST(StreamManagerContractTest, ClosedCheckPrecedesContentTypeAndSeq) {
  this->MustCreate("/s", TypeOnly(kText));
  ASSERT_TRUE(this->Append("/s", "a", WithSeq(Text(), "m")).status.ok());
  ASSERT_TRUE(this->manager().close("/s").status.ok());
  EXPECT_EQ(this->Append("/s", "x", WithSeq(Json(), "a")).status.code(), StatusCode::kClosed);
}

// The body of a JSON append is judged last: closed, then content type, then Stream-Seq.
TYPED_TEST(StreamManagerContractTest, AJsonStreamGivenAnotherContentTypeIsAConflictNotBadJson) {
  this->MustCreate("/j", TypeOnly(kJson));
  AppendResult result = this->Append("/j", "not json at all", Text());
  EXPECT_EQ(result.status.code(), StatusCode::kContentTypeMismatch) << result.status.message();
}

TYPED_TEST(StreamManagerContractTest, AClosedJsonStreamGivenInvalidJsonIsClosed) {
  this->MustCreate("/j", TypeOnly(kJson));
  ASSERT_TRUE(this->manager().close("/j").status.ok());
  AppendResult bad_json = this->Append("/j", "{oops", Json());
  EXPECT_EQ(bad_json.status.code(), StatusCode::kClosed);
  EXPECT_TRUE(bad_json.closed);
  AppendResult text = this->Append("/j", "plain", Text());
  EXPECT_EQ(text.status.code(), StatusCode::kClosed);
}

TYPED_TEST(StreamManagerContractTest, InvalidJsonWithAStreamSeqRegressionIsASeqConflict) {
  this->MustCreate("/j", TypeOnly(kJson));
  ASSERT_TRUE(this->Append("/j", "1", WithSeq(Json(), "5")).status.ok());
  EXPECT_EQ(this->Append("/j", "{oops", WithSeq(Json(), "4")).status.code(),
            StatusCode::kSeqConflict);
  AppendResult good_seq = this->Append("/j", "{oops", WithSeq(Json(), "6"));
  EXPECT_EQ(good_seq.status.code(), StatusCode::kBadRequest) << "an open stream, a good seq";
  EXPECT_TRUE(this->Append("/j", "2", WithSeq(Json(), "6")).status.ok())
      << "the refused body must not have taken the seq";
}

TYPED_TEST(StreamManagerContractTest, CloseOfMissingStreamIsNotFound) {
  EXPECT_EQ(this->manager().close("/missing").status.code(), StatusCode::kNotFound);
}

// ---------------------------------------------------------------------------------------------
// Delete

TYPED_TEST(StreamManagerContractTest, RemoveOfMissingStreamIsNotFound) {
  EXPECT_EQ(this->manager().remove("/missing").code(), StatusCode::kNotFound);
  this->MustCreate("/s");
  ASSERT_TRUE(this->manager().remove("/s").ok());
  EXPECT_EQ(this->manager().remove("/s").code(), StatusCode::kNotFound);
  EXPECT_EQ(this->manager().read("/s", 0).status.code(), StatusCode::kNotFound);
  EXPECT_EQ(this->Append("/s", "x").status.code(), StatusCode::kNotFound);
  EXPECT_EQ(this->MetadataCode("/s"), StatusCode::kNotFound);
}

TYPED_TEST(StreamManagerContractTest, RemoveClosedStream) {
  CreateOptions closed = TypeOnly(kBytes);
  closed.closed = true;
  this->MustCreate("/s", closed);
  EXPECT_TRUE(this->manager().remove("/s").ok());
  EXPECT_EQ(this->manager().read("/s", 0).status.code(), StatusCode::kNotFound);
}

TYPED_TEST(StreamManagerContractTest, RecreateAfterRemoveSeesNoOldData) {
  CreateOptions text = TypeOnly(kText);
  StreamInfo old_info = this->MustCreate("/s", text);
  this->MustAppend("/s", "old data", Text());
  ASSERT_TRUE(this->Append("/s", "z", WithSeq(WithProducer(Text(), "p", 0, 0), "9")).status.ok());
  ASSERT_TRUE(this->manager().remove("/s").ok());

  StreamInfo new_info = this->MustCreate("/s", TypeOnly(kBytes));
  EXPECT_NE(new_info.generation, old_info.generation);
  EXPECT_GT(new_info.generation, old_info.generation);
  EXPECT_EQ(new_info.tail, 0u);
  EXPECT_EQ(new_info.content_type, kBytes);
  ReadResult read = this->manager().read("/s", 0);
  ASSERT_TRUE(read.status.ok());
  EXPECT_TRUE(read.data.empty());
  EXPECT_TRUE(read.up_to_date);

  // Fresh writer state too: producer seq 0 and a small Stream-Seq are accepted.
  AppendResult fresh = this->Append("/s", "new", WithSeq(WithProducer(Bytes(), "p", 0, 0), "1"));
  ASSERT_TRUE(fresh.status.ok()) << fresh.status.message();
  EXPECT_FALSE(fresh.duplicate);
  EXPECT_EQ(fresh.tail, 3u);
  EXPECT_EQ(this->ReadAll("/s"), "new");
}

TYPED_TEST(StreamManagerContractTest, RemovedStreamLeavesTheListing) {
  this->MustCreate("/s");
  this->MustCreate("/t");
  ASSERT_TRUE(this->manager().remove("/s").ok());
  EXPECT_EQ(this->manager().list_streams(), (std::vector<std::string>{"/t"}));
}

}  // namespace
}  // namespace streamkeeper::manager_test
