#include "util/address_key.h"

#include <arpa/inet.h>

#include <cstring>

namespace streamkeeper {

AddressKey::AddressKey(std::string_view address) : key_(address) {
  std::string_view bare = address.substr(0, address.find('%'));  // no zone
  char terminated[INET6_ADDRSTRLEN];
  if (bare.size() >= sizeof terminated) return;
  std::memcpy(terminated, bare.data(), bare.size());
  terminated[bare.size()] = '\0';
  unsigned char bytes[16];
  if (inet_pton(AF_INET6, terminated, bytes) != 1) return;  // IPv4 (or no address): as given

  static constexpr unsigned char kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(bytes, kMappedPrefix, sizeof kMappedPrefix) == 0) {
    if (inet_ntop(AF_INET, bytes + 12, text_, sizeof text_) != nullptr) key_ = text_;
    return;
  }
  std::memset(bytes + 8, 0, 8);  // the /64 network
  if (inet_ntop(AF_INET6, bytes, text_, sizeof text_ - 3) == nullptr) return;
  std::strcat(text_, "/64");
  key_ = text_;
}

}  // namespace streamkeeper
