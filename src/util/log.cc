#include "util/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <memory>

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

spdlog::logger& Logger() {
  // stderr, unbuffered per line: a line logged just before a crash or a SIGKILL is not lost.
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto made = std::make_shared<spdlog::logger>(
        "streamkeeper", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    made->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %v");
    made->flush_on(spdlog::level::trace);
    made->set_level(spdlog::level::info);
    return made;
  }();
  return *logger;
}

}  // namespace

void Write(LogLevel level, std::string_view message) {
  Logger().log(ToSpdlog(level), "{}", message);
}

void SetLevel(LogLevel level) { Logger().set_level(ToSpdlog(level)); }

LogSink Sink() {
  return [](LogLevel level, std::string_view message) { Write(level, message); };
}

}  // namespace streamkeeper::log
