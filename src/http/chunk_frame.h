// FrameChunk: one piece of a chunked HTTP/1.1 body, framed in one string so that it goes out in
// one contiguous send (SSE events, a streamed body's pieces). Private to src/http.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace streamkeeper {

// "<size in hex>\r\n<data>\r\n", then the last chunk "0\r\n\r\n" when `last`. Empty `data`
// gives no chunk of its own (an empty chunk would end the body early).
inline std::string FrameChunk(std::string_view data, bool last) {
  std::string frame;
  char size_line[24];
  int size_length = 0;
  if (!data.empty()) size_length = std::snprintf(size_line, sizeof size_line, "%zx\r\n", data.size());
  frame.reserve(static_cast<size_t>(size_length) + data.size() + (last ? 7 : 2));
  if (!data.empty()) {
    frame.append(size_line, static_cast<size_t>(size_length)).append(data).append("\r\n");
  }
  if (last) frame.append("0\r\n\r\n");
  return frame;
}

}  // namespace streamkeeper
