// Live reads parked on the StreamManager: a long-poll (LongPollRead) and an SSE stream's waits
// (SseRead). The transport asks three things of them: park ("call `wake` when there may be
// something"), cancel ("take the parked wait back"), and the answer, which each makes from ONE
// read done when it is asked (so the data read after the wake-up is the data sent).
//
// They know nothing of threads: `wake` runs on whatever thread makes the data durable (the
// manager's committer, or shutdown()); the transport moves it to its own thread before asking
// for the answer. Not thread-safe: one owner calls park, cancel and answer/next in turn.
#pragma once

#include <cstdint>
#include <string>

#include "protocol/http_types.h"
#include "streamkeeper/stream_manager.h"

namespace streamkeeper {

class ProtocolHandler;

// A waiter on one stream: the StreamManager's wait_async/cancel_wait with its handle kept.
class LiveWait {
 public:
  explicit LiveWait(StreamManager* manager) : manager_(manager) {}

  // Parks `wake` until the durable tail of `path` passes `from`, the stream closes or goes
  // away. False (and `wake` is never called) when that is already so: answer at once.
  bool park(const std::string& path, uint64_t from, WakeCallback wake) {
    handle_ = manager_->wait_async(path, from, std::move(wake));
    return handle_ != 0;
  }
  // Takes the last parked wait back: true if it was still parked (its wake will never come);
  // false if its wake has been or is being called.
  bool cancel(const std::string& path) { return manager_->cancel_wait(path, handle_); }

 private:
  StreamManager* manager_;
  uint64_t handle_ = 0;
};

// A long-poll with nothing yet to answer (ProtocolHandler::long_poll()).
class LongPollRead {
 public:
  LongPollRead(ProtocolHandler* handler, StreamManager* manager, LongPollDirective directive)
      : handler_(handler), wait_(manager), directive_(std::move(directive)) {}

  bool park(WakeCallback wake) {
    return wait_.park(directive_.path, directive_.position, std::move(wake));
  }
  bool cancel() { return wait_.cancel(directive_.path); }
  // The answer now, from one read: what arrived past the position (200), or 204.
  HttpResponse answer();

 private:
  ProtocolHandler* handler_;
  LiveWait wait_;
  LongPollDirective directive_;
};

// The events of an SSE response after its head (ProtocolHandler::sse()).
class SseRead {
 public:
  SseRead(ProtocolHandler* handler, StreamManager* manager, SseDirective directive)
      : handler_(handler), wait_(manager), directive_(std::move(directive)),
        position_(directive_.position) {}

  // The next events. The first call returns the step the handler made from the read that
  // answered the request (directive.first: no read here); each later call reads once.
  SseStep next();
  // Parks at the position the last step ended at.
  bool park(WakeCallback wake) { return wait_.park(directive_.path, position_, std::move(wake)); }
  bool cancel() { return wait_.cancel(directive_.path); }

 private:
  ProtocolHandler* handler_;
  LiveWait wait_;
  SseDirective directive_;
  uint64_t position_;
  bool first_taken_ = false;
};

}  // namespace streamkeeper
