#include "http/peer_connections.h"

namespace streamkeeper {

bool PeerConnections::try_add(std::string_view peer) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = open_.find(peer);
  if (it == open_.end()) {
    open_.emplace(std::string(peer), 1);
    return true;
  }
  if (max_per_peer_ != 0 && it->second >= max_per_peer_) return false;
  ++it->second;
  return true;
}

void PeerConnections::remove(std::string_view peer) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = open_.find(peer);
  if (it == open_.end()) return;  // never counted: nothing to give back
  if (--it->second == 0) open_.erase(it);
}

size_t PeerConnections::count(std::string_view peer) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = open_.find(peer);
  return it == open_.end() ? 0 : it->second;
}

size_t PeerConnections::peers() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return open_.size();
}

}  // namespace streamkeeper
