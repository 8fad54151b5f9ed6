// The rule every stream path follows, in the HTTP API and in the library alike.
//
// A stream path is the stream's key: for the HTTP API, the request's percent-decoded path
// ("/v1/stream/chat/42"); for an embedder, any name that follows the rule ("/chat/42",
// "chat/42"). Segments are the parts between slashes, after an optional leading slash.
// A path is valid when it is
//   - 1 to kMaxStreamPathBytes (1024) bytes long,
//   - valid UTF-8, with no control character (U+0000-U+001F, U+007F; so no NUL),
//   - made of segments that are neither empty ("a//b", a trailing "/") nor "." or "..".
// So no path can climb out of a prefix, two spellings of one name cannot name two streams
// through dot segments or doubled slashes, and every path prints as text in logs and JSON.
//
// StreamManager::create refuses an invalid path (and an invalid fork source) with kBadRequest;
// the HTTP API answers 400 INVALID_PATH for every method before any stream is looked up.
#pragma once

#include <cstddef>
#include <string_view>

#include "streamkeeper/status.h"

namespace streamkeeper {

inline constexpr size_t kMaxStreamPathBytes = 1024;

// OK, or kBadRequest with a message naming the first rule `path` breaks.
Status CheckStreamPath(std::string_view path);

}  // namespace streamkeeper
