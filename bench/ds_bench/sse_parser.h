// Incremental text/event-stream parser (no networking).
#ifndef DS_BENCH_SSE_PARSER_H_
#define DS_BENCH_SSE_PARSER_H_

#include <functional>
#include <string>
#include <string_view>

namespace dsbench {

// Receives each completed event: its "event:" field ("message" when absent) and its "data:"
// lines joined with '\n'. The views are valid only during the call.
using SseEventHandler = std::function<void(std::string_view type, std::string_view data)>;

// Feed() accepts arbitrary slices of the response body (chunk boundaries may fall anywhere,
// including inside a CRLF). Lines are found a slice at a time and the buffers are reused, so
// following a stream costs no allocation per event once they have grown: with 10,000
// subscribers the load generator shares the CPU with the server it measures.
class SseParser {
 public:
  void Feed(std::string_view bytes, const SseEventHandler& on_event);

 private:
  void HandleLine(std::string_view line, const SseEventHandler& on_event);

  std::string partial_line_;  // a line whose end has not arrived yet
  bool after_cr_ = false;     // the last byte seen was CR: a following LF belongs to it
  std::string type_;
  std::string data_;
  bool has_data_ = false;
};

// Returns the value of a top-level string field in a flat JSON object such as
// an SSE control event ({"streamNextOffset":"..."}), or "" when absent, as a view
// into `json`. Offsets never contain escapes, so no unescaping is done.
std::string_view ExtractJsonStringField(std::string_view json, std::string_view field);

}  // namespace dsbench

#endif  // DS_BENCH_SSE_PARSER_H_
