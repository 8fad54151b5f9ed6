// SseTestParser: splits SSE text into (event type, data) pairs for assertions in server tests.
// Multi-line data is joined with "\n" as the SSE spec says; an unterminated last line (a stream
// read mid-event) is ignored.
#pragma once

#include <string>
#include <vector>

namespace streamkeeper::testing {

struct SseEvent {
  std::string type;
  std::string data;
};

inline std::vector<SseEvent> ParseSse(const std::string& text) {
  std::vector<SseEvent> events;
  SseEvent current;
  bool has_data = false;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) break;
    std::string line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.empty()) {
      if (!current.type.empty() || has_data) events.push_back(current);
      current = SseEvent{};
      has_data = false;
    } else if (line.rfind("event: ", 0) == 0) {
      current.type = line.substr(7);
    } else if (line.rfind("data:", 0) == 0) {
      if (has_data) current.data += "\n";
      current.data += line.substr(5);
      has_data = true;
    }
  }
  return events;
}

}  // namespace streamkeeper::testing
