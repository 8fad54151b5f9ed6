// PeerConnections: how many connections each client address has open, for
// --max-connections-per-ip. The acceptor asks try_add() before it serves a connection; the
// connection's ConnectionSlot (http/connection_slot.h) calls remove() when it closes.
//
// Transport-neutral: addresses are text ("127.0.0.1", "::1"), so it is tested without sockets.
// Memory: one entry per address with a connection open; an address's entry goes with its last
// connection.
//
// Thread-safety: every method may be called from any thread (the acceptor adds, every IO
// thread removes); one mutex, taken once per accepted and once per closed connection.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace streamkeeper {

class PeerConnections {
 public:
  // `max_per_peer`: connections one address may have open at once; 0: no limit.
  explicit PeerConnections(size_t max_per_peer) : max_per_peer_(max_per_peer) {}
  PeerConnections(const PeerConnections&) = delete;
  PeerConnections& operator=(const PeerConnections&) = delete;

  size_t max_per_peer() const { return max_per_peer_; }

  // Counts one more connection from `peer` and returns true, unless `peer` already has
  // max_per_peer open: then false, and nothing is counted.
  bool try_add(std::string_view peer);
  // One connection from `peer` (counted by try_add) has closed.
  void remove(std::string_view peer);
  // Connections `peer` has open.
  size_t count(std::string_view peer) const;
  // Addresses with a connection open.
  size_t peers() const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  const size_t max_per_peer_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, size_t, Hash, std::equal_to<>> open_;
};

}  // namespace streamkeeper
