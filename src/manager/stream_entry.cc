#include "manager/stream_entry.h"

namespace streamkeeper {

std::vector<WakeCallback> StreamEntry::take_waiters() {
  std::vector<WakeCallback> out;
  out.reserve(waiters.size());
  for (auto& [id, wake] : waiters) out.push_back(std::move(wake));
  waiters.clear();
  return out;
}

bool StreamEntry::expired_at(int64_t now_ms) const {
  if (meta.expires_at_ms && *meta.expires_at_ms <= now_ms) return true;
  if (meta.ttl_seconds) {
    int64_t deadline = last_access_ms.load() + static_cast<int64_t>(*meta.ttl_seconds) * 1000;
    if (deadline <= now_ms) return true;
  }
  return false;
}

}  // namespace streamkeeper
