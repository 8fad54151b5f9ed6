// ParseAuthFile: what an auth file may say, and that every mistake names its file and line.
#include "access/auth_file.h"

#include <gtest/gtest.h>

namespace streamkeeper {
namespace {

// The error for `text`, or "" when it parses.
std::string ErrorOf(std::string_view text) {
  std::vector<AuthToken> tokens;
  std::string error;
  if (ParseAuthFile(text, "auth.toml", &tokens, &error)) return "";
  return error;
}

std::string Hex(const Sha256Digest& digest) {
  static const char* digits = "0123456789abcdef";
  std::string hex;
  for (unsigned char byte : digest) {
    hex.push_back(digits[byte >> 4]);
    hex.push_back(digits[byte & 15]);
  }
  return hex;
}

TEST(AuthFile, ReadsTokensWithSecretsAndRights) {
  std::string text = R"([tokens.ingest]
secret_sha256 = ")" + Hex(Sha256("ingest-secret")) + R"("
write = ["/v1/stream/chat/"]
read  = ["/v1/stream/chat/", "/v1/stream/public"]

[tokens.ops]
secret = "s3cret"
admin = ["/"]
)";
  std::vector<AuthToken> tokens;
  std::string error;
  ASSERT_TRUE(ParseAuthFile(text, "auth.toml", &tokens, &error)) << error;
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0].name, "ingest");
  EXPECT_EQ(tokens[0].secret_sha256, Sha256("ingest-secret"));
  EXPECT_EQ(tokens[0].rights.write, std::vector<std::string>{"/v1/stream/chat/"});
  EXPECT_EQ(tokens[0].rights.read.size(), 2u);
  EXPECT_TRUE(tokens[0].rights.admin.empty());
  EXPECT_EQ(tokens[1].name, "ops");
  EXPECT_EQ(tokens[1].secret_sha256, Sha256("s3cret"));
  EXPECT_EQ(tokens[1].rights.admin, std::vector<std::string>{"/"});
}

TEST(AuthFile, UpperCaseHexIsTheSameDigest) {
  std::string hex = Hex(Sha256("x"));
  for (char& c : hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::vector<AuthToken> tokens;
  std::string error;
  ASSERT_TRUE(ParseAuthFile("[tokens.a]\nsecret_sha256 = \"" + hex + "\"\n", "auth.toml",
                            &tokens, &error))
      << error;
  EXPECT_EQ(tokens[0].secret_sha256, Sha256("x"));
}

TEST(AuthFile, AnEmptyFileHasNoTokens) { EXPECT_EQ(ErrorOf(""), ""); }

TEST(AuthFile, TomlSyntaxErrorsNameTheLine) {
  EXPECT_EQ(ErrorOf("[tokens.a]\nsecret = \"x\"\nread = [\"/a\"\n").rfind("auth.toml:", 0), 0u);
  EXPECT_NE(ErrorOf("[tokens.a]\nsecret = \"x\"\nsecret = \"y\"\n").find("auth.toml:3"),
            std::string::npos);
}

TEST(AuthFile, ATokenNamedTwiceNamesTheSecondLine) {
  EXPECT_NE(ErrorOf("[tokens.a]\nsecret = \"x\"\n\n[tokens.a]\nsecret = \"y\"\n").find("auth.toml:4"),
            std::string::npos)
      << ErrorOf("[tokens.a]\nsecret = \"x\"\n\n[tokens.a]\nsecret = \"y\"\n");
}

TEST(AuthFile, AnUnknownKeyNamesItsLine) {
  EXPECT_NE(ErrorOf("[tokens.a]\nsecret = \"x\"\n\nraed = [\"/\"]\n").find("auth.toml:4: unknown key \"raed\""),
            std::string::npos);
  EXPECT_NE(ErrorOf("users = 1\n").find("auth.toml:1: unknown key \"users\""),
            std::string::npos);
}

TEST(AuthFile, ATokenNeedsExactlyOneSecret) {
  EXPECT_NE(ErrorOf("[tokens.a]\nread = [\"/\"]\n").find("auth.toml:1: token \"a\" has no secret"),
            std::string::npos);
  std::string both = "[tokens.a]\nsecret = \"x\"\nsecret_sha256 = \"" + Hex(Sha256("y")) + "\"\n";
  EXPECT_NE(ErrorOf(both).find("auth.toml:3: token \"a\" has both"), std::string::npos);
  EXPECT_NE(ErrorOf("[tokens.a]\nsecret = \"\"\n").find("auth.toml:2: secret is empty"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[tokens.a]\nsecret = 42\n").find("auth.toml:2: secret must be a string"),
            std::string::npos);
}

TEST(AuthFile, SecretSha256MustBe64HexDigits) {
  std::string hex = Hex(Sha256("x"));
  EXPECT_NE(ErrorOf("[tokens.a]\nsecret_sha256 = \"" + hex.substr(1) + "\"\n")
                .find("auth.toml:2: secret_sha256 must be 64 hex digits"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[tokens.a]\nsecret_sha256 = \"" + hex.substr(1) + "g\"\n")
                .find("auth.toml:2: secret_sha256 must be 64 hex digits"),
            std::string::npos);
}

TEST(AuthFile, PrefixesMustBeSafeDecodedPaths) {
  auto error_for = [](std::string prefix) {
    return ErrorOf("[tokens.a]\nsecret = \"x\"\nwrite = [\n  \"/ok/\",\n  \"" + prefix + "\"]\n");
  };
  EXPECT_NE(error_for("v1/stream/").find("auth.toml:5: prefix \"v1/stream/\" does not start"),
            std::string::npos);
  EXPECT_NE(error_for("/v1/stream/a%2Fb").find("auth.toml:5:"), std::string::npos);
  EXPECT_NE(error_for("/v1/stream/../x").find("auth.toml:5:"), std::string::npos);
  EXPECT_NE(error_for("/v1/./x").find("auth.toml:5:"), std::string::npos);
  EXPECT_NE(error_for("/ok/").find("auth.toml:5: prefix \"/ok/\" is listed twice"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[tokens.a]\nsecret = \"x\"\nread = \"/\"\n").find("auth.toml:3:"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[tokens.a]\nsecret = \"x\"\nread = [1]\n").find("auth.toml:3:"),
            std::string::npos);
}

TEST(AuthFile, TwoTokensMayNotShareASecret) {
  std::string text = "[tokens.a]\nsecret = \"same\"\n[tokens.b]\nsecret_sha256 = \"" +
                     Hex(Sha256("same")) + "\"\n";
  EXPECT_NE(ErrorOf(text).find("auth.toml:3: token \"b\" has the same secret as token \"a\""),
            std::string::npos);
}

TEST(AuthFile, TokensMustBeTables) {
  EXPECT_NE(ErrorOf("tokens = 1\n").find("auth.toml:1:"), std::string::npos);
  EXPECT_NE(ErrorOf("[tokens]\na = \"x\"\n").find("auth.toml:2: tokens.a must be a table"),
            std::string::npos);
}

TEST(AuthFile, AMissingFileIsAnError) {
  std::vector<AuthToken> tokens;
  std::string error;
  EXPECT_FALSE(LoadAuthFile("/nonexistent/auth.toml", &tokens, &error));
  EXPECT_NE(error.find("/nonexistent/auth.toml"), std::string::npos);
}

}  // namespace
}  // namespace streamkeeper
