#include "sse_parser.h"

namespace dsbench {

void SseParser::Feed(std::string_view bytes, const SseEventHandler& on_event) {
  while (!bytes.empty()) {
    if (after_cr_) {
      after_cr_ = false;
      if (bytes.front() == '\n') {  // second half of CRLF
        bytes.remove_prefix(1);
        continue;
      }
    }
    size_t end = 0;
    while (end < bytes.size() && bytes[end] != '\n' && bytes[end] != '\r') ++end;
    if (end == bytes.size()) {
      partial_line_.append(bytes);
      return;
    }
    after_cr_ = bytes[end] == '\r';
    if (partial_line_.empty()) {
      HandleLine(bytes.substr(0, end), on_event);
    } else {
      partial_line_.append(bytes.substr(0, end));
      HandleLine(partial_line_, on_event);
      partial_line_.clear();
    }
    bytes.remove_prefix(end + 1);
  }
}

void SseParser::HandleLine(std::string_view line, const SseEventHandler& on_event) {
  if (line.empty()) {  // a blank line dispatches the event
    if (has_data_) on_event(type_.empty() ? std::string_view("message") : type_, data_);
    type_.clear();
    data_.clear();
    has_data_ = false;
    return;
  }
  if (line.front() == ':') return;  // comment / keep-alive
  const auto colon = line.find(':');
  std::string_view field = line.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (field == "event") {
    type_.assign(value);
  } else if (field == "data") {
    if (has_data_) data_.push_back('\n');
    data_.append(value);
    has_data_ = true;
  }
}

std::string_view ExtractJsonStringField(std::string_view json, std::string_view field) {
  // Looks for "<field>" followed by ':' and a quoted value, without building the key.
  size_t from = 0;
  while (true) {
    const auto pos = json.find(field, from);
    if (pos == std::string_view::npos) return {};
    from = pos + 1;
    if (pos == 0 || json[pos - 1] != '"') continue;
    size_t i = pos + field.size();
    if (i >= json.size() || json[i] != '"') continue;
    i = json.find(':', i + 1);
    if (i == std::string_view::npos) return {};
    const auto open = json.find('"', i + 1);
    if (open == std::string_view::npos) return {};
    const auto close = json.find('"', open + 1);
    if (close == std::string_view::npos) return {};
    return json.substr(open + 1, close - open - 1);
  }
}

}  // namespace dsbench
