#include "streamkeeper/stream_path.h"

#include "util/utf8.h"

namespace streamkeeper {

namespace {

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
