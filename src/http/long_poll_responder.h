// LongPollResponder<Session>: answers one parked long-poll on a connection, then hands the
// connection back. It owns the live read (LongPollRead: parked on the StreamManager, answered
// from one read) and its timeout timer; whichever of the wake, the timeout and the server's
// stop comes first answers (204 unless data came), through Session::send, and the connection
// reads its next request.
//
// Owned by its session (which keeps it for the connection's next long-poll); every completion
// it waits for holds the session, so it never outlives it. Runs on the session's thread.
// Private to src/http: only connection_session.cc includes it.
#pragma once

#include <cstdint>
#include <optional>

#include "http/connection_session.h"
#include "protocol/live_read.h"
#include "protocol/protocol_handler.h"

namespace streamkeeper {

template <class Session>
class LongPollResponder {
 public:
  explicit LongPollResponder(Session* session)
      : session_(*session), timer_(session->executor()) {}
  LongPollResponder(const LongPollResponder&) = delete;
  LongPollResponder& operator=(const LongPollResponder&) = delete;

  // Parks `read` until data, the timeout or the server's stop, or answers it now when there is
  // nothing to wait for.
  void start(LongPollRead read) {
    SessionContext& context = *session_.context_;
    token_ = session_.next_token();
    read_.emplace(std::move(read));
    bool parked = read_->park(session_.wake_callback(token_));
    if (parked && context.stopping) {
      // Shutting down: answer now, and take the waiter back so that the manager keeps no
      // reference to the session.
      if (!read_->cancel()) {
        waiting_ = true;  // its wake is already on the way and will answer
        session_.enter_live(&context.long_polls_waiting);
        return;
      }
      parked = false;
    }
    if (!parked) return session_.send(read_->answer());
    waiting_ = true;
    session_.enter_live(&context.long_polls_waiting);
    timer_.expires_after(context.options.long_poll_timeout);
    timer_.async_wait([self = session_.self(), this, token = token_](boost::system::error_code ec) {
      if (!ec) on_timeout(token);
    });
  }

  // Parked (or its wake on the way): the connection is this responder's.
  bool waiting() const { return waiting_; }

  // The session's wake `token` (a WakeQueue delivery).
  void on_wake(uint64_t token) {
    if (token != token_ || !waiting_) return;
    answer();
  }

  // The server is stopping: answered now, unless its wake is already on the way.
  void on_server_stop() { end_wait(); }

  // The connection is closing.
  void cancel_timer() { timer_.cancel(); }

 private:
  void on_timeout(uint64_t token) {
    if (token != token_ || !waiting_) return;
    end_wait();
  }

  // The parked long-poll is to end before data comes (its timeout, the server's stop): it is
  // answered now, unless its wake is already on the way (then the wake answers).
  void end_wait() {
    if (!read_->cancel()) return;
    answer();
  }

  // Answers from one read: what arrived since it parked, or 204.
  void answer() {
    waiting_ = false;
    timer_.cancel();  // nothing to cancel when it is the timer that fired
    session_.send(read_->answer());
  }

  Session& session_;
  SessionTimer timer_;
  std::optional<LongPollRead> read_;
  uint64_t token_ = 0;  // of the current park: older wakes and timeouts are ignored
  bool waiting_ = false;
};

}  // namespace streamkeeper
