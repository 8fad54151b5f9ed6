#include "util/log_line.h"

#include <cmath>
#include <cstdio>
#include <ctime>

#include "util/utf8.h"

namespace streamkeeper::log {
namespace {

void AppendHex4(unsigned value, std::string* out) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\u%04x", value);
  out->append(buf);
}

// The body of a quoted string (JSON escapes), without the quotes.
void AppendEscaped(std::string_view text, std::string* out) {
  for (size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      size_t length = Utf8SequenceLength(text, i);
      if (length == 0) {
        out->append("\\ufffd");
        ++i;
      } else {
        out->append(text.substr(i, length));
        i += length;
      }
      continue;
    }
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < 0x20 || c == 0x7f) {
          AppendHex4(c, out);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
}

bool IsBareTextValue(std::string_view text) {
  if (text.empty()) return false;
  for (unsigned char c : text) {
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\') return false;
  }
  return true;
}

void AppendNumber(const Field::Value& value, std::string* out) {
  if (const auto* n = std::get_if<int64_t>(&value)) return out->append(std::to_string(*n)), void();
  if (const auto* n = std::get_if<uint64_t>(&value)) return out->append(std::to_string(*n)), void();
  double d = std::get<double>(value);
  if (!std::isfinite(d)) d = 0;  // JSON has no NaN or infinity
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", d);
  out->append(buf);
}

void AppendValue(Format format, const Field::Value& value, std::string* out) {
  if (const auto* text = std::get_if<std::string_view>(&value)) {
    return format == Format::kJson ? AppendJsonString(*text, out) : AppendTextValue(*text, out);
  }
  if (const auto* flag = std::get_if<bool>(&value)) return out->append(*flag ? "true" : "false"), void();
  AppendNumber(value, out);
}

}  // namespace

std::string LinePattern(Format format) {
  if (format == Format::kJson) return R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ",%v})";
  return "%Y-%m-%dT%H:%M:%S.%eZ %v";
}

void BeginLine(Format format, std::chrono::system_clock::time_point time, std::string* out) {
  // The part up to the seconds is formatted once a second per thread: the access log begins a
  // line per request.
  thread_local std::time_t cached_second = -1;
  thread_local char cached[24];  // "YYYY-MM-DDTHH:MM:SS."
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch());
  std::time_t second = static_cast<std::time_t>(millis.count() / 1000);
  if (second != cached_second) {
    std::tm tm{};
    gmtime_r(&second, &tm);
    std::strftime(cached, sizeof cached, "%Y-%m-%dT%H:%M:%S.", &tm);
    cached_second = second;
  }
  char fraction[8];
  int n = std::snprintf(fraction, sizeof fraction, "%03dZ", static_cast<int>(millis.count() % 1000));
  if (format == Format::kJson) out->append("{\"ts\":\"");
  out->append(cached).append(fraction, static_cast<size_t>(n));
  out->append(format == Format::kJson ? "\"," : " ");
}

void EndLine(Format format, std::string* out) {
  if (format == Format::kJson) out->push_back('}');
  out->push_back('\n');
}

std::string FormatEvent(Format format, LogLevel level, std::string_view message,
                        std::span<const Field> fields) {
  std::string out;
  out.reserve(64 + message.size() + 24 * fields.size());
  if (format == Format::kJson) {
    out.append("\"level\":\"").append(LevelName(level)).append("\",\"msg\":");
    AppendJsonString(message, &out);
  } else {
    out.append(LevelName(level)).push_back(' ');
    // The message is free text, but one event must stay one line.
    for (char c : message) out.push_back(c == '\n' || c == '\r' ? ' ' : c);
  }
  AppendFields(format, fields, &out);
  return out;
}

void AppendFields(Format format, std::span<const Field> fields, std::string* out) {
  for (const Field& field : fields) {
    if (format == Format::kJson) {
      out->push_back(',');
      AppendJsonString(field.key, out);
      out->push_back(':');
    } else {
      out->push_back(' ');
      out->append(field.key).push_back('=');
    }
    AppendValue(format, field.value, out);
  }
}

void AppendJsonString(std::string_view text, std::string* out) {
  out->push_back('"');
  AppendEscaped(text, out);
  out->push_back('"');
}

void AppendTextValue(std::string_view text, std::string* out) {
  if (IsBareTextValue(text)) {
    out->append(text);
    return;
  }
  out->push_back('"');
  AppendEscaped(text, out);
  out->push_back('"');
}

}  // namespace streamkeeper::log
