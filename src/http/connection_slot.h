// ConnectionSlot: the places one connection takes in the server's connection counts, given back
// exactly once when it closes (or when the slot is destroyed, whichever comes first).
//
// A slot holds a place in one of the global counts (SessionContext::connections, or ::refusing
// for a connection being refused) and, with --max-connections-per-ip, one in its client
// address's count (http/peer_connections.h). The acceptor takes the places and hands the slot
// to the session, which releases it when it closes its socket. Move-only: a place is never
// given back twice.
#pragma once

#include <atomic>
#include <cstddef>
#include <string>
#include <utility>

#include "http/peer_connections.h"

namespace streamkeeper {

class ConnectionSlot {
 public:
  ConnectionSlot() = default;
  // Takes over a place already counted in `count` and, when `peers` is given, one counted for
  // `peer` in `peers` (PeerConnections::try_add).
  explicit ConnectionSlot(std::atomic<size_t>* count, PeerConnections* peers = nullptr,
                          std::string peer = {})
      : count_(count), peers_(peers), peer_(std::move(peer)) {}
  ConnectionSlot(ConnectionSlot&& other) noexcept
      : count_(std::exchange(other.count_, nullptr)),
        peers_(std::exchange(other.peers_, nullptr)),
        peer_(std::move(other.peer_)) {}
  ConnectionSlot& operator=(ConnectionSlot&& other) noexcept {
    if (this != &other) {
      release();
      count_ = std::exchange(other.count_, nullptr);
      peers_ = std::exchange(other.peers_, nullptr);
      peer_ = std::move(other.peer_);
    }
    return *this;
  }
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;
  ~ConnectionSlot() { release(); }

  // Gives the places back; later calls do nothing.
  void release() {
    if (count_ != nullptr) count_->fetch_sub(1, std::memory_order_relaxed);
    if (peers_ != nullptr) peers_->remove(peer_);
    count_ = nullptr;
    peers_ = nullptr;
  }

 private:
  std::atomic<size_t>* count_ = nullptr;
  PeerConnections* peers_ = nullptr;
  std::string peer_;
};

}  // namespace streamkeeper
