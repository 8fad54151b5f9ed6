// Access rules: the rights a token holds (lists of path prefixes) and the rights a request
// needs, by method and route. The rules, in full:
//
//   OPTIONS (CORS preflight), /healthz, /readyz   free: no token, no rate limit
//   /metrics                                       admin (a prefix covering "/metrics", e.g.
//                                                  "/" or "/metrics"), or free of a token with
//                                                  --metrics-open
//   /_admin and below (ds-admin's endpoints)       admin on the path
//   {stream prefix}__ds and below (subscriptions)  admin on the path
//   DELETE                                         admin on the path
//   GET, HEAD                                      read on the path
//   POST, PUT                                      write on the path
//   PUT with Stream-Forked-From                    write on the path and read on the source
//   any other method                               admin on the path
//
// No right implies another: a token that should read, write and delete under a prefix lists
// the prefix under all three. A request whose path (or fork source) cannot be matched safely
// (access/request_path.h) needs a right nothing can grant: it is refused (403).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/http_types.h"

namespace streamkeeper {

enum class Right { kRead, kWrite, kAdmin };

// "read", "write", "admin": the auth file's keys.
std::string_view RightName(Right right);

// What one token may do: for each right, the path prefixes it holds it on
// (access/request_path.h PrefixCovers).
struct Rights {
  std::vector<std::string> read;
  std::vector<std::string> write;
  std::vector<std::string> admin;

  const std::vector<std::string>& prefixes(Right right) const;
  std::vector<std::string>& prefixes(Right right) {
    return const_cast<std::vector<std::string>&>(std::as_const(*this).prefixes(right));
  }
  bool allows(Right right, std::string_view path) const;
};

// Why `prefix` cannot be a prefix in a list of rights, or empty when it can: it must start
// with "/" and hold no '%' (prefixes are written decoded), no control character and no "." or
// ".." segment.
std::string PrefixProblem(std::string_view prefix);

struct Need {
  Right right = Right::kRead;
  std::string_view path;
};

// What a request needs. The paths point into the request or into the scratch strings given to
// NeedsOf, valid while both are.
struct RequestNeeds {
  enum class Kind {
    kFree,        // served to anyone, and not rate limited
    kNoToken,     // served without a token (rate limited)
    kToken,       // a token holding every right in needs[0, count)
    kUnsafePath,  // a token, and then refused whatever its rights
  };
  Kind kind = Kind::kToken;
  Need needs[2];
  size_t count = 0;
};

struct NeedsScratch {
  std::string path;
  std::string source;
};

RequestNeeds NeedsOf(const HttpRequest& request, bool metrics_open, NeedsScratch* scratch);

}  // namespace streamkeeper
