#include "io_pool.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <algorithm>
#include <fstream>
#include <iostream>

namespace dsbench {

namespace asio = boost::asio;

IoPool::IoPool(int threads) {
  threads = std::max(threads, 1);
  for (int i = 0; i < threads; ++i) {
    contexts_.push_back(std::make_unique<asio::io_context>(1));
    guards_.emplace_back(contexts_.back()->get_executor());
  }
  for (auto& context : contexts_) threads_.emplace_back([&context] { context->run(); });
}

IoPool::~IoPool() {
  guards_.clear();
  for (auto& context : contexts_) context->stop();
  for (auto& t : threads_) t.join();
  contexts_.clear();  // destroys coroutine frames still waiting on them
}

asio::any_io_executor IoPool::NextExecutor() {
  return contexts_[next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size()]
      ->get_executor();
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

asio::awaitable<void> RecordTimeline(std::string path, std::function<std::string()> line,
                                     const std::atomic<bool>* stop) {
  std::ofstream file(path, std::ios::trunc);
  auto next = std::chrono::steady_clock::now();
  while (file && !stop->load()) {
    const auto unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
    file << unix_ms << " " << line() << std::endl;
    next += std::chrono::seconds(1);
    co_await SleepUntil(next);
  }
}

int64_t SteadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace dsbench
