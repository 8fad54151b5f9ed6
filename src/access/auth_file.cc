#include "access/auth_file.h"

#include <openssl/evp.h>

#include <fstream>
#include <memory>
#include <sstream>

#include <toml++/toml.h>

#include "access/jwt_verifier.h"

namespace streamkeeper {
namespace {

std::string At(const std::string& path, const toml::source_region& where) {
  return path + ":" + std::to_string(where.begin.line) + ": ";
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool ParseHexDigest(std::string_view hex, Sha256Digest* out) {
  if (hex.size() != 2 * out->size()) return false;
  for (size_t i = 0; i < out->size(); ++i) {
    int high = HexValue(hex[2 * i]);
    int low = HexValue(hex[2 * i + 1]);
    if (high < 0 || low < 0) return false;
    (*out)[i] = static_cast<unsigned char>(high * 16 + low);
  }
  return true;
}

bool ReadPrefixes(const std::string& path, std::string_view key, const toml::node& node,
                  std::vector<std::string>* out, std::string* error) {
  const toml::array* list = node.as_array();
  if (list == nullptr) {
    *error = At(path, node.source()) + "\"" + std::string(key) + "\" must be an array of strings";
    return false;
  }
  for (const toml::node& item : *list) {
    const auto* text = item.as_string();
    const toml::source_region& where =
        item.source().begin.line > 0 ? item.source() : node.source();
    if (text == nullptr) {
      *error = At(path, where) + "\"" + std::string(key) + "\" must be an array of strings";
      return false;
    }
    const std::string& prefix = text->get();
    if (std::string problem = PrefixProblem(prefix); !problem.empty()) {
      *error = At(path, where) + "prefix \"" + prefix + "\" " + problem;
      return false;
    }
    for (const std::string& seen : *out) {
      if (seen == prefix) {
        *error = At(path, where) + "prefix \"" + prefix + "\" is listed twice in \"" +
                 std::string(key) + "\"";
        return false;
      }
    }
    out->push_back(prefix);
  }
  return true;
}

bool ReadToken(const std::string& path, std::string_view name, const toml::node& node,
               bool jwt_configured, AuthToken* token, std::string* error) {
  const toml::table* table = node.as_table();
  if (table == nullptr) {
    *error = At(path, node.source()) + "tokens." + std::string(name) + " must be a table";
    return false;
  }
  token->name = std::string(name);
  bool has_secret = false;
  for (const auto& [key, value] : *table) {
    std::string_view k = key.str();
    if (k == "secret" || k == "secret_sha256") {
      if (has_secret) {
        *error = At(path, value.source()) + "token \"" + token->name +
                 "\" has both secret and secret_sha256 (give exactly one)";
        return false;
      }
      has_secret = true;
      const auto* text = value.as_string();
      if (text == nullptr) {
        *error = At(path, value.source()) + std::string(k) + " must be a string";
        return false;
      }
      if (k == "secret") {
        if (text->get().empty()) {
          *error = At(path, value.source()) + "secret is empty";
          return false;
        }
        if (jwt_configured && JwtVerifier::LooksLikeJwt(text->get())) {
          *error = At(path, value.source()) + "the secret of token \"" + token->name +
                   "\" has three dot-separated parts: with a JWT key configured such a bearer "
                   "token is checked as a JWT only, so this secret would never be accepted "
                   "(choose one without that shape)";
          return false;
        }
        token->secret_sha256 = Sha256(text->get());
      } else if (!ParseHexDigest(text->get(), &token->secret_sha256)) {
        *error = At(path, value.source()) + "secret_sha256 must be 64 hex digits";
        return false;
      } else if (token->secret_sha256 == Sha256("")) {
        *error = At(path, value.source()) + "secret_sha256 of token \"" + token->name +
                 "\" is the SHA-256 of the empty string (an empty bearer token is always "
                 "refused)";
        return false;
      }
    } else if (k == "read" || k == "write" || k == "admin") {
      Right right = k == "read" ? Right::kRead : k == "write" ? Right::kWrite : Right::kAdmin;
      if (!ReadPrefixes(path, k, value, &token->rights.prefixes(right), error)) return false;
    } else {
      *error = At(path, value.source()) + "unknown key \"" + std::string(k) + "\" in token \"" +
               token->name + "\" (expected secret or secret_sha256, read, write, admin)";
      return false;
    }
  }
  if (!has_secret) {
    *error = At(path, node.source()) + "token \"" + token->name +
             "\" has no secret (give secret or secret_sha256)";
    return false;
  }
  return true;
}

}  // namespace

Sha256Digest Sha256(std::string_view data) {
  // One context per thread, reused: no allocation per digest after the first.
  struct ContextDeleter {
    void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
  };
  struct MdDeleter {
    void operator()(EVP_MD* md) const { EVP_MD_free(md); }
  };
  static const std::unique_ptr<EVP_MD, MdDeleter> sha256(EVP_MD_fetch(nullptr, "SHA256", nullptr));
  thread_local std::unique_ptr<EVP_MD_CTX, ContextDeleter> context(EVP_MD_CTX_new());
  Sha256Digest digest{};
  unsigned int size = 0;
  if (!context || !sha256 || EVP_DigestInit_ex2(context.get(), sha256.get(), nullptr) != 1 ||
      EVP_DigestUpdate(context.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(context.get(), digest.data(), &size) != 1 || size != digest.size()) {
    // Cannot happen with a working OpenSSL; an all-zero digest matches no configured secret
    // unless one hashes to it, which no input does in practice.
    digest.fill(0);
  }
  return digest;
}

bool ParseAuthFile(std::string_view text, const std::string& path, bool jwt_configured,
                   std::vector<AuthToken>* tokens, std::string* error) {
  toml::table file;
  try {
    file = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    *error = path + (where.line > 0 ? ":" + std::to_string(where.line) : std::string()) + ": " +
             std::string(e.description());
    return false;
  }
  std::vector<AuthToken> parsed;
  for (const auto& [key, node] : file) {
    if (key.str() != "tokens") {
      *error = At(path, node.source()) + "unknown key \"" + std::string(key.str()) +
               "\" (expected [tokens.NAME] tables)";
      return false;
    }
    const toml::table* table = node.as_table();
    if (table == nullptr) {
      *error = At(path, node.source()) + "tokens must be a table of [tokens.NAME] tables";
      return false;
    }
    for (const auto& [name, token_node] : *table) {
      AuthToken token;
      if (!ReadToken(path, name.str(), token_node, jwt_configured, &token, error)) return false;
      for (const AuthToken& other : parsed) {
        if (other.secret_sha256 == token.secret_sha256) {
          *error = At(path, token_node.source()) + "token \"" + token.name +
                   "\" has the same secret as token \"" + other.name + "\"";
          return false;
        }
      }
      parsed.push_back(std::move(token));
    }
  }
  *tokens = std::move(parsed);
  return true;
}

bool LoadAuthFile(const std::string& path, bool jwt_configured, std::vector<AuthToken>* tokens,
                  std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = path + ": cannot read the file";
    return false;
  }
  std::stringstream text;
  text << in.rdbuf();
  return ParseAuthFile(text.str(), path, jwt_configured, tokens, error);
}

}  // namespace streamkeeper
