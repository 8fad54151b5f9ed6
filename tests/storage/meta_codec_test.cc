#include "storage_rocksdb/meta_codec.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace streamkeeper {
namespace {

StreamMeta FullMeta() {
  StreamMeta meta;
  meta.path = "/a/b c/\xe2\x9c\x93";
  meta.generation = std::numeric_limits<uint64_t>::max();
  meta.content_type = "application/json; charset=utf-8";
  meta.created_at_ms = std::numeric_limits<int64_t>::min();
  meta.ttl_seconds = 0;  // present-but-zero must stay distinct from absent
  meta.expires_at_ms = -1;
  meta.last_access_ms = std::numeric_limits<int64_t>::max();
  meta.closed = true;
  meta.tail = 1ULL << 40;
  meta.last_stream_seq = "0000000042";
  meta.closed_by = ProducerTuple{"producer-\x01", 7, 300};
  meta.fork_parent = "/parent";
  meta.fork_parent_generation = 3;
  meta.fork_position = 128;
  meta.fork_anchor = 127;
  meta.fork_sub_offset = 1;
  meta.fork_refcount = 2;
  meta.soft_deleted = true;
  meta.indexed_expiry_ms = std::numeric_limits<int64_t>::min();
  return meta;
}

TEST(MetaCodecTest, RoundTripsEveryField) {
  StreamMeta meta = FullMeta();
  StreamMeta decoded;
  ASSERT_TRUE(DecodeStreamMeta(EncodeStreamMeta(meta), &decoded));
  EXPECT_EQ(decoded, meta);
}

TEST(MetaCodecTest, RoundTripsDefaultsAndAbsentOptionals) {
  StreamMeta meta;
  StreamMeta decoded = FullMeta();
  ASSERT_TRUE(DecodeStreamMeta(EncodeStreamMeta(meta), &decoded));
  EXPECT_EQ(decoded, meta);
  EXPECT_FALSE(decoded.ttl_seconds.has_value());
  EXPECT_FALSE(decoded.expires_at_ms.has_value());
  EXPECT_FALSE(decoded.closed_by.has_value());
}

TEST(MetaCodecTest, RoundTripsEachOptionalAlone) {
  StreamMeta ttl_only;
  ttl_only.ttl_seconds = 86400;
  StreamMeta expires_only;
  expires_only.expires_at_ms = 1700000000000;
  StreamMeta closed_by_only;
  closed_by_only.closed_by = ProducerTuple{"", 0, 0};
  StreamMeta indexed_only;
  indexed_only.indexed_expiry_ms = 0;  // present-but-zero, distinct from absent
  for (const StreamMeta& meta : {ttl_only, expires_only, closed_by_only, indexed_only}) {
    StreamMeta decoded;
    ASSERT_TRUE(DecodeStreamMeta(EncodeStreamMeta(meta), &decoded));
    EXPECT_EQ(decoded, meta);
  }
}

TEST(MetaCodecTest, IndexedExpiryRoundTripsAndIsAbsentFromFormat1Encodings) {
  StreamMeta indexed;
  indexed.ttl_seconds = 60;
  indexed.indexed_expiry_ms = -1;
  StreamMeta decoded;
  ASSERT_TRUE(DecodeStreamMeta(EncodeStreamMeta(indexed), &decoded));
  EXPECT_EQ(decoded, indexed);

  // Without it, the encoding is byte for byte format 1's (flags then fields, nothing after the
  // fork refcount); with it, the same bytes with flag 32 and eight more at the end.
  StreamMeta plain = indexed;
  plain.indexed_expiry_ms.reset();
  std::string without = EncodeStreamMeta(plain);
  std::string with = EncodeStreamMeta(indexed);
  ASSERT_EQ(with.size(), without.size() + 8);
  EXPECT_EQ(static_cast<uint8_t>(without[1]), 4);  // has ttl_seconds
  EXPECT_EQ(static_cast<uint8_t>(with[1]), 4 | 32);
  EXPECT_EQ(with.substr(2, without.size() - 2), without.substr(2));
  EXPECT_EQ(with.substr(without.size()), std::string(8, '\xff'));  // -1, fixed64
  ASSERT_TRUE(DecodeStreamMeta(without, &decoded));
  EXPECT_FALSE(decoded.indexed_expiry_ms.has_value());
}

TEST(MetaCodecTest, StartsWithTheVersionByte) {
  EXPECT_EQ(static_cast<uint8_t>(EncodeStreamMeta(StreamMeta())[0]), kMetaCodecVersion);
  EXPECT_EQ(static_cast<uint8_t>(EncodeProducerState(ProducerState())[0]), kMetaCodecVersion);
}

TEST(MetaCodecTest, RejectsUnknownVersionTruncationAndTrailingBytes) {
  std::string encoded = EncodeStreamMeta(FullMeta());
  StreamMeta decoded;
  std::string wrong_version = encoded;
  wrong_version[0] = static_cast<char>(kMetaCodecVersion + 1);
  EXPECT_FALSE(DecodeStreamMeta(wrong_version, &decoded));
  for (size_t size = 0; size < encoded.size(); ++size) {
    EXPECT_FALSE(DecodeStreamMeta(encoded.substr(0, size), &decoded)) << "size " << size;
  }
  EXPECT_FALSE(DecodeStreamMeta(encoded + "x", &decoded));
}

TEST(MetaCodecTest, RejectsUnknownFlags) {
  std::string encoded = EncodeStreamMeta(StreamMeta());
  encoded[1] = 0x40;  // flags varint: a bit no writer sets (32 is the highest known)
  StreamMeta decoded;
  EXPECT_FALSE(DecodeStreamMeta(encoded, &decoded));
}

TEST(MetaCodecTest, ProducerStateRoundTrips) {
  for (ProducerState state :
       {ProducerState{0, 0}, ProducerState{1, 2}, ProducerState{UINT64_MAX, UINT64_MAX - 1}}) {
    ProducerState decoded{9, 9};
    ASSERT_TRUE(DecodeProducerState(EncodeProducerState(state), &decoded));
    EXPECT_EQ(decoded, state);
  }
}

TEST(MetaCodecTest, ProducerStateRejectsBadInput) {
  std::string encoded = EncodeProducerState({5, 6});
  ProducerState decoded;
  EXPECT_FALSE(DecodeProducerState("", &decoded));
  EXPECT_FALSE(DecodeProducerState(encoded.substr(0, encoded.size() - 1), &decoded));
  EXPECT_FALSE(DecodeProducerState(encoded + "x", &decoded));
  EXPECT_FALSE(DecodeProducerState(std::string("\x02\x05\x06", 3), &decoded));
}

}  // namespace
}  // namespace streamkeeper
