#include "storage_rocksdb/info_logger.h"

#include <cstdarg>
#include <cstdio>
#include <string>

namespace streamkeeper {
namespace {

LogLevel LevelOf(rocksdb::InfoLogLevel level) {
  switch (level) {
    case rocksdb::InfoLogLevel::WARN_LEVEL: return LogLevel::kWarn;
    case rocksdb::InfoLogLevel::ERROR_LEVEL:
    case rocksdb::InfoLogLevel::FATAL_LEVEL: return LogLevel::kError;
    default: return LogLevel::kDebug;
  }
}

// RocksDB warns when file deletions are disabled while already disabled, and enabled while
// still disabled by someone else: a checkpoint (RocksDbStorage::Checkpoint, the server's
// snapshots) does both on purpose, every time. Not worth an operator's attention.
bool IsCheckpointNoise(const std::string& line) {
  return line.find("File Deletions") != std::string::npos &&
         (line.find("already disabled") != std::string::npos ||
          line.find("not really enabled") != std::string::npos);
}

}  // namespace

InfoLogger::InfoLogger(LogSink sink)
    : rocksdb::Logger(rocksdb::InfoLogLevel::DEBUG_LEVEL), sink_(std::move(sink)) {}

void InfoLogger::Logv(const char* format, va_list ap) {
  Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
}

void InfoLogger::Logv(const rocksdb::InfoLogLevel rocks_level, const char* format, va_list ap) {
  LogLevel level = LevelOf(rocks_level);
  if (!sink_ && level != LogLevel::kWarn && level != LogLevel::kError) return;
  char buffer[1024];
  va_list copy;
  va_copy(copy, ap);
  int length = std::vsnprintf(buffer, sizeof(buffer), format, copy);
  va_end(copy);
  if (length < 0) return;
  std::string line = "rocksdb: ";
  if (static_cast<size_t>(length) < sizeof(buffer)) {
    line.append(buffer, length);
  } else {
    std::string long_line(length + 1, '\0');
    std::vsnprintf(long_line.data(), long_line.size(), format, ap);
    long_line.resize(length);
    line += long_line;
  }
  if (level == LogLevel::kWarn && IsCheckpointNoise(line)) {
    if (!sink_) return;
    level = LogLevel::kDebug;
  }
  if (sink_) {
    sink_(level, line);
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
}

}  // namespace streamkeeper
