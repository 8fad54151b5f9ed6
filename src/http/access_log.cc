#include "http/access_log.h"

#include <spdlog/async_logger.h>
#include <spdlog/details/thread_pool.h>
#include <spdlog/pattern_formatter.h>

#include <pthread.h>

#include <array>

#include "util/log_file_sink.h"
#include "util/log_line.h"

namespace streamkeeper {
namespace {

constexpr size_t kQueuedLines = 8192;
constexpr std::chrono::seconds kFlushInterval{1};

}  // namespace

std::unique_ptr<AccessLog> AccessLog::Open(const std::string& path, log::Format format,
                                           std::string* error) {
  auto sink = log::LogFileSink::Open(path, false, error);
  if (!sink) return nullptr;
  return std::unique_ptr<AccessLog>(new AccessLog(std::move(sink), format));
}

AccessLog::AccessLog(std::shared_ptr<log::LogFileSink> sink, log::Format format)
    : format_(format), sink_(std::move(sink)) {
  sink_->set_formatter(std::make_unique<spdlog::pattern_formatter>(
      log::LinePattern(format_), spdlog::pattern_time_type::utc));
  pool_ = std::make_shared<spdlog::details::thread_pool>(
      kQueuedLines, 1, [] { pthread_setname_np(pthread_self(), "sk-access-log"); });
  logger_ = std::make_shared<spdlog::async_logger>("access", sink_, pool_,
                                                   spdlog::async_overflow_policy::overrun_oldest);
  logger_->set_level(spdlog::level::info);
  flusher_ = std::thread([this] { flush_periodically(); });
}

AccessLog::~AccessLog() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  flusher_.join();
  logger_->flush();
  // The pool's destructor writes out what is queued (the flush above included), then joins.
  logger_.reset();
  pool_.reset();
}

void AccessLog::flush_periodically() {
  pthread_setname_np(pthread_self(), "sk-access-flush");
  std::unique_lock lock(mu_);
  while (!stop_cv_.wait_for(lock, kFlushInterval, [this] { return stopping_; })) {
    logger_->flush();  // queued behind the lines before it: they reach the file first
    size_t dropped = pool_->overrun_counter();
    if (dropped > dropped_reported_) {
      log::Warn("access log: lines dropped because the writer fell behind",
                {{"dropped", dropped - dropped_reported_}, {"dropped_total", dropped}});
      dropped_reported_ = dropped;
    }
  }
}

void AccessLog::on_request(const CompletedRequest& request) {
  logger_->log(spdlog::level::info, "{}", FormatPayload(format_, request));
}

bool AccessLog::reopen(std::string* error) { return sink_->reopen(error); }

std::string AccessLog::FormatPayload(log::Format format, const CompletedRequest& request) {
  double duration_ms =
      std::chrono::duration<double, std::milli>(request.duration).count();
  const std::array<log::Field, 5> fields = {{
      {"bytes_in", request.bytes_in},
      {"bytes_out", request.bytes_out},
      {"duration_ms", duration_ms},
      {"route", RouteKindName(request.route)},
      {"request_id", request.request_id},
  }};
  std::string out;
  out.reserve(160 + request.target.size());
  if (format == log::Format::kJson) {
    out.append("\"method\":");
    log::AppendJsonString(request.method, &out);
    out.append(",\"path\":");
    log::AppendJsonString(request.target, &out);
    out.append(",\"status\":").append(std::to_string(request.status));
    log::AppendFields(format, fields, &out);
    return out;
  }
  log::AppendTextValue(request.method.empty() ? "-" : request.method, &out);
  out.push_back(' ');
  log::AppendTextValue(request.target.empty() ? "-" : request.target, &out);
  out.push_back(' ');
  out.append(std::to_string(request.status));
  log::AppendFields(format, fields, &out);
  return out;
}

}  // namespace streamkeeper
