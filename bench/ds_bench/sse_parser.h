// Incremental text/event-stream parser (no networking).
#ifndef DS_BENCH_SSE_PARSER_H_
#define DS_BENCH_SSE_PARSER_H_

#include <string>
#include <string_view>
#include <vector>

namespace dsbench {

struct SseEvent {
  std::string type;  // the "event:" field; "message" when absent
  std::string data;  // "data:" lines joined with '\n'
};

// Feed() accepts arbitrary slices of the response body (chunk boundaries may
// fall anywhere, including inside a CRLF) and appends each completed event.
class SseParser {
 public:
  void Feed(std::string_view bytes, std::vector<SseEvent>* events);

 private:
  void HandleLine(std::string_view line, std::vector<SseEvent>* events);

  std::string line_;
  bool after_cr_ = false;
  SseEvent current_;
  bool has_data_ = false;
};

// Returns the value of a top-level string field in a flat JSON object such as
// an SSE control event ({"streamNextOffset":"..."}), or "" when absent. Offsets
// never contain escapes, so no unescaping is done.
std::string ExtractJsonStringField(std::string_view json, std::string_view field);

}  // namespace dsbench

#endif  // DS_BENCH_SSE_PARSER_H_
