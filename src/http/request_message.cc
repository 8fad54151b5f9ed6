#include "http/request_message.h"

namespace streamkeeper {

void ConfigureRequestParser(BeastRequestParser& parser, const ServerOptions& options) {
  parser.eager(true);
  parser.body_limit(options.max_body_bytes);
  parser.header_limit(static_cast<uint32_t>(options.max_header_bytes));
}

HttpRequest ToHttpRequest(BeastRequest& message) {
  HttpRequest request;
  request.method = message.method_string();
  request.target = message.target();
  request.headers.reserve(16);
  for (const auto& field : message) {
    request.headers.emplace_back(field.name_string(), field.value());
  }
  request.body = std::move(message.body());
  return request;
}

void ToHttpRequestHead(const BeastRequest& message, HttpRequest* out) {
  out->method = message.method_string();
  out->target = message.target();
  out->headers.clear();
  for (const auto& field : message) out->headers.emplace_back(field.name_string(), field.value());
  out->body.clear();
}

}  // namespace streamkeeper
