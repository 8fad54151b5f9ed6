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
  if (path.substr(0, kStreamPrefix.size()) != kStreamPrefix) {
    return Status::NotFound("no stream at this path (streams live under /v1/stream/)");
  }
  if (path.size() == kStreamPrefix.size()) return Status::BadRequest("stream name is empty");
  return CheckStreamPath(path);
}

Status ParseRequestTarget(std::string_view target, RequestTarget* out) {
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) parsed = boost::urls::parse_absolute_uri(target);  // RFC 9112 §3.2.2
  if (!parsed) return Status::BadRequest("malformed request target");
  out->path = parsed->path();
  for (auto param : parsed->params()) {
    out->query.emplace_back(param.key, param.has_value ? param.value : std::string());
  }
  return Status::Ok();
}

}  // namespace streamkeeper
