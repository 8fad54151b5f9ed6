// BodyStreamResponder<Session>: the rest of a connection that answered with a streamed body
// (HttpResponse::body_stream, protocol/http_types.h: the admin snapshot). It writes the head
// (chunked), then pulls one piece at a time from the BodyStream and writes it as a chunk, each
// write bounded by the write timeout, until the last piece (then the last chunk, and the
// connection closes gracefully) or a failed one (the connection is cut: the client sees a
// truncated body). Only one piece is in memory at a time on this side; the producer works on
// its own thread, so no IO thread waits for it.
//
// Owned by its session; every completion it waits for holds the session. close() cancels it,
// which drops the BodyStream (its destructor stops the producer and drops a pending delivery).
// Runs on the session's thread, except the delivery, which posts back onto it.
// Private to src/http: only connection_session.cc includes it.
#pragma once

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/write.hpp>
#include <memory>
#include <string>

#include "http/chunk_frame.h"
#include "http/connection_session.h"
#include "protocol/http_types.h"
#include "util/log.h"

namespace streamkeeper {

template <class Session>
class BodyStreamResponder {
 public:
  BodyStreamResponder(Session* session, std::shared_ptr<BodyStream> body)
      : session_(*session), body_(std::move(body)) {}
  BodyStreamResponder(const BodyStreamResponder&) = delete;
  BodyStreamResponder& operator=(const BodyStreamResponder&) = delete;

  // Writes `message` (the head: chunked, carrying the response's headers), then the body.
  template <class Message>
  void start(std::shared_ptr<Message> message) {
    auto serializer =
        std::make_shared<boost::beast::http::response_serializer<boost::beast::http::empty_body>>(
            *message);
    session_.set_deadline(session_.context_->options.write_timeout);
    boost::beast::http::async_write_header(
        session_.stream_, *serializer,
        [self = session_.self(), this, message, serializer](boost::beast::error_code ec,
                                                            size_t bytes) {
          session_.report_.bytes_out += bytes;
          session_.clear_deadline();  // the producer is not the client: no deadline while it works
          if (ec) return session_.close();
          pull();
        });
  }

  // The connection is closing: stop producing.
  void cancel() { body_.reset(); }

 private:
  void pull() {
    if (session_.closed_ || !body_) return;
    body_->next([self = session_.self(), this](BodyStream::Piece piece) {
      boost::asio::post(self->executor(), [self, this, piece = std::move(piece)]() mutable {
        on_piece(std::move(piece));
      });
    });
  }

  void on_piece(BodyStream::Piece piece) {
    if (session_.closed_ || !body_) return;
    if (piece.failed) {
      log::Error("streamed response cut short: its body could not be produced",
                 {{"error", piece.data}});
      return session_.close();
    }
    const bool last = piece.last;
    auto frame = std::make_shared<std::string>(FrameChunk(piece.data, last));
    piece.data = std::string();  // one copy in memory, not two, while the frame is written
    session_.set_deadline(session_.context_->options.write_timeout);
    boost::asio::async_write(
        session_.stream_, boost::asio::buffer(*frame),
        [self = session_.self(), this, frame, last](boost::beast::error_code ec, size_t bytes) {
          session_.report_.bytes_out += bytes;
          session_.clear_deadline();
          if (ec) return session_.close();
          if (!last) return pull();
          body_.reset();
          session_.close_gracefully();
        });
  }

  Session& session_;
  std::shared_ptr<BodyStream> body_;
};

}  // namespace streamkeeper
