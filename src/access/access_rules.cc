#include "access/access_rules.h"

#include "access/request_path.h"
#include "protocol/request_target.h"

namespace streamkeeper {
namespace {

constexpr std::string_view kSubscriptionPrefix = "/v1/stream/__ds";
constexpr std::string_view kAdminPrefix = "/_admin";

static_assert(kSubscriptionPrefix.substr(0, kStreamPrefix.size()) == kStreamPrefix);

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

Right MethodRight(std::string_view method) {
  if (method == "GET" || method == "HEAD") return Right::kRead;
  if (method == "POST" || method == "PUT") return Right::kWrite;
  return Right::kAdmin;  // DELETE, and any method the protocol does not serve
}

}  // namespace

std::string_view RightName(Right right) {
  switch (right) {
    case Right::kRead: return "read";
    case Right::kWrite: return "write";
    case Right::kAdmin: return "admin";
  }
  return "admin";
}

std::string PrefixProblem(std::string_view prefix) {
  if (prefix.empty() || prefix.front() != '/') return "does not start with \"/\"";
  if (prefix.find('%') != std::string_view::npos) {
    return "holds '%' (write prefixes decoded, as the path is matched decoded)";
  }
  for (char c : prefix) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return "holds a control character";
  }
  size_t start = 1;
  while (start <= prefix.size()) {
    size_t slash = prefix.find('/', start);
    size_t end = slash == std::string_view::npos ? prefix.size() : slash;
    std::string_view segment = prefix.substr(start, end - start);
    if (segment == "." || segment == "..") return "has a \".\" or \"..\" segment";
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return {};
}

const std::vector<std::string>& Rights::prefixes(Right right) const {
  switch (right) {
    case Right::kRead: return read;
    case Right::kWrite: return write;
    case Right::kAdmin: return admin;
  }
  return admin;
}

bool Rights::allows(Right right, std::string_view path) const {
  for (const std::string& prefix : prefixes(right)) {
    if (PrefixCovers(prefix, path)) return true;
  }
  return false;
}

RequestNeeds NeedsOf(const HttpRequest& request, bool metrics_open, NeedsScratch* scratch) {
  RequestNeeds needs;
  if (request.method == "OPTIONS") {
    needs.kind = RequestNeeds::Kind::kFree;
    return needs;
  }
  std::string_view path;
  if (!RequestPathOf(request.target, &scratch->path, &path)) {
    needs.kind = RequestNeeds::Kind::kUnsafePath;
    return needs;
  }
  if (path == "/healthz" || path == "/readyz") {
    needs.kind = RequestNeeds::Kind::kFree;
    return needs;
  }
  if (path == "/metrics" && metrics_open) {
    needs.kind = RequestNeeds::Kind::kNoToken;
    return needs;
  }
  Right right = MethodRight(request.method);
  if (path == "/metrics" || PrefixCovers(kAdminPrefix, path) ||
      StartsWith(path, kSubscriptionPrefix)) {
    right = Right::kAdmin;
  }
  needs.needs[needs.count++] = {right, path};
  if (request.method == "PUT") {
    if (auto source = request.header("stream-forked-from")) {
      std::string_view source_path;
      if (!ForkSourcePathOf(*source, &scratch->source, &source_path)) {
        needs.kind = RequestNeeds::Kind::kUnsafePath;
        return needs;
      }
      needs.needs[needs.count++] = {Right::kRead, source_path};
    }
  }
  return needs;
}

}  // namespace streamkeeper
