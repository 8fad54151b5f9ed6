// TokenTable: the auth file's tokens, looked up by the secret a request presents.
//
// The lookup takes the same time whichever token matches, or none: the presented secret is
// hashed (SHA-256) and its digest compared with every token's digest by CRYPTO_memcmp, with no
// early exit. So neither timing nor the order of the file tells an attacker anything about a
// secret. No allocation.
//
// Thread-safety: immutable after construction; find() may be called concurrently.
#pragma once

#include <string_view>
#include <vector>

#include "access/auth_file.h"

namespace streamkeeper {

class TokenTable {
 public:
  explicit TokenTable(std::vector<AuthToken> tokens) : tokens_(std::move(tokens)) {}

  // The token whose secret is `presented`, or null; always null for an empty `presented`
  // (even if some token's digest is the SHA-256 of the empty string).
  const AuthToken* find(std::string_view presented) const;

  size_t size() const { return tokens_.size(); }

 private:
  std::vector<AuthToken> tokens_;
};

}  // namespace streamkeeper
