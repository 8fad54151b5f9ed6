#include "storage_rocksdb/key_codec.h"

#include <cassert>

namespace streamkeeper::rocksdb_keys {
namespace {

constexpr size_t kDigits = 16;
// "<16 digits>_<16 digits>" after the NUL separator.
constexpr size_t kDataSuffixSize = kDigits + 1 + kDigits;
constexpr size_t kGenerationBytes = 8;
constexpr size_t kTimeBytes = 8;
constexpr uint64_t kSignBit = 1ULL << 63;

// Zero-padded to kDigits. By hand rather than snprintf: every appended record's key is built
// here on the commit thread.
void AppendDigits(uint64_t value, std::string* out) {
  assert(value <= kMaxKeyNumber);
  char buf[kDigits];
  for (size_t i = kDigits; i-- > 0;) {
    buf[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out->append(buf, kDigits);
}

std::optional<uint64_t> ParseDigits(std::string_view digits) {
  if (digits.size() != kDigits) return std::nullopt;
  uint64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value;
}

void AppendBigEndian64(uint64_t value, std::string* out) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

uint64_t ReadBigEndian64(std::string_view bytes) {
  uint64_t value = 0;
  for (size_t i = 0; i < kGenerationBytes; ++i) {
    value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  }
  return value;
}

// "<path>\0<generation: 8 bytes big-endian>": the tail of purge marker and expiry keys.
void AppendPathGeneration(std::string_view path, uint64_t generation, std::string* key) {
  key->append(path);
  key->push_back('\0');
  AppendBigEndian64(generation, key);
}

std::optional<GenerationKeyParts> ParsePathGeneration(std::string_view bytes) {
  if (bytes.size() < 2 + kGenerationBytes) return std::nullopt;  // a path of at least one byte
  size_t separator = bytes.size() - kGenerationBytes - 1;
  std::string_view path = bytes.substr(0, separator);
  if (bytes[separator] != '\0' || path.find('\0') != std::string_view::npos) return std::nullopt;
  return GenerationKeyParts{path, ReadBigEndian64(bytes.substr(separator + 1))};
}

std::string PathPrefix(std::string_view path, size_t reserve) {
  std::string key;
  key.reserve(path.size() + 1 + reserve);
  key.append(path);
  key.push_back('\0');
  return key;
}

}  // namespace

std::string DataKey(std::string_view path, uint64_t generation, uint64_t position) {
  std::string key = PathPrefix(path, kDataSuffixSize);
  AppendDigits(generation, &key);
  key.push_back('_');
  AppendDigits(position, &key);
  return key;
}

std::string DataGenerationBegin(std::string_view path, uint64_t generation) {
  return DataKey(path, generation, 0);
}

std::string DataGenerationEnd(std::string_view path, uint64_t generation) {
  // '`' is the byte after '_': above "<gen>_<any position>", below "<gen + 1>_...".
  std::string key = PathPrefix(path, kDigits + 1);
  AppendDigits(generation, &key);
  key.push_back('`');
  return key;
}

std::optional<DataKeyParts> ParseDataKey(std::string_view key) {
  if (key.size() < 1 + kDataSuffixSize) return std::nullopt;
  size_t separator = key.size() - kDataSuffixSize - 1;
  if (key[separator] != '\0' || key[separator + 1 + kDigits] != '_') return std::nullopt;
  auto generation = ParseDigits(key.substr(separator + 1, kDigits));
  auto position = ParseDigits(key.substr(separator + 2 + kDigits, kDigits));
  if (!generation || !position) return std::nullopt;
  return DataKeyParts{key.substr(0, separator), *generation, *position};
}

std::string ProducerKey(std::string_view path, uint64_t generation, std::string_view producer_id) {
  std::string key = ProducerGenerationBegin(path, generation);
  key.append(producer_id);
  return key;
}

std::string ProducerGenerationBegin(std::string_view path, uint64_t generation) {
  std::string key = PathPrefix(path, kGenerationBytes);
  AppendBigEndian64(generation, &key);
  return key;
}

std::string ProducerGenerationEnd(std::string_view path, uint64_t generation) {
  if (generation == UINT64_MAX) {
    // Above every "<path>\0..." key and below any longer path's keys: "<path>\1".
    std::string key(path);
    key.push_back('\1');
    return key;
  }
  return ProducerGenerationBegin(path, generation + 1);
}

std::optional<ProducerKeyParts> ParseProducerKey(std::string_view key) {
  size_t separator = key.find('\0');
  if (separator == std::string_view::npos || separator == 0) return std::nullopt;
  if (key.size() < separator + 1 + kGenerationBytes) return std::nullopt;
  uint64_t generation = ReadBigEndian64(key.substr(separator + 1, kGenerationBytes));
  return ProducerKeyParts{key.substr(0, separator), generation,
                          key.substr(separator + 1 + kGenerationBytes)};
}

std::string PurgeMarkerKey(std::string_view path, uint64_t generation) {
  std::string key;
  key.reserve(kPurgeMarkerPrefix.size() + path.size() + 1 + kGenerationBytes);
  key.append(kPurgeMarkerPrefix);
  AppendPathGeneration(path, generation, &key);
  return key;
}

std::optional<GenerationKeyParts> ParsePurgeMarkerKey(std::string_view key) {
  if (!key.starts_with(kPurgeMarkerPrefix)) return std::nullopt;
  return ParsePathGeneration(key.substr(kPurgeMarkerPrefix.size()));
}

std::string ExpiryTimeKey(int64_t at_ms) {
  std::string key;
  // Flipping the sign bit maps int64 order onto unsigned, hence big-endian bytewise, order.
  AppendBigEndian64(static_cast<uint64_t>(at_ms) ^ kSignBit, &key);
  return key;
}

std::string ExpiryKey(int64_t at_ms, std::string_view path, uint64_t generation) {
  std::string key = ExpiryTimeKey(at_ms);
  key.reserve(kTimeBytes + path.size() + 1 + kGenerationBytes);
  AppendPathGeneration(path, generation, &key);
  return key;
}

std::optional<ExpiryKeyParts> ParseExpiryKey(std::string_view key) {
  if (key.size() < kTimeBytes) return std::nullopt;
  auto parts = ParsePathGeneration(key.substr(kTimeBytes));
  if (!parts) return std::nullopt;
  return ExpiryKeyParts{static_cast<int64_t>(ReadBigEndian64(key) ^ kSignBit), parts->path,
                        parts->generation};
}

std::string EncodeFixed64(uint64_t value) {
  std::string out(8, '\0');
  for (size_t i = 0; i < 8; ++i) out[i] = static_cast<char>((value >> (8 * i)) & 0xff);
  return out;
}

std::optional<uint64_t> DecodeFixed64(std::string_view bytes) {
  if (bytes.size() != 8) return std::nullopt;
  uint64_t value = 0;
  for (size_t i = 0; i < 8; ++i) {
    value |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  }
  return value;
}

}  // namespace streamkeeper::rocksdb_keys
