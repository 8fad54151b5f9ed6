#include "http/tls_settings.h"

namespace streamkeeper {

bool CheckTlsSettings(const TlsSettings& settings, std::string* error) {
  if (!settings.cert_file.empty() && settings.key_file.empty()) {
    *error = "--tls-cert needs --tls-key (the certificate's private key)";
    return false;
  }
  if (settings.cert_file.empty() && !settings.key_file.empty()) {
    *error = "--tls-key needs --tls-cert (the certificate the key belongs to)";
    return false;
  }
  if (!settings.client_ca_file.empty() && settings.cert_file.empty()) {
    *error =
        "--tls-client-ca needs --tls-cert and --tls-key (client certificates are asked "
        "for in a TLS handshake)";
    return false;
  }
  return true;
}

}  // namespace streamkeeper
