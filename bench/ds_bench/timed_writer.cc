#include "timed_writer.h"

#include <boost/asio/this_coro.hpp>

#include "http_connection.h"
#include "io_pool.h"
#include "stream_ops.h"

namespace dsbench {

boost::asio::awaitable<void> WriteAtFixedRate(const Target& target, const BenchOptions& options,
                                              std::string path, double rate,
                                              std::chrono::steady_clock::time_point until,
                                              TimedWriterStats& stats) {
  HttpConnection connection(co_await boost::asio::this_coro::executor, target);
  const auto period = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(1.0 / rate));
  auto next = std::chrono::steady_clock::now();
  while (next < until && std::chrono::steady_clock::now() < until) {
    co_await SleepUntil(next);
    next += period;
    const int64_t sent = SteadyNanos();
    const auto request =
        AppendRequest(path, kTextPlain, TimestampBody(sent, options.body_bytes), options.timeout);
    const HttpResponse response = co_await connection.Send(request);
    if (response.Ok()) {
      stats.ok++;
      if (sent >= stats.window_start_ns.load() && sent < stats.window_end_ns.load()) {
        stats.ok_in_window++;
      }
    } else {
      stats.errors++;
    }
  }
  stats.done = true;
}

}  // namespace dsbench
