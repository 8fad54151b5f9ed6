// Standard base64 (RFC 4648 §4, padded): SSE data events of binary streams, and ds-admin's JSON
// output and export files. Header-only, like utf8.h: the protocol library and ds-admin both use
// it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace streamkeeper {

namespace base64_internal {

inline constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

inline int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace base64_internal

inline std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  auto at = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t n = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    out += base64_internal::kBase64Alphabet[(n >> 18) & 63];
    out += base64_internal::kBase64Alphabet[(n >> 12) & 63];
    out += base64_internal::kBase64Alphabet[(n >> 6) & 63];
    out += base64_internal::kBase64Alphabet[n & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t n = at(i) << 16;
    if (rest == 2) n |= at(i + 1) << 8;
    out += base64_internal::kBase64Alphabet[(n >> 18) & 63];
    out += base64_internal::kBase64Alphabet[(n >> 12) & 63];
    out += rest == 2 ? base64_internal::kBase64Alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// Strict: false on any character outside the alphabet, bad padding or length.
inline bool Base64Decode(std::string_view text, std::string* out) {
  out->clear();
  if (text.size() % 4 != 0) return false;
  out->reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    int v[4];
    int padding = 0;
    for (int k = 0; k < 4; ++k) {
      char c = text[i + k];
      if (c == '=' && last && k >= 2) {
        v[k] = 0;
        ++padding;
        continue;
      }
      if (padding > 0) return false;  // a character after '='
      v[k] = base64_internal::Base64Value(c);
      if (v[k] < 0) return false;
    }
    uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out->push_back(static_cast<char>((n >> 16) & 0xFF));
    if (padding < 2) out->push_back(static_cast<char>((n >> 8) & 0xFF));
    if (padding < 1) out->push_back(static_cast<char>(n & 0xFF));
  }
  return true;
}

}  // namespace streamkeeper
