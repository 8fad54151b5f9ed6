#include "access/jwt_verifier.h"

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <cmath>
#include <optional>
#include <fstream>
#include <sstream>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace streamkeeper {

enum class JwtAlgorithm { kRs256, kEs256, kEdDsa, kHs256 };

struct JwtVerifier::Key {
  JwtAlgorithm algorithm = JwtAlgorithm::kHs256;
  EVP_PKEY* public_key = nullptr;  // all but HS256
  std::string secret;              // HS256

  ~Key() { EVP_PKEY_free(public_key); }
};

namespace {

namespace json = boost::json;

bool ReadWholeFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream text;
  text << in.rdbuf();
  *out = text.str();
  return true;
}

int Base64UrlValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// base64url without padding (RFC 7515 §2); false on any other character or a bad length.
bool Base64UrlDecode(std::string_view text, std::string* out) {
  out->clear();
  if (text.size() % 4 == 1) return false;
  uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    int value = Base64UrlValue(c);
    if (value < 0) return false;
    bits = (bits << 6) | static_cast<uint32_t>(value);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out->push_back(static_cast<char>((bits >> count) & 0xff));
    }
  }
  // The bits left over must be zero (a canonical encoding).
  return (bits & ((1u << count) - 1)) == 0;
}

std::string_view AlgorithmName(JwtAlgorithm algorithm) {
  switch (algorithm) {
    case JwtAlgorithm::kRs256: return "RS256";
    case JwtAlgorithm::kEs256: return "ES256";
    case JwtAlgorithm::kEdDsa: return "EdDSA";
    case JwtAlgorithm::kHs256: return "HS256";
  }
  return "HS256";
}

bool EvpVerify(EVP_PKEY* key, const EVP_MD* digest, std::string_view data,
               const unsigned char* signature, size_t signature_size) {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  if (context == nullptr) return false;
  bool ok = EVP_DigestVerifyInit(context, nullptr, digest, nullptr, key) == 1 &&
            EVP_DigestVerify(context, signature, signature_size,
                             reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  EVP_MD_CTX_free(context);
  return ok;
}

// A JWS ES256 signature is R || S (32 bytes each); OpenSSL verifies a DER ECDSA-Sig-Value.
bool Es256Verify(EVP_PKEY* key, std::string_view data, std::string_view signature) {
  if (signature.size() != 64) return false;
  const auto* bytes = reinterpret_cast<const unsigned char*>(signature.data());
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(bytes, 32, nullptr);
  BIGNUM* s = BN_bin2bn(bytes + 32, 32, nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return false;
  }
  unsigned char* der = nullptr;
  int der_size = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (der_size <= 0) return false;
  bool ok = EvpVerify(key, EVP_sha256(), data, der, static_cast<size_t>(der_size));
  OPENSSL_free(der);
  return ok;
}

std::optional<double> NumberOf(const json::value& value) {
  if (value.is_int64()) return static_cast<double>(value.get_int64());
  if (value.is_uint64()) return static_cast<double>(value.get_uint64());
  if (value.is_double() && std::isfinite(value.get_double())) return value.get_double();
  return std::nullopt;
}

bool AudienceMatches(const json::value* aud, std::string_view audience) {
  if (aud == nullptr) return false;
  if (aud->is_string()) return aud->get_string() == audience;
  if (!aud->is_array()) return false;
  for (const json::value& item : aud->get_array()) {
    if (item.is_string() && item.get_string() == audience) return true;
  }
  return false;
}

bool ReadRightsClaim(const json::object& claims, std::string_view name,
                     std::vector<std::string>* out, std::string* why) {
  const json::value* list = claims.if_contains(name);
  if (list == nullptr) return true;
  if (!list->is_array()) {
    *why = std::string(name) + " is not an array";
    return false;
  }
  for (const json::value& item : list->get_array()) {
    if (!item.is_string() || !PrefixProblem(item.get_string()).empty()) {
      *why = std::string(name) + " holds something other than a path prefix";
      return false;
    }
    out->emplace_back(item.get_string());
  }
  return true;
}

std::optional<json::object> ParseObject(std::string_view text) {
  boost::system::error_code error;
  json::value value = json::parse(text, error);
  if (error || !value.is_object()) return std::nullopt;
  return std::move(value.get_object());
}

}  // namespace

JwtVerifier::JwtVerifier(std::unique_ptr<Key> key, std::string audience)
    : key_(std::move(key)), audience_(std::move(audience)) {}

JwtVerifier::~JwtVerifier() = default;

std::unique_ptr<JwtVerifier> JwtVerifier::Create(const JwtOptions& options, std::string* error) {
  if (options.public_key_file.empty() == options.secret_file.empty()) {
    *error = "give exactly one of --jwt-public-key and --jwt-secret-file";
    return nullptr;
  }
  auto key = std::make_unique<Key>();
  if (!options.secret_file.empty()) {
    const std::string& path = options.secret_file;
    if (!ReadWholeFile(path, &key->secret)) {
      *error = path + ": cannot read the JWT secret";
      return nullptr;
    }
    if (!key->secret.empty() && key->secret.back() == '\n') key->secret.pop_back();
    if (!key->secret.empty() && key->secret.back() == '\r') key->secret.pop_back();
    if (key->secret.size() < kMinSecretBytes) {
      *error = path + ": the HS256 secret must be at least " + std::to_string(kMinSecretBytes) +
               " bytes";
      return nullptr;
    }
    key->algorithm = JwtAlgorithm::kHs256;
    return std::unique_ptr<JwtVerifier>(new JwtVerifier(std::move(key), options.audience));
  }
  const std::string& path = options.public_key_file;
  std::string pem;
  if (!ReadWholeFile(path, &pem)) {
    *error = path + ": cannot read the JWT public key";
    return nullptr;
  }
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  key->public_key = bio ? PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (key->public_key == nullptr) {
    *error = path + ": not a PEM public key (\"-----BEGIN PUBLIC KEY-----\")";
    return nullptr;
  }
  switch (EVP_PKEY_get_base_id(key->public_key)) {
    case EVP_PKEY_RSA:
      if (EVP_PKEY_get_bits(key->public_key) < 2048) {
        *error = path + ": RSA keys must have at least 2048 bits";
        return nullptr;
      }
      key->algorithm = JwtAlgorithm::kRs256;
      break;
    case EVP_PKEY_EC: {
      char curve[64] = {};
      size_t size = 0;
      if (EVP_PKEY_get_utf8_string_param(key->public_key, "group", curve, sizeof(curve),
                                         &size) != 1 ||
          std::string_view(curve) != "prime256v1") {
        *error = path + ": EC keys must be on P-256 (ES256)";
        return nullptr;
      }
      key->algorithm = JwtAlgorithm::kEs256;
      break;
    }
    case EVP_PKEY_ED25519:
      key->algorithm = JwtAlgorithm::kEdDsa;
      break;
    default:
      *error = path + ": unsupported key type (RSA, EC P-256 or Ed25519)";
      return nullptr;
  }
  return std::unique_ptr<JwtVerifier>(new JwtVerifier(std::move(key), options.audience));
}

std::string_view JwtVerifier::algorithm() const { return AlgorithmName(key_->algorithm); }

bool JwtVerifier::LooksLikeJwt(std::string_view token) {
  size_t first = token.find('.');
  if (first == std::string_view::npos || first == 0) return false;
  size_t second = token.find('.', first + 1);
  if (second == std::string_view::npos || second == first + 1) return false;
  return second + 1 < token.size() && token.find('.', second + 1) == std::string_view::npos;
}

bool JwtVerifier::signature_matches(std::string_view signed_part,
                                    std::string_view signature) const {
  const auto* bytes = reinterpret_cast<const unsigned char*>(signature.data());
  switch (key_->algorithm) {
    case JwtAlgorithm::kHs256: {
      unsigned char mac[EVP_MAX_MD_SIZE];
      unsigned int size = 0;
      if (HMAC(EVP_sha256(), key_->secret.data(), static_cast<int>(key_->secret.size()),
               reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size(),
               mac, &size) == nullptr) {
        return false;
      }
      return signature.size() == size && CRYPTO_memcmp(mac, bytes, size) == 0;
    }
    case JwtAlgorithm::kRs256:
      return EvpVerify(key_->public_key, EVP_sha256(), signed_part, bytes, signature.size());
    case JwtAlgorithm::kEs256:
      return Es256Verify(key_->public_key, signed_part, signature);
    case JwtAlgorithm::kEdDsa:
      return EvpVerify(key_->public_key, nullptr, signed_part, bytes, signature.size());
  }
  return false;
}

bool JwtVerifier::verify(std::string_view token, int64_t now_seconds, JwtIdentity* identity,
                         std::string* why) const {
  if (!LooksLikeJwt(token)) {
    *why = "not a compact JWS";
    return false;
  }
  size_t first = token.find('.');
  size_t second = token.find('.', first + 1);
  std::string header_text, claims_text, signature;
  if (!Base64UrlDecode(token.substr(0, first), &header_text) ||
      !Base64UrlDecode(token.substr(first + 1, second - first - 1), &claims_text) ||
      !Base64UrlDecode(token.substr(second + 1), &signature)) {
    *why = "not base64url";
    return false;
  }
  std::optional<json::object> header = ParseObject(header_text);
  if (!header) {
    *why = "header is not a JSON object";
    return false;
  }
  const json::value* alg = header->if_contains("alg");
  if (alg == nullptr || !alg->is_string() || alg->get_string() != algorithm()) {
    *why = "alg is not " + std::string(algorithm());
    return false;
  }
  if (header->contains("crit")) {
    *why = "crit header parameters are not supported";
    return false;
  }
  if (!signature_matches(token.substr(0, second), signature)) {
    *why = "bad signature";
    return false;
  }
  std::optional<json::object> claims = ParseObject(claims_text);
  if (!claims) {
    *why = "claims are not a JSON object";
    return false;
  }
  const double leeway = static_cast<double>(kLeeway.count());
  const double now = static_cast<double>(now_seconds);
  const json::value* exp = claims->if_contains("exp");
  std::optional<double> expires = exp ? NumberOf(*exp) : std::nullopt;
  if (!expires) {
    *why = "exp is missing or not a number";
    return false;
  }
  if (now >= *expires + leeway) {
    *why = "expired";
    return false;
  }
  if (const json::value* nbf = claims->if_contains("nbf")) {
    std::optional<double> not_before = NumberOf(*nbf);
    if (!not_before) {
      *why = "nbf is not a number";
      return false;
    }
    if (now + leeway < *not_before) {
      *why = "not yet valid (nbf)";
      return false;
    }
  }
  if (!audience_.empty() && !AudienceMatches(claims->if_contains("aud"), audience_)) {
    *why = "aud does not name " + audience_;
    return false;
  }
  JwtIdentity parsed;
  parsed.valid_until = *expires + leeway;
  if (const json::value* nbf = claims->if_contains("nbf")) parsed.valid_from = *NumberOf(*nbf) - leeway;
  if (const json::value* sub = claims->if_contains("sub"); sub && sub->is_string()) {
    parsed.subject = std::string(sub->get_string());
  }
  if (!ReadRightsClaim(*claims, "ds_read", &parsed.rights.read, why) ||
      !ReadRightsClaim(*claims, "ds_write", &parsed.rights.write, why) ||
      !ReadRightsClaim(*claims, "ds_admin", &parsed.rights.admin, why)) {
    return false;
  }
  *identity = std::move(parsed);
  return true;
}

}  // namespace streamkeeper
