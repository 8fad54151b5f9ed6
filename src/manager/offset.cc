#include "streamkeeper/offset.h"

#include <charconv>

namespace streamkeeper {
namespace {

// Digits only, at most 20 of them, fitting in uint64_t.
std::optional<uint64_t> ParseDigits(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return value;
}

}  // namespace

std::string FormatOffset(uint64_t position) {
  // "0000000000000000_" then the position in at least 16 digits (runs on every response).
  char digits[20];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + position % 10);
    position /= 10;
  } while (position != 0);
  int width = n > 16 ? n : 16;
  std::string out(17 + static_cast<size_t>(width), '0');
  out[16] = '_';
  for (int i = 0; i < n; ++i) out[out.size() - 1 - static_cast<size_t>(i)] = digits[i];
  return out;
}

std::optional<ParsedOffset> ParseOffset(std::string_view text) {
  if (text == "-1") return ParsedOffset{ParsedOffset::Kind::kStart, 0};
  if (text == "now") return ParsedOffset{ParsedOffset::Kind::kNow, 0};
  auto underscore = text.find('_');
  if (underscore == std::string_view::npos) return std::nullopt;
  auto segment = ParseDigits(text.substr(0, underscore));
  auto position = ParseDigits(text.substr(underscore + 1));
  // Only segment 0 is ever minted; any other would name a position we never handed out.
  if (!segment || !position || *segment != 0) return std::nullopt;
  return ParsedOffset{ParsedOffset::Kind::kPosition, *position};
}

std::optional<uint64_t> ParsePosition(std::string_view text) {
  auto parsed = ParseOffset(text);
  if (!parsed || parsed->kind == ParsedOffset::Kind::kNow) return std::nullopt;
  return parsed->position;
}

}  // namespace streamkeeper
