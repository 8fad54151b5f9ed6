#include "parallel_requests.h"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <mutex>

#include "histogram.h"
#include "io_pool.h"

namespace dsbench {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

struct Batch {
  Batch(const Target& t, uint64_t n, std::function<HttpRequest(uint64_t)> make, Histogram* h,
        std::atomic<uint64_t>* p)
      : target(t), count(n), make_request(std::move(make)), latency(h), progress(p) {}
  const Target& target;
  uint64_t count;
  std::function<HttpRequest(uint64_t)> make_request;
  Histogram* latency;
  std::atomic<uint64_t>* progress;
  std::atomic<uint64_t> next{0};
  std::atomic<uint64_t> ok{0};
  std::atomic<uint64_t> failed{0};
  std::atomic<uint64_t> not_found{0};
  std::atomic<int> running{0};
  std::mutex error_mutex;
  std::string first_error;
};

asio::awaitable<void> Worker(Batch& batch) {
  HttpConnection connection(co_await asio::this_coro::executor, batch.target);
  for (uint64_t i = batch.next++; i < batch.count; i = batch.next++) {
    const HttpRequest request = batch.make_request(i);
    const auto sent = Clock::now();
    const HttpResponse response = co_await connection.Send(request);
    if (batch.latency != nullptr) {
      batch.latency->Record(static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sent).count()));
    }
    if (response.Ok()) {
      batch.ok++;
      if (batch.progress != nullptr) (*batch.progress)++;
      continue;
    }
    batch.failed++;
    if (response.status == 404) batch.not_found++;
    std::lock_guard lock(batch.error_mutex);
    if (batch.first_error.empty()) {
      batch.first_error = response.status == 0
                              ? response.error
                              : "HTTP " + std::to_string(response.status) + " for " +
                                    request.method + " " + request.target;
    }
  }
  batch.running--;
}

}  // namespace

asio::awaitable<ParallelOutcome> SendInParallel(IoPool& pool, const Target& target, uint64_t count,
                                                int workers,
                                                std::function<HttpRequest(uint64_t)> make_request,
                                                Histogram* latency,
                                                std::atomic<uint64_t>* progress) {
  Batch batch(target, count, std::move(make_request), latency, progress);
  workers = static_cast<int>(std::clamp<uint64_t>(count, 1, std::max(workers, 1)));
  batch.running = workers;
  const auto start = Clock::now();
  for (int w = 0; w < workers; ++w) {
    asio::co_spawn(pool.NextExecutor(), Worker(batch), asio::detached);
  }
  // Every request has its own timeout, so the workers always finish.
  co_await WaitUntil([&] { return batch.running.load() == 0; }, std::chrono::hours(24 * 365));
  ParallelOutcome outcome;
  outcome.ok = batch.ok.load();
  outcome.failed = batch.failed.load();
  outcome.not_found = batch.not_found.load();
  outcome.first_error = batch.first_error;
  outcome.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  co_return outcome;
}

}  // namespace dsbench
