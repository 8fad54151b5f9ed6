// RequestPath: the path a request addresses, as the access rules match it: the path the
// protocol layer sees (protocol/request_target.cc: origin or absolute form, query stripped,
// percent-decoded), or a refusal when it cannot be matched safely.
//
// Safe by itself, whatever the protocol layer later validates: a path with a "." or ".."
// segment, an encoded '/' ("%2F"), or a control character (NUL included, encoded or not) is
// refused rather than guessed at, so no prefix can be escaped by dot segments or encoding.
#pragma once

#include <string>
#include <string_view>

namespace streamkeeper {

// The decoded path of request-target `target` in *path; false when the target does not parse
// or the path is unsafe (above). *path points into `target` when it has no '%' (no copy), else
// into *scratch.
bool RequestPathOf(std::string_view target, std::string* scratch, std::string_view* path);

// The same for a Stream-Forked-From value: a path or a URL whose path is taken (as
// protocol_handler.cc reads it).
bool ForkSourcePathOf(std::string_view value, std::string* scratch, std::string_view* path);

// Whether `prefix` grants `path`: the prefix is a leading part of the path that ends at a
// segment boundary. "/v1/stream/chat/" and "/v1/stream/chat" both grant "/v1/stream/chat/1";
// neither grants "/v1/stream/chatroom"; "/" grants every path.
bool PrefixCovers(std::string_view prefix, std::string_view path);

}  // namespace streamkeeper
