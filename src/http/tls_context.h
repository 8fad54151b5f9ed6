// TlsContextProvider: the server's TLS configuration as a boost::asio::ssl::context, loaded from
// the files of TlsSettings and reloaded from them on request (SIGHUP) without dropping anyone.
//
// Each accepted connection takes current() once and keeps that context for its whole life (the
// shared_ptr is its ownership), so a reload changes what NEW connections are served with and
// never what established ones use. reload() builds a complete new context first and swaps it in
// only if every file loaded and the key matched: a half-copied certificate left by a deploy
// script keeps the old one serving, and the error says why.
//
// The contexts accept TLS 1.2 and 1.3 only, with ECDHE and AEAD ciphers for 1.2 (1.3's suites
// are all AEAD), no compression, no renegotiation; with a client CA, every client must present a
// certificate that chains to it (verify_peer | verify_fail_if_no_peer_cert).
//
// This header names ssl::context by a forward declaration only: what includes it does not pull
// in OpenSSL or Asio's SSL headers; code that uses a context includes <boost/asio/ssl.hpp>.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "http/tls_settings.h"

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace streamkeeper {

// One context from `settings` (which must be enabled()). nullptr with *error naming the file
// and OpenSSL's reason, e.g.
//   "--tls-key /etc/sk/key.pem: the key does not match the certificate of --tls-cert
//    /etc/sk/cert.pem (X509_check_private_key: key values mismatch)"
std::shared_ptr<boost::asio::ssl::context> MakeTlsContext(const TlsSettings& settings,
                                                          std::string* error);

class TlsContextProvider {
 public:
  // Loads the first context (start-up: a failure means the server must not start). nullptr
  // with *error as MakeTlsContext gives it.
  static std::unique_ptr<TlsContextProvider> Load(const TlsSettings& settings, std::string* error);

  TlsContextProvider(const TlsContextProvider&) = delete;
  TlsContextProvider& operator=(const TlsContextProvider&) = delete;

  // The context for a connection being accepted now; never null. Thread-safe and cheap (one
  // atomic shared_ptr load): call it once per connection and keep the result with it.
  std::shared_ptr<boost::asio::ssl::context> current() const { return current_.load(); }

  // Builds a new context from the same files. On success it becomes current() (connections
  // already made keep theirs) and true is returned; otherwise current() is unchanged and
  // *error says why. Thread-safe; concurrent reloads each build their own, the last one wins.
  bool reload(std::string* error);

  const TlsSettings& settings() const { return settings_; }

 private:
  TlsContextProvider(TlsSettings settings, std::shared_ptr<boost::asio::ssl::context> first);

  const TlsSettings settings_;
  std::atomic<std::shared_ptr<boost::asio::ssl::context>> current_;
};

}  // namespace streamkeeper
