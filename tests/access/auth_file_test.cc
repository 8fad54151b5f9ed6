// ParseAuthFile: what an auth file may say, and that every mistake names its file and line.
#include "access/auth_file.h"

#include <gtest/gtest.h>

namespace streamkeeper {
namespace {

// The error for `text`, or "" when it parses; `jwt_configured` as the gate passes it.
std::string ErrorOf(std::string_view text, bool jwt_configured = false) {
  std::vector<AuthToken> tokens;
  std::string error;
  if (ParseAuthFile(text, "auth.toml", jwt_configured, &tokens, &error)) return "";
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
  ASSERT_TRUE(ParseAuthFile(text, "auth.toml", false, &tokens, &error)) << error;
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
  ASSERT_TRUE(ParseAuthFile("[tokens.a]\nsecret_sha256 = \"" + hex + "\"\n", "auth.toml", false,
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

// An empty bearer token is always refused, so a digest only it has is a mistake.
TEST(AuthFile, TheDigestOfTheEmptyStringIsRefused) {
  const std::string empty_digest =
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  ASSERT_EQ(Hex(Sha256("")), empty_digest);
  std::string error =
      ErrorOf("[tokens.a]\nread = [\"/\"]\nsecret_sha256 = \"" + empty_digest + "\"\n");
  EXPECT_NE(error.find("auth.toml:3: secret_sha256 of token \"a\" is the SHA-256 of the empty "
                       "string"),
            std::string::npos)
      << error;
  std::string upper = empty_digest;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_NE(ErrorOf("[tokens.a]\nsecret_sha256 = \"" + upper + "\"\n").find("auth.toml:2:"),
            std::string::npos);
}

// With a JWT key, a bearer token of three dot-separated parts is checked as a JWT only: a
// secret of that shape could never be used, so the file saying so is refused.
TEST(AuthFile, WithJwtsAJwtShapedSecretIsRefusedNamingItsLine) {
  const std::string text =
      "[tokens.ok]\nsecret = \"plain\"\n\n[tokens.dotted]\nread = [\"/\"]\n"
      "secret = \"a.b.c\"\n";
  std::string error = ErrorOf(text, /*jwt_configured=*/true);
  EXPECT_NE(error.find("auth.toml:6: the secret of token \"dotted\" has three dot-separated "
                       "parts"),
            std::string::npos)
      << error;
  EXPECT_EQ(error.find("a.b.c"), std::string::npos) << "the error must not echo the secret";
  EXPECT_EQ(ErrorOf(text, /*jwt_configured=*/false), "");  // without JWTs it is a secret
  // Other dotted shapes are no JWT and stay secrets.
  for (const char* secret : {"a.b", "a.b.c.d", "a..c", ".b.c", "a.b."}) {
    EXPECT_EQ(ErrorOf("[tokens.a]\nsecret = \"" + std::string(secret) + "\"\n", true), "")
        << secret;
  }
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
  EXPECT_FALSE(LoadAuthFile("/nonexistent/auth.toml", false, &tokens, &error));
  EXPECT_NE(error.find("/nonexistent/auth.toml"), std::string::npos);
}

}  // namespace
}  // namespace streamkeeper
