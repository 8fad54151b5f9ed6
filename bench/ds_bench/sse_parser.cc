#include "sse_parser.h"

namespace dsbench {

void SseParser::Feed(std::string_view bytes, std::vector<SseEvent>* events) {
  for (const char c : bytes) {
    if (after_cr_) {
      after_cr_ = false;
      if (c == '\n') continue;  // second half of CRLF
    }
    if (c == '\r' || c == '\n') {
      after_cr_ = (c == '\r');
      HandleLine(line_, events);
      line_.clear();
      continue;
    }
    line_.push_back(c);
  }
}

void SseParser::HandleLine(std::string_view line, std::vector<SseEvent>* events) {
  if (line.empty()) {  // blank line dispatches the event
    if (has_data_) {
      if (current_.type.empty()) current_.type = "message";
      events->push_back(std::move(current_));
    }
    current_ = SseEvent{};
    has_data_ = false;
    return;
  }
  if (line.front() == ':') return;  // comment / keep-alive
  const auto colon = line.find(':');
  std::string_view field = line.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (field == "event") {
    current_.type = value;
  } else if (field == "data") {
    if (has_data_) current_.data.push_back('\n');
    current_.data.append(value);
    has_data_ = true;
  }
}

std::string ExtractJsonStringField(std::string_view json, std::string_view field) {
  std::string key = "\"";
  key.append(field);
  key.append("\"");
  auto pos = json.find(key);
  if (pos == std::string_view::npos) return "";
  pos = json.find(':', pos + key.size());
  if (pos == std::string_view::npos) return "";
  pos = json.find('"', pos + 1);
  if (pos == std::string_view::npos) return "";
  const auto end = json.find('"', pos + 1);
  if (end == std::string_view::npos) return "";
  return std::string(json.substr(pos + 1, end - pos - 1));
}

}  // namespace dsbench
