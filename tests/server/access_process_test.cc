// Access control as a client of the real binary sees it: 401 with a Bearer challenge and the
// JSON error, 403, 429 with Retry-After, the auth file re-read on SIGHUP (a bad one keeps the
// old tokens), a bad file at start (exit 2, naming the line), /metrics, the open probes, CORS
// origins, and no token in any log.
#include <signal.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "access/jwt_test_keys.h"
#include "http_test_client.h"
#include "server_process_fixture.h"

namespace streamkeeper::testing {
namespace {

using Clock = std::chrono::steady_clock;

const char* kAuthFile = R"(# tokens for the access tests
[tokens.ingest]
secret = "ingest-token-1234"
read = ["/v1/stream/chat/"]
write = ["/v1/stream/chat/"]

[tokens.ops]
secret = "ops-token-5678"
admin = ["/"]
)";

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Headers Bearer(const std::string& token, Headers more = {}) {
  more.emplace_back("Authorization", "Bearer " + token);
  return more;
}

// Waits (at most `timeout`) until the server's stderr holds `needle` after `from` bytes.
bool WaitForErr(ServerProcess* server, const std::string& needle, size_t from, Millis timeout) {
  auto deadline = Clock::now() + timeout;
  while (server->err().find(needle, from) == std::string::npos) {
    if (Clock::now() >= deadline) return false;
    server->drain_output(Millis(50));
  }
  return true;
}

class AccessProcessTest : public ServerProcessTest {
 protected:
  std::unique_ptr<ServerProcess> StartWithAuth(std::vector<std::string> extra, uint16_t* port) {
    WriteFile(auth_path_, kAuthFile);
    extra.push_back("--auth-file");
    extra.push_back(auth_path_);
    return Start(extra, port);
  }
  std::string auth_path_ = dir_.path() + "/auth.toml";
};

TEST_F(AccessProcessTest, NoTokenIs401WithABearerChallengeAndTheJsonError) {
  uint16_t port = 0;
  auto server = StartWithAuth({}, &port);
  ASSERT_NE(port, 0);
  HttpResult result = Request(port, "PUT", "/v1/stream/chat/a");
  EXPECT_EQ(result.status, 401);
  EXPECT_EQ(result.header("WWW-Authenticate").value_or(""), "Bearer");
  EXPECT_EQ(result.header("Content-Type").value_or(""), "application/json");
  EXPECT_NE(result.body.find(R"({"error":{"code":"UNAUTHORIZED")"), std::string::npos)
      << result.body;
  result = Request(port, "PUT", "/v1/stream/chat/a", Bearer("wrong-token"));
  EXPECT_EQ(result.status, 401);
  EXPECT_EQ(result.header("WWW-Authenticate").value_or(""), R"(Bearer error="invalid_token")");
}

// A request without rights is refused from its head, before its body is read: a client with
// no token cannot make the server read and hold --max-body-bytes per connection. The body
// never comes here; the 401 must come anyway, and the connection then closes.
TEST_F(AccessProcessTest, ARefusedUploadIsAnsweredFromItsHeadWithoutWaitingForItsBody) {
  uint16_t port = 0;
  auto server = StartWithAuth({"--max-body-bytes", "67108864"}, &port);
  ASSERT_NE(port, 0);
  TestConnection connection(port);
  ASSERT_TRUE(connection.ok());
  ASSERT_TRUE(connection.send("POST /v1/stream/chat/a HTTP/1.1\r\nHost: x\r\n"
                              "Content-Type: text/plain\r\nContent-Length: 60000000\r\n\r\n"
                              "the first bytes of a large body"));
  HttpResult result = connection.read_response(Millis(3000));
  EXPECT_EQ(result.status, 401) << result.error;
  EXPECT_NE(result.body.find("UNAUTHORIZED"), std::string::npos) << result.body;
  EXPECT_EQ(result.header("Connection").value_or(""), "close");
  // A whole request refused leaves its connection usable, as any other answer does.
  TestConnection keep(port);
  ASSERT_TRUE(keep.ok());
  ASSERT_TRUE(keep.send(BuildRequest("POST", "/v1/stream/chat/a",
                                     {{"Content-Type", "text/plain"}}, "hi")));
  EXPECT_EQ(keep.read_response(Millis(3000)).status, 401);
  ASSERT_TRUE(keep.send(BuildRequest("GET", "/healthz", {}, "")));
  EXPECT_EQ(keep.read_response(Millis(3000)).status, 200);
}

TEST_F(AccessProcessTest, RightsDecideWhatATokenMayDo) {
  uint16_t port = 0;
  auto server = StartWithAuth({}, &port);
  ASSERT_NE(port, 0);
  const Headers text = {{"Content-Type", "text/plain"}};
  EXPECT_EQ(Request(port, "PUT", "/v1/stream/chat/a", Bearer("ingest-token-1234", text)).status,
            201);
  EXPECT_EQ(Request(port, "POST", "/v1/stream/chat/a", Bearer("ingest-token-1234", text), "hi")
                .status,
            204);
  HttpResult read = Request(port, "GET", "/v1/stream/chat/a?offset=-1", Bearer("ingest-token-1234"));
  EXPECT_EQ(read.status, 200);
  EXPECT_EQ(read.body, "hi");
  HttpResult outside = Request(port, "PUT", "/v1/stream/chatroom", Bearer("ingest-token-1234", text));
  EXPECT_EQ(outside.status, 403);
  EXPECT_NE(outside.body.find(R"("code":"FORBIDDEN")"), std::string::npos) << outside.body;
  EXPECT_EQ(Request(port, "GET", "/v1/stream/chat/%2e%2e/secret?offset=-1",
                    Bearer("ingest-token-1234")).status,
            403);
  EXPECT_EQ(Request(port, "DELETE", "/v1/stream/chat/a", Bearer("ingest-token-1234")).status, 403);
  // admin deletes, but does not read (no right implies another).
  EXPECT_EQ(Request(port, "GET", "/v1/stream/chat/a?offset=-1", Bearer("ops-token-5678")).status,
            403);
  EXPECT_EQ(Request(port, "DELETE", "/v1/stream/chat/a", Bearer("ops-token-5678")).status, 204);
}

TEST_F(AccessProcessTest, ProbesAndPreflightAreOpenAndMetricsNeedsAdmin) {
  uint16_t port = 0;
  auto server = StartWithAuth({}, &port);
  ASSERT_NE(port, 0);
  EXPECT_EQ(Request(port, "GET", "/healthz").status, 200);
  EXPECT_EQ(Request(port, "GET", "/readyz").status, 200);
  EXPECT_EQ(Request(port, "OPTIONS", "/v1/stream/chat/a", {{"Origin", "https://x.example"}}).status,
            204);
  EXPECT_EQ(Request(port, "GET", "/metrics").status, 401);
  EXPECT_EQ(Request(port, "GET", "/metrics", Bearer("ingest-token-1234")).status, 403);
  HttpResult metrics = Request(port, "GET", "/metrics", Bearer("ops-token-5678"));
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("# TYPE"), std::string::npos);
}

TEST_F(AccessProcessTest, MetricsOpenServesMetricsWithoutAToken) {
  uint16_t port = 0;
  auto server = StartWithAuth({"--metrics-open"}, &port);
  ASSERT_NE(port, 0);
  EXPECT_EQ(Request(port, "GET", "/metrics").status, 200);
  EXPECT_EQ(Request(port, "GET", "/v1/stream/chat/a?offset=-1").status, 401);
}

TEST_F(AccessProcessTest, OverTheRateLimitIs429WithRetryAfter) {
  uint16_t port = 0;
  auto server = StartWithAuth({"--rate-limit", "0.5/s,burst=2"}, &port);
  ASSERT_NE(port, 0);
  const Headers token = Bearer("ops-token-5678");
  EXPECT_EQ(Request(port, "GET", "/v1/stream/none", token).status, 403);
  EXPECT_EQ(Request(port, "GET", "/v1/stream/none", token).status, 403);
  HttpResult limited = Request(port, "GET", "/v1/stream/none", token);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.header("Retry-After").value_or(""), "2");
  EXPECT_NE(limited.body.find(R"("code":"RATE_LIMITED")"), std::string::npos) << limited.body;
  EXPECT_EQ(Request(port, "GET", "/healthz").status, 200);
}

TEST_F(AccessProcessTest, SighupRereadsTheAuthFileAndABadOneKeepsTheOldTokens) {
  uint16_t port = 0;
  auto server = StartWithAuth({}, &port);
  ASSERT_NE(port, 0);
  const Headers text = {{"Content-Type", "text/plain"}};
  ASSERT_EQ(Request(port, "PUT", "/v1/stream/chat/r", Bearer("ingest-token-1234", text)).status,
            201);
  WriteFile(auth_path_, "[tokens.rotated]\nsecret = \"rotated-token-9\"\nread = [\"/\"]\n");
  size_t from = server->err().size();
  server->signal(SIGHUP);
  ASSERT_TRUE(WaitForErr(server.get(), "auth file re-read", from, Millis(5000))) << server->err();
  EXPECT_EQ(Request(port, "GET", "/v1/stream/chat/r?offset=-1", Bearer("ingest-token-1234")).status,
            401);
  EXPECT_EQ(Request(port, "GET", "/v1/stream/chat/r?offset=-1", Bearer("rotated-token-9")).status,
            200);

  WriteFile(auth_path_, "[tokens.broken]\nsecret = \"b\"\nwrite = [\"no-slash\"]\n");
  from = server->err().size();
  server->signal(SIGHUP);
  ASSERT_TRUE(WaitForErr(server.get(), "tokens in use are kept", from, Millis(5000)))
      << server->err();
  EXPECT_NE(server->err().find(auth_path_ + ":3:", from), std::string::npos) << server->err();
  EXPECT_EQ(Request(port, "GET", "/v1/stream/chat/r?offset=-1", Bearer("rotated-token-9")).status,
            200);
  EXPECT_EQ(Request(port, "GET", "/v1/stream/chat/r?offset=-1", Bearer("b")).status, 401);
}

TEST_F(AccessProcessTest, ABadAuthFileAtStartExits2NamingTheLine) {
  WriteFile(auth_path_, "[tokens.a]\nsecret = \"x\"\n\nreed = [\"/\"]\n");
  ServerProcess process;
  auto code = RunToExit({"--port", "0", "--storage", "memory", "--auth-file", auth_path_},
                        &process);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 2);
  EXPECT_NE(process.err().find(auth_path_ + ":4: unknown key \"reed\""), std::string::npos)
      << process.err();
}

// With a JWT key a three-part bearer token is checked as a JWT only: a secret of that shape in
// the auth file could never be used, so the server does not start with it.
TEST_F(AccessProcessTest, AJwtShapedSecretNextToAJwtKeyExits2NamingTheLine) {
  JwtKeys keys;
  ASSERT_TRUE(keys.ok());
  WriteFile(auth_path_, "[tokens.dotted]\nread = [\"/\"]\nsecret = \"aaa.bbb.ccc\"\n");
  ServerProcess process;
  auto code = RunToExit({"--port", "0", "--storage", "memory", "--auth-file", auth_path_,
                         "--jwt-secret-file", keys.secret_file()},
                        &process);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 2);
  EXPECT_NE(process.err().find(auth_path_ + ":3: the secret of token \"dotted\""),
            std::string::npos)
      << process.err();
  EXPECT_EQ(process.err().find("aaa.bbb"), std::string::npos) << process.err();
}

TEST_F(AccessProcessTest, AnEmptyBearerTokenIs401) {
  uint16_t port = 0;
  auto server = StartWithAuth({}, &port);
  ASSERT_NE(port, 0);
  HttpResult result =
      Request(port, "GET", "/v1/stream/chat/a?offset=-1", {{"Authorization", "Bearer "}});
  EXPECT_EQ(result.status, 401);
  EXPECT_EQ(result.header("WWW-Authenticate").value_or(""), R"(Bearer error="invalid_token")");
  EXPECT_NE(result.body.find("the bearer token is empty"), std::string::npos) << result.body;
}

// A rate below the bound (0.001/s) would make one request's refill overflow the clock: the
// server refuses it at start, naming the flag; the bound itself works.
TEST_F(AccessProcessTest, RateLimitBoundsHoldFromTheCommandLine) {
  ServerProcess process;
  auto code =
      RunToExit({"--port", "0", "--storage", "memory", "--rate-limit", "1e-10/s"}, &process);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 2);
  EXPECT_NE(process.err().find("--rate-limit"), std::string::npos) << process.err();
  EXPECT_NE(process.err().find("from 0.001 to 1000000"), std::string::npos) << process.err();

  uint16_t port = 0;
  auto server = Start({"--rate-limit", "0.001/s,burst=1"}, &port);
  ASSERT_NE(port, 0);
  EXPECT_EQ(Request(port, "PUT", "/v1/stream/slow").status, 201);
  HttpResult limited = Request(port, "GET", "/v1/stream/slow?offset=-1");
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.header("Retry-After").value_or(""), "1000");
}

TEST_F(AccessProcessTest, AnOpenServerSaysSoAtStart) {
  uint16_t port = 0;
  auto server = Start({}, &port);
  ASSERT_NE(port, 0);
  EXPECT_TRUE(WaitForErr(server.get(), "the server is open", 0, Millis(3000))) << server->err();
  EXPECT_EQ(Request(port, "PUT", "/v1/stream/open").status, 201);
}

TEST_F(AccessProcessTest, CorsOriginsAnswerListedOriginsOnly) {
  uint16_t port = 0;
  auto server = Start({"--cors-origins", "https://app.example.com,http://localhost:3000"}, &port);
  ASSERT_NE(port, 0);
  HttpResult listed = Request(port, "PUT", "/v1/stream/c", {{"Origin", "https://app.example.com"}});
  EXPECT_EQ(listed.status, 201);
  EXPECT_EQ(listed.header("Access-Control-Allow-Origin").value_or(""), "https://app.example.com");
  EXPECT_NE(listed.header("Vary").value_or("").find("Origin"), std::string::npos);
  HttpResult other = Request(port, "GET", "/v1/stream/c?offset=-1", {{"Origin", "https://evil.example"}});
  EXPECT_EQ(other.status, 200);
  EXPECT_FALSE(other.header("Access-Control-Allow-Origin").has_value());
  HttpResult preflight = Request(port, "OPTIONS", "/v1/stream/c", {{"Origin", "http://localhost:3000"}});
  EXPECT_EQ(preflight.status, 204);
  EXPECT_EQ(preflight.header("Access-Control-Allow-Origin").value_or(""), "http://localhost:3000");
  HttpResult bad_preflight = Request(port, "OPTIONS", "/v1/stream/c", {{"Origin", "https://evil.example"}});
  EXPECT_FALSE(bad_preflight.header("Access-Control-Allow-Origin").has_value());
}

// Origins are case-insensitive in scheme and host: a list written with capitals admits the
// lower-case Origin browsers send.
TEST_F(AccessProcessTest, CorsOriginsIgnoreCase) {
  uint16_t port = 0;
  auto server = Start({"--cors-origins", "HTTPS://App.Example.com"}, &port);
  ASSERT_NE(port, 0);
  HttpResult listed = Request(port, "PUT", "/v1/stream/c", {{"Origin", "https://app.example.com"}});
  EXPECT_EQ(listed.status, 201);
  EXPECT_EQ(listed.header("Access-Control-Allow-Origin").value_or(""), "https://app.example.com");
}

// With a list of origins an answer depends on the Origin, so every answer must say so, those
// without Access-Control-Allow-Origin too: else a shared cache may serve an answer made for no
// origin (or another) to a listed one.
TEST_F(AccessProcessTest, WithAListOfOriginsEveryAnswerVariesByOrigin) {
  uint16_t port = 0;
  auto server = Start({"--cors-origins", "https://app.example.com"}, &port);
  ASSERT_NE(port, 0);
  ASSERT_EQ(Request(port, "PUT", "/v1/stream/v").status, 201);
  for (const Headers& origin : std::vector<Headers>{
           {{"Origin", "https://app.example.com"}}, {{"Origin", "https://evil.example"}}, {}}) {
    for (const char* method : {"GET", "OPTIONS"}) {
      HttpResult result = Request(port, method, "/v1/stream/v?offset=-1", origin);
      EXPECT_NE(result.header("Vary").value_or("").find("Origin"), std::string::npos)
          << method << " with " << (origin.empty() ? "no Origin" : origin[0].second);
    }
  }
}

TEST_F(AccessProcessTest, NoTokenReachesAnyLog) {
  const std::string access_path = dir_.path() + "/access.log";
  uint16_t port = 0;
  auto server = StartWithAuth({"--access-log", access_path, "--log-level", "debug"}, &port);
  ASSERT_NE(port, 0);
  const Headers text = {{"Content-Type", "text/plain"}};
  EXPECT_EQ(Request(port, "PUT", "/v1/stream/chat/l", Bearer("ingest-token-1234", text)).status,
            201);
  EXPECT_EQ(Request(port, "PUT", "/v1/stream/chat/l", Bearer("guessed-token-0000", text)).status,
            401);
  EXPECT_EQ(Request(port, "DELETE", "/v1/stream/chat/l", Bearer("ingest-token-1234")).status, 403);
  EXPECT_EQ(Request(port, "GET", "/v1/stream/x", Bearer("aaa.bbb.ccc")).status, 401);
  server->signal(SIGTERM);
  ASSERT_EQ(server->wait_exit(Millis(5000)), 0);
  std::string access = ReadFile(access_path);
  ASSERT_NE(access.find("401"), std::string::npos) << access;  // the log has the requests
  for (const std::string* log :
       std::initializer_list<const std::string*>{&access, &server->out(), &server->err()}) {
    EXPECT_EQ(log->find("ingest-token"), std::string::npos) << *log;
    EXPECT_EQ(log->find("guessed-token"), std::string::npos) << *log;
    EXPECT_EQ(log->find("aaa.bbb"), std::string::npos) << *log;
    EXPECT_EQ(log->find("Bearer"), std::string::npos) << *log;
    EXPECT_EQ(log->find("Authorization"), std::string::npos) << *log;
  }
}

TEST_F(AccessProcessTest, JwtBearerTokensCarryTheirRights) {
  JwtKeys keys;
  ASSERT_TRUE(keys.ok());
  uint16_t port = 0;
  auto server = StartWithAuth({"--jwt-secret-file", keys.secret_file(), "--jwt-audience", "sk"},
                              &port);
  ASSERT_NE(port, 0);
  auto token = [&](int64_t exp_from_now) {
    std::string claims = R"({"sub":"svc","aud":"sk","exp":)" +
                         std::to_string(std::time(nullptr) + exp_from_now) +
                         R"(,"ds_write":["/v1/stream/jwt/"]})";
    return MakeJwt(R"({"alg":"HS256","typ":"JWT"})", claims,
                   [&](std::string_view data) { return HmacSha256(keys.secret(), data); });
  };
  EXPECT_EQ(Request(port, "PUT", "/v1/stream/jwt/a", Bearer(token(300))).status, 201);
  EXPECT_EQ(Request(port, "GET", "/v1/stream/jwt/a?offset=-1", Bearer(token(300))).status, 403);
  HttpResult expired = Request(port, "PUT", "/v1/stream/jwt/b", Bearer(token(-3600)));
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(expired.header("WWW-Authenticate").value_or(""), R"(Bearer error="invalid_token")");
  // The auth file's tokens work next to JWTs.
  EXPECT_EQ(Request(port, "GET", "/v1/stream/jwt/a?offset=-1", Bearer("ingest-token-1234")).status,
            403);
  EXPECT_EQ(Request(port, "DELETE", "/v1/stream/jwt/a", Bearer("ops-token-5678")).status, 204);
}

}  // namespace
}  // namespace streamkeeper::testing
