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
// secret, a prefix that is not a string, does not start with "/", holds '%', a control character
// or a "."/".." segment, a prefix listed twice for one right, two tokens with the same secret.
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

// Parses the text of an auth file; `path` only names it in errors. false with *error
// ("PATH:LINE: what is wrong") on any mistake.
bool ParseAuthFile(std::string_view text, const std::string& path,
                   std::vector<AuthToken>* tokens, std::string* error);

// Reads and parses the file at `path`.
bool LoadAuthFile(const std::string& path, std::vector<AuthToken>* tokens, std::string* error);

// The SHA-256 of `data` (OpenSSL). Allocation-free; safe on any thread.
Sha256Digest Sha256(std::string_view data);

}  // namespace streamkeeper
