// InfoLogger: RocksDB's info log, forwarded to a LogSink instead of the LOG file.
//
// RocksDB writes its info log to a LOG file in the data directory by default. On a full disk a
// write to that file fails, and Debian's RocksDB (built with assertions) then aborts in the
// next log line (WritableFileWriter asserts after a failed append) - so the log must not live
// on the data disk's error path. This logger formats each line and hands it to the sink:
// RocksDB's INFO and HEADER lines at debug level, WARN at warn, ERROR and FATAL at error.
#pragma once

#include <rocksdb/env.h>

#include "streamkeeper/log_sink.h"

namespace streamkeeper {

class InfoLogger final : public rocksdb::Logger {
 public:
  // `sink` nullptr: warnings and errors go to stderr, the rest is dropped.
  explicit InfoLogger(LogSink sink);

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override;
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override;

 private:
  LogSink sink_;
};

}  // namespace streamkeeper
