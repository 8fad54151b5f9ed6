// An open-loop writer: appends timestamped text bodies at a fixed rate.
#ifndef DS_BENCH_TIMED_WRITER_H_
#define DS_BENCH_TIMED_WRITER_H_

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <string>

#include "options.h"
#include "target.h"

namespace dsbench {

struct TimedWriterStats {
  std::atomic<uint64_t> ok{0};
  std::atomic<uint64_t> ok_in_window{0};  // sent within [window_start_ns, window_end_ns)
  std::atomic<int64_t> window_start_ns{0};
  std::atomic<int64_t> window_end_ns{INT64_MAX};
  std::atomic<uint64_t> errors{0};
  std::atomic<bool> done{false};
};

// POSTs TimestampBody(now) to `path` `rate` times a second until `until`.
// Sends are scheduled on a fixed grid; if the server is slower than the rate,
// the writer falls behind rather than queueing concurrent requests (so the
// achieved rate is lower), and the timestamp is taken when each request is
// actually sent.
boost::asio::awaitable<void> WriteAtFixedRate(const Target& target, const BenchOptions& options,
                                              std::string path, double rate,
                                              std::chrono::steady_clock::time_point until,
                                              TimedWriterStats& stats);

}  // namespace dsbench

#endif  // DS_BENCH_TIMED_WRITER_H_
