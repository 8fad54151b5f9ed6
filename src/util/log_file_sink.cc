#include "util/log_file_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace streamkeeper::log {
namespace {

constexpr size_t kBufferBytes = 64 << 10;

std::FILE* OpenForAppend(const std::string& path, bool flush_every_line, std::string* error) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  std::FILE* file = fd < 0 ? nullptr : ::fdopen(fd, "a");
  if (file == nullptr) {
    *error = "cannot open " + path + ": " + std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return nullptr;
  }
  if (!flush_every_line) std::setvbuf(file, nullptr, _IOFBF, kBufferBytes);
  return file;
}

}  // namespace

std::shared_ptr<LogFileSink> LogFileSink::Open(const std::string& path, bool flush_every_line,
                                               std::string* error) {
  if (path == "-") return ForStream(stdout, flush_every_line);
  std::FILE* file = OpenForAppend(path, flush_every_line, error);
  if (file == nullptr) return nullptr;
  return std::make_shared<LogFileSink>(file, path, true, flush_every_line);
}

std::shared_ptr<LogFileSink> LogFileSink::ForStream(std::FILE* stream, bool flush_every_line) {
  return std::make_shared<LogFileSink>(stream, std::string(), false, flush_every_line);
}

LogFileSink::LogFileSink(std::FILE* file, std::string path, bool owned, bool flush_every_line)
    : file_(file), path_(std::move(path)), owned_(owned), flush_every_line_(flush_every_line) {}

LogFileSink::~LogFileSink() {
  std::fflush(file_);
  if (owned_) std::fclose(file_);
}

bool LogFileSink::reopen(std::string* error) {
  if (!owned_) return true;
  std::FILE* fresh = OpenForAppend(path_, flush_every_line_, error);
  if (fresh == nullptr) return false;
  std::lock_guard lock(mutex_);
  std::fflush(file_);
  std::fclose(file_);
  file_ = fresh;
  return true;
}

void LogFileSink::sink_it_(const spdlog::details::log_msg& message) {
  spdlog::memory_buf_t line;
  formatter_->format(message, line);
  std::fwrite(line.data(), 1, line.size(), file_);
  if (flush_every_line_) std::fflush(file_);
}

void LogFileSink::write_lines(std::string_view lines) {
  std::lock_guard lock(mutex_);
  std::fwrite(lines.data(), 1, lines.size(), file_);
  if (flush_every_line_) std::fflush(file_);
}

void LogFileSink::flush_() { std::fflush(file_); }

}  // namespace streamkeeper::log
