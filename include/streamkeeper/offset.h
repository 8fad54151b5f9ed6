// OffsetCodec: the textual form of stream offsets.
//
// A position is a count of stored units since the start of the stream's offset space: bytes for
// byte streams, messages for JSON streams. It is rendered as "%016llu_%016llu" (an always-zero
// segment number, then the position), so offsets sort bytewise in stream order and are URL-safe.
// Positions come only from persisted stream state, never from a clock or a process counter.
// "-1" (start) and "now" (tail) are sentinels accepted on input and never produced.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace streamkeeper {

struct ParsedOffset {
  enum class Kind { kStart, kNow, kPosition };
  Kind kind = Kind::kStart;
  uint64_t position = 0;  // meaningful for kPosition
};

// Renders a position; the result is always 33 characters.
std::string FormatOffset(uint64_t position);

// Parses "-1", "now" or "<16 digits>_<16 digits>" (digit counts may vary, digits only).
// Returns nullopt for anything else, which the protocol answers with 400.
std::optional<ParsedOffset> ParseOffset(std::string_view text);

// Parses a concrete offset (no sentinels); "-1" is accepted as position 0.
std::optional<uint64_t> ParsePosition(std::string_view text);

}  // namespace streamkeeper
