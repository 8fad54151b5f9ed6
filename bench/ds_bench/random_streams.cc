#include "random_streams.h"

#include <boost/asio/this_coro.hpp>

#include "http_connection.h"
#include "io_pool.h"
#include "stream_ops.h"

namespace dsbench {
namespace {

using Clock = std::chrono::steady_clock;

void NoteError(ColdLoadStats& stats, const HttpRequest& request, const HttpResponse& response) {
  stats.errors++;
  std::lock_guard lock(stats.error_mutex);
  if (!stats.first_error.empty()) return;
  stats.first_error = response.status == 0 ? response.error
                                           : "HTTP " + std::to_string(response.status) + " for " +
                                                 request.method + " " + request.target;
}

}  // namespace

uint64_t StreamDraw(uint64_t seed, uint64_t draw, uint64_t count) {
  uint64_t z = seed + (draw + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return z % count;  // the modulo bias is below count / 2^64
}

boost::asio::awaitable<void> RunColdConnection(ColdLoadSpec spec, ColdLoadStats& stats, int index) {
  HttpConnection connection(co_await boost::asio::this_coro::executor, spec.target);
  const auto period = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(spec.connections / spec.rate));
  const std::string body(static_cast<size_t>(spec.options.body_bytes), 'c');
  // Draws of different connections never overlap: the connection's index is in the high bits.
  const uint64_t first_draw = static_cast<uint64_t>(index) << 40;
  auto next = spec.start + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(index / spec.rate));
  for (uint64_t k = 0; next < spec.until; ++k) {
    co_await SleepUntil(next);
    const std::string path = spec.path_of(StreamDraw(spec.seed, first_draw + k, spec.count));
    const bool is_read = k % 2 == 0;
    HttpRequest request = is_read ? ReadRequest(ReadTarget(path, "-1"), spec.options.timeout)
                                  : AppendRequest(path, kOctetStream, body, spec.options.timeout);
    request.discard_body = is_read;
    const auto sent = Clock::now();
    const HttpResponse response = co_await connection.Send(request);
    const auto done = Clock::now();
    stats.sent++;
    next += period;
    if (done > next) {
      const auto behind = (done - next) / period + 1;
      next += behind * period;
      if (sent >= spec.measure_from) stats.missed_slots += static_cast<uint64_t>(behind);
    }
    if (sent < spec.measure_from) continue;
    if (!response.Ok()) {
      NoteError(stats, request, response);
      continue;
    }
    const auto micros = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(done - sent).count());
    (is_read ? stats.read_latency : stats.append_latency).Record(micros);
  }
  stats.active--;
}

}  // namespace dsbench
