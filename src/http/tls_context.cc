#include "http/tls_context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/ssl/context.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>

namespace streamkeeper {
namespace {

namespace ssl = boost::asio::ssl;

// TLS 1.2 suites: forward secrecy (ECDHE) and authenticated encryption only, the "intermediate"
// list of Mozilla's server-side TLS guidance without its finite-field DHE suites (no DH
// parameters to ship). TLS 1.3 keeps OpenSSL's default suites, all of which are AEAD.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// Sessions resumed under a verified client certificate need an id context (without one, OpenSSL
// refuses the resumption with an error instead of a full handshake).
constexpr unsigned char kSessionIdContext[] = "streamkeeper";

// Drains this thread's OpenSSL error queue into one line: "PEM routines: no start line; ...".
std::string OpenSslReason() {
  std::string out;
  while (unsigned long code = ERR_get_error()) {
    const char* library = ERR_lib_error_string(code);
    const char* reason = ERR_reason_error_string(code);
    if (!out.empty()) out += "; ";
    if (library != nullptr) out += std::string(library) + ": ";
    out += reason != nullptr ? reason : "error " + std::to_string(ERR_GET_REASON(code));
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

// A password callback that has none: an encrypted key fails to load (with OpenSSL's reason)
// instead of OpenSSL asking for its passphrase on the terminal.
int NoPassword(char*, int, int, void*) { return -1; }

// Whether `path` can be opened for reading; *error names the flag, the file and errno's text.
bool Readable(std::string_view flag, const std::string& path, std::string* error) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    *error = std::string(flag) + " " + path + ": cannot open: " + std::strerror(errno);
    return false;
  }
  std::fclose(file);
  return true;
}

bool Fail(std::string_view flag, const std::string& path, std::string_view what,
          std::string* error) {
  *error = std::string(flag) + " " + path + ": " + std::string(what) + " (" + OpenSslReason() + ")";
  return false;
}

bool SetProtocol(SSL_CTX* ctx, std::string* error) {
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1 ||
      SSL_CTX_set_session_id_context(ctx, kSessionIdContext, sizeof kSessionIdContext - 1) != 1) {
    *error = "cannot configure TLS (" + OpenSslReason() + ")";
    return false;
  }
  SSL_CTX_set_default_passwd_cb(ctx, NoPassword);
  return true;
}

bool LoadCertificateAndKey(SSL_CTX* ctx, const TlsSettings& settings, std::string* error) {
  if (!Readable("--tls-cert", settings.cert_file, error)) return false;
  if (SSL_CTX_use_certificate_chain_file(ctx, settings.cert_file.c_str()) != 1) {
    return Fail("--tls-cert", settings.cert_file, "not a PEM certificate chain", error);
  }
  if (!Readable("--tls-key", settings.key_file, error)) return false;
  // The key is parsed apart from installing it, so that "not a key" and "not this
  // certificate's key" get different messages.
  BIO* bio = BIO_new_file(settings.key_file.c_str(), "rb");
  EVP_PKEY* key =
      bio != nullptr ? PEM_read_bio_PrivateKey(bio, nullptr, NoPassword, nullptr) : nullptr;
  BIO_free(bio);
  if (key == nullptr) {
    return Fail("--tls-key", settings.key_file, "not an unencrypted PEM private key", error);
  }
  // SSL_CTX_use_PrivateKey refuses a key of the certificate's type that does not match it;
  // SSL_CTX_check_private_key catches one of another type (an EC key for an RSA certificate).
  bool installed = SSL_CTX_use_PrivateKey(ctx, key) == 1 && SSL_CTX_check_private_key(ctx) == 1;
  EVP_PKEY_free(key);
  if (!installed) {
    return Fail("--tls-key", settings.key_file,
                "the key does not match the certificate of --tls-cert " + settings.cert_file,
                error);
  }
  return true;
}

bool RequireClientCertificates(SSL_CTX* ctx, const std::string& ca_file, std::string* error) {
  if (!Readable("--tls-client-ca", ca_file, error)) return false;
  if (SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) != 1) {
    return Fail("--tls-client-ca", ca_file, "not a PEM file of CA certificates", error);
  }
  // The CA names sent in the CertificateRequest, so that a client with several certificates
  // can pick the right one.
  STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(ca_file.c_str());
  if (names == nullptr) {
    return Fail("--tls-client-ca", ca_file, "no CA certificate found", error);
  }
  SSL_CTX_set_client_CA_list(ctx, names);  // takes ownership
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  return true;
}

}  // namespace

std::shared_ptr<ssl::context> MakeTlsContext(const TlsSettings& settings, std::string* error) {
  ERR_clear_error();
  std::shared_ptr<ssl::context> context;
  try {
    context = std::make_shared<ssl::context>(ssl::context::tls_server);
  } catch (const std::exception& e) {
    *error = std::string("cannot create a TLS context: ") + e.what();
    return nullptr;
  }
  SSL_CTX* ctx = context->native_handle();
  bool ok = SetProtocol(ctx, error) && LoadCertificateAndKey(ctx, settings, error) &&
            (settings.client_ca_file.empty() ||
             RequireClientCertificates(ctx, settings.client_ca_file, error));
  ERR_clear_error();
  return ok ? context : nullptr;
}

std::unique_ptr<TlsContextProvider> TlsContextProvider::Load(const TlsSettings& settings,
                                                             std::string* error) {
  auto first = MakeTlsContext(settings, error);
  if (!first) return nullptr;
  return std::unique_ptr<TlsContextProvider>(new TlsContextProvider(settings, std::move(first)));
}

TlsContextProvider::TlsContextProvider(TlsSettings settings,
                                       std::shared_ptr<boost::asio::ssl::context> first)
    : settings_(std::move(settings)), current_(std::move(first)) {}

bool TlsContextProvider::reload(std::string* error) {
  auto next = MakeTlsContext(settings_, error);
  if (!next) return false;
  current_.store(std::move(next));
  return true;
}

}  // namespace streamkeeper
