#include "live_readers.h"

#include <boost/asio/this_coro.hpp>

#include "http_connection.h"
#include "io_pool.h"
#include "sse_client.h"
#include "stream_ops.h"

namespace dsbench {
namespace {

namespace asio = boost::asio;

constexpr auto kRetryPause = std::chrono::milliseconds(100);

}  // namespace

void LiveReadStats::RecordPayload(std::string_view payload) {
  thread_local std::vector<int64_t> stamps;
  stamps.clear();
  ParseTimestamps(payload, &stamps);
  const int64_t now = SteadyNanos();
  const int64_t start = window_start_ns.load(std::memory_order_relaxed);
  const int64_t end = window_end_ns.load(std::memory_order_relaxed);
  for (const int64_t sent : stamps) {
    if (sent < start || sent >= end) continue;
    latency.Record(static_cast<uint64_t>(std::max<int64_t>(0, now - sent) / 1000));
  }
}

asio::awaitable<void> FollowByLongPoll(LiveReaderSpec spec, LiveReadStats& stats) {
  HttpConnection connection(co_await asio::this_coro::executor, spec.target);
  std::string offset = spec.start_offset;
  std::string cursor;
  bool counted_connected = false;
  while (!spec.stop->load()) {
    const HttpRequest request = ReadRequest(ReadTarget(spec.path, offset, "long-poll", cursor),
                                            spec.options.long_poll_timeout + spec.options.timeout);
    if (!counted_connected) {
      stats.connected++;
      counted_connected = true;
    }
    const HttpResponse response = co_await connection.Send(request);
    if (spec.stop->load()) break;
    if (response.status == 200) stats.RecordPayload(response.body);
    if (!response.Ok()) {
      stats.errors++;
      co_await SleepFor(kRetryPause);
      continue;
    }
    if (!response.next_offset.empty()) offset = response.next_offset;
    if (!response.cursor.empty()) cursor = response.cursor;
    if (response.closed) break;
  }
  stats.active--;
}

asio::awaitable<void> FollowBySse(LiveReaderSpec spec, LiveReadStats& stats) {
  SseClient client(co_await asio::this_coro::executor, spec.target);
  std::string offset = spec.start_offset;
  bool counted_connected = false;
  bool closed = false;
  const auto idle_limit = spec.options.long_poll_timeout + spec.options.timeout;
  const SseEventHandler on_event = [&](std::string_view type, std::string_view data) {
    if (type == "data") {
      stats.RecordPayload(data);
    } else if (type == "control") {
      const std::string_view next = ExtractJsonStringField(data, "streamNextOffset");
      if (!next.empty()) offset.assign(next);
      if (data.find("\"streamClosed\":true") != std::string_view::npos) closed = true;
    }
  };
  while (!spec.stop->load() && !closed) {
    const int status = co_await client.Open(ReadTarget(spec.path, offset, "sse"),
                                            spec.options.timeout, idle_limit);
    if (status != 200) {
      stats.errors++;
      co_await SleepFor(kRetryPause);
      continue;
    }
    if (!counted_connected) {
      stats.connected++;
      counted_connected = true;
    }
    while (!spec.stop->load() && co_await client.Read(on_event)) {
    }
  }
  client.Close();
  stats.active--;
}

}  // namespace dsbench
