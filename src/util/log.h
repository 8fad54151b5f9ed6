// The server's event log: one line per event, through spdlog, to stderr or --log-file.
//
// A line is a timestamp, a level, a message and optional structured fields (key/value pairs),
// in one of two formats (log_line.h): text, or JSON with one object per line. Every line is
// written and flushed before Write returns: the last lines before a crash are never lost.
//
// Components below the server (the storage backends, the manager) log through a LogSink;
// Sink() is the one that forwards to this log. Write, Reopen and Sink are thread-safe;
// Configure is called once at start-up, before other threads log.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "streamkeeper/log_sink.h"

namespace streamkeeper::log {

enum class Format { kText, kJson };

// "debug", "info", "warn", "error"; nullopt for anything else.
std::optional<LogLevel> ParseLevel(std::string_view name);
std::string_view LevelName(LogLevel level);
// "text", "json"; nullopt for anything else.
std::optional<Format> ParseFormat(std::string_view name);

// One structured field of a line. Holds no copy: strings must outlive the Write call.
struct Field {
  using Value = std::variant<std::string_view, int64_t, uint64_t, double, bool>;

  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
  Field(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
  // A temporary string would be gone before the field is written (or kept, in a vector).
  Field(std::string_view k, std::string&& v) = delete;
  Field(std::string_view k, bool v) : key(k), value(v) {}
  Field(std::string_view k, double v) : key(k), value(v) {}
  template <class T>
    requires(std::is_integral_v<T> && !std::is_same_v<T, bool>)
  Field(std::string_view k, T v)
      : key(k), value(std::is_signed_v<T> ? Value(static_cast<int64_t>(v))
                                          : Value(static_cast<uint64_t>(v))) {}

  std::string_view key;
  Value value;
};

struct Options {
  LogLevel level = LogLevel::kInfo;
  Format format = Format::kText;
  std::string file;  // appended to (created if missing); empty: stderr; "-": stdout
};

// Sets the level, the format and the destination. Before it is called the log writes text
// lines at info to stderr. False, with *error, if the file cannot be opened (nothing changes).
bool Configure(const Options& options, std::string* error);

// Opens the log file's path again, so that lines go to a new file once logrotate (or anyone)
// has moved the old one away; true and nothing done when the log goes to stderr. False, with
// *error, if the path cannot be opened: lines keep going to the old file.
bool Reopen(std::string* error);

void Write(LogLevel level, std::string_view message, std::span<const Field> fields = {});
inline void Write(LogLevel level, std::string_view message, std::initializer_list<Field> fields) {
  Write(level, message, std::span<const Field>(fields.begin(), fields.size()));
}
inline void Debug(std::string_view message, std::initializer_list<Field> fields = {}) {
  Write(LogLevel::kDebug, message, fields);
}
inline void Info(std::string_view message, std::initializer_list<Field> fields = {}) {
  Write(LogLevel::kInfo, message, fields);
}
inline void Warn(std::string_view message, std::initializer_list<Field> fields = {}) {
  Write(LogLevel::kWarn, message, fields);
}
inline void Error(std::string_view message, std::initializer_list<Field> fields = {}) {
  Write(LogLevel::kError, message, fields);
}

// A sink for the libraries that writes to this log.
LogSink Sink();

}  // namespace streamkeeper::log
