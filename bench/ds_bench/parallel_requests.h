// Sends a fixed list of independent requests over a few connections at once
// (stream creation, bulk writes).
#ifndef DS_BENCH_PARALLEL_REQUESTS_H_
#define DS_BENCH_PARALLEL_REQUESTS_H_

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <string>

#include "http_connection.h"

namespace dsbench {

class Histogram;
class IoPool;

struct ParallelOutcome {
  uint64_t ok = 0;         // 2xx responses
  uint64_t failed = 0;     // non-2xx and IO errors
  uint64_t not_found = 0;  // 404 responses, also counted in failed
  std::string first_error;
  double seconds = 0;  // wall time for the whole batch
};

// Sends make_request(i) for every i in [0, count) over `workers` keep-alive
// connections, each taking the next index when its previous request finishes.
// Records each request's latency in *latency and bumps *progress per 2xx
// (both may be null). Returns when every request has completed or failed.
boost::asio::awaitable<ParallelOutcome> SendInParallel(
    IoPool& pool, const Target& target, uint64_t count, int workers,
    std::function<HttpRequest(uint64_t)> make_request, Histogram* latency,
    std::atomic<uint64_t>* progress);

}  // namespace dsbench

#endif  // DS_BENCH_PARALLEL_REQUESTS_H_
