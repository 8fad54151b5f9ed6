// The server's log: one line per event, through spdlog, to stderr.
//
// Components below the server (the storage backends, the manager) log through a LogSink;
// Sink() is the one that forwards to this log. Thread-safe.
#pragma once

#include <string_view>

#include "streamkeeper/log_sink.h"

namespace streamkeeper::log {

void Write(LogLevel level, std::string_view message);
inline void Debug(std::string_view message) { Write(LogLevel::kDebug, message); }
inline void Info(std::string_view message) { Write(LogLevel::kInfo, message); }
inline void Warn(std::string_view message) { Write(LogLevel::kWarn, message); }
inline void Error(std::string_view message) { Write(LogLevel::kError, message); }

// Lines below `level` are dropped (default: info).
void SetLevel(LogLevel level);

// A sink for the libraries that writes to this log.
LogSink Sink();

}  // namespace streamkeeper::log
