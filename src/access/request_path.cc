#include "access/request_path.h"

#include <boost/url/parse.hpp>

namespace streamkeeper {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsControl(unsigned char c) { return c < 0x20 || c == 0x7f; }

// Decodes `encoded` (a path as it appears in a URL) into *path; false on an encoded '/', a
// control character or a malformed escape.
bool Decode(std::string_view encoded, std::string* scratch, std::string_view* path) {
  if (encoded.find('%') == std::string_view::npos) {
    for (char c : encoded) {
      if (IsControl(static_cast<unsigned char>(c))) return false;
    }
    *path = encoded;
    return true;
  }
  scratch->clear();
  for (size_t i = 0; i < encoded.size(); ++i) {
    char c = encoded[i];
    if (c == '%') {
      if (i + 2 >= encoded.size()) return false;
      int high = HexValue(encoded[i + 1]);
      int low = HexValue(encoded[i + 2]);
      if (high < 0 || low < 0) return false;
      c = static_cast<char>(high * 16 + low);
      if (c == '/') return false;  // would be a segment boundary the URL did not show
      i += 2;
    }
    if (IsControl(static_cast<unsigned char>(c))) return false;
    scratch->push_back(c);
  }
  *path = *scratch;
  return true;
}

bool HasDotSegment(std::string_view path) {
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    size_t end = slash == std::string_view::npos ? path.size() : slash;
    std::string_view segment = path.substr(start, end - start);
    if (segment == "." || segment == "..") return true;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return false;
}

bool Canonical(std::string_view encoded, std::string* scratch, std::string_view* path) {
  if (encoded.empty() || encoded.front() != '/') return false;
  if (!Decode(encoded, scratch, path)) return false;
  return !HasDotSegment(*path);
}

// RFC 3986 pchar without pct-encoded, plus '/': a path made only of these is its own decoded
// form, exactly what Boost.URL would give.
bool IsPlainPathChar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '-': case '.': case '_': case '~': case '!': case '$': case '&': case '\'':
    case '(': case ')': case '*': case '+': case ',': case ';': case '=': case ':': case '@':
    case '/':
      return true;
    default:
      return false;
  }
}

}  // namespace

bool RequestPathOf(std::string_view target, std::string* scratch, std::string_view* path) {
  // The common case, without parsing the whole target: "/path" or "/path?query" with a path of
  // plain characters (the query never changes the path; a target whose query does not parse
  // is refused by the protocol layer anyway).
  if (!target.empty() && target.front() == '/') {
    size_t end = 0;
    while (end < target.size() && IsPlainPathChar(static_cast<unsigned char>(target[end]))) ++end;
    if (end == target.size() || target[end] == '?') {
      *path = target.substr(0, end);
      return !HasDotSegment(*path);
    }
  }
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) parsed = boost::urls::parse_absolute_uri(target);
  if (!parsed) return false;
  return Canonical(parsed->encoded_path(), scratch, path);
}

bool ForkSourcePathOf(std::string_view value, std::string* scratch, std::string_view* path) {
  auto parsed = boost::urls::parse_uri_reference(value);
  if (!parsed) return false;
  return Canonical(parsed->encoded_path(), scratch, path);
}

bool PrefixCovers(std::string_view prefix, std::string_view path) {
  if (prefix.empty() || path.substr(0, prefix.size()) != prefix) return false;
  return prefix.back() == '/' || path.size() == prefix.size() || path[prefix.size()] == '/';
}

}  // namespace streamkeeper
