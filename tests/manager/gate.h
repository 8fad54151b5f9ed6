// A gate for tests that hold a storage call (a write, a sync) where they want it: while closed,
// Pass() blocks, so that what is submitted meanwhile queues up behind the held call.
#pragma once

#include <condition_variable>
#include <mutex>

namespace streamkeeper::testing {

class Gate {
 public:
  void Close() {
    std::lock_guard lock(mu_);
    open_ = false;
  }
  void Open() {
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }
  // Lets one call through (one waiting now, or the next to come) and stays closed.
  void LetOneThrough() {
    {
      std::lock_guard lock(mu_);
      ++tickets_;
    }
    cv_.notify_all();
  }
  // Called by the gated code: returns once the gate is open or a ticket is left.
  void Pass() {
    std::unique_lock lock(mu_);
    ++waiting_;
    cv_.notify_all();
    cv_.wait(lock, [this] { return open_ || tickets_ > 0; });
    if (!open_) --tickets_;
    --waiting_;
    ++passed_;
    cv_.notify_all();
  }
  // Blocks until a call is waiting at the closed gate.
  void WaitForArrival() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return waiting_ > 0; });
  }
  // How many calls have passed so far.
  int Passed() {
    std::lock_guard lock(mu_);
    return passed_;
  }
  void WaitForPassed(int count) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return passed_ >= count; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = true;
  int waiting_ = 0;
  int tickets_ = 0;
  int passed_ = 0;
};

}  // namespace streamkeeper::testing
