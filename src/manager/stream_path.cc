#include "streamkeeper/stream_path.h"

namespace streamkeeper {

namespace {

// The length of the UTF-8 sequence starting at text[i], or 0 if none is valid there
// (overlong forms, surrogates and code points past U+10FFFF included).
size_t Utf8SequenceLength(std::string_view text, size_t i) {
  auto byte = [&](size_t at) { return static_cast<unsigned char>(text[at]); };
  auto continuation = [&](size_t at) { return at < text.size() && (byte(at) & 0xC0) == 0x80; };
  unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return continuation(i + 1) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    if (!continuation(i + 1) || !continuation(i + 2)) return 0;
    if (lead == 0xE0 && byte(i + 1) < 0xA0) return 0;   // overlong
    if (lead == 0xED && byte(i + 1) >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    if (!continuation(i + 1) || !continuation(i + 2) || !continuation(i + 3)) return 0;
    if (lead == 0xF0 && byte(i + 1) < 0x90) return 0;   // overlong
    if (lead == 0xF4 && byte(i + 1) >= 0x90) return 0;  // past U+10FFFF
    return 4;
  }
  return 0;
}

Status CheckCharacters(std::string_view path) {
  for (size_t i = 0; i < path.size();) {
    unsigned char c = static_cast<unsigned char>(path[i]);
    if (c < 0x20 || c == 0x7f) {
      return Status::BadRequest(c == 0 ? "stream path contains a NUL byte"
                                       : "stream path contains a control character");
    }
    size_t length = Utf8SequenceLength(path, i);
    if (length == 0) return Status::BadRequest("stream path is not valid UTF-8");
    i += length;
  }
  return Status::Ok();
}

Status CheckSegments(std::string_view path) {
  if (path.front() == '/') path.remove_prefix(1);
  while (true) {
    size_t slash = path.find('/');
    std::string_view segment = path.substr(0, slash);
    if (segment.empty()) return Status::BadRequest("stream path has an empty segment");
    if (segment == "." || segment == "..") {
      return Status::BadRequest("stream path has a \".\" or \"..\" segment");
    }
    if (slash == std::string_view::npos) return Status::Ok();
    path.remove_prefix(slash + 1);
  }
}

}  // namespace

Status CheckStreamPath(std::string_view path) {
  if (path.empty()) return Status::BadRequest("stream path is empty");
  if (path.size() > kMaxStreamPathBytes) {
    return Status::BadRequest("stream path is longer than " + std::to_string(kMaxStreamPathBytes) +
                              " bytes");
  }
  if (Status s = CheckCharacters(path); !s.ok()) return s;
  return CheckSegments(path);
}

}  // namespace streamkeeper
