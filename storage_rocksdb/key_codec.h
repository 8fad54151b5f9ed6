// KeyCodec: the RocksDB key layouts of RocksDbStorage (documented in README.md).
//
//   meta CF:      <path>                                      -> StreamMeta (meta_codec.h)
//                 "\0generation_counter"                       -> fixed64 little-endian
//                 "\0purge\0" <path> \0 <generation: 8 bytes big-endian> -> empty
//   producers CF: <path> \0 <generation: 8 bytes big-endian> <producer id> -> ProducerState
//   data CF:      <path> \0 <generation: 16 digits> _ <position: 16 digits> -> record bytes
//   expiry CF:    <time: 8 bytes big-endian, sign bit flipped> <path> \0
//                 <generation: 8 bytes big-endian>                              -> empty
//
// Paths are non-empty and never contain NUL, so "<path>\0" is a prefix no other path shares and
// a reserved key starting with NUL never collides with a path. Keys of one (path, generation)
// are contiguous and sort by position, so a read is one bounded iterator and a purge a few
// point deletes or one DeleteRange. Decimal digits keep data keys readable in `ldb scan`; they
// limit generations and positions to kMaxKeyNumber, which the 16-digit offsets of the protocol
// cannot exceed anyway.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace streamkeeper::rocksdb_keys {

// The largest generation or position a data key can hold (16 decimal digits).
inline constexpr uint64_t kMaxKeyNumber = 9'999'999'999'999'999ULL;

// Reserved meta CF key holding WriteBatch::generation_counter.
inline constexpr std::string_view kGenerationCounterKey{"\0generation_counter", 19};

// Default CF key holding the on-disk format version, and the version this code writes.
inline constexpr std::string_view kFormatVersionKey = "streamkeeper.format";
inline constexpr std::string_view kFormatVersion = "2";
// The version before the expiry index and purge markers; opened and migrated (README.md).
inline constexpr std::string_view kFormatVersion1 = "1";

// --- data CF -----------------------------------------------------------------------------------
// Requires generation, position <= kMaxKeyNumber.
std::string DataKey(std::string_view path, uint64_t generation, uint64_t position);
// The smallest key of (path, generation): DataKey(path, generation, 0).
std::string DataGenerationBegin(std::string_view path, uint64_t generation);
// A key above every key of (path, generation) and below every key of later generations.
std::string DataGenerationEnd(std::string_view path, uint64_t generation);

struct DataKeyParts {
  std::string_view path;
  uint64_t generation = 0;
  uint64_t position = 0;
};
// Returns nullopt when `key` is not a well-formed data key. The path view aliases `key`.
std::optional<DataKeyParts> ParseDataKey(std::string_view key);

// --- producers CF ------------------------------------------------------------------------------
std::string ProducerKey(std::string_view path, uint64_t generation, std::string_view producer_id);
// Every producer key of (path, generation) lies in [ProducerGenerationBegin,
// ProducerGenerationEnd).
std::string ProducerGenerationBegin(std::string_view path, uint64_t generation);
std::string ProducerGenerationEnd(std::string_view path, uint64_t generation);

struct ProducerKeyParts {
  std::string_view path;
  uint64_t generation = 0;
  std::string_view producer_id;
};
// Returns nullopt when `key` is not a well-formed producer key. Views alias `key`.
std::optional<ProducerKeyParts> ParseProducerKey(std::string_view key);

// --- meta CF: purge markers ---------------------------------------------------------------------
// A generation erased and not yet purged (Storage: RecoveredState::pending_purges). Every marker
// key starts with kPurgeMarkerPrefix and sorts below kPurgeMarkerPrefixEnd.
inline constexpr std::string_view kPurgeMarkerPrefix{"\0purge\0", 7};
inline constexpr std::string_view kPurgeMarkerPrefixEnd{"\0purge\1", 7};
std::string PurgeMarkerKey(std::string_view path, uint64_t generation);

struct GenerationKeyParts {
  std::string_view path;
  uint64_t generation = 0;
};
// Returns nullopt when `key` is not a well-formed purge marker key. The view aliases `key`.
std::optional<GenerationKeyParts> ParsePurgeMarkerKey(std::string_view key);

// --- expiry CF ---------------------------------------------------------------------------------
// Keys sort exactly as ExpiryEntry does: by time (negative first), path bytewise (the NUL after
// it puts a path before every longer path it starts), generation.
std::string ExpiryKey(int64_t at_ms, std::string_view path, uint64_t generation);
// The 8-byte time alone: below every key at `at_ms`, above every key at an earlier time.
std::string ExpiryTimeKey(int64_t at_ms);

struct ExpiryKeyParts {
  int64_t at_ms = 0;
  std::string_view path;
  uint64_t generation = 0;
};
// Returns nullopt when `key` is not a well-formed expiry key. The view aliases `key`.
std::optional<ExpiryKeyParts> ParseExpiryKey(std::string_view key);

// --- fixed-width integers ----------------------------------------------------------------------
std::string EncodeFixed64(uint64_t value);                      // little-endian, 8 bytes
std::optional<uint64_t> DecodeFixed64(std::string_view bytes);  // nullopt unless 8 bytes

}  // namespace streamkeeper::rocksdb_keys
