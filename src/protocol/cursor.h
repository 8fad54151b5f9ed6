// Stream-Cursor generation for live responses (CDN request collapsing).
//
// Time is cut into 20-second intervals counted from 2024-10-09T00:00:00Z; the cursor is the
// interval number in decimal. It never goes backwards for a client: when the client's cursor is
// already at or past the current interval, the answer is strictly greater (by a random 1-180
// intervals, i.e. 1 s to 1 h of jitter), so a collapsed request cannot loop on one cached entry.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace streamkeeper {

std::string NextCursor(int64_t now_ms, std::optional<std::string_view> client_cursor);

}  // namespace streamkeeper
