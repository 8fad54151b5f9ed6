// RequestPathOf / ForkSourcePathOf / PrefixCovers: the path the rights are matched against is
// the one the protocol layer decodes, and nothing that could escape a prefix gets through.
#include "access/request_path.h"

#include <gtest/gtest.h>

namespace streamkeeper {
namespace {

std::optional<std::string> PathOf(std::string_view target) {
  std::string scratch;
  std::string_view path;
  if (!RequestPathOf(target, &scratch, &path)) return std::nullopt;
  return std::string(path);
}

TEST(RequestPath, StripsTheQueryAndKeepsAPlainPathAsIs) {
  EXPECT_EQ(PathOf("/v1/stream/chat/1?offset=-1&live=sse"), "/v1/stream/chat/1");
  EXPECT_EQ(PathOf("/metrics"), "/metrics");
}

TEST(RequestPath, DecodesPercentEscapesAsTheProtocolLayerDoes) {
  EXPECT_EQ(PathOf("/v1/stream/a%20b"), "/v1/stream/a b");
  EXPECT_EQ(PathOf("/v1/%73tream/x"), "/v1/stream/x");
}

TEST(RequestPath, TakesThePathOfAnAbsoluteFormTarget) {
  EXPECT_EQ(PathOf("http://example.com/v1/stream/x?offset=0"), "/v1/stream/x");
}

TEST(RequestPath, RefusesDotSegmentsLiteralOrEncoded) {
  EXPECT_EQ(PathOf("/v1/stream/chat/../admin"), std::nullopt);
  EXPECT_EQ(PathOf("/v1/stream/chat/./x"), std::nullopt);
  EXPECT_EQ(PathOf("/v1/stream/chat/%2e%2e/x"), std::nullopt);
  EXPECT_EQ(PathOf("/v1/stream/chat/.%2E"), std::nullopt);
  EXPECT_EQ(PathOf("/v1/stream/chat/.."), std::nullopt);
  EXPECT_EQ(PathOf("/v1/stream/chat/..x"), "/v1/stream/chat/..x");
}

TEST(RequestPath, RefusesEncodedSlashesAndControlCharacters) {
  EXPECT_EQ(PathOf("/v1/stream/chat%2F..%2Fsecret"), std::nullopt);
  EXPECT_EQ(PathOf("/v1/stream/chat%2fx"), std::nullopt);
  EXPECT_EQ(PathOf("/v1/stream/chat%00x"), std::nullopt);
  EXPECT_EQ(PathOf("/v1/stream/chat%0Ax"), std::nullopt);
}

TEST(RequestPath, RefusesTargetsThatDoNotParse) {
  EXPECT_EQ(PathOf("v1/stream/x"), std::nullopt);
  EXPECT_EQ(PathOf("/v1/stream/%zz"), std::nullopt);
  EXPECT_EQ(PathOf("*"), std::nullopt);
  EXPECT_EQ(PathOf(""), std::nullopt);
}

TEST(ForkSourcePath, TakesAPathOrTheUrlsPath) {
  std::string scratch;
  std::string_view path;
  ASSERT_TRUE(ForkSourcePathOf("/v1/stream/src", &scratch, &path));
  EXPECT_EQ(path, "/v1/stream/src");
  ASSERT_TRUE(ForkSourcePathOf("http://other:4437/v1/stream/a%20b?x=1", &scratch, &path));
  EXPECT_EQ(path, "/v1/stream/a b");
  EXPECT_FALSE(ForkSourcePathOf("/v1/stream/x/../../secret", &scratch, &path));
  EXPECT_FALSE(ForkSourcePathOf("relative/path", &scratch, &path));
}

TEST(PrefixCovers, EndsAtASegmentBoundary) {
  EXPECT_TRUE(PrefixCovers("/v1/stream/chat/", "/v1/stream/chat/1"));
  EXPECT_FALSE(PrefixCovers("/v1/stream/chat/", "/v1/stream/chatroom"));
  EXPECT_FALSE(PrefixCovers("/v1/stream/chat/", "/v1/stream/chat"));
  EXPECT_TRUE(PrefixCovers("/v1/stream/chat", "/v1/stream/chat"));
  EXPECT_TRUE(PrefixCovers("/v1/stream/chat", "/v1/stream/chat/1"));
  EXPECT_FALSE(PrefixCovers("/v1/stream/chat", "/v1/stream/chatroom"));
  EXPECT_TRUE(PrefixCovers("/", "/anything/at/all"));
  EXPECT_FALSE(PrefixCovers("", "/v1/stream/x"));
}

}  // namespace
}  // namespace streamkeeper
