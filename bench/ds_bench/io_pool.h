// A small io_context thread pool plus coroutine helpers the scenarios share.
#ifndef DS_BENCH_IO_POOL_H_
#define DS_BENCH_IO_POOL_H_

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace dsbench {

// Runs `threads` io_contexts, each driven by exactly one thread: connections spread over them
// with NextExecutor() never contend for a shared scheduler lock or wake each other's threads,
// CPU that goes back to the server under test on the same cores. Scenario state touched from
// several connections must therefore be thread-safe (atomics). Scenario state must outlive the
// pool: the destructor stops the contexts and destroys coroutines still parked on them (for
// instance SSE readers waiting for data), so declare the state first.
class IoPool {
 public:
  explicit IoPool(int threads);
  ~IoPool();
  IoPool(const IoPool&) = delete;
  IoPool& operator=(const IoPool&) = delete;

  // The contexts in turn, for spreading connections over the threads.
  boost::asio::any_io_executor NextExecutor();

  // Runs `main` on the first context and blocks until it returns; rethrows its exception.
  template <class T>
  T Run(boost::asio::awaitable<T> main) {
    auto done = boost::asio::co_spawn(*contexts_.front(), std::move(main), boost::asio::use_future);
    return done.get();
  }

 private:
  using WorkGuard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<WorkGuard> guards_;
  std::vector<std::thread> threads_;
  std::atomic<size_t> next_{0};
};

// Suspends the calling coroutine.
boost::asio::awaitable<void> SleepFor(std::chrono::nanoseconds duration);
boost::asio::awaitable<void> SleepUntil(std::chrono::steady_clock::time_point when);

// Polls `done` every 10 ms until it is true or `limit` passes. Returns done().
boost::asio::awaitable<bool> WaitUntil(std::function<bool()> done,
                                       std::chrono::steady_clock::duration limit);

// Prints "[name] t=<s>s <line()>" to stderr once a second until *stop.
boost::asio::awaitable<void> ReportProgress(std::string name, std::function<std::string()> line,
                                            const std::atomic<bool>* stop);

// Writes "<unix time in ms> <line()>" to the file at `path` once a second until *stop, each line
// flushed as it is written, so that a script can line the samples up with the wall clock.
// Returns at once when the file cannot be created (main checks that it can).
boost::asio::awaitable<void> RecordTimeline(std::string path, std::function<std::string()> line,
                                            const std::atomic<bool>* stop);

// Fractional seconds from the command line as a clock duration.
inline std::chrono::steady_clock::duration Seconds(double seconds) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(seconds));
}

// Nanoseconds on the steady clock; only meaningful within this process.
int64_t SteadyNanos();

}  // namespace dsbench

#endif  // DS_BENCH_IO_POOL_H_
