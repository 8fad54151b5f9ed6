// TokenTable: a presented secret finds its token, by its digest, and nothing else does.
#include "access/token_table.h"

#include <gtest/gtest.h>

namespace streamkeeper {
namespace {

AuthToken Token(std::string name, std::string_view secret) {
  AuthToken token;
  token.name = std::move(name);
  token.secret_sha256 = Sha256(secret);
  return token;
}

TEST(TokenTable, FindsTheTokenOfASecret) {
  TokenTable table({Token("a", "alpha"), Token("b", "beta")});
  ASSERT_NE(table.find("beta"), nullptr);
  EXPECT_EQ(table.find("beta")->name, "b");
  EXPECT_EQ(table.find("alpha")->name, "a");
  EXPECT_EQ(table.find("gamma"), nullptr);
  EXPECT_EQ(table.find("alph"), nullptr);
}

// The auth file refuses the empty string's digest, but the table does not rely on it: an empty
// bearer token ("Authorization: Bearer") matches no token whatever digests it holds.
TEST(TokenTable, AnEmptySecretFindsNothing) {
  TokenTable table({Token("empty", ""), Token("a", "alpha")});
  EXPECT_EQ(table.find(""), nullptr);
  EXPECT_EQ(table.find("alpha")->name, "a");
}

}  // namespace
}  // namespace streamkeeper
