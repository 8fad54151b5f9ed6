#include "protocol/http_types.h"

#include <strings.h>

namespace streamkeeper {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

template <class List>
std::optional<std::string_view> FindHeader(const List& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string_view> HttpRequest::header(std::string_view name) const {
  return FindHeader(headers, name);
}

std::optional<std::string_view> HttpResponse::header(std::string_view name) const {
  if (auto value = FindHeader(headers, name)) return value;
  for (const auto& [key, value] : kCommonResponseHeaders) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  if (EqualsIgnoreCase("Access-Control-Allow-Origin", name)) return kDefaultAllowOrigin;
  return std::nullopt;
}

}  // namespace streamkeeper
