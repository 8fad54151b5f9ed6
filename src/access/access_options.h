// AccessOptions: the server's access-control settings (--auth-file, --jwt-*, --cors-origins,
// --rate-limit, --metrics-open), as config/server_settings.cc fills them. Plain data: the
// AccessGate (access/access_gate.h) checks and uses them.
#pragma once

#include <string>

namespace streamkeeper {

struct AccessOptions {
  std::string auth_file;        // TOML tokens file (access/auth_file.h); empty: none
  std::string jwt_public_key;   // PEM public key: RS256, ES256 or EdDSA by its type; empty: none
  std::string jwt_secret_file;  // HS256 shared secret (the file's bytes); empty: none
  std::string jwt_audience;     // when set, a JWT's "aud" must name it
  std::string cors_origins = "*";  // "*" or a comma-separated list of origins
  std::string rate_limit;          // access/rate_limiter.h ParseRateLimit; empty: none
  bool metrics_open = false;       // /metrics served without a token

  // Whether any token source is configured: without one, every request is served.
  bool authenticates() const {
    return !auth_file.empty() || !jwt_public_key.empty() || !jwt_secret_file.empty();
  }
  // Whether the server needs an AccessGate at all (a --jwt-audience alone too: the gate then
  // refuses to start, as it means nothing without a JWT key).
  bool needs_gate() const {
    return authenticates() || cors_origins != "*" || !rate_limit.empty() ||
           !jwt_audience.empty();
  }
};

}  // namespace streamkeeper
