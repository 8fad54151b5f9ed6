// JwtVerifier: checks JWT bearer tokens (RFC 7519, compact JWS) signed with the one key the
// server is configured with, and gives the rights their claims hold.
//
// The key decides the algorithm: a PEM public key (--jwt-public-key) gives RS256 (RSA), ES256
// (EC P-256) or EdDSA (Ed25519); a shared secret (--jwt-secret-file, at least 32 bytes) gives
// HS256. A token's header must name exactly that "alg": "none", and HS256 signed with the
// public key's bytes (the algorithm-confusion attack), are refused; so is a header with "crit".
// Signatures are checked by OpenSSL (EVP_DigestVerify, HMAC); header and claims are parsed by
// Boost.JSON.
//
// Claims: "exp" is required (a token that never expires cannot be revoked; long-lived access
// belongs in the auth file, which a reload revokes), "nbf" is checked when present, both with
// kLeeway of clock skew; with an audience configured, "aud" (a string or an array) must name
// it. Rights: "ds_read", "ds_write", "ds_admin", arrays of path prefixes (access/access_rules.h),
// each optional. "sub", when a string, names the token (logs, rate limits).
//
// Thread-safety: verify() may be called concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>

#include "access/access_rules.h"

namespace streamkeeper {

struct JwtOptions {
  std::string public_key_file;  // PEM (SubjectPublicKeyInfo)
  std::string secret_file;      // the HS256 secret: the file's bytes, a final newline removed
  std::string audience;         // empty: "aud" not checked
};

struct JwtIdentity {
  std::string subject;  // "sub", or empty
  Rights rights;
  // The times (Unix seconds, leeway included) at which verify() accepts the token: from
  // valid_from (inclusive; -infinity without nbf) until valid_until (exclusive).
  double valid_from = -std::numeric_limits<double>::infinity();
  double valid_until = 0;

  bool valid_at(int64_t now_seconds) const {
    const double now = static_cast<double>(now_seconds);
    return now >= valid_from && now < valid_until;
  }
};

class JwtVerifier {
 public:
  static constexpr std::chrono::seconds kLeeway{60};
  static constexpr size_t kMinSecretBytes = 32;

  // A verifier for the key in `options` (exactly one of public_key_file and secret_file); null
  // with *error naming the file and what is wrong (unreadable, not a PEM public key, a key type
  // other than RSA, EC P-256 or Ed25519, a secret shorter than kMinSecretBytes).
  static std::unique_ptr<JwtVerifier> Create(const JwtOptions& options, std::string* error);
  ~JwtVerifier();
  JwtVerifier(const JwtVerifier&) = delete;
  JwtVerifier& operator=(const JwtVerifier&) = delete;

  // Whether `token` is valid at `now_seconds` (Unix time): its signature, alg, exp, nbf and
  // aud. On success fills *identity; else *why says what failed (for the log, never the token).
  bool verify(std::string_view token, int64_t now_seconds, JwtIdentity* identity,
              std::string* why) const;

  // "RS256", "ES256", "EdDSA" or "HS256".
  std::string_view algorithm() const;

  // Three non-empty dot-separated parts: a compact JWS, not an opaque secret.
  static bool LooksLikeJwt(std::string_view token);

 private:
  struct Key;
  explicit JwtVerifier(std::unique_ptr<Key> key, std::string audience);
  bool signature_matches(std::string_view signed_part, std::string_view signature) const;

  std::unique_ptr<Key> key_;
  std::string audience_;
};

}  // namespace streamkeeper
