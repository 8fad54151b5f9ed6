#include "manager/json_messages.h"

#include <boost/json/parse.hpp>

namespace streamkeeper {
namespace {

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view TrimJsonSpace(std::string_view s) {
  while (!s.empty() && IsJsonSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsJsonSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Splits the elements of an already-validated array text "[...]" at depth-1 commas.
void SplitArrayElements(std::string_view array, std::vector<std::string>* out) {
  int depth = 0;
  bool in_string = false;
  size_t element_start = 1;
  for (size_t i = 1; i + 1 < array.size(); ++i) {
    char c = array[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"': in_string = true; break;
      case '[': case '{': ++depth; break;
      case ']': case '}': --depth; break;
      case ',':
        if (depth == 0) {
          out->emplace_back(TrimJsonSpace(array.substr(element_start, i - element_start)));
          element_start = i + 1;
        }
        break;
      default: break;
    }
  }
  auto last = TrimJsonSpace(array.substr(element_start, array.size() - 1 - element_start));
  if (!last.empty()) out->emplace_back(last);
}

}  // namespace

Status SplitJsonMessages(std::string_view body, std::vector<std::string>* messages) {
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(body, ec);
  if (ec) return Status::BadRequest("invalid JSON: " + ec.message());
  std::string_view text = TrimJsonSpace(body);
  if (!parsed.is_array()) {
    messages->emplace_back(text);
    return Status::Ok();
  }
  if (parsed.as_array().empty()) return Status::Ok();
  SplitArrayElements(text, messages);
  return Status::Ok();
}

std::string EncodeJsonRecord(std::string_view message, uint64_t remaining_in_batch) {
  std::string out;
  out.reserve(message.size() + 4);
  uint64_t v = remaining_in_batch;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  out.append(message);
  return out;
}

bool DecodeJsonRecord(std::string_view value, std::string_view* message,
                      uint64_t* remaining_in_batch) {
  uint64_t v = 0;
  for (size_t i = 0, shift = 0; i < value.size() && shift < 64; ++i, shift += 7) {
    auto byte = static_cast<unsigned char>(value[i]);
    v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *remaining_in_batch = v;
      *message = value.substr(i + 1);
      return true;
    }
  }
  return false;
}

}  // namespace streamkeeper
