// WakeQueue: carries the wake-ups of parked live readers (long-poll and SSE sessions) from the
// thread that made new data durable to the IO thread that owns those sessions.
//
// One queue per IO context. The first wake-up of a batch posts one handler; the rest only join
// the queue. Posting once per parked reader cost an allocation, a scheduler lock and often a
// thread wake-up each: with 10,000 SSE subscribers on a stream that was a measurable slice of
// every fan-out. The IO thread wakes the sessions a slice at a time, so that other connections
// on the same thread are not held up behind a large fan-out.
// Private to src/http.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>

namespace streamkeeper {

class Session;

class WakeQueue {
 public:
  explicit WakeQueue(boost::asio::io_context& io) : io_(io) {}
  WakeQueue(const WakeQueue&) = delete;
  WakeQueue& operator=(const WakeQueue&) = delete;

  // Thread-safe. Calls session->wake(token) on the context's thread, in push order.
  void push(std::shared_ptr<Session> session, uint64_t token);

 private:
  using Wake = std::pair<std::shared_ptr<Session>, uint64_t>;
  static constexpr size_t kWakesPerSlice = 256;

  void drain();

  boost::asio::io_context& io_;
  std::mutex mu_;
  std::vector<Wake> pending_;  // guarded by mu_
  bool scheduled_ = false;     // a drain() is posted or running (guarded by mu_)
  // Touched only on the context's thread.
  std::vector<Wake> draining_;
  size_t drained_ = 0;  // how much of draining_ has been woken
};

}  // namespace streamkeeper
