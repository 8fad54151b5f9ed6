// RequestTarget: splits a request-target into a stream path and query parameters, and checks
// the path.
//
// Every path under kStreamPrefix names a stream. The stream's key is its percent-decoded path,
// and the rule of streamkeeper/stream_path.h applies to that decoded path: so "%2e%2e" is a ".."
// segment, "%00" a NUL, and "%2F" a slash like any other ("a%2Fb" is the stream "a/b").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "streamkeeper/status.h"
#include "streamkeeper/stream_path.h"

namespace streamkeeper {

inline constexpr std::string_view kStreamPrefix = "/v1/stream/";
inline constexpr size_t kMaxPathBytes = kMaxStreamPathBytes;  // of the decoded path, prefix included

struct RequestTarget {
  std::string path;  // decoded, e.g. "/v1/stream/chat/42"
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order

  // All values of query parameter `key`.
  std::vector<std::string_view> params(std::string_view key) const;
};

// Parses an origin-form (or absolute-form) target ("/v1/stream/x?offset=-1"), decoding its path
// and query. kBadRequest if it does not parse; the path is not checked (ValidateStreamPath).
Status ParseRequestTarget(std::string_view target, RequestTarget* out);

// Checks a decoded path of the stream API (also a Stream-Forked-From): kNotFound outside
// kStreamPrefix, kBadRequest for an empty name or a path that breaks CheckStreamPath.
Status ValidateStreamPath(std::string_view path);

}  // namespace streamkeeper
