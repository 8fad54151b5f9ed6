// TlsSettings: the files HTTPS is served with (--tls-cert, --tls-key, --tls-client-ca). A plain
// struct, free of OpenSSL and Asio, so the configuration can hold it; http/tls_context.h turns
// it into an SSL context.
#pragma once

#include <string>

namespace streamkeeper {

struct TlsSettings {
  std::string cert_file = {};       // PEM: the server certificate, then any intermediates
  std::string key_file = {};        // PEM: its private key (unencrypted)
  std::string client_ca_file = {};  // PEM: CAs a client certificate must chain to; empty: no mTLS

  // TLS is on when a certificate is named; CheckTlsSettings makes sure the key comes with it.
  bool enabled() const { return !cert_file.empty(); }
};

// Whether the files named make a usable combination: certificate and key both or neither, and a
// client CA only with them. False with *error naming the flags (a configuration error, exit 2);
// whether the files exist and load is TlsContextProvider::Load's business.
bool CheckTlsSettings(const TlsSettings& settings, std::string* error);

}  // namespace streamkeeper
