// TlsContextProvider (src/http/tls_context.h) on the test certificates: what it loads, the
// messages it refuses bad files with, and reload's rule (a new context only if it loads; the
// old one stays with whoever holds it).
#include "http/tls_context.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/ssl/context.hpp>
#include <filesystem>
#include <fstream>

#include "../storage/temp_dir.h"
#include "test_certs.h"

namespace streamkeeper {
namespace {

using testing::SharedTestCerts;
using testing::TempDir;
using testing::TestCerts;

// The serial number of the certificate a context serves (make_test_certs.sh: 1001 for
// server.pem, 1002 for server2.pem).
long ServedSerial(boost::asio::ssl::context& context) {
  X509* certificate = SSL_CTX_get0_certificate(context.native_handle());
  if (certificate == nullptr) return -1;
  return ASN1_INTEGER_get(X509_get0_serialNumber(certificate));
}

void CopyFile(const std::string& from, const std::string& to) {
  std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing);
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

class TlsContextTest : public ::testing::Test {
 protected:
  const TestCerts& certs_ = SharedTestCerts();
  TempDir dir_;
  // Files the test may overwrite, starting as copies of server.pem and server.key.
  std::string cert_ = dir_.path() + "/cert.pem";
  std::string key_ = dir_.path() + "/key.pem";

  void SetUp() override {
    CopyFile(certs_.server_cert, cert_);
    CopyFile(certs_.server_key, key_);
  }

  // The error Load gives for `settings`; fails the test if it loads.
  std::string LoadError(const TlsSettings& settings) {
    std::string error;
    EXPECT_EQ(TlsContextProvider::Load(settings, &error), nullptr);
    EXPECT_FALSE(error.empty());
    return error;
  }
};

TEST_F(TlsContextTest, LoadsACertificateAndItsKey) {
  std::string error;
  auto tls = TlsContextProvider::Load({.cert_file = cert_, .key_file = key_}, &error);
  ASSERT_NE(tls, nullptr) << error;
  auto context = tls->current();
  ASSERT_NE(context, nullptr);
  EXPECT_EQ(ServedSerial(*context), 1001);
  EXPECT_EQ(tls->current(), context);  // the same context until a reload
  // No client certificate is asked for without a client CA.
  EXPECT_EQ(SSL_CTX_get_verify_mode(context->native_handle()), SSL_VERIFY_NONE);
}

TEST_F(TlsContextTest, AllowsOnlyTls12And13WithoutCompressionOrRenegotiation) {
  std::string error;
  auto context = MakeTlsContext({.cert_file = cert_, .key_file = key_}, &error);
  ASSERT_NE(context, nullptr) << error;
  SSL_CTX* ctx = context->native_handle();
  EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
  EXPECT_EQ(SSL_CTX_get_max_proto_version(ctx), TLS1_3_VERSION);
  EXPECT_NE(SSL_CTX_get_options(ctx) & SSL_OP_NO_COMPRESSION, 0u);
  EXPECT_NE(SSL_CTX_get_options(ctx) & SSL_OP_NO_RENEGOTIATION, 0u);
  // Every TLS 1.2 suite offered has forward secrecy and an AEAD cipher.
  SSL* ssl = SSL_new(ctx);
  STACK_OF(SSL_CIPHER)* ciphers = SSL_get1_supported_ciphers(ssl);
  ASSERT_NE(ciphers, nullptr);
  int tls12_suites = 0;
  for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) {
    const SSL_CIPHER* cipher = sk_SSL_CIPHER_value(ciphers, i);
    if (std::string_view(SSL_CIPHER_get_version(cipher)) == "TLSv1.3") continue;
    ++tls12_suites;
    EXPECT_EQ(SSL_CIPHER_get_kx_nid(cipher), NID_kx_ecdhe) << SSL_CIPHER_get_name(cipher);
    EXPECT_TRUE(SSL_CIPHER_is_aead(cipher)) << SSL_CIPHER_get_name(cipher);
  }
  EXPECT_GT(tls12_suites, 0);
  sk_SSL_CIPHER_free(ciphers);
  SSL_free(ssl);
}

TEST_F(TlsContextTest, AClientCaRequiresClientCertificates) {
  std::string error;
  auto context =
      MakeTlsContext({.cert_file = cert_, .key_file = key_, .client_ca_file = certs_.ca}, &error);
  ASSERT_NE(context, nullptr) << error;
  EXPECT_EQ(SSL_CTX_get_verify_mode(context->native_handle()),
            SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
  // The CA's name goes in the certificate request.
  STACK_OF(X509_NAME)* names = SSL_CTX_get_client_CA_list(context->native_handle());
  ASSERT_NE(names, nullptr);
  EXPECT_EQ(sk_X509_NAME_num(names), 1);
}

TEST_F(TlsContextTest, RefusesAKeyThatIsNotTheCertificates) {
  std::string error = LoadError({.cert_file = cert_, .key_file = certs_.mismatched_key});
  EXPECT_EQ(error.rfind("--tls-key " + certs_.mismatched_key +
                            ": the key does not match the certificate of --tls-cert " + cert_,
                        0),
            0u)
      << error;
  // The other server's key is just as wrong.
  error = LoadError({.cert_file = cert_, .key_file = certs_.server2_key});
  EXPECT_NE(error.find("does not match"), std::string::npos) << error;
}

TEST_F(TlsContextTest, RefusesMissingFilesNamingThem) {
  std::string missing = dir_.path() + "/nope.pem";
  EXPECT_EQ(LoadError({.cert_file = missing, .key_file = key_}),
            "--tls-cert " + missing + ": cannot open: No such file or directory");
  EXPECT_EQ(LoadError({.cert_file = cert_, .key_file = missing}),
            "--tls-key " + missing + ": cannot open: No such file or directory");
  EXPECT_EQ(LoadError({.cert_file = cert_, .key_file = key_, .client_ca_file = missing}),
            "--tls-client-ca " + missing + ": cannot open: No such file or directory");
}

TEST_F(TlsContextTest, RefusesFilesThatAreNotPemWithOpenSslsReason) {
  std::string garbage = dir_.path() + "/garbage.pem";
  WriteFile(garbage, "this is not a certificate\n");
  std::string error = LoadError({.cert_file = garbage, .key_file = key_});
  EXPECT_EQ(error.rfind("--tls-cert " + garbage + ": not a PEM certificate chain (", 0), 0u)
      << error;
  EXPECT_NE(error.find("no start line"), std::string::npos) << error;  // OpenSSL's reason

  error = LoadError({.cert_file = cert_, .key_file = garbage});
  EXPECT_EQ(error.rfind("--tls-key " + garbage + ": not an unencrypted PEM private key (", 0), 0u)
      << error;

  error = LoadError({.cert_file = cert_, .key_file = key_, .client_ca_file = garbage});
  EXPECT_EQ(error.rfind("--tls-client-ca " + garbage + ": ", 0), 0u) << error;

  // A certificate where the key should be is not a key either.
  error = LoadError({.cert_file = cert_, .key_file = cert_});
  EXPECT_NE(error.find("not an unencrypted PEM private key"), std::string::npos) << error;
}

TEST_F(TlsContextTest, ReloadKeepsTheOldContextWhenTheNewFilesDoNotLoad) {
  std::string error;
  auto tls = TlsContextProvider::Load({.cert_file = cert_, .key_file = key_}, &error);
  ASSERT_NE(tls, nullptr) << error;
  auto before = tls->current();

  // A deploy caught half-way: the new certificate is in place, its key not yet.
  CopyFile(certs_.server2_cert, cert_);
  EXPECT_FALSE(tls->reload(&error));
  EXPECT_NE(error.find("does not match"), std::string::npos) << error;
  EXPECT_EQ(tls->current(), before);
  EXPECT_EQ(ServedSerial(*tls->current()), 1001);

  WriteFile(cert_, "");  // truncated
  error.clear();
  EXPECT_FALSE(tls->reload(&error));
  EXPECT_NE(error.find("--tls-cert " + cert_), std::string::npos) << error;
  EXPECT_EQ(tls->current(), before);
}

TEST_F(TlsContextTest, ReloadSwapsInNewFilesAndLeavesHeldContextsAlone) {
  std::string error;
  auto tls = TlsContextProvider::Load({.cert_file = cert_, .key_file = key_}, &error);
  ASSERT_NE(tls, nullptr) << error;
  auto held = tls->current();  // as an established connection holds it

  CopyFile(certs_.server2_cert, cert_);
  CopyFile(certs_.server2_key, key_);
  ASSERT_TRUE(tls->reload(&error)) << error;
  EXPECT_NE(tls->current(), held);
  EXPECT_EQ(ServedSerial(*tls->current()), 1002);
  EXPECT_EQ(ServedSerial(*held), 1001);  // still whole for whoever holds it
}

}  // namespace
}  // namespace streamkeeper
