#include "http/request_id.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <random>

namespace streamkeeper {

void NewRequestId(std::string* id) {
  thread_local uint64_t next = [] {
    std::random_device device;
    return (static_cast<uint64_t>(device()) << 32) ^ device();
  }();
  // Two digits per step from a table of the 256 byte values: this runs for every request.
  static constexpr auto kPairs = [] {
    constexpr char kHex[] = "0123456789abcdef";
    std::array<char, 512> pairs{};
    for (int byte = 0; byte < 256; ++byte) {
      pairs[2 * byte] = kHex[byte >> 4];
      pairs[2 * byte + 1] = kHex[byte & 0xf];
    }
    return pairs;
  }();
  uint64_t value = next++;
  id->resize(16);
  char* digits = id->data();
  for (int i = 14; i >= 0; i -= 2, value >>= 8) {
    std::memcpy(digits + i, &kPairs[2 * (value & 0xff)], 2);
  }
}

bool IsAcceptableRequestId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace streamkeeper
