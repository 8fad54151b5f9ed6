// Content-type rules shared by create, append and the SSE encoder.
#pragma once

#include <string>
#include <string_view>

namespace streamkeeper {

inline constexpr std::string_view kDefaultContentType = "application/octet-stream";

// The media type without parameters, lower-cased and trimmed: "Text/Plain; charset=x" ->
// "text/plain". Streams compare content types by this form.
std::string NormalizeMediaType(std::string_view content_type);

// True when both name the same media type (case-insensitive, parameters ignored); allocates
// nothing, as it runs on every append.
bool SameMediaType(std::string_view a, std::string_view b);

// True when the stream stores JSON messages (media type application/json).
bool IsJsonContentType(std::string_view content_type);

// True when SSE may carry the payload as UTF-8 text (text/* and application/json); every other
// type is base64-encoded in SSE data events.
bool IsTextContentType(std::string_view content_type);

// A usable "type/subtype" (token characters only). Empty or malformed types fall back to the
// default at create time.
bool IsWellFormedContentType(std::string_view content_type);

}  // namespace streamkeeper
