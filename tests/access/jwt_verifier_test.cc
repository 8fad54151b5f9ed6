// JwtVerifier: each algorithm by its key, and every way a token must fail: expired, not yet
// valid, wrong audience, wrong or "none" alg, algorithm confusion, bad signature, tampered
// claims, and keys it must refuse to start with.
#include "access/jwt_verifier.h"

#include <ctime>
#include <memory>

#include <gtest/gtest.h>

#include "access/jwt_test_keys.h"

namespace streamkeeper {
namespace {

using testing::HmacSha256;
using testing::JwtKeys;
using testing::MakeJwt;
using testing::SignWithKey;

class JwtVerifierTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { keys_ = new JwtKeys(); }
  static void TearDownTestSuite() { delete keys_; }
  void SetUp() override { ASSERT_TRUE(keys_->ok()) << "the openssl CLI could not make keys"; }

  static std::unique_ptr<JwtVerifier> ForPublicKey(const std::string& name,
                                                   std::string audience = "") {
    std::string error;
    auto verifier = JwtVerifier::Create({keys_->public_key(name), "", audience}, &error);
    EXPECT_TRUE(verifier) << error;
    return verifier;
  }
  static std::unique_ptr<JwtVerifier> ForSecret(std::string audience = "") {
    std::string error;
    auto verifier = JwtVerifier::Create({"", keys_->secret_file(), audience}, &error);
    EXPECT_TRUE(verifier) << error;
    return verifier;
  }
  // A token signed as `alg` with the test key `key` (or the HS256 secret).
  static std::string Token(std::string_view alg, const std::string& key, std::string claims) {
    std::string header = R"({"alg":")" + std::string(alg) + R"(","typ":"JWT"})";
    return MakeJwt(header, claims, [&](std::string_view data) {
      return alg == "HS256" ? HmacSha256(keys_->secret(), data)
                            : SignWithKey(keys_->private_key(key), alg, data);
    });
  }
  static std::string Claims(int64_t exp_from_now, std::string extra = "") {
    return R"({"sub":"alice","exp":)" + std::to_string(Now() + exp_from_now) +
           R"(,"ds_read":["/v1/stream/a/"],"ds_write":["/v1/stream/a/b"],"ds_admin":[])" +
           extra + "}";
  }
  static int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }
  static std::string Why(const JwtVerifier& verifier, const std::string& token) {
    JwtIdentity identity;
    std::string why;
    if (verifier.verify(token, Now(), &identity, &why)) return "";
    return why.empty() ? "?" : why;
  }

  static JwtKeys* keys_;
};

JwtKeys* JwtVerifierTest::keys_ = nullptr;

TEST_F(JwtVerifierTest, EachKeyTypeVerifiesItsAlgorithmAndGivesTheClaimedRights) {
  struct Case { std::string key; std::string alg; };
  for (const Case& c : {Case{"rsa", "RS256"}, Case{"ec", "ES256"}, Case{"ed25519", "EdDSA"},
                        Case{"", "HS256"}}) {
    auto verifier = c.key.empty() ? ForSecret() : ForPublicKey(c.key);
    ASSERT_TRUE(verifier);
    EXPECT_EQ(verifier->algorithm(), c.alg);
    JwtIdentity identity;
    std::string why;
    ASSERT_TRUE(verifier->verify(Token(c.alg, c.key, Claims(300)), Now(), &identity, &why))
        << c.alg << ": " << why;
    EXPECT_EQ(identity.subject, "alice");
    EXPECT_EQ(identity.rights.read, std::vector<std::string>{"/v1/stream/a/"});
    EXPECT_EQ(identity.rights.write, std::vector<std::string>{"/v1/stream/a/b"});
    EXPECT_TRUE(identity.rights.admin.empty());
  }
}

TEST_F(JwtVerifierTest, ExpIsRequiredAndCheckedWithTheLeeway) {
  auto verifier = ForPublicKey("ec");
  EXPECT_EQ(Why(*verifier, Token("ES256", "ec", Claims(-120))), "expired");
  EXPECT_EQ(Why(*verifier, Token("ES256", "ec", Claims(-30))), "");  // within the leeway
  EXPECT_EQ(Why(*verifier, Token("ES256", "ec", R"({"sub":"x"})")),
            "exp is missing or not a number");
  EXPECT_EQ(Why(*verifier, Token("ES256", "ec", R"({"exp":"tomorrow"})")),
            "exp is missing or not a number");
}

TEST_F(JwtVerifierTest, NotBeforeIsChecked) {
  auto verifier = ForPublicKey("ec");
  std::string future = R"(,"nbf":)" + std::to_string(Now() + 600);
  EXPECT_EQ(Why(*verifier, Token("ES256", "ec", Claims(900, future))), "not yet valid (nbf)");
  std::string soon = R"(,"nbf":)" + std::to_string(Now() + 30);
  EXPECT_EQ(Why(*verifier, Token("ES256", "ec", Claims(900, soon))), "");
}

TEST_F(JwtVerifierTest, AConfiguredAudienceMustBeNamed) {
  auto verifier = ForPublicKey("ed25519", "streams");
  EXPECT_EQ(Why(*verifier, Token("EdDSA", "ed25519", Claims(300, R"(,"aud":"streams")"))), "");
  EXPECT_EQ(Why(*verifier, Token("EdDSA", "ed25519", Claims(300, R"(,"aud":["x","streams"])"))),
            "");
  EXPECT_EQ(Why(*verifier, Token("EdDSA", "ed25519", Claims(300, R"(,"aud":"other")"))),
            "aud does not name streams");
  EXPECT_EQ(Why(*verifier, Token("EdDSA", "ed25519", Claims(300))), "aud does not name streams");
}

TEST_F(JwtVerifierTest, TheAlgMustBeTheKeysAlgorithm) {
  auto rsa = ForPublicKey("rsa");
  // An ES256 token from a valid EC key is still refused by the RSA verifier.
  EXPECT_EQ(Why(*rsa, Token("ES256", "ec", Claims(300))), "alg is not RS256");
  // "none": no signature at all.
  std::string none = testing::Base64Url(R"({"alg":"none"})") + "." +
                     testing::Base64Url(Claims(300)) + ".";
  EXPECT_NE(Why(*rsa, none), "");
  std::string none_sig = testing::Base64Url(R"({"alg":"none"})") + "." +
                         testing::Base64Url(Claims(300)) + ".AAAA";
  EXPECT_EQ(Why(*rsa, none_sig), "alg is not RS256");
}

TEST_F(JwtVerifierTest, AlgorithmConfusionHs256SignedWithThePublicKeyIsRefused) {
  auto rsa = ForPublicKey("rsa");
  std::string public_pem = testing::ReadText(keys_->public_key("rsa"));
  std::string forged = MakeJwt(R"({"alg":"HS256"})", Claims(300), [&](std::string_view data) {
    return HmacSha256(public_pem, data);
  });
  EXPECT_EQ(Why(*rsa, forged), "alg is not RS256");
}

TEST_F(JwtVerifierTest, ABadSignatureIsRefused) {
  for (std::string alg : {"RS256", "ES256", "EdDSA", "HS256"}) {
    std::string key = alg == "RS256" ? "rsa" : alg == "ES256" ? "ec" : alg == "EdDSA" ? "ed25519" : "";
    auto verifier = key.empty() ? ForSecret() : ForPublicKey(key);
    std::string token = Token(alg, key, Claims(300));
    // Change one signature character (keeping it base64url).
    char& c = token[token.size() - 3];
    c = c == 'A' ? 'B' : 'A';
    EXPECT_EQ(Why(*verifier, token), "bad signature") << alg;
  }
}

TEST_F(JwtVerifierTest, TamperedClaimsAreRefused) {
  auto verifier = ForPublicKey("rsa");
  std::string token = Token("RS256", "rsa", Claims(300));
  size_t first = token.find('.');
  size_t second = token.find('.', first + 1);
  std::string more_rights = R"({"sub":"alice","exp":)" + std::to_string(Now() + 300) +
                            R"(,"ds_admin":["/"]})";
  std::string tampered = token.substr(0, first + 1) + testing::Base64Url(more_rights) +
                         token.substr(second);
  EXPECT_EQ(Why(*verifier, tampered), "bad signature");
}

TEST_F(JwtVerifierTest, CritHeadersAndMalformedTokensAreRefused) {
  auto verifier = ForSecret();
  std::string crit = MakeJwt(R"({"alg":"HS256","crit":["exp"]})", Claims(300),
                             [&](std::string_view data) { return HmacSha256(keys_->secret(), data); });
  EXPECT_EQ(Why(*verifier, crit), "crit header parameters are not supported");
  EXPECT_NE(Why(*verifier, "a.b"), "");
  EXPECT_NE(Why(*verifier, "a.b.c.d"), "");
  EXPECT_NE(Why(*verifier, "!!.??.**"), "");
  std::string bad_rights = Token("HS256", "", Claims(300, R"(,"ds_read":["relative"])"));
  EXPECT_NE(Why(*verifier, bad_rights).find("ds_read"), std::string::npos);
}

TEST_F(JwtVerifierTest, LooksLikeJwtMeansThreeNonEmptyParts) {
  EXPECT_TRUE(JwtVerifier::LooksLikeJwt("a.b.c"));
  EXPECT_FALSE(JwtVerifier::LooksLikeJwt("s3cret"));
  EXPECT_FALSE(JwtVerifier::LooksLikeJwt("a..c"));
  EXPECT_FALSE(JwtVerifier::LooksLikeJwt("a.b."));
  EXPECT_FALSE(JwtVerifier::LooksLikeJwt("a.b.c.d"));
}

TEST_F(JwtVerifierTest, UnusableKeysAreRefusedAtStart) {
  std::string error;
  EXPECT_FALSE(JwtVerifier::Create({keys_->public_key("ec384"), "", ""}, &error));
  EXPECT_NE(error.find("P-256"), std::string::npos) << error;
  EXPECT_FALSE(JwtVerifier::Create({keys_->secret_file(), "", ""}, &error));
  EXPECT_NE(error.find("not a PEM public key"), std::string::npos) << error;
  std::string short_secret = keys_->dir() + "/short.secret";
  std::ofstream(short_secret) << "too short\n";
  EXPECT_FALSE(JwtVerifier::Create({"", short_secret, ""}, &error));
  EXPECT_NE(error.find("at least 32 bytes"), std::string::npos) << error;
  EXPECT_FALSE(JwtVerifier::Create({"", "", ""}, &error));
  EXPECT_FALSE(JwtVerifier::Create({keys_->public_key("rsa"), keys_->secret_file(), ""}, &error));
}

}  // namespace
}  // namespace streamkeeper
