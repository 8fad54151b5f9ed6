// LogSink: where the library's components send the few lines they log.
//
// The libraries never write to a file or a terminal on their own: a program that embeds them
// passes a sink (the server forwards to its spdlog logger, src/util/log.h). A sink may be called
// from any thread, concurrently, and must not call back into the component that logs.
#pragma once

#include <functional>
#include <string_view>

namespace streamkeeper {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

using LogSink = std::function<void(LogLevel level, std::string_view message)>;

}  // namespace streamkeeper
