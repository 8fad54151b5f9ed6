// RequestPathOf / ForkSourcePathOf / PrefixCovers: the path the rights are matched against is
// the one the protocol layer decodes, and nothing that could escape a prefix gets through.
#include "access/request_path.h"

#include <random>

#include <boost/url/parse.hpp>
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

// Random targets: whatever RequestPathOf accepts is exactly the path Boost.URL decodes (what
// the protocol layer uses), or, for a target whose query Boost.URL refuses (the protocol layer
// answers 400), the text before '?' (what the service routes compare); and it has no dot
// segment, encoded '/' or control character.
TEST(RequestPath, AcceptsOnlyWhatTheProtocolLayerDecodesTheSameWay) {
  const std::string alphabet = "/./..%2F%2f%2e%2E%00%41?#a:@!~-_ x";
  std::mt19937 random(12345);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string target = "/";
    int pieces = 1 + static_cast<int>(random() % 10);
    for (int p = 0; p < pieces; ++p) {
      size_t at = random() % alphabet.size();
      target += alphabet.substr(at, 1 + random() % 3);
    }
    std::optional<std::string> path = PathOf(target);
    if (!path) continue;
    ++accepted;
    auto parsed = boost::urls::parse_origin_form(target);
    if (!parsed) {
      EXPECT_EQ(*path, target.substr(0, target.find('?'))) << target;
      EXPECT_EQ(path->find_first_of("%#"), std::string::npos) << target;
      continue;
    }
    EXPECT_EQ(*path, parsed->path()) << target;
    EXPECT_EQ(path->find("/../"), std::string::npos) << target;
    EXPECT_EQ(path->find("/./"), std::string::npos) << target;
    EXPECT_FALSE(path->ends_with("/..") || path->ends_with("/.")) << target;
    EXPECT_EQ(parsed->encoded_path().find("%2F"), std::string::npos) << target;
    EXPECT_EQ(parsed->encoded_path().find("%2f"), std::string::npos) << target;
    EXPECT_EQ(path->find('\0'), std::string::npos) << target;
  }
  EXPECT_GT(accepted, 1000);
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
