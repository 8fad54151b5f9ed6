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
    delivered.fetch_add(1, std::memory_order_relaxed);
  }
}

asio::awaitable<void> FollowByLongPoll(LiveReaderSpec spec, LiveReadStats& stats) {
  HttpConnection connection(co_await asio::this_coro::executor, spec.target);
  std::string offset = spec.start_offset;
  std::string cursor;
  bool counted_connected = false;
  while (!spec.stop->load()) {
    HttpRequest request;
    request.method = "GET";
    request.target = ReadTarget(spec.path, offset, "long-poll", cursor);
    request.timeout = spec.options.long_poll_timeout + spec.options.timeout;
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
  std::vector<SseEvent> events;
  bool counted_connected = false;
  bool closed = false;
  const auto idle_limit = spec.options.long_poll_timeout + spec.options.timeout;
  while (!spec.stop->load() && !closed) {
    const int status =
        co_await client.Open(ReadTarget(spec.path, offset, "sse"), spec.options.timeout);
    if (status != 200) {
      stats.errors++;
      co_await SleepFor(kRetryPause);
      continue;
    }
    if (!counted_connected) {
      stats.connected++;
      counted_connected = true;
    }
    while (!spec.stop->load()) {
      events.clear();
      const bool more = co_await client.Read(&events, idle_limit);
      for (const auto& event : events) {
        if (event.type == "data") {
          stats.RecordPayload(event.data);
        } else if (event.type == "control") {
          const std::string next = ExtractJsonStringField(event.data, "streamNextOffset");
          if (!next.empty()) offset = next;
          if (event.data.find("\"streamClosed\":true") != std::string::npos) closed = true;
        }
      }
      if (!more) break;
    }
  }
  client.Close();
  stats.active--;
}

}  // namespace dsbench
