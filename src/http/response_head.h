// ResponseHead: the status line and header block of a non-streaming response, as one string.
//
// Ordinary responses bypass Beast's serializer: the head is built in one reserved string and
// written together with the body in a single gathered write, which profiling showed to be a
// noticeable share of a small append's cost. SSE responses still use Beast's chunked writer.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "protocol/http_types.h"

namespace streamkeeper {

// Renders "HTTP/1.1 <status> <reason>\r\n", the response's headers, the common headers, Date,
// Content-Length (omitted for HEAD: it would have to be the GET body's length), and
// "Connection: close" when the connection ends after this response; then the blank line.
// A non-empty `request_id` is sent as X-Request-Id (passed apart rather than added to
// response.headers: that would cost two string copies per request). `allow_origin` is sent as
// Access-Control-Allow-Origin unless empty, with "Vary: Origin" unless it is "*" (empty included:
// the answer then depends on the origin too, and a shared cache must not hand a response without
// the header to an origin that would have got one).
std::string RenderResponseHead(const HttpResponse& response, bool head_request, bool close,
                               const std::string& date, std::string_view request_id = {},
                               std::string_view allow_origin = kDefaultAllowOrigin);

// The Access-Control-Allow-Origin (and Vary) lines RenderResponseHead writes, for writers of
// other heads (SSE). Calls add(name, value) for each.
template <class Add>
void AddAllowOrigin(std::string_view allow_origin, Add&& add) {
  if (allow_origin != "*") add("Vary", "Origin");
  if (allow_origin.empty()) return;
  add("Access-Control-Allow-Origin", allow_origin);
}

}  // namespace streamkeeper
