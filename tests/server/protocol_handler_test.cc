// ProtocolHandler as a function from request to response, over a StreamManager on MemoryStorage.
// No sockets: live reads are checked through the directives the handler returns and the
// finish_long_poll() / sse_step() calls the transport would make.
//
// Covers what the conformance suite does not: cache headers, validators, error bodies, path
// edge cases, directive mechanics and read paging.
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "protocol/protocol_handler.h"
#include "protocol/request_target.h"
#include "protocol/sse_encoder.h"
#include "streamkeeper/memory_storage.h"
#include "streamkeeper/offset.h"
#include "streamkeeper/stream_manager.h"
#include "protocol_handler_fixture.h"
#include "sse_test_parser.h"

namespace streamkeeper {
namespace {

constexpr std::string_view kCatchUpCacheControl = "public, max-age=60, stale-while-revalidate=300";

class ProtocolHandlerTest : public testing::ProtocolHandlerFixture {
 protected:
  HttpResponse Create(const std::string& name, const std::string& content_type = "text/plain",
                      std::string body = {}) {
    HttpResponse response = Call("PUT", "/v1/stream/" + name,
                                 {{"Content-Type", content_type}}, std::move(body));
    EXPECT_EQ(response.status, 201) << response.body;
    return response;
  }

  HttpResponse Append(const std::string& name, std::string body,
                      const std::string& content_type = "text/plain") {
    HttpResponse response =
        Call("POST", "/v1/stream/" + name, {{"Content-Type", content_type}}, std::move(body));
    EXPECT_EQ(response.status, 204) << response.body;
    return response;
  }

  HttpResponse CloseStream(const std::string& name) {
    HttpResponse response = Call("POST", "/v1/stream/" + name, {{"Stream-Closed", "true"}});
    EXPECT_EQ(response.status, 204) << response.body;
    return response;
  }

  static std::string Header(const HttpResponse& response, std::string_view name) {
    auto value = response.header(name);
    return value ? std::string(*value) : std::string("<absent>");
  }

};

using streamkeeper::testing::ParseSse;
using streamkeeper::testing::SseEvent;

// ---------------------------------------------------------------------------------------------
// Cache headers

TEST_F(ProtocolHandlerTest, CatchUpReadIsPubliclyCacheableWithEtag) {
  Create("cache", "text/plain", "hello");
  HttpResponse response = Call("GET", "/v1/stream/cache?offset=-1");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "hello");
  EXPECT_EQ(Header(response, "Cache-Control"), kCatchUpCacheControl);
  EXPECT_NE(Header(response, "ETag"), "<absent>");
  EXPECT_EQ(Header(response, "Stream-Up-To-Date"), "true");
  EXPECT_EQ(Header(response, "Content-Type"), "text/plain");
}

TEST_F(ProtocolHandlerTest, HeadIsNoStoreWithoutBody) {
  Create("head", "text/plain", "abc");
  HttpResponse response = Call("HEAD", "/v1/stream/head");
  EXPECT_EQ(response.status, 200);
  EXPECT_TRUE(response.body.empty());
  EXPECT_EQ(Header(response, "Cache-Control"), "no-store");
  EXPECT_EQ(Header(response, "Stream-Next-Offset"), FormatOffset(3));
  EXPECT_EQ(Header(response, "Stream-Closed"), "<absent>");
}

TEST_F(ProtocolHandlerTest, HeadOfMissingStreamIs404WithoutBody) {
  HttpResponse response = Call("HEAD", "/v1/stream/missing");
  EXPECT_EQ(response.status, 404);
  EXPECT_TRUE(response.body.empty());
}

TEST_F(ProtocolHandlerTest, SseHeadIsNoCacheEventStream) {
  Create("sse-head");
  HttpResponse response = Call("GET", "/v1/stream/sse-head?offset=-1&live=sse");
  EXPECT_EQ(response.status, 200);
  ASSERT_TRUE(response.sse.has_value());
  EXPECT_EQ(Header(response, "Content-Type"), "text/event-stream");
  EXPECT_EQ(Header(response, "Cache-Control"), "no-cache");
  EXPECT_EQ(Header(response, "stream-sse-data-encoding"), "<absent>");
  EXPECT_EQ(Header(response, "ETag"), "<absent>");
}

TEST_F(ProtocolHandlerTest, OffsetNowIsNoStoreWithoutEtag) {
  Create("now", "text/plain", "history");
  HttpResponse response = Call("GET", "/v1/stream/now?offset=now");
  EXPECT_EQ(response.status, 200);
  EXPECT_TRUE(response.body.empty());
  EXPECT_EQ(Header(response, "Cache-Control"), "no-store");
  EXPECT_EQ(Header(response, "ETag"), "<absent>");
  EXPECT_EQ(Header(response, "Stream-Next-Offset"), FormatOffset(7));
  EXPECT_EQ(Header(response, "Stream-Up-To-Date"), "true");
}

TEST_F(ProtocolHandlerTest, OffsetNowOnJsonStreamIsEmptyArray) {
  Create("now-json", "application/json", R"([{"a":1}])");
  HttpResponse response = Call("GET", "/v1/stream/now-json?offset=now");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "[]");
  EXPECT_EQ(Header(response, "ETag"), "<absent>");
}

// The empty answer at the tail of an open stream says "nothing more yet": a shared cache that kept
// it for max-age would hide new data and the close from readers at the tail. It keeps its ETag
// (so a revalidation is a cheap 304) but must be revalidated every time.
TEST_F(ProtocolHandlerTest, EmptyReadAtOpenTailMustBeRevalidated) {
  HttpResponse created = Create("tail", "text/plain", "abc");
  std::string tail = Header(created, "Stream-Next-Offset");
  HttpResponse at_tail = Call("GET", "/v1/stream/tail?offset=" + tail);
  EXPECT_EQ(at_tail.status, 200);
  EXPECT_TRUE(at_tail.body.empty());
  EXPECT_EQ(Header(at_tail, "Cache-Control"), "no-cache");
  ASSERT_NE(Header(at_tail, "ETag"), "<absent>");
  HttpResponse revalidated =
      Call("GET", "/v1/stream/tail?offset=" + tail, {{"If-None-Match", Header(at_tail, "ETag")}});
  EXPECT_EQ(revalidated.status, 304);
  EXPECT_EQ(Header(revalidated, "Cache-Control"), "no-cache");
  // An empty stream read from the start is the same answer.
  Create("tail-empty");
  EXPECT_EQ(Header(Call("GET", "/v1/stream/tail-empty?offset=-1"), "Cache-Control"), "no-cache");
  // The data before the tail stays cacheable.
  EXPECT_EQ(Header(Call("GET", "/v1/stream/tail?offset=-1"), "Cache-Control"),
            kCatchUpCacheControl);
}

// At the tail of a closed stream the empty answer is the EOF, which never changes.
TEST_F(ProtocolHandlerTest, EmptyReadAtClosedTailIsCacheable) {
  HttpResponse created = Create("eof", "text/plain", "abc");
  CloseStream("eof");
  HttpResponse eof = Call("GET", "/v1/stream/eof?offset=" + Header(created, "Stream-Next-Offset"));
  EXPECT_EQ(eof.status, 200);
  EXPECT_EQ(Header(eof, "Stream-Closed"), "true");
  EXPECT_EQ(Header(eof, "Cache-Control"), kCatchUpCacheControl);
}

// offset=now&live=long-poll waits at the tail; the data it then gets is at a real offset, but the
// URL still says "now", so a cache keyed by URL must not keep it for the next "now" reader.
TEST_F(ProtocolHandlerTest, OffsetNowLongPollAnswerIsNoStoreWithoutEtag) {
  Create("now-lp", "text/plain", "old");
  HttpResponse response = Call("GET", "/v1/stream/now-lp?offset=now&live=long-poll");
  ASSERT_TRUE(response.long_poll.has_value());
  Append("now-lp", "new");
  HttpResponse finished = handler_->finish_long_poll(*response.long_poll);
  EXPECT_EQ(finished.status, 200);
  EXPECT_EQ(finished.body, "new");
  EXPECT_EQ(Header(finished, "Cache-Control"), "no-store");
  EXPECT_EQ(Header(finished, "ETag"), "<absent>");
  EXPECT_NE(Header(finished, "Stream-Cursor"), "<absent>");
}

// ---------------------------------------------------------------------------------------------
// ETag / If-None-Match

TEST_F(ProtocolHandlerTest, MatchingIfNoneMatchGets304WithEmptyBody) {
  Create("etag", "text/plain", "data");
  HttpResponse first = Call("GET", "/v1/stream/etag?offset=-1");
  std::string etag = Header(first, "ETag");
  ASSERT_NE(etag, "<absent>");
  HttpResponse second = Call("GET", "/v1/stream/etag?offset=-1", {{"If-None-Match", etag}});
  EXPECT_EQ(second.status, 304);
  EXPECT_TRUE(second.body.empty());
  EXPECT_EQ(Header(second, "ETag"), etag);
  // A list containing the tag, and a weak form of it, match too.
  HttpResponse listed =
      Call("GET", "/v1/stream/etag?offset=-1", {{"If-None-Match", "\"other\", W/" + etag}});
  EXPECT_EQ(listed.status, 304);
  HttpResponse other = Call("GET", "/v1/stream/etag?offset=-1", {{"If-None-Match", "\"x\""}});
  EXPECT_EQ(other.status, 200);
  EXPECT_EQ(other.body, "data");
}

TEST_F(ProtocolHandlerTest, NotModifiedRepeatsCacheControlOf200) {
  // RFC 9110 15.4.5: a 304 MUST carry the Cache-Control (and ETag) the 200 would have carried,
  // or caches that refresh a stored entry from it lose its freshness policy.
  Create("etag-304", "text/plain", "data");
  HttpResponse full = Call("GET", "/v1/stream/etag-304?offset=-1");
  HttpResponse not_modified =
      Call("GET", "/v1/stream/etag-304?offset=-1", {{"If-None-Match", Header(full, "ETag")}});
  ASSERT_EQ(not_modified.status, 304);
  EXPECT_EQ(Header(not_modified, "ETag"), Header(full, "ETag"));
  EXPECT_EQ(Header(not_modified, "Cache-Control"), kCatchUpCacheControl);
}

TEST_F(ProtocolHandlerTest, EtagChangesOnAppendAndOnClose) {
  Create("etag-close", "text/plain", "data");
  std::string open_tag = Header(Call("GET", "/v1/stream/etag-close?offset=-1"), "ETag");
  CloseStream("etag-close");
  HttpResponse closed = Call("GET", "/v1/stream/etag-close?offset=-1");
  EXPECT_EQ(closed.status, 200);
  EXPECT_EQ(Header(closed, "Stream-Closed"), "true");
  std::string closed_tag = Header(closed, "ETag");
  EXPECT_NE(closed_tag, open_tag);
  // The tag from before the close no longer validates.
  HttpResponse stale = Call("GET", "/v1/stream/etag-close?offset=-1", {{"If-None-Match", open_tag}});
  EXPECT_EQ(stale.status, 200);
  EXPECT_EQ(stale.body, "data");
  HttpResponse fresh =
      Call("GET", "/v1/stream/etag-close?offset=-1", {{"If-None-Match", closed_tag}});
  EXPECT_EQ(fresh.status, 304);
}

TEST_F(ProtocolHandlerTest, EtagChangesOnAppend) {
  Create("etag-append", "text/plain", "a");
  std::string before = Header(Call("GET", "/v1/stream/etag-append?offset=-1"), "ETag");
  Append("etag-append", "b");
  HttpResponse after = Call("GET", "/v1/stream/etag-append?offset=-1", {{"If-None-Match", before}});
  EXPECT_EQ(after.status, 200);
  EXPECT_EQ(after.body, "ab");
  EXPECT_NE(Header(after, "ETag"), before);
}

TEST_F(ProtocolHandlerTest, EtagDiffersForRecreatedStreamAtSamePath) {
  Create("etag-gen", "text/plain", "same");
  std::string first = Header(Call("GET", "/v1/stream/etag-gen?offset=-1"), "ETag");
  EXPECT_EQ(Call("DELETE", "/v1/stream/etag-gen").status, 204);
  Create("etag-gen", "text/plain", "same");
  HttpResponse again = Call("GET", "/v1/stream/etag-gen?offset=-1", {{"If-None-Match", first}});
  EXPECT_EQ(again.status, 200) << "a recreated stream must not validate the old stream's ETag";
}

// ---------------------------------------------------------------------------------------------
// Error bodies

void ExpectJsonError(const HttpResponse& response, int status, std::string_view code) {
  EXPECT_EQ(response.status, status);
  auto content_type = response.header("Content-Type");
  ASSERT_TRUE(content_type.has_value());
  EXPECT_EQ(*content_type, "application/json");
  std::string prefix = R"({"error":{"code":")" + std::string(code) + R"(","message":")";
  EXPECT_EQ(response.body.rfind(prefix, 0), 0u) << response.body;
  EXPECT_EQ(response.body.substr(response.body.size() - 3), "\"}}") << response.body;
  EXPECT_EQ(response.header("X-Content-Type-Options").value_or(""), "nosniff");
}

TEST_F(ProtocolHandlerTest, ErrorBodiesAreJson) {
  Create("errors", "text/plain", "x");
  ExpectJsonError(Call("GET", "/v1/stream/errors?offset=bogus"), 400, "BAD_REQUEST");
  ExpectJsonError(Call("GET", "/v1/stream/nothing-here"), 404, "NOT_FOUND");
  ExpectJsonError(Call("PUT", "/v1/stream/errors", {{"Content-Type", "application/json"}}), 409,
                  "CONFIG_MISMATCH");
  ExpectJsonError(Call("POST", "/v1/stream/errors", {{"Content-Type", "application/json"}}, "1"),
                  409, "CONTENT_TYPE_MISMATCH");
  CloseStream("errors");
  ExpectJsonError(Call("POST", "/v1/stream/errors", {{"Content-Type", "text/plain"}}, "y"), 409,
                  "STREAM_CLOSED");
}

TEST_F(ProtocolHandlerTest, InvalidJsonToAClosedJsonStreamIs409WithStreamClosed) {
  Create("j", "application/json");
  CloseStream("j");
  HttpResponse response =
      Call("POST", "/v1/stream/j", {{"Content-Type", "application/json"}}, "{not json");
  EXPECT_EQ(response.status, 409) << response.body;
  EXPECT_EQ(Header(response, "Stream-Closed"), "true");
  EXPECT_NE(response.body.find("STREAM_CLOSED"), std::string::npos) << response.body;
}

TEST_F(ProtocolHandlerTest, TextToAJsonStreamIs409ContentTypeNot400InvalidJson) {
  Create("j", "application/json");
  HttpResponse response = Call("POST", "/v1/stream/j", {{"Content-Type", "text/plain"}}, "hi");
  EXPECT_EQ(response.status, 409) << response.body;
  EXPECT_NE(response.body.find("CONTENT_TYPE_MISMATCH"), std::string::npos) << response.body;
}

TEST_F(ProtocolHandlerTest, SoftDeletedStreamIs410WithJsonBody) {
  Create("source", "text/plain", "abc");
  HttpResponse fork = Call("PUT", "/v1/stream/fork", {{"Stream-Forked-From", "/v1/stream/source"}});
  ASSERT_EQ(fork.status, 201) << fork.body;
  ASSERT_EQ(Call("DELETE", "/v1/stream/source").status, 204);
  ExpectJsonError(Call("GET", "/v1/stream/source?offset=-1"), 410, "GONE");
  // The fork still reads the inherited bytes.
  EXPECT_EQ(Call("GET", "/v1/stream/fork?offset=-1").body, "abc");
}

TEST_F(ProtocolHandlerTest, ErrorMessagesAreJsonEscaped) {
  HttpResponse response = ProtocolHandler::Error(400, "BAD_REQUEST", "quote \" and \\ and \n");
  EXPECT_EQ(response.body,
            R"({"error":{"code":"BAD_REQUEST","message":"quote \" and \\ and \n"}})");
}

TEST_F(ProtocolHandlerTest, UnknownMethodIs405WithJsonBody) {
  Create("method");
  for (const char* method : {"PATCH", "TRACE", "CONNECT", "BREW"}) {
    HttpResponse response = Call(method, "/v1/stream/method");
    ExpectJsonError(response, 405, "METHOD_NOT_ALLOWED");
    EXPECT_NE(Header(response, "Allow"), "<absent>") << method;
  }
}

// ---------------------------------------------------------------------------------------------
// Paths

TEST_F(ProtocolHandlerTest, PercentEncodedNameIsTheSameStream) {
  // The stream key is the decoded path: every spelling of it reaches the one stream.
  Create("hello%20world", "text/plain", "encoded");
  EXPECT_EQ(Call("GET", "/v1/stream/hello%20%77orld?offset=-1").body, "encoded");
  EXPECT_EQ(Call("PUT", "/v1/stream/hello%20world", {{"Content-Type", "text/plain"}}).status, 200);
  Create("plain", "text/plain", "p");
  EXPECT_EQ(Call("GET", "/v1/stream/%70%6C%61%69%6E?offset=-1").body, "p");
  EXPECT_EQ(Call("GET", "/v1/stream/pl%61in?offset=-1").body, "p");
  EXPECT_EQ(Call("PUT", "/v1/stream/pl%61in", {{"Content-Type", "text/plain"}}).status, 200);
  // A raw space is not a valid request-target.
  EXPECT_EQ(Call("GET", "/v1/stream/hello world").status, 400);
}

TEST_F(ProtocolHandlerTest, DotSegmentsAndEmptySegmentsAreInvalidForEveryMethod) {
  Create("b", "text/plain", "b");
  for (const char* target :
       {"/v1/stream/a/../b", "/v1/stream/../stream/b", "/v1/stream/%2e%2e", "/v1/stream/a/%2E%2e/b",
        "/v1/stream/.", "/v1/stream/a/./b", "/v1/stream/%2e", "/v1/stream/a//b",
        "/v1/stream/a/", "/v1/stream/a%2F%2Fb", "/v1/stream/a%2F..%2Fb", "/v1/stream/a%2F"}) {
    for (const char* method : {"GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS", "PATCH"}) {
      ExpectJsonError(Call(method, target), 400, "INVALID_PATH");
    }
  }
}

TEST_F(ProtocolHandlerTest, EncodedSlashIsASlash) {
  // The key is the decoded path: "a%2Fb" is the stream "a/b", and its segments follow the rule.
  Create("dir/name", "text/plain", "nested");
  EXPECT_EQ(Call("GET", "/v1/stream/dir%2Fname?offset=-1").body, "nested");
  EXPECT_EQ(Call("GET", "/v1/stream/dir%2fname?offset=-1").body, "nested");
}

TEST_F(ProtocolHandlerTest, OverlongPathIsRejected) {
  std::string longest = "/v1/stream/" + std::string(kMaxPathBytes - 11, 'x');
  ASSERT_EQ(longest.size(), kMaxPathBytes);
  EXPECT_EQ(Call("PUT", longest).status, 201);
  std::string too_long = longest + "y";
  ExpectJsonError(Call("PUT", too_long), 400, "INVALID_PATH");
  ExpectJsonError(Call("GET", too_long), 400, "INVALID_PATH");
  // The bound is on the decoded path: an encoded spelling of the longest path is accepted.
  std::string encoded = "/v1/stream/" + std::string(kMaxPathBytes - 12, 'x') + "%78";
  EXPECT_EQ(Call("PUT", encoded).status, 200);
}

TEST_F(ProtocolHandlerTest, ControlCharactersAreRejected) {
  for (const char* target : {"/v1/stream/a%00b", "/v1/stream/%00", "/v1/stream/a%0Ab",
                             "/v1/stream/a%0D%0Ab", "/v1/stream/a%7F", "/v1/stream/a%09b"}) {
    ExpectJsonError(Call("PUT", target), 400, "INVALID_PATH");
    ExpectJsonError(Call("GET", target), 400, "INVALID_PATH");
  }
}

TEST_F(ProtocolHandlerTest, PathsMustBeUtf8) {
  Create("%C3%A9t%C3%A9", "text/plain", "summer");  // "été"
  EXPECT_EQ(Call("GET", "/v1/stream/%C3%A9t%C3%A9?offset=-1").body, "summer");
  for (const char* target : {"/v1/stream/%FF", "/v1/stream/a%C3", "/v1/stream/%C0%AF",
                             "/v1/stream/%ED%A0%80", "/v1/stream/%F4%90%80%80"}) {
    ExpectJsonError(Call("PUT", target), 400, "INVALID_PATH");
  }
}

TEST_F(ProtocolHandlerTest, PreflightOutsideTheStreamPrefixIsStillAnswered) {
  EXPECT_EQ(Call("OPTIONS", "/anything").status, 204);
  EXPECT_EQ(Call("OPTIONS", "*").status, 204);
  EXPECT_EQ(Call("OPTIONS", "/v1/stream/ok").status, 204);
}

TEST_F(ProtocolHandlerTest, PathsOutsideStreamPrefixAre404) {
  for (const char* target : {"/", "/v1", "/v1/stream", "/v1/streams/x", "/v2/stream/x",
                             "/V1/stream/x", "/other/v1/stream/x"}) {
    HttpResponse response = Call("GET", target);
    EXPECT_EQ(response.status, 404) << target;
    EXPECT_EQ(Header(response, "Content-Type"), "application/json") << target;
    EXPECT_EQ(Call("PUT", target).status, 404) << "PUT " << target;
  }
}

TEST_F(ProtocolHandlerTest, AbsoluteFormTargetIsAccepted) {
  // RFC 9112 3.2.2: "A server MUST accept the absolute-form in requests even though most HTTP/1.1
  // clients will only send the absolute-form to a proxy."
  Create("absolute", "text/plain", "abs");
  HttpResponse response = Call("GET", "http://127.0.0.1:4437/v1/stream/absolute?offset=-1");
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.body, "abs");
}

TEST_F(ProtocolHandlerTest, EmptyNameIsRejected) {
  ExpectJsonError(Call("PUT", "/v1/stream/"), 400, "INVALID_PATH");
}

TEST_F(ProtocolHandlerTest, MalformedTargetIsRejected) {
  for (const char* target : {"v1/stream/x", "/v1/stream/a%zz", "/v1/stream/a%"}) {
    EXPECT_EQ(Call("GET", target).status, 400) << target;
  }
}

TEST_F(ProtocolHandlerTest, RepeatedQueryParametersAreRejected) {
  Create("repeat", "text/plain", "x");
  ExpectJsonError(Call("GET", "/v1/stream/repeat?offset=-1&offset=-1"), 400, "BAD_REQUEST");
  ExpectJsonError(Call("GET", "/v1/stream/repeat?offset=-1&live=sse&live=sse"), 400,
                  "BAD_REQUEST");
}

TEST_F(ProtocolHandlerTest, QueryParameterOrderDoesNotMatter) {
  Create("order", "text/plain", "x");
  HttpResponse response = Call("GET", "/v1/stream/order?live=long-poll&offset=-1");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "x");
}

// ---------------------------------------------------------------------------------------------
// Long-poll directive

TEST_F(ProtocolHandlerTest, LongPollWithoutDataReturnsDirective) {
  HttpResponse created = Create("lp", "text/plain", "abc");
  std::string tail = Header(created, "Stream-Next-Offset");
  HttpResponse response = Call("GET", "/v1/stream/lp?offset=" + tail + "&live=long-poll&cursor=5");
  ASSERT_TRUE(response.long_poll.has_value());
  EXPECT_FALSE(response.sse.has_value());
  EXPECT_EQ(response.long_poll->path, "/v1/stream/lp");
  EXPECT_EQ(response.long_poll->position, 3u);
  EXPECT_EQ(response.long_poll->client_cursor.value_or(""), "5");
}

TEST_F(ProtocolHandlerTest, LongPollTimeoutFinishesWith204) {
  Create("lp204", "text/plain", "abc");
  HttpResponse response = Call("GET", "/v1/stream/lp204?offset=now&live=long-poll");
  ASSERT_TRUE(response.long_poll.has_value());
  EXPECT_EQ(response.long_poll->position, 3u);
  HttpResponse finished = handler_->finish_long_poll(*response.long_poll);
  EXPECT_EQ(finished.status, 204);
  EXPECT_TRUE(finished.body.empty());
  EXPECT_EQ(Header(finished, "Stream-Next-Offset"), FormatOffset(3));
  EXPECT_EQ(Header(finished, "Stream-Up-To-Date"), "true");
  EXPECT_NE(Header(finished, "Stream-Cursor"), "<absent>");
  EXPECT_EQ(Header(finished, "Cache-Control"), "no-store");
  EXPECT_EQ(Header(finished, "Stream-Closed"), "<absent>");
}

TEST_F(ProtocolHandlerTest, LongPollAfterAppendFinishesWith200) {
  Create("lp200", "text/plain", "abc");
  HttpResponse response =
      Call("GET", "/v1/stream/lp200?offset=" + FormatOffset(3) + "&live=long-poll");
  ASSERT_TRUE(response.long_poll.has_value());
  Append("lp200", "def");
  HttpResponse finished = handler_->finish_long_poll(*response.long_poll);
  EXPECT_EQ(finished.status, 200);
  EXPECT_EQ(finished.body, "def");
  EXPECT_EQ(Header(finished, "Stream-Next-Offset"), FormatOffset(6));
  EXPECT_EQ(Header(finished, "Stream-Up-To-Date"), "true");
  EXPECT_NE(Header(finished, "Stream-Cursor"), "<absent>");
  EXPECT_NE(Header(finished, "ETag"), "<absent>");
  EXPECT_EQ(Header(finished, "Cache-Control"), kCatchUpCacheControl);
}

TEST_F(ProtocolHandlerTest, LongPollCursorNeverGoesBackwards) {
  Create("lp-cursor");
  HttpResponse response = Call("GET", "/v1/stream/lp-cursor?offset=now&live=long-poll");
  ASSERT_TRUE(response.long_poll.has_value());
  std::string cursor = Header(handler_->finish_long_poll(*response.long_poll), "Stream-Cursor");
  HttpResponse again =
      Call("GET", "/v1/stream/lp-cursor?offset=now&live=long-poll&cursor=" + cursor);
  ASSERT_TRUE(again.long_poll.has_value());
  std::string next = Header(handler_->finish_long_poll(*again.long_poll), "Stream-Cursor");
  EXPECT_GT(std::stoull(next), std::stoull(cursor));
}

TEST_F(ProtocolHandlerTest, LongPollOnClosedStreamAtTailAnswersAtOnce) {
  Create("lp-closed", "text/plain", "abc");
  CloseStream("lp-closed");
  HttpResponse response =
      Call("GET", "/v1/stream/lp-closed?offset=" + FormatOffset(3) + "&live=long-poll");
  EXPECT_FALSE(response.long_poll.has_value());
  EXPECT_EQ(response.status, 204);
  EXPECT_EQ(Header(response, "Stream-Closed"), "true");
  EXPECT_EQ(Header(response, "Stream-Up-To-Date"), "true");
}

TEST_F(ProtocolHandlerTest, LongPollFinishedAfterCloseIs204Closed) {
  Create("lp-close-wait", "text/plain", "abc");
  HttpResponse response = Call("GET", "/v1/stream/lp-close-wait?offset=now&live=long-poll");
  ASSERT_TRUE(response.long_poll.has_value());
  CloseStream("lp-close-wait");
  HttpResponse finished = handler_->finish_long_poll(*response.long_poll);
  EXPECT_EQ(finished.status, 204);
  EXPECT_EQ(Header(finished, "Stream-Closed"), "true");
  EXPECT_EQ(Header(finished, "Stream-Next-Offset"), FormatOffset(3));
}

TEST_F(ProtocolHandlerTest, LongPollFinishedAfterDeleteIs404) {
  Create("lp-delete", "text/plain", "abc");
  HttpResponse response = Call("GET", "/v1/stream/lp-delete?offset=now&live=long-poll");
  ASSERT_TRUE(response.long_poll.has_value());
  ASSERT_EQ(Call("DELETE", "/v1/stream/lp-delete").status, 204);
  ExpectJsonError(handler_->finish_long_poll(*response.long_poll), 404, "NOT_FOUND");
}

// ---------------------------------------------------------------------------------------------
// SSE steps

TEST_F(ProtocolHandlerTest, SseStepPairsEveryDataEventWithControlEvent) {
  ProtocolOptions options;
  options.max_read_bytes = 4;  // several steps, one data event each
  Start(options);
  Create("sse-pairs", "text/plain", "0123456789");
  HttpResponse head = Call("GET", "/v1/stream/sse-pairs?offset=-1&live=sse");
  ASSERT_TRUE(head.sse.has_value());
  std::string all;
  uint64_t position = head.sse->position;
  bool first = true;
  std::vector<SseEvent> events;
  for (int i = 0; i < 20; ++i) {
    auto step = handler_->sse_step(*head.sse, position, first);
    first = false;
    for (auto& event : ParseSse(step.events)) events.push_back(event);
    position = step.next_position;
    if (step.wait || step.finished) break;
  }
  ASSERT_FALSE(events.empty());
  for (size_t i = 0; i < events.size(); ++i) {
    if (events[i].type == "data") {
      all += events[i].data;
      ASSERT_LT(i + 1, events.size());
      EXPECT_EQ(events[i + 1].type, "control") << "data event " << i << " is not followed by control";
    } else {
      EXPECT_EQ(events[i].type, "control");
    }
  }
  EXPECT_EQ(all, "0123456789");
  EXPECT_EQ(position, 10u);
  EXPECT_NE(events.back().data.find("\"upToDate\":true"), std::string::npos);
  EXPECT_NE(events.back().data.find("\"streamCursor\""), std::string::npos);
}

TEST_F(ProtocolHandlerTest, SseStepWaitsAtTailAfterFirstStep) {
  Create("sse-wait");
  HttpResponse head = Call("GET", "/v1/stream/sse-wait?offset=-1&live=sse");
  ASSERT_TRUE(head.sse.has_value());
  auto first = handler_->sse_step(*head.sse, 0, true);
  auto events = ParseSse(first.events);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "control");
  EXPECT_NE(events[0].data.find("\"streamNextOffset\":\"" + FormatOffset(0) + "\""),
            std::string::npos);
  EXPECT_TRUE(first.wait);
  EXPECT_FALSE(first.finished);
  auto idle = handler_->sse_step(*head.sse, 0, false);
  EXPECT_TRUE(idle.events.empty());
  EXPECT_TRUE(idle.wait);
  Append("sse-wait", "line1\nline2");
  auto woken = handler_->sse_step(*head.sse, 0, false);
  events = ParseSse(woken.events);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, "data");
  EXPECT_EQ(events[0].data, "line1\nline2");
  EXPECT_EQ(events[1].type, "control");
  EXPECT_EQ(woken.next_position, 11u);
}

TEST_F(ProtocolHandlerTest, SseOnClosedStreamEndsWithStreamClosedAndNoCursor) {
  Create("sse-closed", "text/plain", "abc");
  CloseStream("sse-closed");
  HttpResponse head = Call("GET", "/v1/stream/sse-closed?offset=-1&live=sse");
  ASSERT_TRUE(head.sse.has_value());
  auto step = handler_->sse_step(*head.sse, head.sse->position, true);
  EXPECT_TRUE(step.finished);
  EXPECT_FALSE(step.wait);
  auto events = ParseSse(step.events);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, "data");
  EXPECT_EQ(events[0].data, "abc");
  EXPECT_EQ(events[1].type, "control");
  EXPECT_NE(events[1].data.find("\"streamClosed\":true"), std::string::npos) << events[1].data;
  EXPECT_EQ(events[1].data.find("streamCursor"), std::string::npos) << events[1].data;

  // At the tail of a closed stream: a single closing control event.
  auto at_tail = handler_->sse_step(*head.sse, 3, true);
  EXPECT_TRUE(at_tail.finished);
  events = ParseSse(at_tail.events);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_NE(events[0].data.find("\"streamClosed\":true"), std::string::npos);
  EXPECT_NE(events[0].data.find("\"upToDate\":true"), std::string::npos);
  EXPECT_EQ(events[0].data.find("streamCursor"), std::string::npos);
}

TEST_F(ProtocolHandlerTest, SsePagedClosedStreamFlagsOnlyTheLastControlEvent) {
  ProtocolOptions options;
  options.max_read_bytes = 2;
  Start(options);
  Create("sse-closed-paged", "text/plain", "ab");
  Append("sse-closed-paged", "cd");
  Append("sse-closed-paged", "ef");
  CloseStream("sse-closed-paged");
  HttpResponse head = Call("GET", "/v1/stream/sse-closed-paged?offset=-1&live=sse");
  ASSERT_TRUE(head.sse.has_value());
  uint64_t position = 0;
  std::vector<SseEvent> controls;
  std::string data;
  bool finished = false;
  for (int i = 0; i < 10 && !finished; ++i) {
    auto step = handler_->sse_step(*head.sse, position, i == 0);
    position = step.next_position;
    finished = step.finished;
    ASSERT_FALSE(step.wait);
    for (auto& event : ParseSse(step.events)) {
      if (event.type == "control") controls.push_back(event);
      if (event.type == "data") data += event.data;
    }
  }
  EXPECT_TRUE(finished);
  EXPECT_EQ(data, "abcdef");
  ASSERT_EQ(controls.size(), 3u);
  for (size_t i = 0; i + 1 < controls.size(); ++i) {
    EXPECT_EQ(controls[i].data.find("streamClosed"), std::string::npos) << controls[i].data;
    EXPECT_NE(controls[i].data.find("streamCursor"), std::string::npos) << controls[i].data;
  }
  EXPECT_NE(controls.back().data.find("\"streamClosed\":true"), std::string::npos);
}

TEST_F(ProtocolHandlerTest, SseStepOnDeletedStreamFinishes) {
  Create("sse-gone", "text/plain", "abc");
  HttpResponse head = Call("GET", "/v1/stream/sse-gone?offset=-1&live=sse");
  ASSERT_TRUE(head.sse.has_value());
  ASSERT_EQ(Call("DELETE", "/v1/stream/sse-gone").status, 204);
  auto step = handler_->sse_step(*head.sse, 0, false);
  EXPECT_TRUE(step.finished);
}

TEST_F(ProtocolHandlerTest, SseOffsetNowStartsAtTail) {
  Create("sse-now", "text/plain", "history");
  HttpResponse head = Call("GET", "/v1/stream/sse-now?offset=now&live=sse");
  ASSERT_TRUE(head.sse.has_value());
  EXPECT_EQ(head.sse->position, 7u);
  auto step = handler_->sse_step(*head.sse, head.sse->position, true);
  auto events = ParseSse(step.events);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "control");
  EXPECT_NE(events[0].data.find(FormatOffset(7)), std::string::npos);
}

TEST_F(ProtocolHandlerTest, SseOctetStreamIsBase64) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  Create("sse-bin", "application/octet-stream", bytes);
  HttpResponse head = Call("GET", "/v1/stream/sse-bin?offset=-1&live=sse");
  ASSERT_TRUE(head.sse.has_value());
  EXPECT_TRUE(head.sse->base64);
  EXPECT_EQ(Header(head, "stream-sse-data-encoding"), "base64");
  auto step = handler_->sse_step(*head.sse, 0, true);
  auto events = ParseSse(step.events);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, "data");
  EXPECT_EQ(events[0].data.size() % 4, 0u);
  EXPECT_EQ(events[0].data, Base64Encode(bytes));
  std::string decoded;
  ASSERT_TRUE(Base64Decode(events[0].data, &decoded));
  EXPECT_EQ(decoded, bytes);
  EXPECT_EQ(events[1].type, "control");
}

TEST_F(ProtocolHandlerTest, SseJsonAndTextAreNotBase64) {
  Create("sse-json", "application/json", R"([{"a":1},{"b":2}])");
  HttpResponse head = Call("GET", "/v1/stream/sse-json?offset=-1&live=sse");
  ASSERT_TRUE(head.sse.has_value());
  EXPECT_FALSE(head.sse->base64);
  EXPECT_EQ(Header(head, "stream-sse-data-encoding"), "<absent>");
  auto events = ParseSse(handler_->sse_step(*head.sse, 0, true).events);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].data, R"([{"a":1},{"b":2}])");
}

TEST(Base64EncodeTest, MatchesRfc4648Vectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode(std::string("\xff\xfe\x00", 3)), "//4A");
}

TEST(SseEncoderTest, LineBreaksInTextStartNewDataLines) {
  std::string out;
  AppendSseDataEvent("a\r\nevent: control\rb\n", false, &out);
  EXPECT_EQ(out, "event: data\ndata:a\ndata:event: control\ndata:b\ndata:\n\n");
}

// ---------------------------------------------------------------------------------------------
// Paging

TEST_F(ProtocolHandlerTest, MaxReadBytesPagingReproducesExactBytes) {
  ProtocolOptions options;
  options.max_read_bytes = 7;
  Start(options);
  std::string expected;
  Create("paged", "application/octet-stream");
  for (int i = 0; i < 40; ++i) {
    std::string chunk;
    for (int j = 0; j <= i % 5; ++j) chunk.push_back(static_cast<char>((i * 37 + j * 11) & 0xff));
    expected += chunk;
    Append("paged", chunk, "application/octet-stream");
  }
  CloseStream("paged");

  std::string offset = "-1";
  std::string rebuilt;
  int pages = 0;
  for (; pages < 200; ++pages) {
    HttpResponse page = Call("GET", "/v1/stream/paged?offset=" + offset);
    ASSERT_EQ(page.status, 200);
    rebuilt += page.body;
    std::string next = Header(page, "Stream-Next-Offset");
    bool closed = Header(page, "Stream-Closed") == "true";
    bool up_to_date = Header(page, "Stream-Up-To-Date") == "true";
    if (!closed) {
      EXPECT_FALSE(page.body.empty()) << "page " << pages << " at " << offset;
      EXPECT_NE(next, offset);
    }
    if (up_to_date) {
      EXPECT_TRUE(closed) << "the final page of a closed stream must say so";
      break;
    }
    EXPECT_FALSE(closed) << "a partial page of a closed stream must not carry Stream-Closed";
    offset = next;
  }
  EXPECT_GT(pages, 5);
  EXPECT_EQ(rebuilt, expected);
}

TEST_F(ProtocolHandlerTest, JsonPagingKeepsEveryPageAValidArray) {
  ProtocolOptions options;
  options.max_read_bytes = 10;
  Start(options);
  Create("json-paged", "application/json");
  for (int i = 0; i < 10; ++i) {
    Append("json-paged", "{\"n\":" + std::to_string(i) + "}", "application/json");
  }
  std::string offset = "-1";
  int messages = 0;
  for (int pages = 0; pages < 50; ++pages) {
    HttpResponse page = Call("GET", "/v1/stream/json-paged?offset=" + offset);
    ASSERT_EQ(page.status, 200);
    ASSERT_FALSE(page.body.empty());
    EXPECT_EQ(page.body.front(), '[');
    EXPECT_EQ(page.body.back(), ']');
    for (size_t pos = 0; (pos = page.body.find("\"n\":", pos)) != std::string::npos; ++pos) {
      EXPECT_EQ(page.body.substr(pos + 4, std::to_string(messages).size()),
                std::to_string(messages));
      ++messages;
    }
    if (Header(page, "Stream-Up-To-Date") == "true") break;
    offset = Header(page, "Stream-Next-Offset");
  }
  EXPECT_EQ(messages, 10);
}

TEST_F(ProtocolHandlerTest, OffsetPastTailIsBadRequest) {
  Create("past", "text/plain", "abc");
  ExpectJsonError(Call("GET", "/v1/stream/past?offset=" + FormatOffset(4)), 400, "BAD_REQUEST");
}

TEST_F(ProtocolHandlerTest, ReadAtTailIsEmptyWithRequestedOffset) {
  Create("tail", "text/plain", "abc");
  HttpResponse response = Call("GET", "/v1/stream/tail?offset=" + FormatOffset(3));
  EXPECT_EQ(response.status, 200);
  EXPECT_TRUE(response.body.empty());
  EXPECT_EQ(Header(response, "Stream-Next-Offset"), FormatOffset(3));
  EXPECT_EQ(Header(response, "Stream-Up-To-Date"), "true");
}

// ---------------------------------------------------------------------------------------------
// Misc

TEST_F(ProtocolHandlerTest, OptionsPreflightIs204) {
  HttpResponse response = Call("OPTIONS", "/anything");
  EXPECT_EQ(response.status, 204);
  EXPECT_NE(Header(response, "Access-Control-Allow-Methods"), "<absent>");
  EXPECT_NE(Header(response, "Access-Control-Allow-Headers").find("If-None-Match"),
            std::string::npos);
}

TEST_F(ProtocolHandlerTest, CreateSetsLocationFromHost) {
  HttpResponse response = Call("PUT", "/v1/stream/loc", {{"Host", "example.test:8080"}});
  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(Header(response, "Location"), "http://example.test:8080/v1/stream/loc");
}

// ---------------------------------------------------------------------------------------------
// Text headers that are stored

// Stream-Seq and Producer-Id are kept and shown as text (ds-admin show, export): bytes that are
// not UTF-8, which HTTP lets through as obs-text, are refused with 400 and nothing is appended.
TEST_F(ProtocolHandlerTest, StoredTextHeadersMustBeUtf8) {
  Create("names", "text/plain", "");
  HttpResponse seq = Call("POST", "/v1/stream/names",
                          {{"Content-Type", "text/plain"}, {"Stream-Seq", "s\xfe"}}, "x");
  EXPECT_EQ(seq.status, 400);
  EXPECT_NE(seq.body.find("Stream-Seq is not valid UTF-8"), std::string::npos) << seq.body;
  HttpResponse producer =
      Call("POST", "/v1/stream/names",
           {{"Content-Type", "text/plain"}, {"Producer-Id", "p\xff"}, {"Producer-Epoch", "0"},
            {"Producer-Seq", "0"}},
           "x");
  EXPECT_EQ(producer.status, 400);
  EXPECT_NE(producer.body.find("Producer-Id is not valid UTF-8"), std::string::npos);
  EXPECT_EQ(Header(Call("HEAD", "/v1/stream/names"), "Stream-Next-Offset"), FormatOffset(0));
  // UTF-8 beyond ASCII is fine.
  HttpResponse utf8 =
      Call("POST", "/v1/stream/names",
           {{"Content-Type", "text/plain"}, {"Producer-Id", "p\xc3\xa9"}, {"Producer-Epoch", "0"},
            {"Producer-Seq", "0"}, {"Stream-Seq", "\xe2\x82\xac"}},
           "x");
  EXPECT_EQ(utf8.status, 200) << utf8.body;
}

}  // namespace
}  // namespace streamkeeper
