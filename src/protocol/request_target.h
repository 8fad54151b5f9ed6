// RequestTarget: splits and validates a request-target into a stream path and query parameters.
//
// Every path under kStreamPrefix names a stream. The stream's key is its percent-decoded path.
// Rejected (400): targets that do not parse, paths outside the prefix, an empty name, "." or ".."
// segments, empty segments, NUL or control characters, and paths longer than kMaxPathBytes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "streamkeeper/status.h"

namespace streamkeeper {

inline constexpr std::string_view kStreamPrefix = "/v1/stream/";
inline constexpr size_t kMaxPathBytes = 1024;

struct RequestTarget {
  std::string path;  // decoded, e.g. "/v1/stream/chat/42"
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order

  // All values of query parameter `key`.
  std::vector<std::string_view> params(std::string_view key) const;
};

// Parses an origin-form target ("/v1/stream/x?offset=-1").
Status ParseRequestTarget(std::string_view target, RequestTarget* out);

// Validates an already-decoded stream path (also used for Stream-Forked-From).
Status ValidateStreamPath(std::string_view path);

}  // namespace streamkeeper
