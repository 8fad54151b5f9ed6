// AddressKey: the rate-limit key of a client's IP address, the unit one client controls.
//
// An IPv4 client is keyed by its address. An IPv6 client is keyed by its /64: a host is
// commonly given a whole /64 (SLAAC, privacy addresses) and can pick any of its 2^64 addresses
// per request, so keying by the exact address would give it a fresh bucket each time. An
// IPv4-mapped IPv6 address (::ffff:a.b.c.d, as a dual-stack socket reports IPv4 clients) is an
// IPv4 client. A zone ("fe80::1%eth0") is dropped. Text that is no IP address is its own key.
//
//   "192.0.2.7"                -> "192.0.2.7"
//   "::ffff:192.0.2.7"         -> "192.0.2.7"
//   "2001:db8:1:2:aaaa::1"     -> "2001:db8:1:2::/64"
//
// No allocation: the key lives in the object (or is the given text itself).
#pragma once

#include <string_view>

namespace streamkeeper {

class AddressKey {
 public:
  // The key of `address` (an IP address in text form). view() may point into `address`: keep
  // it alive as long as the key is used.
  explicit AddressKey(std::string_view address);
  AddressKey(const AddressKey&) = delete;
  AddressKey& operator=(const AddressKey&) = delete;

  std::string_view view() const { return key_; }

 private:
  // "xxxx:xxxx:xxxx:xxxx::/64" at most, or a dotted IPv4 address.
  char text_[48];
  std::string_view key_;
};

}  // namespace streamkeeper
