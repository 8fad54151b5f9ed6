#include "io_pool.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <iostream>

namespace dsbench {

namespace asio = boost::asio;

IoPool::IoPool(int threads) {
  context_.emplace(threads);
  guard_.emplace(context_->get_executor());
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { context_->run(); });
}

IoPool::~IoPool() {
  guard_.reset();
  context_->stop();
  for (auto& t : threads_) t.join();
  context_.reset();  // destroys coroutine frames still waiting on it
}

asio::awaitable<void> SleepUntil(std::chrono::steady_clock::time_point when) {
  asio::steady_timer timer(co_await asio::this_coro::executor, when);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<void> SleepFor(std::chrono::nanoseconds duration) {
  co_await SleepUntil(std::chrono::steady_clock::now() + duration);
}

asio::awaitable<bool> WaitUntil(std::function<bool()> done,
                                std::chrono::steady_clock::duration limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) co_return false;
    co_await SleepFor(std::chrono::milliseconds(10));
  }
  co_return true;
}

asio::awaitable<void> ReportProgress(std::string name, std::function<std::string()> line,
                                     const std::atomic<bool>* stop) {
  const auto start = std::chrono::steady_clock::now();
  auto next = start;
  while (!stop->load()) {
    next += std::chrono::seconds(1);
    co_await SleepUntil(next);
    if (stop->load()) break;
    const auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start);
    std::cerr << "[" << name << "] t=" << static_cast<int>(elapsed.count() + 0.5) << "s " << line()
              << std::endl;
  }
}

int64_t SteadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace dsbench
