// Parsers for the protocol's header values. Each returns nullopt for a malformed value, which
// the handler answers with 400; none of them throws.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace streamkeeper {

// Stream-TTL and Stream-Fork-Sub-Offset: "0" or a decimal without leading zeros, sign, point or
// exponent.
std::optional<uint64_t> ParseCanonicalUnsigned(std::string_view value);

// Producer-Epoch / Producer-Seq: digits only, at most 2^53 - 1.
std::optional<uint64_t> ParseProducerNumber(std::string_view value);

// Stream-Expires-At: an RFC 3339 date-time with "Z" or a numeric offset, fractional seconds
// allowed. Returns milliseconds since the Unix epoch.
std::optional<int64_t> ParseRfc3339(std::string_view value);

// Renders milliseconds since the epoch as "YYYY-MM-DDTHH:MM:SS.mmmZ".
std::string FormatRfc3339(int64_t ms);

// Stream-Closed counts only when it equals "true", case-insensitively.
bool IsTrueFlag(std::optional<std::string_view> value);

}  // namespace streamkeeper
