#include "http/response_head.h"

#include <ostream>

#include <boost/beast/http/status.hpp>

namespace streamkeeper {

std::string RenderResponseHead(const HttpResponse& response, bool head_request, bool close,
                               const std::string& date, std::string_view request_id,
                               std::string_view allow_origin) {
  std::string out;
  out.reserve(512);
  out.append("HTTP/1.1 ").append(std::to_string(response.status)).push_back(' ');
  auto reason = boost::beast::http::obsolete_reason(
      static_cast<boost::beast::http::status>(response.status));
  out.append(reason.data(), reason.size()).append("\r\n");
  auto add = [&out](std::string_view name, std::string_view value) {
    out.append(name).append(": ").append(value).append("\r\n");
  };
  for (const auto& [name, value] : response.headers) add(name, value);
  if (!request_id.empty()) add("X-Request-Id", request_id);
  for (const auto& [name, value] : kCommonResponseHeaders) add(name, value);
  AddAllowOrigin(allow_origin, add);
  add("Date", date);
  if (!head_request) add("Content-Length", std::to_string(response.body.size()));
  if (close) add("Connection", "close");
  out.append("\r\n");
  return out;
}

}  // namespace streamkeeper
