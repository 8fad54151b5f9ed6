#include "util/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

#include <memory>

#include "util/log_file_sink.h"
#include "util/log_line.h"

namespace streamkeeper::log {
namespace {

spdlog::level::level_enum ToSpdlog(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return spdlog::level::debug;
    case LogLevel::kInfo: return spdlog::level::info;
    case LogLevel::kWarn: return spdlog::level::warn;
    case LogLevel::kError: return spdlog::level::err;
  }
  return spdlog::level::info;
}

struct EventLog {
  std::shared_ptr<LogFileSink> sink;
  std::shared_ptr<spdlog::logger> logger;
  Format format = Format::kText;
};

std::shared_ptr<spdlog::logger> MakeLogger(std::shared_ptr<LogFileSink> sink, Format format,
                                           LogLevel level) {
  sink->set_formatter(std::make_unique<spdlog::pattern_formatter>(
      LinePattern(format), spdlog::pattern_time_type::utc));
  auto logger = std::make_shared<spdlog::logger>("streamkeeper", std::move(sink));
  logger->set_level(ToSpdlog(level));
  return logger;
}

// Set up on first use (text, info, stderr) and replaced only by Configure, at start-up.
EventLog& TheLog() {
  // Flushed per line: a line logged just before a crash or a SIGKILL is not lost.
  static EventLog log = [] {
    EventLog made;
    made.sink = LogFileSink::ForStream(stderr, true);
    made.logger = MakeLogger(made.sink, Format::kText, LogLevel::kInfo);
    return made;
  }();
  return log;
}

}  // namespace

std::optional<LogLevel> ParseLevel(std::string_view name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warn") return LogLevel::kWarn;
  if (name == "error") return LogLevel::kError;
  return std::nullopt;
}

std::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

std::optional<Format> ParseFormat(std::string_view name) {
  if (name == "text") return Format::kText;
  if (name == "json") return Format::kJson;
  return std::nullopt;
}

bool Configure(const Options& options, std::string* error) {
  std::shared_ptr<LogFileSink> sink = options.file.empty()
                                          ? LogFileSink::ForStream(stderr, true)
                                          : LogFileSink::Open(options.file, true, error);
  if (!sink) return false;
  EventLog& log = TheLog();
  log.logger = MakeLogger(sink, options.format, options.level);
  log.sink = std::move(sink);
  log.format = options.format;
  return true;
}

bool Reopen(std::string* error) { return TheLog().sink->reopen(error); }

void Write(LogLevel level, std::string_view message, std::span<const Field> fields) {
  EventLog& log = TheLog();
  if (!log.logger->should_log(ToSpdlog(level))) return;
  log.logger->log(ToSpdlog(level), "{}", FormatEvent(log.format, level, message, fields));
}

LogSink Sink() {
  return [](LogLevel level, std::string_view message) { Write(level, message); };
}

}  // namespace streamkeeper::log
