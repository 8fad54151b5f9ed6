#include "access/token_table.h"

#include <openssl/crypto.h>

namespace streamkeeper {

const AuthToken* TokenTable::find(std::string_view presented) const {
  if (presented.empty()) return nullptr;  // whatever digest a table holds
  const Sha256Digest digest = Sha256(presented);
  const AuthToken* found = nullptr;
  for (const AuthToken& token : tokens_) {
    // No two tokens share a secret (auth_file.h), so at most one matches; the loop visits all.
    bool match = CRYPTO_memcmp(digest.data(), token.secret_sha256.data(), digest.size()) == 0;
    if (match) found = &token;
  }
  return found;
}

}  // namespace streamkeeper
