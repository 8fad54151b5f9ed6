#include "manager/content_type.h"

#include <cctype>

namespace streamkeeper {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
         c == '+';
}

// Media types are ASCII tokens: no locale-dependent case mapping.
char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// The media type part: before any ';', without surrounding white space.
std::string_view MediaPart(std::string_view content_type) {
  return Trim(content_type.substr(0, content_type.find(';')));
}

}  // namespace

std::string NormalizeMediaType(std::string_view content_type) {
  std::string out(MediaPart(content_type));
  for (char& c : out) c = AsciiLower(c);
  return out;
}

bool SameMediaType(std::string_view a, std::string_view b) {
  if (a == b) return true;  // the usual case: every append repeats the stream's own header
  a = MediaPart(a);
  b = MediaPart(b);
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

bool IsJsonContentType(std::string_view content_type) {
  return NormalizeMediaType(content_type) == "application/json";
}

bool IsTextContentType(std::string_view content_type) {
  std::string media = NormalizeMediaType(content_type);
  return media.rfind("text/", 0) == 0 || media == "application/json";
}

bool IsWellFormedContentType(std::string_view content_type) {
  std::string media = NormalizeMediaType(content_type);
  auto slash = media.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == media.size()) return false;
  for (size_t i = 0; i < media.size(); ++i) {
    if (i != slash && !IsTokenChar(media[i])) return false;
  }
  return true;
}

}  // namespace streamkeeper
