#include "http/access_log.h"

#include <pthread.h>

#include <array>
#include <chrono>

#include "util/log_file_sink.h"
#include "util/log_line.h"

namespace streamkeeper {
namespace {

constexpr std::chrono::milliseconds kWriteInterval{200};
// Beyond this a thread's unwritten lines are dropped (the disk is that far behind).
constexpr size_t kMaxBufferedBytes = 8 << 20;

std::atomic<uint64_t> next_log_id{1};

void AppendPayload(log::Format format, const CompletedRequest& request, std::string* out) {
  double duration_ms = std::chrono::duration<double, std::milli>(request.duration).count();
  const std::array<log::Field, 5> fields = {{
      {"bytes_in", request.bytes_in},
      {"bytes_out", request.bytes_out},
      {"duration_ms", duration_ms},
      {"route", RouteKindName(request.route)},
      {"request_id", request.request_id},
  }};
  if (format == log::Format::kJson) {
    out->append("\"method\":");
    log::AppendJsonString(request.method, out);
    out->append(",\"path\":");
    log::AppendJsonString(request.target, out);
    out->append(",\"status\":").append(std::to_string(request.status));
    log::AppendFields(format, fields, out);
    return;
  }
  log::AppendTextValue(request.method.empty() ? "-" : request.method, out);
  out->push_back(' ');
  log::AppendTextValue(request.target.empty() ? "-" : request.target, out);
  out->push_back(' ');
  out->append(std::to_string(request.status));
  log::AppendFields(format, fields, out);
}

}  // namespace

std::unique_ptr<AccessLog> AccessLog::Open(const std::string& path, log::Format format,
                                           std::string* error) {
  auto sink = log::LogFileSink::Open(path, false, error);
  if (!sink) return nullptr;
  return std::unique_ptr<AccessLog>(new AccessLog(std::move(sink), format));
}

AccessLog::AccessLog(std::shared_ptr<log::LogFileSink> sink, log::Format format)
    : format_(format), id_(next_log_id.fetch_add(1)), sink_(std::move(sink)) {
  writer_ = std::thread([this] { write_periodically(); });
}

AccessLog::~AccessLog() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  writer_.join();
  write_out();  // what was logged since the writer's last round
  report_drops();
}

AccessLog::Buffer* AccessLog::buffer_of_this_thread() {
  thread_local uint64_t owner = 0;
  thread_local Buffer* buffer = nullptr;
  if (owner == id_) return buffer;
  std::lock_guard lock(buffers_mu_);
  buffers_.push_back(std::make_unique<Buffer>());
  buffers_.back()->lines.reserve(64 << 10);
  owner = id_;
  buffer = buffers_.back().get();
  return buffer;
}

void AccessLog::on_request(const CompletedRequest& request) {
  Buffer* buffer = buffer_of_this_thread();
  std::lock_guard lock(buffer->mu);
  std::string& out = buffer->lines;
  if (out.size() >= kMaxBufferedBytes) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  log::BeginLine(format_, std::chrono::system_clock::now(), &out);
  AppendPayload(format_, request, &out);
  log::EndLine(format_, &out);
}

void AccessLog::write_periodically() {
  pthread_setname_np(pthread_self(), "sk-access-log");
  std::unique_lock lock(mu_);
  while (!stop_cv_.wait_for(lock, kWriteInterval, [this] { return stopping_; })) {
    lock.unlock();
    write_out();
    report_drops();
    lock.lock();
  }
}

void AccessLog::report_drops() {
  uint64_t dropped = dropped_.load(std::memory_order_relaxed);
  if (dropped > dropped_reported_) {
    log::Warn("access log: lines dropped because the disk fell behind",
              {{"dropped", dropped - dropped_reported_}, {"dropped_total", dropped}});
    dropped_reported_ = dropped;
  }
}

void AccessLog::write_out() {
  // The list is copied so that a thread logging its first line never waits for the disk.
  std::vector<Buffer*> buffers;
  {
    std::lock_guard list_lock(buffers_mu_);
    for (const auto& buffer : buffers_) buffers.push_back(buffer.get());
  }
  for (Buffer* buffer : buffers) {
    {
      std::lock_guard lock(buffer->mu);
      if (buffer->lines.empty()) continue;
      // Each buffer owns both strings, so their capacities stay with the thread that needs them:
      // after the first rounds neither is allocated again.
      buffer->writing.swap(buffer->lines);
    }
    sink_->write_lines(buffer->writing);
    buffer->writing.clear();
  }
  sink_->flush();
}

bool AccessLog::reopen(std::string* error) { return sink_->reopen(error); }

std::string AccessLog::FormatPayload(log::Format format, const CompletedRequest& request) {
  std::string out;
  out.reserve(160 + request.target.size());
  AppendPayload(format, request, &out);
  return out;
}

}  // namespace streamkeeper
