// AddressKey: one rate-limit key per client: an IPv4 address, an IPv6 /64.
#include "util/address_key.h"

#include <string>

#include <gtest/gtest.h>

namespace streamkeeper {
namespace {

std::string KeyOf(std::string_view address) { return std::string(AddressKey(address).view()); }

TEST(AddressKey, AnIpv4ClientIsItsAddress) {
  EXPECT_EQ(KeyOf("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(KeyOf("127.0.0.1"), "127.0.0.1");
  EXPECT_NE(KeyOf("192.0.2.7"), KeyOf("192.0.2.8"));
}

// A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d: the same client as a.b.c.d, and
// not one /64 shared by every IPv4 client.
TEST(AddressKey, AnIpv4MappedAddressIsTheIpv4Client) {
  EXPECT_EQ(KeyOf("::ffff:192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(KeyOf("::FFFF:192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(KeyOf("::ffff:c000:207"), "192.0.2.7");
  EXPECT_NE(KeyOf("::ffff:192.0.2.7"), KeyOf("::ffff:192.0.2.8"));
}

// A host owns its /64 and may send from any address in it.
TEST(AddressKey, AnIpv6ClientIsItsSlash64) {
  EXPECT_EQ(KeyOf("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(KeyOf("2001:db8:1:2::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(KeyOf("2001:0DB8:0001:0002:ffff:ffff:ffff:ffff"), "2001:db8:1:2::/64");
  EXPECT_EQ(KeyOf("2001:db8::1"), "2001:db8::/64");
  EXPECT_NE(KeyOf("2001:db8:1:2::1"), KeyOf("2001:db8:1:3::1"));
  EXPECT_EQ(KeyOf("::1"), "::/64");
  EXPECT_EQ(KeyOf("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), "ffff:ffff:ffff:ffff::/64");
}

TEST(AddressKey, AZoneIsDropped) {
  EXPECT_EQ(KeyOf("fe80::1%eth0"), "fe80::/64");
  EXPECT_EQ(KeyOf("fe80::2%2"), "fe80::/64");
}

TEST(AddressKey, TextThatIsNoAddressIsItsOwnKey) {
  EXPECT_EQ(KeyOf(""), "");
  EXPECT_EQ(KeyOf("unix"), "unix");
  EXPECT_EQ(KeyOf("2001:db8::g"), "2001:db8::g");
  std::string longer(100, ':');
  EXPECT_EQ(KeyOf(longer), longer);
}

}  // namespace
}  // namespace streamkeeper
