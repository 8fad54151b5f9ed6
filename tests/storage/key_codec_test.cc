#include "storage_rocksdb/key_codec.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "streamkeeper/storage.h"

namespace streamkeeper::rocksdb_keys {
namespace {

TEST(KeyCodecTest, DataKeyLayout) {
  EXPECT_EQ(DataKey("/s", 3, 42), std::string("/s\0"
                                              "0000000000000003_0000000000000042",
                                              3 + 33));
}

TEST(KeyCodecTest, DataKeysSortByPathGenerationPosition) {
  EXPECT_LT(DataKey("/s", 1, 9), DataKey("/s", 1, 10));
  EXPECT_LT(DataKey("/s", 1, kMaxKeyNumber), DataKey("/s", 2, 0));
  EXPECT_LT(DataKey("/s", 9, 0), DataKey("/s/", 0, 0));  // "/s\0" < "/s/"
  EXPECT_LT(DataKey("/s", 9, 0), DataKey("/s0", 0, 0));
}

TEST(KeyCodecTest, DataGenerationBoundsEncloseExactlyOneGeneration) {
  std::string begin = DataGenerationBegin("/s", 5);
  std::string end = DataGenerationEnd("/s", 5);
  EXPECT_EQ(begin, DataKey("/s", 5, 0));
  EXPECT_LT(DataKey("/s", 5, kMaxKeyNumber), end);
  EXPECT_LT(DataKey("/s", 4, kMaxKeyNumber), begin);
  EXPECT_LE(end, DataKey("/s", 6, 0));
}

TEST(KeyCodecTest, ParseDataKeyInvertsDataKey) {
  std::string key = DataKey("/a/b", 12, kMaxKeyNumber);
  auto parts = ParseDataKey(key);
  ASSERT_TRUE(parts.has_value());
  EXPECT_EQ(parts->path, "/a/b");
  EXPECT_EQ(parts->generation, 12u);
  EXPECT_EQ(parts->position, kMaxKeyNumber);
  EXPECT_FALSE(ParseDataKey("/a/b").has_value());
  EXPECT_FALSE(ParseDataKey(key.substr(0, key.size() - 1)).has_value());
  std::string bad_digit = key;
  bad_digit.back() = 'x';
  EXPECT_FALSE(ParseDataKey(bad_digit).has_value());
}

TEST(KeyCodecTest, ProducerKeysRoundTripAndStayInTheirGeneration) {
  std::string key = ProducerKey("/s", 258, "writer");
  EXPECT_EQ(key, std::string("/s\0\0\0\0\0\0\0\x01\x02writer", 3 + 8 + 6));
  auto parts = ParseProducerKey(key);
  ASSERT_TRUE(parts.has_value());
  EXPECT_EQ(parts->path, "/s");
  EXPECT_EQ(parts->generation, 258u);
  EXPECT_EQ(parts->producer_id, "writer");

  EXPECT_LE(ProducerGenerationBegin("/s", 258), key);
  EXPECT_LT(key, ProducerGenerationEnd("/s", 258));
  EXPECT_LT(ProducerKey("/s", 258, "\xff\xff\xff\xff\xff\xff\xff\xff\xff"),
            ProducerGenerationEnd("/s", 258));
  EXPECT_LT(ProducerKey("/s", UINT64_MAX, "\xff"), ProducerGenerationEnd("/s", UINT64_MAX));
  EXPECT_LT(ProducerGenerationEnd("/s", UINT64_MAX), ProducerKey("/s/", 0, ""));
  EXPECT_FALSE(ParseProducerKey("no-separator").has_value());
  EXPECT_FALSE(ParseProducerKey(std::string("/s\0\x01", 4)).has_value());
}

TEST(KeyCodecTest, Fixed64RoundTrips) {
  EXPECT_EQ(DecodeFixed64(EncodeFixed64(0x0102030405060708ULL)), 0x0102030405060708ULL);
  EXPECT_EQ(EncodeFixed64(1), std::string("\x01\0\0\0\0\0\0\0", 8));
  EXPECT_FALSE(DecodeFixed64("short").has_value());
}

TEST(KeyCodecTest, ReservedKeysCannotCollideWithPaths) {
  EXPECT_EQ(kGenerationCounterKey[0], '\0');
  EXPECT_EQ(kPurgeMarkerPrefix[0], '\0');
  EXPECT_EQ(PurgeMarkerKey("/s", 1)[0], '\0');
}

TEST(KeyCodecTest, PurgeMarkerKeysRoundTripAndStayUnderTheirPrefix) {
  std::string key = PurgeMarkerKey("/s", 258);
  EXPECT_EQ(key, std::string("\0purge\0/s\0\0\0\0\0\0\0\x01\x02", 7 + 3 + 8));
  auto parts = ParsePurgeMarkerKey(key);
  ASSERT_TRUE(parts.has_value());
  EXPECT_EQ(parts->path, "/s");
  EXPECT_EQ(parts->generation, 258u);
  for (const std::string& path : {std::string("/"), std::string("\xff\xff")}) {
    std::string marker = PurgeMarkerKey(path, UINT64_MAX);
    EXPECT_TRUE(marker.starts_with(kPurgeMarkerPrefix));
    EXPECT_LT(marker, kPurgeMarkerPrefixEnd);
  }
  EXPECT_LT(kGenerationCounterKey, kPurgeMarkerPrefix);  // outside the markers' range
  EXPECT_FALSE(ParsePurgeMarkerKey(std::string(kGenerationCounterKey)).has_value());
  EXPECT_FALSE(ParsePurgeMarkerKey(key.substr(0, key.size() - 1)).has_value());
  EXPECT_FALSE(ParsePurgeMarkerKey(std::string(kPurgeMarkerPrefix) + std::string(9, '\0'))
                   .has_value());  // an empty path
}

// The expiry family's key order is the sweeper's order: ExpiryEntry's (time, path, generation).
TEST(KeyCodecTest, ExpiryKeysSortExactlyAsExpiryEntries) {
  std::vector<ExpiryEntry> entries;
  for (int64_t at : {INT64_MIN, int64_t{-1000}, int64_t{-1}, int64_t{0}, int64_t{1}, int64_t{255},
                     int64_t{256}, int64_t{1700000000000}, INT64_MAX}) {
    for (const char* path : {"/a", "/a/b", "/a0", "/a\xff", "/a\x01", "/b", "\xff"}) {
      for (uint64_t generation : {uint64_t{0}, uint64_t{1}, uint64_t{256}, UINT64_MAX}) {
        entries.push_back({at, path, generation});
      }
    }
  }
  for (const ExpiryEntry& a : entries) {
    std::string key_a = ExpiryKey(a.at_ms, a.path, a.generation);
    for (const ExpiryEntry& b : entries) {
      ASSERT_EQ(key_a < ExpiryKey(b.at_ms, b.path, b.generation), a < b)
          << a.at_ms << " " << a.path << " " << a.generation << " vs " << b.at_ms << " " << b.path
          << " " << b.generation;
    }
  }
}

TEST(KeyCodecTest, ExpiryTimeKeyBoundsEveryEntryOfItsTime) {
  for (int64_t at : {INT64_MIN, int64_t{-1}, int64_t{0}, int64_t{1700000000000}}) {
    std::string lowest = ExpiryKey(at, "\x01", 0);
    std::string highest = ExpiryKey(at, "\xff\xff\xff\xff\xff\xff\xff\xff\xff", UINT64_MAX);
    EXPECT_LT(ExpiryTimeKey(at), lowest);
    EXPECT_LT(highest, ExpiryTimeKey(at + 1));
  }
  EXPECT_EQ(ExpiryTimeKey(0), std::string("\x80\0\0\0\0\0\0\0", 8));
  EXPECT_EQ(ExpiryTimeKey(-1), std::string("\x7f\xff\xff\xff\xff\xff\xff\xff", 8));
}

TEST(KeyCodecTest, ParseExpiryKeyInvertsExpiryKey) {
  std::string key = ExpiryKey(-5, "/a/b", 258);
  EXPECT_EQ(key,
            std::string("\x7f\xff\xff\xff\xff\xff\xff\xfb/a/b\0\0\0\0\0\0\0\x01\x02", 8 + 5 + 8));
  auto parts = ParseExpiryKey(key);
  ASSERT_TRUE(parts.has_value());
  EXPECT_EQ(parts->at_ms, -5);
  EXPECT_EQ(parts->path, "/a/b");
  EXPECT_EQ(parts->generation, 258u);
  EXPECT_FALSE(ParseExpiryKey(key.substr(0, key.size() - 1)).has_value());
  EXPECT_FALSE(ParseExpiryKey(ExpiryTimeKey(1)).has_value());
  EXPECT_FALSE(ParseExpiryKey(ExpiryTimeKey(1) + std::string(9, '\0')).has_value());
}

}  // namespace
}  // namespace streamkeeper::rocksdb_keys
