// The real streamkeeper binary with --tls-cert/--tls-key (and --tls-client-ca): start-up
// refusals, HTTPS with keep-alive, long-poll and SSE, mutual TLS, and SIGHUP re-reading the
// certificate without dropping connections.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "../server/server_process_fixture.h"
#include "test_certs.h"

namespace streamkeeper::testing {
namespace {

class TlsProcessTest : public ServerProcessTest {
 protected:
  const TestCerts& certs_ = SharedTestCerts();
  ClientTls client_{.ca_file = certs_.ca};

  std::vector<std::string> TlsFlags() const {
    return {"--tls-cert", certs_.server_cert, "--tls-key", certs_.server_key};
  }

  // Waits (bounded) until the server's stderr holds `text`.
  static bool WaitForLog(ServerProcess* server, const std::string& text) {
    for (int i = 0; i < 150; ++i) {
      if (server->err().find(text) != std::string::npos) return true;
      server->drain_output(Millis(20));
    }
    return false;
  }

  HttpResult TlsRequest(uint16_t port, std::string_view method, std::string_view target,
                        const Headers& headers = {}, std::string_view body = {}) {
    HttpResult failed;
    TestConnection connection(port, client_);
    if (!connection.ok()) {
      failed.error = connection.error();
      return failed;
    }
    if (!connection.send(BuildRequest(method, target, headers, body))) {
      failed.error = "send failed: " + connection.error();
      return failed;
    }
    return connection.read_response(Millis(5000), method == "HEAD");
  }
};

TEST_F(TlsProcessTest, ACertificateWithoutItsKeyIsAConfigurationError) {
  ServerProcess process;
  EXPECT_EQ(
      RunToExit({"--tls-cert", certs_.server_cert, "--port", "0", "--storage", "memory"}, &process),
      2);
  EXPECT_NE(process.err().find("--tls-cert needs --tls-key"), std::string::npos) << process.err();
}

TEST_F(TlsProcessTest, FilesThatDoNotLoadStopTheStartNamingTheFileAndTheReason) {
  ServerProcess mismatched;
  EXPECT_EQ(RunToExit({"--tls-cert", certs_.server_cert, "--tls-key", certs_.mismatched_key,
                       "--port", "0", "--storage", "memory"},
                      &mismatched),
            1);
  EXPECT_NE(mismatched.err().find("cannot load TLS: --tls-key " + certs_.mismatched_key +
                                  ": the key does not match the certificate"),
            std::string::npos)
      << mismatched.err();
  EXPECT_EQ(mismatched.err().find("listening on"), std::string::npos);

  ServerProcess missing;
  std::string nowhere = dir_.path() + "/missing.pem";
  EXPECT_EQ(RunToExit({"--tls-cert", certs_.server_cert, "--tls-key", certs_.server_key,
                       "--tls-client-ca", nowhere, "--port", "0", "--storage", "memory"},
                      &missing),
            1);
  EXPECT_NE(missing.err().find("--tls-client-ca " + nowhere + ": cannot open"), std::string::npos)
      << missing.err();
}

TEST_F(TlsProcessTest, ServesHttpsWithKeepAliveLongPollAndSse) {
  uint16_t port = 0;
  auto server = Start(TlsFlags(), &port);
  ASSERT_NE(port, 0);
  EXPECT_NE(server->err().find("listening on https://127.0.0.1:" + std::to_string(port)),
            std::string::npos)
      << server->err();

  TestConnection connection(port, client_);
  ASSERT_TRUE(connection.ok()) << connection.error();
  // Keep-alive: three requests on one TLS connection.
  ASSERT_TRUE(
      connection.send(BuildRequest("PUT", "/v1/stream/t", {{"Content-Type", "text/plain"}}, "")));
  ASSERT_EQ(connection.read_response(Millis(5000)).status, 201);
  ASSERT_TRUE(connection.send(
      BuildRequest("POST", "/v1/stream/t", {{"Content-Type", "text/plain"}}, "hello")));
  ASSERT_EQ(connection.read_response(Millis(5000)).status, 204);
  ASSERT_TRUE(connection.send(BuildRequest("GET", "/v1/stream/t?offset=-1", {}, "")));
  HttpResult read = connection.read_response(Millis(5000));
  ASSERT_EQ(read.status, 200) << read.error;
  EXPECT_EQ(read.body, "hello");
  std::string tail = read.header("Stream-Next-Offset").value_or("");
  ASSERT_FALSE(tail.empty());

  // A long-poll parked at the tail is woken by an append over another TLS connection.
  TestConnection poll(port, client_);
  ASSERT_TRUE(poll.ok()) << poll.error();
  ASSERT_TRUE(
      poll.send(BuildRequest("GET", "/v1/stream/t?offset=" + tail + "&live=long-poll", {}, "")));
  // And an SSE reader from the start.
  TestConnection sse(port, client_);
  ASSERT_TRUE(sse.ok()) << sse.error();
  ASSERT_TRUE(sse.send(BuildRequest("GET", "/v1/stream/t?offset=-1&live=sse", {}, "")));
  ASSERT_TRUE(sse.read_until("hello", Millis(5000))) << sse.buffered();

  EXPECT_EQ(
      TlsRequest(port, "POST", "/v1/stream/t", {{"Content-Type", "text/plain"}}, " world").status,
      204);
  HttpResult woken = poll.read_response(Millis(5000));
  EXPECT_EQ(woken.status, 200) << woken.error;
  EXPECT_EQ(woken.body, " world");
  EXPECT_TRUE(sse.read_until(" world", Millis(5000))) << sse.buffered();
}

TEST_F(TlsProcessTest, PlainHttpOnTheTlsPortGetsNoHttpAnswer) {
  uint16_t port = 0;
  auto server = Start(TlsFlags(), &port);
  ASSERT_NE(port, 0);
  SetDefaultClientTls(std::nullopt);
  TestConnection plain(port);
  ASSERT_TRUE(plain.ok());
  ASSERT_TRUE(plain.send(BuildRequest("GET", "/healthz", {}, "")));
  bool closed = false;
  std::string answer = plain.read_until_close(Millis(5000), &closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(answer.find("HTTP/1.1 200"), std::string::npos) << answer;
}

// Over the connection limit on a TLS port the refusal is spoken in TLS (handshake, then the
// 503), never written as plain text into the port (src/http/http_server.cc).
TEST_F(TlsProcessTest, OverTheConnectionLimitTheRefusalComesOverTls) {
  std::vector<std::string> flags = TlsFlags();
  flags.insert(flags.end(), {"--max-connections", "1"});
  uint16_t port = 0;
  auto server = Start(flags, &port);
  ASSERT_NE(port, 0);
  TestConnection served(port, client_);
  ASSERT_TRUE(served.ok()) << served.error();
  ASSERT_TRUE(served.send(BuildRequest("GET", "/healthz", {}, "")));
  ASSERT_EQ(served.read_response(Millis(5000)).status, 200);

  TestConnection over(port, client_);
  ASSERT_TRUE(over.ok()) << "the refusal's handshake: " << over.error();
  HttpResult refused = over.read_response(Millis(5000));
  EXPECT_EQ(refused.status, 503) << refused.error;
  EXPECT_EQ(refused.body.rfind(R"({"error":{"code":"TOO_MANY_CONNECTIONS")", 0), 0u)
      << refused.body;
  EXPECT_TRUE(refused.header("Retry-After").has_value());
  bool closed = refused.closed;
  if (!closed) over.read_until_close(Millis(5000), &closed);
  EXPECT_TRUE(closed) << "a refused connection must be closed";

  // A plain-HTTP client over the limit gets no plain-text answer either.
  SetDefaultClientTls(std::nullopt);
  TestConnection plain(port);
  ASSERT_TRUE(plain.ok());
  ASSERT_TRUE(plain.send(BuildRequest("GET", "/healthz", {}, "")));
  std::string answer = plain.read_until_close(Millis(5000), &closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(answer.find("HTTP/1.1"), std::string::npos) << answer;

  // The served connection is unaffected.
  ASSERT_TRUE(served.send(BuildRequest("GET", "/healthz", {}, "")));
  EXPECT_EQ(served.read_response(Millis(5000)).status, 200);
}

TEST_F(TlsProcessTest, WithAClientCaOnlyClientsWithItsCertificatesAreServed) {
  std::vector<std::string> flags = TlsFlags();
  flags.insert(flags.end(), {"--tls-client-ca", certs_.ca});
  uint16_t port = 0;
  auto server = Start(flags, &port);
  ASSERT_NE(port, 0);

  ClientTls trusted = client_;
  trusted.cert_file = certs_.client_cert;
  trusted.key_file = certs_.client_key;
  TestConnection good(port, trusted);
  ASSERT_TRUE(good.ok()) << good.error();
  ASSERT_TRUE(good.send(BuildRequest("GET", "/healthz", {}, "")));
  EXPECT_EQ(good.read_response(Millis(5000)).status, 200);

  // Refused in the handshake (with TLS 1.3 the alert comes on the first read): no HTTP answer.
  ClientTls untrusted = client_;
  untrusted.cert_file = certs_.untrusted_client_cert;
  untrusted.key_file = certs_.untrusted_client_key;
  for (const ClientTls& refused : {client_, untrusted}) {
    TestConnection connection(port, refused);
    if (!connection.ok()) continue;
    connection.send(BuildRequest("GET", "/healthz", {}, ""));
    HttpResult result = connection.read_response(Millis(5000));
    EXPECT_EQ(result.status, 0) << "served without a trusted client certificate";
    EXPECT_TRUE(result.closed) << result.error;
  }
}

TEST_F(TlsProcessTest, SighupRereadsTheCertificateWithoutDroppingConnections) {
  std::string cert = dir_.path() + "/cert.pem";
  std::string key = dir_.path() + "/key.pem";
  auto copy = [](const std::string& from, const std::string& to) {
    std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing);
  };
  copy(certs_.server_cert, cert);
  copy(certs_.server_key, key);
  uint16_t port = 0;
  auto server = Start({"--tls-cert", cert, "--tls-key", key}, &port);
  ASSERT_NE(port, 0);
  TestConnection established(port, client_);
  ASSERT_TRUE(established.ok()) << established.error();
  EXPECT_EQ(established.peer_serial(), "1001");

  // A half-done deploy (new certificate, old key) is refused and the old pair keeps serving.
  copy(certs_.server2_cert, cert);
  server->signal(SIGHUP);
  ASSERT_TRUE(WaitForLog(server.get(), "TLS files not reloaded")) << server->err();
  EXPECT_NE(server->err().find("does not match"), std::string::npos) << server->err();
  TestConnection during(port, client_);
  ASSERT_TRUE(during.ok()) << during.error();
  EXPECT_EQ(during.peer_serial(), "1001");

  copy(certs_.server2_key, key);
  server->signal(SIGHUP);
  ASSERT_TRUE(WaitForLog(server.get(), "TLS certificate and key reloaded")) << server->err();
  TestConnection after(port, client_);
  ASSERT_TRUE(after.ok()) << after.error();
  EXPECT_EQ(after.peer_serial(), "1002");
  ASSERT_TRUE(after.send(BuildRequest("GET", "/healthz", {}, "")));
  EXPECT_EQ(after.read_response(Millis(5000)).status, 200);
  // The connection made before both reloads is still served.
  ASSERT_TRUE(established.send(BuildRequest("GET", "/healthz", {}, "")));
  EXPECT_EQ(established.read_response(Millis(5000)).status, 200);
}

}  // namespace
}  // namespace streamkeeper::testing
