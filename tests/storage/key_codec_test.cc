#include "storage_rocksdb/key_codec.h"

#include <gtest/gtest.h>

#include <string>

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
}

}  // namespace
}  // namespace streamkeeper::rocksdb_keys
