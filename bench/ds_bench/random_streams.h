// Load on streams drawn uniformly at random among many, as the many-streams scenario's cold
// phase sends it: with a bounded server-side cache, almost every request finds its stream cold.
#ifndef DS_BENCH_RANDOM_STREAMS_H_
#define DS_BENCH_RANDOM_STREAMS_H_

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "histogram.h"
#include "options.h"
#include "target.h"

namespace dsbench {

// The index in [0, count) of draw number `draw` under `seed`: a stateless hash (SplitMix64), so
// that any thread can draw without sharing a generator and the streams need no list in memory.
uint64_t StreamDraw(uint64_t seed, uint64_t draw, uint64_t count);

struct ColdLoadSpec {
  const Target& target;
  const BenchOptions& options;                   // timeout and body size
  std::function<std::string(uint64_t)> path_of;  // stream index -> request path
  uint64_t count = 0;                            // streams to draw from
  uint64_t seed = 0;
  double rate = 0;  // requests per second over all connections
  int connections = 1;
  std::chrono::steady_clock::time_point start;         // the first send
  std::chrono::steady_clock::time_point measure_from;  // sends before it are a warm-up
  std::chrono::steady_clock::time_point until;         // no sends from here on
};

// Counts cover sends in [measure_from, until) only.
struct ColdLoadStats {
  Histogram read_latency;    // GET offset=-1, send to whole response
  Histogram append_latency;  // POST of options.body_bytes bytes
  std::atomic<uint64_t> errors{0};
  std::atomic<uint64_t> missed_slots{0};  // sends skipped because the connection was still busy
  std::atomic<int> active{0};             // connections still running
  std::atomic<uint64_t> sent{0};          // every send, warm-up included (progress)
  std::mutex error_mutex;
  std::string first_error;
};

// One connection's share of the load: sends on a fixed grid of connections / rate seconds
// (offset by `index` / rate, so the connections interleave), alternating a read and an append,
// each to a freshly drawn stream. When a response comes back after its successor's slot, the
// missed slots are skipped and counted rather than sent in a burst: latencies stay service
// times, and a server that cannot keep up shows as an achieved rate below the one asked for.
// Decrements stats.active when done. `spec` is a copy: the connection may outlive its caller
// when the caller stops waiting for it.
boost::asio::awaitable<void> RunColdConnection(ColdLoadSpec spec, ColdLoadStats& stats, int index);

}  // namespace dsbench

#endif  // DS_BENCH_RANDOM_STREAMS_H_
