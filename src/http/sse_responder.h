// SseResponder<Session>: the rest of a connection that answered with an SSE response. It owns
// the live read (SseRead: parked on the StreamManager, each step from one read) and the one
// timer that serves the heartbeat, the reconnect deadline and the write deadline. It writes the
// head, then pumps events, parks, pumps again, until the stream is closed (and sent) or gone,
// the reconnect interval ends the response, or the server stops; then it writes the last chunk
// and the connection closes (an SSE response ends with its connection).
//
// Owned by its session; every completion it waits for holds the session, so it never outlives
// it. Runs on the session's thread.
// Private to src/http: only connection_session.cc includes it.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/write.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/write.hpp>

#include "http/chunk_frame.h"
#include "http/connection_session.h"
#include "http/response_head.h"
#include "protocol/live_read.h"
#include "protocol/protocol_handler.h"

namespace streamkeeper {

template <class Session>
class SseResponder {
 public:
  using Clock = std::chrono::steady_clock;

  SseResponder(Session* session, SseRead read)
      : session_(*session), timer_(session->executor()), read_(std::move(read)) {}
  SseResponder(const SseResponder&) = delete;
  SseResponder& operator=(const SseResponder&) = delete;

  // Writes `head` (already carrying the response's headers: made by the session), then the
  // events. The session counts itself in sse_streams until it closes.
  template <class Message>
  void start(std::shared_ptr<Message> message) {
    SessionContext& context = *session_.context_;
    deadline_ = Clock::now() + context.options.sse_reconnect;
    next_beat_ = Clock::now() + context.options.sse_heartbeat;
    auto serializer =
        std::make_shared<boost::beast::http::response_serializer<boost::beast::http::empty_body>>(
            *message);
    session_.set_deadline(context.options.write_timeout);
    boost::beast::http::async_write_header(
        session_.stream_, *serializer,
        [self = session_.self(), this, message, serializer](boost::beast::error_code ec,
                                                            size_t bytes) {
          session_.report_.bytes_out += bytes;
          if (ec) return session_.close();
          // From here the SSE timer bounds writes (see on_timer).
          session_.clear_deadline();
          pump();
        });
  }

  // The session's wake `token` (a WakeQueue delivery).
  void on_wake(uint64_t token) {
    if (token != token_ || !waiting_) return;
    waiting_ = false;
    pump();
  }

  // The server is stopping: the response ends now, unless a wake is on the way (it pumps, and
  // the pump sees the stop).
  void on_server_stop() {
    if (!waiting_) return;
    if (!read_.cancel()) return;
    finish();
  }

  // The connection is closing.
  void cancel_timer() { timer_.cancel(); }

 private:
  void pump() {
    if (session_.closed_) return;
    if (session_.context_->stopping || Clock::now() >= deadline_) return finish();
    SseStep step = read_.next();
    if (!step.events.empty()) return write(std::move(step.events), step.finished, step.wait);
    if (step.finished) return finish();
    if (step.wait) return wait();
    session_.post([this] { pump(); });
  }

  void write(std::string events, bool finished, bool wait) {
    auto now = Clock::now();
    next_beat_ = now + session_.context_->options.sse_heartbeat;
    auto frame = std::make_shared<std::string>(FrameChunk(events, /*last=*/false));
    // Nearly always the stream takes it all at once (StreamOps::send_now): the delivery ends
    // here, the fan-out hot path.
    size_t sent = 0;
    if (!Session::Ops::send_now(session_.stream_, boost::asio::buffer(*frame), &sent)) {
      return session_.close();
    }
    session_.report_.bytes_out += sent;
    if (sent == frame->size()) return after_write(finished, wait);
    // The peer is slower than us: write the rest asynchronously, bounded by the write deadline.
    write_deadline_ = now + session_.context_->options.write_timeout;
    writing_ = true;
    arm_timer();
    boost::asio::async_write(
        session_.stream_, boost::asio::buffer(frame->data() + sent, frame->size() - sent),
        [self = session_.self(), this, frame, finished, wait](boost::beast::error_code ec,
                                                              size_t bytes) {
          session_.report_.bytes_out += bytes;
          writing_ = false;
          if (ec) return session_.close();
          after_write(finished, wait);
        });
  }

  void after_write(bool finished, bool wait) {
    if (finished) return finish();
    if (wait) return this->wait();
    // More is ready (a catch-up): go on in a fresh handler rather than recursing.
    session_.post([this] { pump(); });
  }

  void wait() {
    if (session_.closed_) return;  // parking now would keep a closed session until a wake
    if (session_.context_->stopping) return finish();
    token_ = session_.next_token();
    if (!read_.park(session_.wake_callback(token_))) return session_.post([this] { pump(); });
    waiting_ = true;
    arm_timer();
  }

  // One timer serves the heartbeat, the reconnect deadline and the write deadline. It is not
  // re-armed on every event (a busy stream would then re-arm it per event, which showed up in
  // fan-out profiles): armed for a time no later than needed, it re-arms for what is left when
  // it fires. While a write is in flight only the write deadline counts: a heartbeat or
  // reconnect time passing meanwhile can act only after the write, and re-arming for a time
  // already past would spin the IO thread until the write ends.
  void arm_timer() {
    auto at = writing_ ? write_deadline_ : std::min(next_beat_, deadline_);
    if (timer_armed_ && timer_at_ <= at) return;
    // Later than needed (armed for a write deadline, the write is done): re-armed, which cancels
    // the wait in flight; that handler sees a newer generation and leaves the timer to this one.
    timer_armed_ = true;
    timer_at_ = at;
    uint64_t generation = ++timer_generation_;
    timer_.expires_at(at);
    timer_.async_wait(
        [self = session_.self(), this, generation](boost::beast::error_code ec) {
          if (generation != timer_generation_) return;
          timer_armed_ = false;
          if (!ec) on_timer();
        });
  }

  void on_timer() {
    auto now = Clock::now();
    if (writing_) {
      if (now >= write_deadline_) return session_.close();  // the peer stopped reading
      return arm_timer();
    }
    if (!waiting_) return;  // pumping; the next wait re-arms the timer
    if (now < next_beat_ && now < deadline_) return arm_timer();
    if (!read_.cancel()) return;  // a wake is on its way
    waiting_ = false;
    if (now >= deadline_) return finish();
    // A comment line: ignored by clients, but a dead peer makes the write fail and ends us.
    write(":\n\n", false, true);
  }

  void finish() {
    waiting_ = false;
    session_.set_deadline(session_.context_->options.write_timeout);
    boost::asio::async_write(
        session_.stream_, boost::beast::http::make_chunk_last(),
        [self = session_.self(), this](boost::beast::error_code ec, size_t bytes) {
          session_.report_.bytes_out += bytes;
          if (ec) return session_.close();
          session_.close_gracefully();
        });
  }

  Session& session_;
  SessionTimer timer_;
  SseRead read_;
  uint64_t token_ = 0;  // of the current park: older wakes are ignored
  bool waiting_ = false;
  Clock::time_point deadline_;        // end the response (reconnect)
  Clock::time_point next_beat_;       // send a heartbeat if idle until then
  Clock::time_point write_deadline_;  // of the write in flight
  bool timer_armed_ = false;
  Clock::time_point timer_at_;    // when the armed timer fires
  uint64_t timer_generation_ = 0;  // of the last arming: older completions are ignored
  bool writing_ = false;
};

}  // namespace streamkeeper
