// AccessGate: every right on every method, the 401/403/429 answers, CORS origins, JWTs next to
// the auth file, and reloads (also under concurrent admit()).
#include "access/access_gate.h"

#include <atomic>
#include <ctime>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "jwt_test_keys.h"
#include "storage/temp_dir.h"

namespace streamkeeper {
namespace {

using testing::HmacSha256;
using testing::MakeJwt;

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

const char* kAuthFile = R"(
[tokens.reader]
secret = "reader-secret"
read = ["/"]

[tokens.writer]
secret = "writer-secret"
write = ["/"]

[tokens.admin]
secret = "admin-secret"
admin = ["/"]

[tokens.forker]
secret = "forker-secret"
read = ["/"]
write = ["/"]

[tokens.nothing]
secret = "nothing-secret"

[tokens.chat]
secret = "chat-secret"
read = ["/v1/stream/chat/"]
write = ["/v1/stream/chat/"]
)";

// One request, its strings owned.
struct Call {
  std::string method, target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string address = "10.0.0.1";

  Call& header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  Call& bearer(const std::string& token) { return header("Authorization", "Bearer " + token); }
  Call& from(std::string ip) {
    address = std::move(ip);
    return *this;
  }
  std::optional<HttpResponse> on(AccessGate& gate) const {
    HttpRequest request;
    request.method = method;
    request.target = target;
    for (const auto& [name, value] : headers) request.headers.emplace_back(name, value);
    return gate.admit(request, RequestPeer{address, false});
  }
  // 0 when admitted, else the refusal's status.
  int status(AccessGate& gate) const {
    auto refusal = on(gate);
    return refusal ? refusal->status : 0;
  }
};

Call Req(std::string method, std::string target) {
  Call call;
  call.method = std::move(method);
  call.target = std::move(target);
  return call;
}

class AccessGateTest : public ::testing::Test {
 protected:
  std::unique_ptr<AccessGate> Gate(AccessOptions options) {
    std::string error;
    auto gate = AccessGate::Create(options, &error);
    EXPECT_TRUE(gate) << error;
    return gate;
  }
  AccessOptions WithAuthFile(const std::string& text = kAuthFile) {
    WriteFile(auth_path_, text);
    AccessOptions options;
    options.auth_file = auth_path_;
    return options;
  }

  testing::TempDir dir_;
  std::string auth_path_ = dir_.path() + "/auth.toml";
};

// Every right on every method: which tokens each request admits (403 for the others, 401
// without a token).
TEST_F(AccessGateTest, RightsMatrix) {
  auto gate = Gate(WithAuthFile());
  struct Row {
    Call call;
    std::vector<std::string> admitted;  // token names; "anyone": also without a token
  };
  Call fork = Req("PUT", "/v1/stream/y");
  fork.header("Stream-Forked-From", "/v1/stream/x");
  std::vector<Row> rows = {
      {Req("GET", "/v1/stream/x?offset=-1"), {"reader", "forker"}},
      {Req("HEAD", "/v1/stream/x"), {"reader", "forker"}},
      {Req("POST", "/v1/stream/x"), {"writer", "forker"}},
      {Req("PUT", "/v1/stream/x"), {"writer", "forker"}},
      {fork, {"forker"}},
      {Req("DELETE", "/v1/stream/x"), {"admin"}},
      {Req("PATCH", "/v1/stream/x"), {"admin"}},
      {Req("OPTIONS", "/v1/stream/x"), {"anyone"}},
      {Req("GET", "/v1/stream/__ds/subscriptions"), {"admin"}},
      {Req("POST", "/v1/stream/__ds/subscriptions"), {"admin"}},
      {Req("GET", "/_admin/streams"), {"admin"}},
      {Req("DELETE", "/_admin/streams/x"), {"admin"}},
      {Req("GET", "/metrics"), {"admin"}},
      {Req("GET", "/healthz"), {"anyone"}},
      {Req("GET", "/readyz"), {"anyone"}},
  };
  const std::vector<std::string> tokens = {"reader", "writer", "admin", "forker", "nothing"};
  for (const Row& row : rows) {
    auto admits = [&](const std::string& name) {
      for (const auto& a : row.admitted) {
        if (a == name || a == "anyone") return true;
      }
      return false;
    };
    std::string what = row.call.method + " " + row.call.target;
    for (const std::string& token : tokens) {
      Call call = row.call;
      call.bearer(token + "-secret");
      EXPECT_EQ(call.status(*gate), admits(token) ? 0 : 403) << what << " as " << token;
    }
    EXPECT_EQ(row.call.status(*gate), admits("anyone") ? 0 : 401) << what << " without a token";
  }
}

TEST_F(AccessGateTest, APrefixGrantsOnlyWhatIsUnderIt) {
  auto gate = Gate(WithAuthFile());
  auto as_chat = [&](std::string method, std::string target) {
    return Req(std::move(method), std::move(target)).bearer("chat-secret").status(*gate);
  };
  EXPECT_EQ(as_chat("GET", "/v1/stream/chat/1"), 0);
  EXPECT_EQ(as_chat("POST", "/v1/stream/chat/a/b"), 0);
  EXPECT_EQ(as_chat("GET", "/v1/stream/chatroom"), 403);
  EXPECT_EQ(as_chat("GET", "/v1/stream/chat"), 403);
  EXPECT_EQ(as_chat("GET", "/v1/stream/chat/../secret"), 403);
  EXPECT_EQ(as_chat("GET", "/v1/stream/chat/%2e%2e/secret"), 403);
  EXPECT_EQ(as_chat("GET", "/v1/stream/chat%2F..%2Fsecret"), 403);
  EXPECT_EQ(as_chat("GET", "/v1/stream/chat/x%00"), 403);
  EXPECT_EQ(as_chat("GET", "http://host/v1/stream/chat/1"), 0);
  EXPECT_EQ(as_chat("GET", "/v1/stream/%63hat/1"), 0);  // decoded as the protocol layer does
  EXPECT_EQ(as_chat("DELETE", "/v1/stream/chat/1"), 403);
}

TEST_F(AccessGateTest, AForkNeedsReadOnItsSource) {
  auto gate = Gate(WithAuthFile());
  auto fork = [&](std::string source) {
    return Req("PUT", "/v1/stream/chat/copy")
        .bearer("chat-secret")
        .header("Stream-Forked-From", std::move(source))
        .status(*gate);
  };
  EXPECT_EQ(fork("/v1/stream/chat/original"), 0);
  EXPECT_EQ(fork("http://127.0.0.1:4437/v1/stream/chat/original"), 0);
  EXPECT_EQ(fork("/v1/stream/private/original"), 403);
  EXPECT_EQ(fork("http://127.0.0.1:4437/v1/stream/private/original"), 403);
  EXPECT_EQ(fork("/v1/stream/chat/../private/original"), 403);
}

TEST_F(AccessGateTest, NoTokenIs401WithABearerChallengeAndTheJsonError) {
  auto gate = Gate(WithAuthFile());
  auto refusal = Req("GET", "/v1/stream/x").on(*gate);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->status, 401);
  EXPECT_EQ(refusal->header("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(refusal->header("Content-Type"), "application/json");
  EXPECT_NE(refusal->body.find(R"("code":"UNAUTHORIZED")"), std::string::npos);
  // Another scheme is no bearer token either.
  refusal = Req("GET", "/v1/stream/x").header("Authorization", "Basic cmVhZGVyOng=").on(*gate);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->header("WWW-Authenticate"), "Bearer");
}

TEST_F(AccessGateTest, AWrongTokenIs401InvalidTokenAndIsNotEchoed) {
  auto gate = Gate(WithAuthFile());
  auto refusal = Req("GET", "/v1/stream/x").bearer("guessed-secret").on(*gate);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->status, 401);
  EXPECT_EQ(refusal->header("WWW-Authenticate"), R"(Bearer error="invalid_token")");
  EXPECT_EQ(refusal->body.find("guessed-secret"), std::string::npos);
  EXPECT_EQ(Req("GET", "/v1/stream/x").header("Authorization", "Bearer").status(*gate), 401);
  EXPECT_EQ(Req("GET", "/v1/stream/x").header("Authorization", "bearer  reader-secret ").status(*gate), 0);
}

TEST_F(AccessGateTest, OutsideTheRightsIs403WithTheJsonError) {
  auto gate = Gate(WithAuthFile());
  auto refusal = Req("POST", "/v1/stream/x").bearer("reader-secret").on(*gate);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->status, 403);
  EXPECT_NE(refusal->body.find(R"("code":"FORBIDDEN")"), std::string::npos);
  EXPECT_NE(refusal->body.find("no write right on /v1/stream/x"), std::string::npos);
  EXPECT_EQ(refusal->body.find("reader-secret"), std::string::npos);
}

TEST_F(AccessGateTest, RateLimitsPerAddressAndPerToken) {
  AccessOptions options = WithAuthFile();
  options.rate_limit = "1/s,burst=2";
  auto gate = Gate(options);
  // One address, two tokens: the address's bucket empties.
  EXPECT_EQ(Req("GET", "/v1/stream/x").bearer("reader-secret").from("10.0.0.1").status(*gate), 0);
  EXPECT_EQ(Req("GET", "/v1/stream/x").bearer("forker-secret").from("10.0.0.1").status(*gate), 0);
  auto refusal = Req("GET", "/v1/stream/x").bearer("admin-secret").from("10.0.0.1").on(*gate);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->status, 429);
  EXPECT_EQ(refusal->header("Retry-After"), "1");
  EXPECT_NE(refusal->body.find(R"("code":"RATE_LIMITED")"), std::string::npos);
  // One token, other addresses: the token's bucket empties.
  EXPECT_EQ(Req("GET", "/v1/stream/x").bearer("chat-secret").from("10.0.1.1").status(*gate), 403);
  EXPECT_EQ(Req("GET", "/v1/stream/x").bearer("chat-secret").from("10.0.1.2").status(*gate), 403);
  EXPECT_EQ(Req("GET", "/v1/stream/x").bearer("chat-secret").from("10.0.1.3").status(*gate), 429);
  // Probes are never limited.
  EXPECT_EQ(Req("GET", "/healthz").from("10.0.0.1").status(*gate), 0);
}

// An IPv6 client owns a /64 and could take a fresh bucket per address; an IPv4 client seen
// through a dual-stack socket (::ffff:a.b.c.d) is the same client as a.b.c.d.
TEST_F(AccessGateTest, AnIpv6ClientIsLimitedByItsSlash64) {
  AccessOptions options;
  options.rate_limit = "1/s,burst=2";
  auto gate = Gate(options);
  EXPECT_EQ(Req("GET", "/v1/stream/x").from("2001:db8:1:2::1").status(*gate), 0);
  EXPECT_EQ(Req("GET", "/v1/stream/x").from("2001:db8:1:2::2").status(*gate), 0);
  EXPECT_EQ(Req("GET", "/v1/stream/x").from("2001:db8:1:2:ffff::3").status(*gate), 429);
  EXPECT_EQ(Req("GET", "/v1/stream/x").from("2001:db8:1:3::1").status(*gate), 0);  // next /64
  EXPECT_EQ(Req("GET", "/v1/stream/x").from("::ffff:10.9.9.9").status(*gate), 0);
  EXPECT_EQ(Req("GET", "/v1/stream/x").from("10.9.9.9").status(*gate), 0);
  EXPECT_EQ(Req("GET", "/v1/stream/x").from("::ffff:10.9.9.9").status(*gate), 429);
  EXPECT_EQ(Req("GET", "/v1/stream/x").from("10.9.9.10").status(*gate), 0);
}

// "Authorization: Bearer" with nothing after it is refused before any secret is compared.
TEST_F(AccessGateTest, AnEmptyBearerTokenIs401) {
  auto gate = Gate(WithAuthFile());
  for (const char* value : {"Bearer", "Bearer ", "Bearer    ", "bearer\t"}) {
    auto refusal = Req("GET", "/v1/stream/x").header("Authorization", value).on(*gate);
    ASSERT_TRUE(refusal) << value;
    EXPECT_EQ(refusal->status, 401) << value;
    EXPECT_EQ(refusal->header("WWW-Authenticate"), R"(Bearer error="invalid_token")") << value;
    EXPECT_NE(refusal->body.find("the bearer token is empty"), std::string::npos) << refusal->body;
  }
}

TEST_F(AccessGateTest, AnAuthFileWithTheEmptyStringsDigestDoesNotLoad) {
  std::string error;
  auto options = WithAuthFile(
      "[tokens.a]\nread = [\"/\"]\n"
      "secret_sha256 = \"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"\n");
  EXPECT_FALSE(AccessGate::Create(options, &error));
  EXPECT_NE(error.find(auth_path_ + ":3: secret_sha256 of token \"a\" is the SHA-256 of the "
                                    "empty string"),
            std::string::npos)
      << error;
}

// The rate limit's bounds hold end to end: a rate below 0.001/s is refused at start; the
// slowest rate with the largest burst, and rates below the bound given to the limiter
// directly, give waits that are whole and positive (no duration overflow).
TEST_F(AccessGateTest, RateLimitBoundsHoldEndToEnd) {
  AccessOptions options;
  std::string error;
  for (const char* bad :
       {"1e-10/s", "0.0009/s", "1e-300/s", "1e7/s", "1e300/s", "0.001/s,burst=1000001"}) {
    options.rate_limit = bad;
    EXPECT_FALSE(AccessGate::Create(options, &error)) << bad;
    EXPECT_NE(error.find("--rate-limit"), std::string::npos) << error;
  }
  options.rate_limit = "0.001/s,burst=1";
  auto slowest = Gate(options);
  EXPECT_EQ(Req("GET", "/v1/stream/x").status(*slowest), 0);
  auto refusal = Req("GET", "/v1/stream/x").on(*slowest);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->status, 429);
  EXPECT_EQ(refusal->header("Retry-After"), "1000");
  options.rate_limit = "1e-3/s,burst=1000000";
  auto widest = Gate(options);
  EXPECT_EQ(Req("GET", "/v1/stream/x").status(*widest), 0);
}

TEST_F(AccessGateTest, WithoutATokenSourceEveryRequestPasses) {
  AccessOptions options;
  options.rate_limit = "100/s";
  auto gate = Gate(options);
  EXPECT_EQ(Req("DELETE", "/v1/stream/x").status(*gate), 0);
  EXPECT_EQ(Req("GET", "/metrics").status(*gate), 0);
}

TEST_F(AccessGateTest, MetricsOpenServesMetricsWithoutAToken) {
  AccessOptions options = WithAuthFile();
  options.metrics_open = true;
  auto gate = Gate(options);
  EXPECT_EQ(Req("GET", "/metrics").status(*gate), 0);
  EXPECT_EQ(Req("GET", "/v1/stream/x").status(*gate), 401);
}

TEST_F(AccessGateTest, CorsOriginsAllowListedOriginsOnly) {
  AccessOptions options;
  options.cors_origins = "https://app.example.com, http://localhost:3000";
  auto gate = Gate(options);
  EXPECT_EQ(gate->allow_origin("https://app.example.com"), "https://app.example.com");
  EXPECT_EQ(gate->allow_origin("http://localhost:3000"), "http://localhost:3000");
  EXPECT_EQ(gate->allow_origin("https://evil.example.com"), "");
  EXPECT_EQ(gate->allow_origin(""), "");
  EXPECT_EQ(Gate(AccessOptions{})->allow_origin("https://any.example"), "*");
  EXPECT_TRUE(gate->varies_by_origin());
  EXPECT_FALSE(Gate(AccessOptions{})->varies_by_origin());
  for (std::string bad : {"https://a.example/", "app.example.com", "https://a.example,*", ""}) {
    options.cors_origins = bad;
    std::string error;
    EXPECT_FALSE(AccessGate::Create(options, &error)) << bad;
    EXPECT_NE(error.find("--cors-origins"), std::string::npos);
  }
}

// Scheme, host and port are case-insensitive: a list written with capitals matches what
// browsers send (lower case), and the answer echoes the request's own Origin.
TEST_F(AccessGateTest, CorsOriginsCompareIgnoringCase) {
  AccessOptions options;
  options.cors_origins = "HTTPS://App.Example.COM,http://LocalHost:3000";
  auto gate = Gate(options);
  EXPECT_EQ(gate->allow_origin("https://app.example.com"), "https://app.example.com");
  EXPECT_EQ(gate->allow_origin("http://localhost:3000"), "http://localhost:3000");
  EXPECT_EQ(gate->allow_origin("HTTPS://APP.EXAMPLE.COM"), "HTTPS://APP.EXAMPLE.COM");
  EXPECT_EQ(gate->allow_origin("https://app.example.co"), "");
  EXPECT_EQ(gate->allow_origin("http://app.example.com"), "");
  EXPECT_EQ(gate->allow_origin("http://localhost:30000"), "");
}

TEST_F(AccessGateTest, ABadOptionIsAnErrorNamingIt) {
  std::string error;
  AccessOptions options;
  options.rate_limit = "fast";
  EXPECT_FALSE(AccessGate::Create(options, &error));
  EXPECT_NE(error.find("--rate-limit"), std::string::npos);
  options = AccessOptions{};
  options.jwt_audience = "streams";
  EXPECT_FALSE(AccessGate::Create(options, &error));
  EXPECT_NE(error.find("--jwt-audience"), std::string::npos);
  EXPECT_TRUE(options.needs_gate());
  options = WithAuthFile("[tokens.a]\nsecret = \"x\"\nread = [\"nope\"]\n");
  EXPECT_FALSE(AccessGate::Create(options, &error));
  EXPECT_NE(error.find(auth_path_ + ":3:"), std::string::npos) << error;
}

TEST_F(AccessGateTest, ReloadSwapsTokensAndABadFileKeepsTheOldOnes) {
  auto gate = Gate(WithAuthFile("[tokens.a]\nsecret = \"one\"\nread = [\"/\"]\n"));
  EXPECT_EQ(Req("GET", "/v1/stream/x").bearer("one").status(*gate), 0);
  WriteFile(auth_path_, "[tokens.b]\nsecret = \"two\"\nwrite = [\"/\"]\n");
  std::string error;
  ASSERT_TRUE(gate->reload(&error)) << error;
  EXPECT_EQ(Req("GET", "/v1/stream/x").bearer("one").status(*gate), 401);
  EXPECT_EQ(Req("GET", "/v1/stream/x").bearer("two").status(*gate), 403);
  EXPECT_EQ(Req("POST", "/v1/stream/x").bearer("two").status(*gate), 0);
  WriteFile(auth_path_, "[tokens.c]\nsecret = \"three\"\nbogus = 1\n");
  EXPECT_FALSE(gate->reload(&error));
  EXPECT_NE(error.find(auth_path_ + ":3: unknown key \"bogus\""), std::string::npos) << error;
  EXPECT_EQ(Req("POST", "/v1/stream/x").bearer("two").status(*gate), 0);
  EXPECT_EQ(Req("POST", "/v1/stream/x").bearer("three").status(*gate), 401);
}

TEST_F(AccessGateTest, ReloadIsSafeUnderConcurrentAdmits) {
  const std::string file_a = "[tokens.a]\nsecret = \"s\"\nread = [\"/\"]\n";
  const std::string file_b = "[tokens.b]\nsecret = \"s\"\nread = [\"/v1/\"]\n";
  auto gate = Gate(WithAuthFile(file_a));
  std::atomic<bool> stop{false};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      Call call = Req("GET", "/v1/stream/x");
      call.bearer("s");
      while (!stop.load()) {
        if (call.status(*gate) != 0) refused.fetch_add(1);
      }
    });
  }
  for (int i = 0; i < 200; ++i) {
    WriteFile(auth_path_, i % 2 ? file_a : file_b);
    std::string error;
    ASSERT_TRUE(gate->reload(&error)) << error;
  }
  stop.store(true);
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(refused.load(), 0);
}

class AccessGateJwtTest : public AccessGateTest {
 protected:
  static void SetUpTestSuite() { keys_ = new testing::JwtKeys(); }
  static void TearDownTestSuite() { delete keys_; }
  static std::string Hs256(const std::string& claims) {
    return MakeJwt(R"({"alg":"HS256"})", claims,
                   [](std::string_view data) { return HmacSha256(keys_->secret(), data); });
  }
  static testing::JwtKeys* keys_;
};

testing::JwtKeys* AccessGateJwtTest::keys_ = nullptr;

TEST_F(AccessGateJwtTest, JwtRightsComeFromClaimsNextToTheAuthFile) {
  ASSERT_TRUE(keys_->ok());
  AccessOptions options = WithAuthFile();
  options.jwt_secret_file = keys_->secret_file();
  options.jwt_audience = "streams";
  auto gate = Gate(options);
  std::string exp = std::to_string(std::time(nullptr) + 300);
  std::string reader = Hs256(R"({"sub":"bob","aud":"streams","exp":)" + exp +
                             R"(,"ds_read":["/v1/stream/bob/"]})");
  EXPECT_EQ(Req("GET", "/v1/stream/bob/1").bearer(reader).status(*gate), 0);
  EXPECT_EQ(Req("POST", "/v1/stream/bob/1").bearer(reader).status(*gate), 403);
  EXPECT_EQ(Req("GET", "/v1/stream/alice/1").bearer(reader).status(*gate), 403);
  std::string other_audience = Hs256(R"({"aud":"other","exp":)" + exp + R"(,"ds_read":["/"]})");
  auto refusal = Req("GET", "/v1/stream/bob/1").bearer(other_audience).on(*gate);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->status, 401);
  EXPECT_EQ(refusal->header("WWW-Authenticate"), R"(Bearer error="invalid_token")");
  // Auth-file secrets still work.
  EXPECT_EQ(Req("GET", "/v1/stream/x").bearer("reader-secret").status(*gate), 0);
}

// A signature is checked once per token and IO thread while the token is valid: a client
// sending the same token request after request pays a digest, not a signature check (tens of
// microseconds for RS256, ES256, EdDSA). What the cached token may do does not change, and a
// token that differs in any byte is checked anew.
TEST_F(AccessGateJwtTest, AVerifiedJwtIsCheckedOncePerThreadWhileValid) {
  ASSERT_TRUE(keys_->ok());
  AccessOptions options;
  options.jwt_secret_file = keys_->secret_file();
  auto gate = Gate(options);
  std::string exp = std::to_string(std::time(nullptr) + 300);
  std::string reader = Hs256(R"({"sub":"dora","exp":)" + exp + R"(,"ds_read":["/v1/stream/d/"]})");
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(Req("GET", "/v1/stream/d/1").bearer(reader).status(*gate), 0);
    EXPECT_EQ(Req("POST", "/v1/stream/d/1").bearer(reader).status(*gate), 403);
  }
  EXPECT_EQ(gate->jwt_verifications(), 1u);
  std::string tampered = reader;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(Req("GET", "/v1/stream/d/1").bearer(tampered).status(*gate), 401);
  EXPECT_EQ(Req("GET", "/v1/stream/d/1").bearer(tampered).status(*gate), 401);
  EXPECT_EQ(gate->jwt_verifications(), 3u) << "a refused token must be checked every time";
  // Another thread checks for itself.
  std::thread([&] {
    EXPECT_EQ(Req("GET", "/v1/stream/d/1").bearer(reader).status(*gate), 0);
  }).join();
  EXPECT_EQ(gate->jwt_verifications(), 4u);
  // Another gate (say, with another key) shares nothing with this one.
  auto other_gate = Gate(options);
  EXPECT_EQ(Req("GET", "/v1/stream/d/1").bearer(reader).status(*other_gate), 0);
  EXPECT_EQ(other_gate->jwt_verifications(), 1u);
}

// A JWT without "sub" is limited too, each token by itself.
TEST_F(AccessGateJwtTest, AJwtWithoutSubjectIsRateLimited) {
  ASSERT_TRUE(keys_->ok());
  AccessOptions options;
  options.jwt_secret_file = keys_->secret_file();
  options.rate_limit = "1/s,burst=2";
  auto gate = Gate(options);
  std::string exp = std::to_string(std::time(nullptr) + 300);
  std::string anonymous = Hs256(R"({"exp":)" + exp + R"(,"ds_read":["/"]})");
  std::string other = Hs256(R"({"exp":)" + exp + R"(,"ds_read":["/"],"jti":"2"})");
  // Other addresses each time: only the token's bucket can run dry.
  EXPECT_EQ(Req("GET", "/v1/stream/x").bearer(anonymous).from("10.0.2.1").status(*gate), 0);
  EXPECT_EQ(Req("GET", "/v1/stream/x").bearer(anonymous).from("10.0.2.2").status(*gate), 0);
  auto refusal = Req("GET", "/v1/stream/x").bearer(anonymous).from("10.0.2.3").on(*gate);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->status, 429);
  EXPECT_NE(refusal->body.find("for this token"), std::string::npos) << refusal->body;
  EXPECT_EQ(Req("GET", "/v1/stream/x").bearer(other).from("10.0.2.4").status(*gate), 0);
  // A subject's tokens share one bucket, whichever token it presents.
  std::string carol_1 = Hs256(R"({"sub":"carol","exp":)" + exp + R"(,"ds_read":["/"]})");
  std::string carol_2 = Hs256(R"({"sub":"carol","exp":)" + exp + R"(,"ds_read":["/"],"jti":"b"})");
  EXPECT_EQ(Req("GET", "/v1/stream/x").bearer(carol_1).from("10.0.3.1").status(*gate), 0);
  EXPECT_EQ(Req("GET", "/v1/stream/x").bearer(carol_2).from("10.0.3.2").status(*gate), 0);
  EXPECT_EQ(Req("GET", "/v1/stream/x").bearer(carol_1).from("10.0.3.3").status(*gate), 429);
}

// With JWTs configured a three-part bearer token is checked as a JWT only, so an auth file
// holding such a secret is refused, at start and at reload, naming the line.
TEST_F(AccessGateJwtTest, WithJwtConfiguredAJwtShapedSecretIsRefusedAtLoad) {
  ASSERT_TRUE(keys_->ok());
  const std::string dotted = "[tokens.dotted]\nread = [\"/\"]\nsecret = \"a.b.c\"\n";
  AccessOptions options = WithAuthFile(dotted);
  options.jwt_secret_file = keys_->secret_file();
  std::string error;
  EXPECT_FALSE(AccessGate::Create(options, &error));
  EXPECT_NE(error.find(auth_path_ + ":3: the secret of token \"dotted\""), std::string::npos)
      << error;

  WriteFile(auth_path_, "[tokens.plain]\nsecret = \"plain-secret\"\nread = [\"/\"]\n");
  auto gate = Gate(options);
  WriteFile(auth_path_, dotted);
  EXPECT_FALSE(gate->reload(&error));
  EXPECT_NE(error.find(auth_path_ + ":3:"), std::string::npos) << error;
  EXPECT_EQ(Req("GET", "/v1/stream/x").bearer("plain-secret").status(*gate), 0);
  EXPECT_EQ(Req("GET", "/v1/stream/x").bearer("a.b.c").status(*gate), 401);
}

TEST_F(AccessGateJwtTest, WithoutJwtConfiguredAJwtShapedTokenIsASecret) {
  AccessOptions options = WithAuthFile("[tokens.dotted]\nsecret = \"a.b.c\"\nread = [\"/\"]\n");
  auto gate = Gate(options);
  EXPECT_EQ(Req("GET", "/v1/stream/x").bearer("a.b.c").status(*gate), 0);
  EXPECT_EQ(Req("GET", "/v1/stream/x").bearer("a.b.d").status(*gate), 401);
}

}  // namespace
}  // namespace streamkeeper
