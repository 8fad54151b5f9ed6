// LogFileSink: an spdlog sink that appends lines to a file, or to stdout or stderr, and can
// open its file's path again (reopen) after logrotate has moved the file away.
//
// Private to the log (util/log.cc) and the access log (http/access_log.cc): includes spdlog.
#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <spdlog/sinks/base_sink.h>

namespace streamkeeper::log {

class LogFileSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  // Appends to `path` (created with mode 0640 if missing); "-" is stdout. With
  // `flush_every_line` each line reaches the kernel before the logging call returns; without,
  // lines collect in a 64 KiB buffer until flush(). Null, with *error, if it cannot be opened.
  static std::shared_ptr<LogFileSink> Open(const std::string& path, bool flush_every_line,
                                           std::string* error);
  // Writes to `stream` (stderr, stdout), which it does not own; reopen() does nothing.
  static std::shared_ptr<LogFileSink> ForStream(std::FILE* stream, bool flush_every_line);

  LogFileSink(std::FILE* file, std::string path, bool owned, bool flush_every_line);
  ~LogFileSink() override;

  // Flushes the current file, opens the path again and closes the old file. False, with
  // *error, if the path cannot be opened: lines go on to the old file.
  bool reopen(std::string* error);

  // Appends `lines` (whole lines, formatted by the caller) as they are, under the sink's lock;
  // with flush_every_line they reach the kernel before this returns. For writers that batch
  // their own lines (the access log) and so bypass spdlog's formatting.
  void write_lines(std::string_view lines);

 protected:
  void sink_it_(const spdlog::details::log_msg& message) override;
  void flush_() override;

 private:
  std::FILE* file_;
  const std::string path_;
  const bool owned_;
  const bool flush_every_line_;
};

}  // namespace streamkeeper::log
