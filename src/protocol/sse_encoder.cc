#include "protocol/sse_encoder.h"

namespace streamkeeper {

void AppendSseDataEvent(std::string_view payload, bool base64, std::string* out) {
  out->append("event: data\n");
  if (base64) {
    out->append("data:").append(Base64Encode(payload)).append("\n\n");
    return;
  }
  // Copies runs between line breaks whole (push_back per byte showed in fan-out profiles,
  // where every subscriber's event is rendered).
  out->reserve(out->size() + payload.size() + 16);
  out->append("data:");
  size_t start = 0;
  while (start <= payload.size()) {
    size_t end = payload.find_first_of("\r\n", start);
    if (end == std::string_view::npos) {
      out->append(payload.substr(start));
      break;
    }
    out->append(payload.substr(start, end - start)).append("\ndata:");
    start = end + 1;
    if (payload[end] == '\r' && start < payload.size() && payload[start] == '\n') ++start;
  }
  out->append("\n\n");
}

void AppendSseControlEvent(const SseControl& control, std::string* out) {
  // Offsets and cursors are digits and '_' only, so no JSON escaping is needed.
  out->append("event: control\ndata:{\"streamNextOffset\":\"").append(control.next_offset).append("\"");
  if (control.cursor) out->append(",\"streamCursor\":\"").append(*control.cursor).append("\"");
  if (control.up_to_date) out->append(",\"upToDate\":true");
  if (control.closed) out->append(",\"streamClosed\":true");
  out->append("}\n\n");
}

}  // namespace streamkeeper
