// SessionRegistry: the open sessions of one IO context, so that a shutdown can reach the ones
// that would otherwise wait on: connections idle between requests, and parked live reads.
//
// Touched only on its context's thread: a session adds itself when it starts and removes
// itself when it closes, and the server posts its shutdown onto that thread. Holds no
// reference: a session's life is its pending operations, as before.
// Private to src/http.
#pragma once

#include <memory>
#include <unordered_map>
#include <vector>

namespace streamkeeper {

class Session;

class SessionRegistry {
 public:
  void add(const std::shared_ptr<Session>& session) { sessions_[session.get()] = session; }
  void remove(const Session* session) { sessions_.erase(session); }

  // The registered sessions still alive.
  std::vector<std::shared_ptr<Session>> sessions() const {
    std::vector<std::shared_ptr<Session>> out;
    out.reserve(sessions_.size());
    for (const auto& [raw, weak] : sessions_) {
      if (auto session = weak.lock()) out.push_back(std::move(session));
    }
    return out;
  }

 private:
  std::unordered_map<const Session*, std::weak_ptr<Session>> sessions_;
};

}  // namespace streamkeeper
