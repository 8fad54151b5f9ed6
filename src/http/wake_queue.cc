#include "http/wake_queue.h"

#include <boost/asio/post.hpp>

#include "http/session.h"

namespace streamkeeper {

void WakeQueue::push(std::shared_ptr<Session> session, uint64_t token) {
  {
    std::lock_guard lock(mu_);
    pending_.emplace_back(std::move(session), token);
    if (scheduled_) return;
    scheduled_ = true;
  }
  boost::asio::post(io_, [this] { drain(); });
}

// Runs as long as wake-ups keep arriving, then clears `scheduled_` so the next push posts again.
void WakeQueue::drain() {
  if (drained_ == draining_.size()) {
    draining_.clear();
    drained_ = 0;
    std::lock_guard lock(mu_);
    draining_.swap(pending_);
    if (draining_.empty()) {
      scheduled_ = false;
      return;
    }
  }
  const size_t end = std::min(draining_.size(), drained_ + kWakesPerSlice);
  for (; drained_ < end; ++drained_) {
    Wake wake = std::move(draining_[drained_]);
    wake.first->wake(wake.second);
  }
  boost::asio::post(io_, [this] { drain(); });  // lets other handlers run between slices
}

}  // namespace streamkeeper
