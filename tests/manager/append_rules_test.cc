// The append rules on their own (src/manager/append_rules.h): a pure function from the stream's
// accepted state and a request to a decision, so each rule and the order between rules is
// pinned here without a storage, a lock or a clock.
#include "manager/append_rules.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace streamkeeper {
namespace {

using Outcome = AppendDecision::Outcome;

constexpr char kBytes[] = "application/octet-stream";
constexpr char kJson[] = "application/json";

StreamMeta Stream(const char* content_type = kBytes) {
  StreamMeta meta;
  meta.path = "/s";
  meta.content_type = content_type;
  return meta;
}

// A request with its optional parts owned alongside it.
struct Request {
  std::optional<std::string> seq;
  std::optional<Producer> producer;
  AppendRequest request;

  Request(bool has_data = true, const char* content_type = kBytes) {
    request.has_data = has_data;
    request.content_type = content_type;
    request.stream_seq = &seq;
    request.producer = &producer;
  }
  Request& WithSeq(std::string value) {
    seq = std::move(value);
    return *this;
  }
  Request& WithProducer(uint64_t epoch, uint64_t seq_number, std::string id = "p") {
    producer = Producer{std::move(id), epoch, seq_number};
    return *this;
  }
  Request& Closing() {
    request.close = true;
    return *this;
  }
  Request& WithBody(Status body) {
    request.body = std::move(body);
    return *this;
  }
};

AppendDecision Decide(const StreamMeta& stream, const Request& request,
                      const ProducerMap& producers = {}) {
  return DecideAppend(stream, producers, request.request);
}

TEST(AppendRulesTest, DataOfTheStreamsTypeIsAccepted) {
  EXPECT_EQ(Decide(Stream(), Request()).outcome, Outcome::kAccept);
}

TEST(AppendRulesTest, MediaTypesCompareWithoutCaseAndParameters) {
  Request request(true, "Application/Octet-Stream; charset=x");
  EXPECT_EQ(Decide(Stream(), request).outcome, Outcome::kAccept);
}

TEST(AppendRulesTest, DataOfAnotherTypeIsAContentTypeConflict) {
  AppendDecision d = Decide(Stream(), Request(true, "text/plain"));
  EXPECT_EQ(d.outcome, Outcome::kRefuse);
  EXPECT_EQ(d.status.code(), StatusCode::kContentTypeMismatch);
}

TEST(AppendRulesTest, AClosedStreamTakesNoMoreData) {
  StreamMeta closed = Stream();
  closed.closed = true;
  EXPECT_EQ(Decide(closed, Request()).status.code(), StatusCode::kClosed);
}

TEST(AppendRulesTest, ClosingAClosedStreamAgainIsAcknowledged) {
  StreamMeta closed = Stream();
  closed.closed = true;
  EXPECT_EQ(Decide(closed, Request(false).Closing()).outcome, Outcome::kCloseAgain);
}

TEST(AppendRulesTest, ClosedComesBeforeContentTypeAndStreamSeqAndBody) {
  StreamMeta closed = Stream(kJson);
  closed.closed = true;
  closed.last_stream_seq = "b";
  Request request(true, "text/plain");
  request.WithSeq("a").WithBody(Status::BadRequest("invalid JSON"));
  EXPECT_EQ(Decide(closed, request).status.code(), StatusCode::kClosed);
}

TEST(AppendRulesTest, ContentTypeComesBeforeStreamSeqAndBody) {
  StreamMeta stream = Stream(kJson);
  stream.last_stream_seq = "b";
  Request request(true, "text/plain");
  request.WithSeq("a").WithBody(Status::BadRequest("invalid JSON"));
  EXPECT_EQ(Decide(stream, request).status.code(), StatusCode::kContentTypeMismatch);
}

TEST(AppendRulesTest, StreamSeqMustIncreaseAndComesBeforeTheBody) {
  StreamMeta stream = Stream(kJson);
  stream.last_stream_seq = "b";
  Request regression(true, kJson);
  regression.WithSeq("b").WithBody(Status::BadRequest("invalid JSON"));
  EXPECT_EQ(Decide(stream, regression).status.code(), StatusCode::kSeqConflict);
  Request next(true, kJson);
  next.WithSeq("c");
  EXPECT_EQ(Decide(stream, next).outcome, Outcome::kAccept);
}

TEST(AppendRulesTest, ABadBodyIsRefusedLastWithItsOwnStatus) {
  Request request(true, kJson);
  request.WithSeq("a").WithBody(Status::BadRequest("invalid JSON"));
  AppendDecision d = Decide(Stream(kJson), request);
  EXPECT_EQ(d.status.code(), StatusCode::kBadRequest);
  EXPECT_EQ(d.status.message(), "invalid JSON");
}

TEST(AppendRulesTest, ACloseWithoutDataIgnoresContentTypeAndStreamSeq) {
  StreamMeta stream = Stream();
  stream.last_stream_seq = "z";
  Request request(false, "text/plain");
  request.WithSeq("a").Closing();
  EXPECT_EQ(Decide(stream, request).outcome, Outcome::kAccept);
}

TEST(AppendRulesTest, ANewProducerStartsAtSeqZero) {
  AppendDecision d = Decide(Stream(), Request().WithProducer(0, 0));
  EXPECT_EQ(d.outcome, Outcome::kAccept);
  ASSERT_TRUE(d.next_producer);
  EXPECT_EQ(*d.next_producer, (ProducerState{0, 0}));
  EXPECT_EQ(d.producer_seq, 0u);
}

TEST(AppendRulesTest, ANewProducerStartingAboveZeroIsASequenceGap) {
  AppendDecision d = Decide(Stream(), Request().WithProducer(0, 3));
  EXPECT_EQ(d.status.code(), StatusCode::kProducerSeqGap);
  EXPECT_EQ(d.expected_seq, 0u);
  EXPECT_EQ(d.received_seq, 3u);
}

TEST(AppendRulesTest, AKnownProducerContinuesByOne) {
  ProducerMap producers{{"p", {2, 5}}};
  EXPECT_EQ(Decide(Stream(), Request().WithProducer(2, 6), producers).outcome, Outcome::kAccept);
  AppendDecision gap = Decide(Stream(), Request().WithProducer(2, 8), producers);
  EXPECT_EQ(gap.status.code(), StatusCode::kProducerSeqGap);
  EXPECT_EQ(gap.expected_seq, 6u);
  EXPECT_EQ(gap.received_seq, 8u);
}

TEST(AppendRulesTest, ARepeatedSeqIsADuplicateEvenOnAClosedStream) {
  ProducerMap producers{{"p", {2, 5}}};
  StreamMeta closed = Stream();
  closed.closed = true;
  AppendDecision d = Decide(closed, Request(true, "text/plain").WithProducer(2, 4), producers);
  EXPECT_EQ(d.outcome, Outcome::kDuplicate);
  EXPECT_EQ(d.producer_seq, 5u) << "the highest accepted seq is echoed";
}

TEST(AppendRulesTest, AnOlderEpochIsFencedBeforeAnythingElse) {
  ProducerMap producers{{"p", {2, 5}}};
  StreamMeta closed = Stream();
  closed.closed = true;
  AppendDecision d = Decide(closed, Request(true, "text/plain").WithProducer(1, 0), producers);
  EXPECT_EQ(d.status.code(), StatusCode::kStaleEpoch);
  EXPECT_EQ(d.producer_epoch, 2u) << "the server's epoch is echoed";
}

TEST(AppendRulesTest, ANewerEpochMustStartAtSeqZero) {
  ProducerMap producers{{"p", {2, 5}}};
  EXPECT_EQ(Decide(Stream(), Request().WithProducer(3, 0), producers).outcome, Outcome::kAccept);
  EXPECT_EQ(Decide(Stream(), Request().WithProducer(3, 1), producers).status.code(),
            StatusCode::kBadRequest);
}

TEST(AppendRulesTest, AProducerAppendToAClosedStreamIsRefusedUnlessARetry) {
  ProducerMap producers{{"p", {0, 1}}};
  StreamMeta closed = Stream();
  closed.closed = true;
  EXPECT_EQ(Decide(closed, Request().WithProducer(0, 2), producers).status.code(),
            StatusCode::kClosed);
}

TEST(AppendRulesTest, ProducersAreIndependentOfEachOther) {
  ProducerMap producers{{"a", {0, 7}}};
  EXPECT_EQ(Decide(Stream(), Request().WithProducer(0, 0, "b"), producers).outcome,
            Outcome::kAccept);
}

TEST(AppendRulesTest, ProducerRulesComeBeforeContentTypeAndStreamSeq) {
  ProducerMap producers{{"p", {0, 1}}};
  StreamMeta stream = Stream();
  stream.last_stream_seq = "z";
  Request request(true, "text/plain");
  request.WithSeq("a").WithProducer(0, 5);
  EXPECT_EQ(Decide(stream, request, producers).status.code(), StatusCode::kProducerSeqGap);
}

}  // namespace
}  // namespace streamkeeper
