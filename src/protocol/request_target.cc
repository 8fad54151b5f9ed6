#include "protocol/request_target.h"

#include <boost/url/parse.hpp>

namespace streamkeeper {

std::vector<std::string_view> RequestTarget::params(std::string_view key) const {
  std::vector<std::string_view> out;
  for (const auto& [k, v] : query) {
    if (k == key) out.push_back(v);
  }
  return out;
}

Status ValidateStreamPath(std::string_view path) {
  if (path.size() > kMaxPathBytes) return Status::BadRequest("stream path is too long");
  if (path.substr(0, kStreamPrefix.size()) != kStreamPrefix) {
    return Status::NotFound("no stream at this path (streams live under /v1/stream/)");
  }
  std::string_view name = path.substr(kStreamPrefix.size());
  if (name.empty()) return Status::BadRequest("stream name is empty");
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Status::BadRequest("stream path contains control characters");
    }
  }
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    std::string_view segment =
        name.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (segment.empty()) return Status::BadRequest("stream path has an empty segment");
    if (segment == "." || segment == "..") {
      return Status::BadRequest("stream path contains a dot segment");
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return Status::Ok();
}

Status ParseRequestTarget(std::string_view target, RequestTarget* out) {
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) parsed = boost::urls::parse_absolute_uri(target);  // RFC 9112 §3.2.2
  if (!parsed) return Status::BadRequest("malformed request target");
  out->path = parsed->path();
  for (auto param : parsed->params()) {
    out->query.emplace_back(param.key, param.has_value ? param.value : std::string());
  }
  return ValidateStreamPath(out->path);
}

}  // namespace streamkeeper
