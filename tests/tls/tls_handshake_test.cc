// Handshakes between the test client's TLS mode (tests/server/http_test_client.h) and an
// in-test Boost.Asio server that serves with TlsContextProvider's contexts, as the HTTP
// sessions will: each accepted connection takes current() once. Holds the provider's
// contexts to what they promise on the wire (versions, client certificates, reload) and the
// client to reading and writing through TLS, without the streamkeeper binary.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <filesystem>
#include <mutex>
#include <thread>

#include "../server/http_test_client.h"
#include "../storage/temp_dir.h"
#include "http/tls_context.h"
#include "test_certs.h"

namespace streamkeeper::testing {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// Answers every request head it reads with "200 ok", keep-alive, on 127.0.0.1.
class TlsHelloServer {
 public:
  explicit TlsHelloServer(TlsContextProvider* tls)
      : tls_(tls), acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    asio::co_spawn(io_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TlsHelloServer() {
    io_.stop();
    thread_.join();
  }

  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  int handshake_failures() {
    std::lock_guard lock(mutex_);
    return handshake_failures_;
  }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      asio::co_spawn(io_, serve(std::move(socket), tls_->current()), asio::detached);
    }
  }

  asio::awaitable<void> serve(tcp::socket socket, std::shared_ptr<asio::ssl::context> context) {
    asio::ssl::stream<tcp::socket> stream(std::move(socket), *context);
    auto [handshake] = co_await stream.async_handshake(asio::ssl::stream_base::server,
                                                       asio::as_tuple(asio::use_awaitable));
    if (handshake) {
      std::lock_guard lock(mutex_);
      ++handshake_failures_;
      co_return;
    }
    std::string buffer;
    for (;;) {
      auto [read, n] = co_await asio::async_read_until(
          stream, asio::dynamic_buffer(buffer), "\r\n\r\n", asio::as_tuple(asio::use_awaitable));
      if (read) co_return;
      buffer.erase(0, n);
      static const std::string kResponse = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
      auto [write, written] = co_await asio::async_write(stream, asio::buffer(kResponse),
                                                         asio::as_tuple(asio::use_awaitable));
      if (write) co_return;
    }
  }

  TlsContextProvider* tls_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::mutex mutex_;
  int handshake_failures_ = 0;
};

class TlsHandshakeTest : public ::testing::Test {
 protected:
  const TestCerts& certs_ = SharedTestCerts();
  ClientTls client_{.ca_file = certs_.ca};

  std::unique_ptr<TlsContextProvider> Load(TlsSettings settings) {
    std::string error;
    auto tls = TlsContextProvider::Load(settings, &error);
    EXPECT_NE(tls, nullptr) << error;
    return tls;
  }
  TlsSettings Server() const {
    return {.cert_file = certs_.server_cert, .key_file = certs_.server_key};
  }
  TlsSettings ServerWithClientCa() const {
    TlsSettings settings = Server();
    settings.client_ca_file = certs_.ca;
    return settings;
  }

  // One GET on `connection`: true if "200 ok" came back.
  static bool Hello(TestConnection& connection) {
    if (!connection.send(BuildRequest("GET", "/", {}, {}))) return false;
    HttpResult result = connection.read_response(Millis(3000));
    return result.status == 200 && result.body == "ok";
  }
};

TEST_F(TlsHandshakeTest, TheClientTrustsTheTestCaAndKeepsTheConnectionAlive) {
  auto tls = Load(Server());
  TlsHelloServer server(tls.get());
  TestConnection connection(server.port(), client_);
  ASSERT_TRUE(connection.ok()) << connection.error();
  EXPECT_EQ(connection.tls_version(), "TLSv1.3");
  EXPECT_EQ(connection.peer_serial(), "1001");
  EXPECT_TRUE(Hello(connection));
  EXPECT_TRUE(Hello(connection));  // the same connection, again
  // The certificate names localhost too (SNI and a name check).
  ClientTls by_name = client_;
  by_name.server_name = "localhost";
  TestConnection named(server.port(), by_name);
  ASSERT_TRUE(named.ok()) << named.error();
  EXPECT_TRUE(Hello(named));
}

TEST_F(TlsHandshakeTest, TheClientRefusesACertificateItCannotVerify) {
  auto tls = Load(Server());
  TlsHelloServer server(tls.get());
  ClientTls wrong_ca = client_;
  wrong_ca.ca_file = certs_.other_ca;
  TestConnection untrusted(server.port(), wrong_ca);
  EXPECT_FALSE(untrusted.ok());
  EXPECT_NE(untrusted.error().find("certificate"), std::string::npos) << untrusted.error();
  ClientTls wrong_name = client_;
  wrong_name.server_name = "example.com";
  TestConnection misnamed(server.port(), wrong_name);
  EXPECT_FALSE(misnamed.ok());
  EXPECT_NE(misnamed.error().find("hostname mismatch"), std::string::npos) << misnamed.error();
}

TEST_F(TlsHandshakeTest, Tls12IsAcceptedAndTls11IsNot) {
  auto tls = Load(Server());
  TlsHelloServer server(tls.get());
  ClientTls tls12 = client_;
  tls12.max_version = TLS1_2_VERSION;
  TestConnection modern(server.port(), tls12);
  ASSERT_TRUE(modern.ok()) << modern.error();
  EXPECT_EQ(modern.tls_version(), "TLSv1.2");
  EXPECT_TRUE(Hello(modern));

  ClientTls tls11 = client_;
  tls11.min_version = TLS1_VERSION;
  tls11.max_version = TLS1_1_VERSION;
  TestConnection old(server.port(), tls11);
  EXPECT_FALSE(old.ok());
  EXPECT_NE(old.error().find("protocol version"), std::string::npos) << old.error();
}

TEST_F(TlsHandshakeTest, WithAClientCaOnlyClientsItIssuedAreServed) {
  auto tls = Load(ServerWithClientCa());
  TlsHelloServer server(tls.get());
  ClientTls trusted = client_;
  trusted.cert_file = certs_.client_cert;
  trusted.key_file = certs_.client_key;
  TestConnection good(server.port(), trusted);
  ASSERT_TRUE(good.ok()) << good.error();
  EXPECT_TRUE(Hello(good));

  // TLS 1.3: the client's handshake is done before the server has judged its certificate, so
  // the refusal arrives as an alert on the first read.
  TestConnection anonymous(server.port(), client_);
  EXPECT_FALSE(anonymous.ok() && Hello(anonymous));
  ClientTls untrusted = client_;
  untrusted.cert_file = certs_.untrusted_client_cert;
  untrusted.key_file = certs_.untrusted_client_key;
  TestConnection stranger(server.port(), untrusted);
  EXPECT_FALSE(stranger.ok() && Hello(stranger));
  EXPECT_EQ(server.handshake_failures(), 2);
}

TEST_F(TlsHandshakeTest, AReloadServesNewConnectionsAndKeepsEstablishedOnes) {
  TempDir dir;
  std::string cert = dir.path() + "/cert.pem";
  std::string key = dir.path() + "/key.pem";
  auto copy = [](const std::string& from, const std::string& to) {
    std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing);
  };
  copy(certs_.server_cert, cert);
  copy(certs_.server_key, key);
  auto tls = Load({.cert_file = cert, .key_file = key});
  TlsHelloServer server(tls.get());
  TestConnection before(server.port(), client_);
  ASSERT_TRUE(before.ok()) << before.error();
  ASSERT_TRUE(Hello(before));

  copy(certs_.server2_cert, cert);
  copy(certs_.server2_key, key);
  std::string error;
  ASSERT_TRUE(tls->reload(&error)) << error;
  TestConnection after(server.port(), client_);
  ASSERT_TRUE(after.ok()) << after.error();
  EXPECT_EQ(after.peer_serial(), "1002");
  EXPECT_TRUE(Hello(after));
  EXPECT_EQ(before.peer_serial(), "1001");
  EXPECT_TRUE(Hello(before));  // not dropped
}

TEST_F(TlsHandshakeTest, HalfCloseIsSeenAsEndOfInputAndReadsGoOn) {
  auto tls = Load(Server());
  TlsHelloServer server(tls.get());
  TestConnection connection(server.port(), client_);
  ASSERT_TRUE(connection.ok()) << connection.error();
  ASSERT_TRUE(connection.send(BuildRequest("GET", "/", {}, {})));
  connection.shutdown_send();
  // The answer to the request sent before the close_notify still arrives, then the close.
  bool closed = false;
  std::string rest = connection.read_until_close(Millis(3000), &closed);
  EXPECT_NE(rest.find("\r\n\r\nok"), std::string::npos) << rest;
  EXPECT_TRUE(closed);
}

}  // namespace
}  // namespace streamkeeper::testing
