// AuthFile: the --auth-file, a TOML file of bearer tokens and their rights.
//
//   [tokens.ingest]                  # the token's name (logs, rate limits; never its secret)
//   secret_sha256 = "9f86d0..."      # the SHA-256 of the secret, 64 hex digits; or
//   # secret = "s3cret"              # the secret itself (exactly one of the two)
//   read  = ["/v1/stream/chat/"]     # path prefixes (access/access_rules.h) per right
//   write = ["/v1/stream/chat/"]
//   admin = []
//
// Every mistake is an error naming the file and line: a TOML syntax error, a key other than
// these, a token with no secret or both, a secret_sha256 that is not 64 hex digits, an empty
// secret (or a secret_sha256 of the empty string), a prefix that is not a string, does not
// start with "/", holds '%', a control character or a "."/".." segment, a prefix listed twice
// for one right, two tokens with the same secret; and, when JWTs are configured, a `secret` of
// three dot-separated parts (access/jwt_verifier.h LooksLikeJwt): the gate then checks such a
// bearer token as a JWT only, so the secret could never be used. (The gate does not fall back
// to the auth file for a JWT-shaped token that fails as a JWT: one shape, one check, so a
// refused JWT is never judged a second time. A secret_sha256 hides its secret's shape and
// cannot be checked: a JWT-shaped secret given so is silently never accepted.)
// A prefix is matched against the request's decoded path, so it is written decoded.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "access/access_rules.h"

namespace streamkeeper {

using Sha256Digest = std::array<unsigned char, 32>;

struct AuthToken {
  std::string name;
  Sha256Digest secret_sha256{};
  Rights rights;
};

// Parses the text of an auth file; `path` only names it in errors; `jwt_configured`: whether a
// JWT key is configured (JWT-shaped secrets are then refused). false with *error
// ("PATH:LINE: what is wrong") on any mistake.
bool ParseAuthFile(std::string_view text, const std::string& path, bool jwt_configured,
                   std::vector<AuthToken>* tokens, std::string* error);

// Reads and parses the file at `path`.
bool LoadAuthFile(const std::string& path, bool jwt_configured, std::vector<AuthToken>* tokens,
                  std::string* error);

// The SHA-256 of `data` (OpenSSL). Allocation-free; safe on any thread.
Sha256Digest Sha256(std::string_view data);

}  // namespace streamkeeper
