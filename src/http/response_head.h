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
// response.headers: that would cost two string copies per request).
std::string RenderResponseHead(const HttpResponse& response, bool head_request, bool close,
                               const std::string& date, std::string_view request_id = {});

}  // namespace streamkeeper
