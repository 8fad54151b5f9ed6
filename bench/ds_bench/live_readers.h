// Readers that follow a stream live and report each delivered send timestamp:
// one by long-poll, one by SSE. Shared by the latency and fanout scenarios.
#ifndef DS_BENCH_LIVE_READERS_H_
#define DS_BENCH_LIVE_READERS_H_

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <string>

#include "histogram.h"
#include "options.h"
#include "target.h"

namespace dsbench {

// Shared by all readers of one kind. Samples are recorded only for appends
// whose send time lies in [window_start_ns, window_end_ns).
struct LiveReadStats {
  Histogram latency;  // one sample per timestamp received in the window
  uint64_t delivered() const { return latency.Count(); }
  std::atomic<uint64_t> errors{0};     // failed requests / reconnects
  std::atomic<int> connected{0};       // readers with a live request open
  std::atomic<int> active{0};          // readers still running
  std::atomic<int64_t> window_start_ns{INT64_MAX};
  std::atomic<int64_t> window_end_ns{INT64_MAX};

  void RecordPayload(std::string_view payload);
};

struct LiveReaderSpec {
  const Target& target;
  const BenchOptions& options;
  std::string path;          // stream path
  std::string start_offset;  // where reading begins (the tail when created)
  const std::atomic<bool>* stop;
};

// GET ?offset=X&live=long-poll in a loop, following Stream-Next-Offset and
// echoing Stream-Cursor as cursor=. Runs until *spec.stop.
boost::asio::awaitable<void> FollowByLongPoll(LiveReaderSpec spec, LiveReadStats& stats);

// GET ?offset=X&live=sse, reconnecting from the last control event's
// streamNextOffset whenever the server ends the response. Runs until *spec.stop.
boost::asio::awaitable<void> FollowBySse(LiveReaderSpec spec, LiveReadStats& stats);

}  // namespace dsbench

#endif  // DS_BENCH_LIVE_READERS_H_
