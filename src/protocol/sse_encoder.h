// SseEncoder: renders Durable Streams SSE events.
//
// Data events carry text (text/* and JSON streams) or standard base64 (every other type); every
// CR, LF or CRLF in a text payload starts a new "data:" line, so payload text can never end an
// event or inject fields. Control events carry the offset, cursor and up-to-date/closed flags.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "util/base64.h"

namespace streamkeeper {

// Appends "event: data\ndata:...\n\n" for `payload` to *out.
void AppendSseDataEvent(std::string_view payload, bool base64, std::string* out);

struct SseControl {
  std::string next_offset;
  std::optional<std::string> cursor;  // omitted on the closing event
  bool up_to_date = false;
  bool closed = false;
};

// Appends "event: control\ndata:{...}\n\n" to *out.
void AppendSseControlEvent(const SseControl& control, std::string* out);

}  // namespace streamkeeper
