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

// The instants FormatRfc3339 renders as RFC 3339 (four-digit years): 0000-01-01T00:00:00.000Z
// to 9999-12-31T23:59:59.999Z.
inline constexpr int64_t kMinRfc3339Ms = -62'167'219'200'000;
inline constexpr int64_t kMaxRfc3339Ms = 253'402'300'799'999;

// Stream-Expires-At: an RFC 3339 date-time with "Z" or a numeric offset, fractional seconds
// allowed. Returns milliseconds since the Unix epoch, within [kMinRfc3339Ms, kMaxRfc3339Ms]
// (nullopt for a time whose UTC year is not four digits).
std::optional<int64_t> ParseRfc3339(std::string_view value);

// Renders milliseconds since the epoch as "YYYY-MM-DDTHH:MM:SS.mmmZ".
std::string FormatRfc3339(int64_t ms);

// Stream-Closed counts only when it equals "true", case-insensitively.
bool IsTrueFlag(std::optional<std::string_view> value);

}  // namespace streamkeeper
