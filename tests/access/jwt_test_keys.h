// Test keys and signed JWTs: keys are made at test time with the openssl CLI (RSA 2048, EC
// P-256, Ed25519, an HS256 secret), and tokens are signed with OpenSSL (as an issuer would).
#pragma once

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "storage/temp_dir.h"

namespace streamkeeper::testing {

inline std::string Base64Url(std::string_view bytes) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  for (unsigned char byte : bytes) {
    bits = (bits << 8) | byte;
    count += 8;
    while (count >= 6) {
      count -= 6;
      out.push_back(alphabet[(bits >> count) & 63]);
    }
  }
  if (count > 0) out.push_back(alphabet[(bits << (6 - count)) & 63]);
  return out;
}

inline std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Keys in a temporary directory: <name>.pem (private) and <name>.pub (public), for rsa, ec,
// ed25519 and ec384 (an unsupported curve); hs256.secret (64 characters).
class JwtKeys {
 public:
  JwtKeys() {
    const std::string& d = dir_.path();
    ok_ = Run("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " + d +
              "/rsa.pem") &&
          Run("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " + d +
              "/ec.pem") &&
          Run("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out " + d +
              "/ec384.pem") &&
          Run("openssl genpkey -algorithm ED25519 -out " + d + "/ed25519.pem") &&
          Run("openssl rand -hex 32 > " + d + "/hs256.secret");
    for (const char* name : {"rsa", "ec", "ec384", "ed25519"}) {
      ok_ = ok_ && Run("openssl pkey -in " + d + "/" + name + ".pem -pubout -out " + d + "/" +
                       name + ".pub");
    }
  }
  bool ok() const { return ok_; }
  std::string public_key(const std::string& name) const { return dir_.path() + "/" + name + ".pub"; }
  std::string private_key(const std::string& name) const { return dir_.path() + "/" + name + ".pem"; }
  std::string secret_file() const { return dir_.path() + "/hs256.secret"; }
  std::string secret() const {
    std::string text = ReadText(secret_file());
    while (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
  }
  const std::string& dir() const { return dir_.path(); }

 private:
  static bool Run(const std::string& command) {
    return std::system((command + " 2>/dev/null").c_str()) == 0;
  }
  TempDir dir_;
  bool ok_ = false;
};

// The signature of `data` with the private key in `pem_file` for `alg` (RS256, ES256 as R||S,
// EdDSA); empty on failure.
inline std::string SignWithKey(const std::string& pem_file, std::string_view alg,
                               std::string_view data) {
  std::string pem = ReadText(pem_file);
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) return {};
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  const EVP_MD* digest = alg == "EdDSA" ? nullptr : EVP_sha256();
  size_t size = 0;
  std::string signature;
  if (EVP_DigestSignInit(context, nullptr, digest, nullptr, key) == 1 &&
      EVP_DigestSign(context, nullptr, &size,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1) {
    signature.resize(size);
    if (EVP_DigestSign(context, reinterpret_cast<unsigned char*>(signature.data()), &size,
                       reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
      signature.clear();
    }
    signature.resize(size);
  }
  EVP_MD_CTX_free(context);
  EVP_PKEY_free(key);
  if (alg == "ES256" && !signature.empty()) {  // DER -> R || S
    const auto* der = reinterpret_cast<const unsigned char*>(signature.data());
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(signature.size()));
    if (sig == nullptr) return {};
    std::string raw(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
    ECDSA_SIG_free(sig);
    return raw;
  }
  return signature;
}

inline std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &size);
  return std::string(reinterpret_cast<char*>(mac), size);
}

// header.claims.signature, the signature made by `sign` over header.claims.
template <typename Sign>
std::string MakeJwt(std::string_view header_json, std::string_view claims_json, Sign sign) {
  std::string signed_part = Base64Url(header_json) + "." + Base64Url(claims_json);
  return signed_part + "." + Base64Url(sign(signed_part));
}

}  // namespace streamkeeper::testing
