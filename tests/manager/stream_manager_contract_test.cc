// StreamManager contract: create, offsets and reads, JSON mode, Stream-Seq.
// (Producers, close and delete: stream_manager_append_test.cc; forks, TTL, live reads, restart
// and concurrency have files of their own.)

#include <string>
#include <vector>

#include "manager_test_fixture.h"
#include "streamkeeper/offset.h"

namespace streamkeeper::manager_test {
namespace {

// ---------------------------------------------------------------------------------------------
// Create

TYPED_TEST(StreamManagerContractTest, CreateThenIdenticalCreateIsIdempotent) {
  CreateResult first;
  ASSERT_TRUE(this->Create("/s", TypeOnly(kText), &first).ok());
  EXPECT_TRUE(first.created);
  EXPECT_EQ(first.info.tail, 0u);
  EXPECT_FALSE(first.info.closed);
  EXPECT_EQ(first.info.content_type, kText);

  this->MustAppend("/s", "abc", Text());
  CreateResult again;
  ASSERT_TRUE(this->Create("/s", TypeOnly(kText), &again).ok());
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.info.tail, 3u) << "an idempotent create reports the current tail";
  EXPECT_EQ(again.info.generation, first.info.generation);
  EXPECT_EQ(this->ReadAll("/s"), "abc") << "an idempotent create must not touch the data";
}

TYPED_TEST(StreamManagerContractTest, CreateDefaultsToOctetStream) {
  StreamInfo info = this->MustCreate("/s");
  EXPECT_EQ(info.content_type, kBytes);
  EXPECT_FALSE(info.is_json);
  CreateResult again;
  ASSERT_TRUE(this->Create("/s", TypeOnly(kBytes), &again).ok());
  EXPECT_FALSE(again.created);
}

TYPED_TEST(StreamManagerContractTest, CreateComparesContentTypeCaseInsensitivelyWithoutParams) {
  this->MustCreate("/s", TypeOnly("text/plain"));
  CreateResult again;
  ASSERT_TRUE(this->Create("/s", TypeOnly("TEXT/Plain; charset=utf-8"), &again).ok());
  EXPECT_FALSE(again.created);
  EXPECT_EQ(this->Create("/s", TypeOnly("text/html")).code(), StatusCode::kConfigMismatch);
  EXPECT_EQ(this->Create("/s", TypeOnly(kBytes)).code(), StatusCode::kConfigMismatch);
}

TYPED_TEST(StreamManagerContractTest, JsonWithParametersIsJsonMode) {
  StreamInfo info = this->MustCreate("/j", TypeOnly("Application/JSON; charset=utf-8"));
  EXPECT_TRUE(info.is_json);
  EXPECT_EQ(this->MustAppend("/j", "[1,2]", Json()), 2u);
}

TYPED_TEST(StreamManagerContractTest, CreateTtlMismatchIsConfigMismatch) {
  CreateOptions ttl = TypeOnly(kBytes);
  ttl.ttl_seconds = 60;
  this->MustCreate("/s", ttl);
  CreateResult again;
  ASSERT_TRUE(this->Create("/s", ttl, &again).ok());
  EXPECT_FALSE(again.created);
  ASSERT_TRUE(again.info.ttl_seconds.has_value());
  EXPECT_EQ(*again.info.ttl_seconds, 60u);

  CreateOptions other = ttl;
  other.ttl_seconds = 61;
  EXPECT_EQ(this->Create("/s", other).code(), StatusCode::kConfigMismatch);
  EXPECT_EQ(this->Create("/s", TypeOnly(kBytes)).code(), StatusCode::kConfigMismatch)
      << "no TTL against a stream with a TTL";

  this->MustCreate("/plain");
  EXPECT_EQ(this->Create("/plain", ttl).code(), StatusCode::kConfigMismatch)
      << "a TTL against a stream without one";
}

TYPED_TEST(StreamManagerContractTest, CreateExpiresAtMismatchIsConfigMismatch) {
  CreateOptions at = TypeOnly(kBytes);
  at.expires_at_ms = this->Now() + 3'600'000;
  this->MustCreate("/s", at);
  CreateResult again;
  ASSERT_TRUE(this->Create("/s", at, &again).ok());
  EXPECT_FALSE(again.created);

  CreateOptions later = at;
  *later.expires_at_ms += 1;
  EXPECT_EQ(this->Create("/s", later).code(), StatusCode::kConfigMismatch);
  EXPECT_EQ(this->Create("/s", TypeOnly(kBytes)).code(), StatusCode::kConfigMismatch);
  CreateOptions ttl = TypeOnly(kBytes);
  ttl.ttl_seconds = 3600;
  EXPECT_EQ(this->Create("/s", ttl).code(), StatusCode::kConfigMismatch);
}

TYPED_TEST(StreamManagerContractTest, CreateClosedMismatchIsConfigMismatch) {
  this->MustCreate("/open");
  CreateOptions closed = TypeOnly(kBytes);
  closed.closed = true;
  EXPECT_EQ(this->Create("/open", closed).code(), StatusCode::kConfigMismatch);

  this->MustCreate("/closed", closed);
  EXPECT_EQ(this->Create("/closed", TypeOnly(kBytes)).code(), StatusCode::kConfigMismatch);
  CreateResult again;
  ASSERT_TRUE(this->Create("/closed", closed, &again).ok());
  EXPECT_FALSE(again.created);
  EXPECT_TRUE(again.info.closed);

  // A stream closed after its creation no longer matches an open create either.
  ASSERT_TRUE(this->manager().close("/open").status.ok());
  EXPECT_EQ(this->Create("/open", TypeOnly(kBytes)).code(), StatusCode::kConfigMismatch);
  ASSERT_TRUE(this->Create("/open", closed).ok());
}

TYPED_TEST(StreamManagerContractTest, CreateWithTtlAndExpiresAtIsBadRequest) {
  CreateOptions both = TypeOnly(kBytes);
  both.ttl_seconds = 10;
  both.expires_at_ms = this->Now() + 10'000;
  EXPECT_EQ(this->Create("/s", both).code(), StatusCode::kBadRequest);
  EXPECT_EQ(this->MetadataCode("/s"), StatusCode::kNotFound) << "nothing may be created";
}

TYPED_TEST(StreamManagerContractTest, CreateWithInitialBytes) {
  CreateOptions options = TypeOnly(kBytes);
  options.initial_data = "hello";
  StreamInfo info = this->MustCreate("/s", options);
  EXPECT_EQ(info.tail, 5u);
  EXPECT_EQ(this->ReadAll("/s"), "hello");
  EXPECT_EQ(this->MustAppend("/s", " world"), 11u);
  EXPECT_EQ(this->ReadAll("/s"), "hello world");
}

TYPED_TEST(StreamManagerContractTest, CreateWithInitialJsonFlattensOneLevel) {
  CreateOptions options = TypeOnly(kJson);
  options.initial_data = R"([{"a":1},[2,3],"x"])";
  StreamInfo info = this->MustCreate("/j", options);
  EXPECT_EQ(info.tail, 3u);
  EXPECT_EQ(this->ReadMessages("/j"), (std::vector<std::string>{R"({"a":1})", "[2,3]", R"("x")"}));

  CreateOptions single = TypeOnly(kJson);
  single.initial_data = R"({"only":true})";
  EXPECT_EQ(this->MustCreate("/one", single).tail, 1u);
  EXPECT_EQ(this->manager().read("/one", 0).data, R"([{"only":true}])");
}

TYPED_TEST(StreamManagerContractTest, CreateWithEmptyJsonArrayIsAnEmptyStream) {
  CreateOptions options = TypeOnly(kJson);
  options.initial_data = "[]";
  StreamInfo info = this->MustCreate("/j", options);
  EXPECT_EQ(info.tail, 0u);
  ReadResult read = this->manager().read("/j", 0);
  ASSERT_TRUE(read.status.ok());
  EXPECT_EQ(read.data, "[]");
  EXPECT_TRUE(read.up_to_date);
}

TYPED_TEST(StreamManagerContractTest, CreateWithInvalidInitialJsonIsBadRequest) {
  CreateOptions options = TypeOnly(kJson);
  options.initial_data = "{nope";
  EXPECT_EQ(this->Create("/j", options).code(), StatusCode::kBadRequest);
  EXPECT_EQ(this->MetadataCode("/j"), StatusCode::kNotFound);
}

TYPED_TEST(StreamManagerContractTest, CreateClosedWithInitialData) {
  CreateOptions options = TypeOnly(kBytes);
  options.closed = true;
  options.initial_data = "final";
  StreamInfo info = this->MustCreate("/s", options);
  EXPECT_TRUE(info.closed);
  EXPECT_EQ(info.tail, 5u);
  ReadResult read = this->manager().read("/s", 0);
  ASSERT_TRUE(read.status.ok());
  EXPECT_EQ(read.data, "final");
  EXPECT_TRUE(read.closed);
  EXPECT_TRUE(read.up_to_date);
  AppendResult append = this->Append("/s", "more");
  EXPECT_EQ(append.status.code(), StatusCode::kClosed);
  EXPECT_EQ(append.tail, 5u);
}

TYPED_TEST(StreamManagerContractTest, CreateClosedEmpty) {
  CreateOptions options = TypeOnly(kBytes);
  options.closed = true;
  StreamInfo info = this->MustCreate("/s", options);
  EXPECT_TRUE(info.closed);
  EXPECT_EQ(info.tail, 0u);
  ReadResult read = this->manager().read("/s", 0);
  ASSERT_TRUE(read.status.ok());
  EXPECT_TRUE(read.data.empty());
  EXPECT_TRUE(read.closed);
}

TYPED_TEST(StreamManagerContractTest, OperationsOnMissingStreamAreNotFound) {
  EXPECT_EQ(this->Append("/missing", "x").status.code(), StatusCode::kNotFound);
  EXPECT_EQ(this->manager().read("/missing", 0).status.code(), StatusCode::kNotFound);
  EXPECT_EQ(this->manager().read_messages("/missing", 0).status.code(), StatusCode::kNotFound);
  EXPECT_EQ(this->MetadataCode("/missing"), StatusCode::kNotFound);
  EXPECT_EQ(this->manager().remove("/missing").code(), StatusCode::kNotFound);
  EXPECT_EQ(this->manager().close("/missing").status.code(), StatusCode::kNotFound);
  EXPECT_EQ(this->manager().wait_async("/missing", 0, [] { ADD_FAILURE() << "woken"; }), 0u);
}

TYPED_TEST(StreamManagerContractTest, ListStreamsIsSortedAndSkipsRemoved) {
  this->MustCreate("/b");
  this->MustCreate("/a");
  this->MustCreate("/c");
  ASSERT_TRUE(this->manager().remove("/c").ok());
  EXPECT_EQ(this->manager().list_streams(), (std::vector<std::string>{"/a", "/b"}));
}

// ---------------------------------------------------------------------------------------------
// Offsets and reads

TYPED_TEST(StreamManagerContractTest, BytePositionsAdvanceByByteCount) {
  this->MustCreate("/s");
  uint64_t previous = 0;
  uint64_t expected = 0;
  for (int i = 1; i <= 20; ++i) {
    std::string data(static_cast<size_t>(i * 7 % 13 + 1), static_cast<char>('a' + i));
    expected += data.size();
    uint64_t tail = this->MustAppend("/s", data);
    EXPECT_EQ(tail, expected);
    EXPECT_GT(tail, previous);
    EXPECT_LT(FormatOffset(previous), FormatOffset(tail)) << "offsets sort bytewise in order";
    previous = tail;
  }
  EXPECT_EQ(this->Metadata("/s").tail, expected);
}

TYPED_TEST(StreamManagerContractTest, JsonPositionsAdvanceByMessageCount) {
  this->MustCreate("/j", TypeOnly(kJson));
  EXPECT_EQ(this->MustAppend("/j", R"({"a":1})", Json()), 1u);
  EXPECT_EQ(this->MustAppend("/j", "[1,2,3]", Json()), 4u);
  EXPECT_EQ(this->MustAppend("/j", R"(["long string, with comma", {"k":[1,2]}])", Json()), 6u);
  EXPECT_EQ(this->MustAppend("/j", "42", Json()), 7u);
}

TYPED_TEST(StreamManagerContractTest, PagedByteReadEqualsFullRead) {
  this->MustCreate("/s");
  std::string all;
  for (int i = 0; i < 40; ++i) {
    std::string data = "record-" + std::to_string(i) + std::string(static_cast<size_t>(i % 9), '.');
    all += data;
    this->MustAppend("/s", data);
  }
  EXPECT_EQ(this->ReadAll("/s"), all);
  for (size_t max_bytes : {1u, 2u, 7u, 10u, 64u, 1000u}) {
    // Also pages from every starting position, including ones inside a record.
    EXPECT_EQ(this->ReadAll("/s", 0, max_bytes), all) << "max_bytes " << max_bytes;
    for (uint64_t from : {1u, 5u, 13u, 100u}) {
      EXPECT_EQ(this->ReadAll("/s", from, max_bytes), all.substr(from))
          << "max_bytes " << max_bytes << " from " << from;
    }
  }
  ReadOptions small;
  small.max_bytes = 1;
  ReadResult page = this->manager().read("/s", 0, small);
  ASSERT_TRUE(page.status.ok());
  EXPECT_FALSE(page.up_to_date);
  EXPECT_EQ(page.data, "record-0") << "a page holds at least one whole record";
}

TYPED_TEST(StreamManagerContractTest, ReadFromInsideARecord) {
  this->MustCreate("/s");
  this->MustAppend("/s", "hello world");
  this->MustAppend("/s", "!");
  ReadResult read = this->manager().read("/s", 3);
  ASSERT_TRUE(read.status.ok());
  EXPECT_EQ(read.data, "lo world!");
  EXPECT_EQ(read.next, 12u);
  EXPECT_TRUE(read.up_to_date);
  read = this->manager().read("/s", 11);
  EXPECT_EQ(read.data, "!");
}

TYPED_TEST(StreamManagerContractTest, ReadPastTailIsBadRequest) {
  this->MustCreate("/s");
  this->MustAppend("/s", "abc");
  EXPECT_EQ(this->manager().read("/s", 4).status.code(), StatusCode::kBadRequest);
  EXPECT_EQ(this->manager().read_messages("/s", 1000).status.code(), StatusCode::kBadRequest);
  ReadResult at_tail = this->manager().read("/s", 3);
  ASSERT_TRUE(at_tail.status.ok());
  EXPECT_TRUE(at_tail.data.empty());
  EXPECT_TRUE(at_tail.up_to_date);
  EXPECT_EQ(at_tail.next, 3u);
}

TYPED_TEST(StreamManagerContractTest, ReadNowIsEmptyAtTail) {
  this->MustCreate("/s");
  this->MustAppend("/s", "abc");
  ReadResult now = this->manager().read("/s", std::nullopt);
  ASSERT_TRUE(now.status.ok());
  EXPECT_TRUE(now.data.empty());
  EXPECT_EQ(now.next, 3u);
  EXPECT_TRUE(now.up_to_date);
  EXPECT_FALSE(now.closed);

  this->MustCreate("/j", TypeOnly(kJson));
  this->MustAppend("/j", "[1,2]", Json());
  ReadResult json_now = this->manager().read("/j", std::nullopt);
  ASSERT_TRUE(json_now.status.ok());
  EXPECT_EQ(json_now.data, "[]");
  EXPECT_EQ(json_now.next, 2u);
  EXPECT_TRUE(json_now.up_to_date);
}

TYPED_TEST(StreamManagerContractTest, ReadReportsStreamFacts) {
  StreamInfo info = this->MustCreate("/s", TypeOnly(kText));
  AppendOptions text = Text();
  this->MustAppend("/s", "abc", text);
  ReadResult read = this->manager().read("/s", 0);
  ASSERT_TRUE(read.status.ok());
  EXPECT_EQ(read.content_type, kText);
  EXPECT_FALSE(read.is_json);
  EXPECT_EQ(read.generation, info.generation);
  EXPECT_FALSE(read.closed);
  ASSERT_TRUE(this->manager().close("/s").status.ok());
  read = this->manager().read("/s", 0);
  EXPECT_TRUE(read.closed);
  EXPECT_EQ(this->Append("/s", "def", text).status.code(), StatusCode::kClosed);
}

TYPED_TEST(StreamManagerContractTest, ClosedIsReportedOnlyWithTheLastPage) {
  this->MustCreate("/s");
  this->MustAppend("/s", "aaa");
  this->MustAppend("/s", "bbb");
  ASSERT_TRUE(this->manager().close("/s").status.ok());
  ReadOptions small;
  small.max_bytes = 1;
  ReadResult first = this->manager().read("/s", 0, small);
  ASSERT_TRUE(first.status.ok());
  EXPECT_EQ(first.data, "aaa");
  EXPECT_FALSE(first.closed) << "a page before the end must not claim closure";
  ReadResult last = this->manager().read("/s", first.next, small);
  EXPECT_EQ(last.data, "bbb");
  EXPECT_TRUE(last.closed);
}

TYPED_TEST(StreamManagerContractTest, AppendEmptyBodyIsBadRequest) {
  this->MustCreate("/s");
  AppendResult result = this->Append("/s", "");
  EXPECT_EQ(result.status.code(), StatusCode::kBadRequest);
  EXPECT_EQ(this->Metadata("/s").tail, 0u);
}

TYPED_TEST(StreamManagerContractTest, AppendContentTypeMustMatch) {
  this->MustCreate("/s", TypeOnly(kText));
  AppendOptions upper;
  upper.content_type = "TEXT/PLAIN; charset=utf-8";
  EXPECT_TRUE(this->Append("/s", "ok", upper).status.ok()) << "compared case-insensitively";
  AppendOptions wrong;
  wrong.content_type = kJson;
  EXPECT_EQ(this->Append("/s", "\"x\"", wrong).status.code(), StatusCode::kContentTypeMismatch);
  EXPECT_EQ(this->Append("/s", "x", Bytes()).status.code(), StatusCode::kContentTypeMismatch);
  EXPECT_EQ(this->ReadAll("/s"), "ok");
}

// ---------------------------------------------------------------------------------------------
// JSON mode

TYPED_TEST(StreamManagerContractTest, JsonArraysFlattenExactlyOneLevel) {
  this->MustCreate("/j", TypeOnly(kJson));
  EXPECT_EQ(this->MustAppend("/j", "[[1,2],[3,4]]", Json()), 2u);
  EXPECT_EQ(this->MustAppend("/j", "[[[1]]]", Json()), 3u);
  EXPECT_EQ(this->MustAppend("/j", R"([{"event":"a"},{"event":"b"}])", Json()), 5u);
  EXPECT_EQ(this->MustAppend("/j", R"({"event":"created"})", Json()), 6u);
  EXPECT_EQ(this->ReadMessages("/j"),
            (std::vector<std::string>{"[1,2]", "[3,4]", "[[1]]", R"({"event":"a"})",
                                      R"({"event":"b"})", R"({"event":"created"})"}));
}

TYPED_TEST(StreamManagerContractTest, JsonSplitsOnlyAtTopLevelCommas) {
  this->MustCreate("/j", TypeOnly(kJson));
  const std::string body = R"( [ "a,b" , "c]\"," , {"k":[1,{"x":"]}"}]} , "\\" , null ] )";
  EXPECT_EQ(this->MustAppend("/j", body, Json()), 5u);
  EXPECT_EQ(this->ReadMessages("/j"),
            (std::vector<std::string>{R"("a,b")", R"("c]\",")", R"({"k":[1,{"x":"]}"}]})",
                                      R"("\\")", "null"}));
}

TYPED_TEST(StreamManagerContractTest, InvalidJsonIsBadRequest) {
  this->MustCreate("/j", TypeOnly(kJson));
  this->MustAppend("/j", "1", Json());
  for (const char* bad : {"{", "[1,2", "{'a':1}", "nope", "[1,]", "1 2"}) {
    AppendResult result = this->Append("/j", bad, Json());
    EXPECT_EQ(result.status.code(), StatusCode::kBadRequest) << bad;
  }
  EXPECT_EQ(this->Metadata("/j").tail, 1u) << "rejected appends store nothing";
}

TYPED_TEST(StreamManagerContractTest, EmptyJsonArrayAppendIsBadRequest) {
  this->MustCreate("/j", TypeOnly(kJson));
  EXPECT_EQ(this->Append("/j", "[]", Json()).status.code(), StatusCode::kBadRequest);
  EXPECT_EQ(this->Append("/j", " [ ] ", Json()).status.code(), StatusCode::kBadRequest);
  EXPECT_EQ(this->Append("/j", "[]", WithProducer(Json(), "p", 0, 0)).status.code(),
            StatusCode::kBadRequest);
  EXPECT_EQ(this->Metadata("/j").tail, 0u);
  // The rejected producer append did not consume seq 0.
  AppendResult first = this->Append("/j", "1", WithProducer(Json(), "p", 0, 0));
  EXPECT_TRUE(first.status.ok());
  EXPECT_FALSE(first.duplicate);
}

TYPED_TEST(StreamManagerContractTest, JsonReadReturnsOneArray) {
  this->MustCreate("/j", TypeOnly(kJson));
  this->MustAppend("/j", R"({"a":1})", Json());
  this->MustAppend("/j", R"([2,[3]])", Json());
  ReadResult read = this->manager().read("/j", 0);
  ASSERT_TRUE(read.status.ok());
  EXPECT_TRUE(read.is_json);
  EXPECT_EQ(read.data, R"([{"a":1},2,[3]])");
  EXPECT_TRUE(read.messages.empty());
  EXPECT_EQ(read.next, 3u);
  ReadResult tail_part = this->manager().read("/j", 1);
  EXPECT_EQ(tail_part.data, "[2,[3]]");
}

TYPED_TEST(StreamManagerContractTest, JsonReadMessagesReturnsOneEntryPerMessage) {
  this->MustCreate("/j", TypeOnly(kJson));
  this->MustAppend("/j", R"([{"a":1},"two"])", Json());
  this->MustAppend("/j", "3", Json());
  ReadResult read = this->manager().read_messages("/j", 0);
  ASSERT_TRUE(read.status.ok());
  EXPECT_EQ(read.messages, (std::vector<std::string>{R"({"a":1})", R"("two")", "3"}));
  EXPECT_TRUE(read.data.empty());
  EXPECT_EQ(read.next, 3u);
  EXPECT_TRUE(read.up_to_date);
}

TYPED_TEST(StreamManagerContractTest, JsonPagedReadsCutBetweenMessages) {
  this->MustCreate("/j", TypeOnly(kJson));
  std::vector<std::string> all;
  for (int i = 0; i < 10; ++i) {
    std::string batch = "[";
    for (int k = 0; k <= i % 3; ++k) {
      std::string message = R"({"n":)" + std::to_string(i * 10 + k) + "}";
      all.push_back(message);
      batch += (k ? "," : "") + message;
    }
    this->MustAppend("/j", batch + "]", Json());
  }
  for (size_t max_bytes : {1u, 5u, 9u, 20u, 1000u}) {
    EXPECT_EQ(this->ReadMessages("/j", 0, max_bytes), all) << "max_bytes " << max_bytes;
    // Every page of read() is one well-formed array.
    ReadOptions options;
    options.max_bytes = max_bytes;
    ReadResult page = this->manager().read("/j", 1, options);
    ASSERT_TRUE(page.status.ok());
    ASSERT_GE(page.data.size(), 2u);
    EXPECT_EQ(page.data.front(), '[');
    EXPECT_EQ(page.data.back(), ']');
  }
}

// ---------------------------------------------------------------------------------------------
// Stream-Seq

TYPED_TEST(StreamManagerContractTest, StreamSeqComparesBytewise) {
  this->MustCreate("/a");
  EXPECT_TRUE(this->Append("/a", "x", WithSeq(Bytes(), "2")).status.ok());
  EXPECT_EQ(this->Append("/a", "x", WithSeq(Bytes(), "10")).status.code(),
            StatusCode::kSeqConflict)
      << "\"10\" sorts before \"2\"";

  this->MustCreate("/b");
  EXPECT_TRUE(this->Append("/b", "x", WithSeq(Bytes(), "09")).status.ok());
  EXPECT_TRUE(this->Append("/b", "x", WithSeq(Bytes(), "10")).status.ok());

  this->MustCreate("/c");
  EXPECT_TRUE(this->Append("/c", "x", WithSeq(Bytes(), "a")).status.ok());
  EXPECT_EQ(this->Append("/c", "x", WithSeq(Bytes(), "B")).status.code(),
            StatusCode::kSeqConflict)
      << "case-sensitive byte order";
}

TYPED_TEST(StreamManagerContractTest, StreamSeqMustStrictlyIncrease) {
  this->MustCreate("/s");
  EXPECT_TRUE(this->Append("/s", "1", WithSeq(Bytes(), "b")).status.ok());
  AppendResult same = this->Append("/s", "2", WithSeq(Bytes(), "b"));
  EXPECT_EQ(same.status.code(), StatusCode::kSeqConflict);
  EXPECT_EQ(this->Append("/s", "3", WithSeq(Bytes(), "a")).status.code(),
            StatusCode::kSeqConflict);
  EXPECT_TRUE(this->Append("/s", "4", Bytes()).status.ok()) << "an append without seq is fine";
  EXPECT_EQ(this->Append("/s", "5", WithSeq(Bytes(), "b")).status.code(),
            StatusCode::kSeqConflict)
      << "a seq-less append does not reset the last seq";
  EXPECT_TRUE(this->Append("/s", "6", WithSeq(Bytes(), "ba")).status.ok());
  EXPECT_EQ(this->ReadAll("/s"), "146");
}

TYPED_TEST(StreamManagerContractTest, RejectedAppendDoesNotConsumeStreamSeq) {
  this->MustCreate("/s", TypeOnly(kText));
  AppendOptions wrong_type = WithSeq(Bytes(), "5");
  EXPECT_EQ(this->Append("/s", "x", wrong_type).status.code(), StatusCode::kContentTypeMismatch);
  EXPECT_TRUE(this->Append("/s", "x", WithSeq(Text(), "5")).status.ok());
}

}  // namespace
}  // namespace streamkeeper::manager_test
