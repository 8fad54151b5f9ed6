// ConnectionSession<Stream>: one client connection, as a chain of short steps on its thread:
//   do_read -> parse_request -> (protocol handler) -> on_response -> send -> on_write -> do_read
// A live read is handed to a responder, which owns it and hands the connection back when done:
//   long-poll (LongPollResponder): parked until data, its timeout or the server's stop, then
//     answered through send(); the connection goes on;
//   SSE (SseResponder): the head, then events until closed, gone, the reconnect interval or the
//     server's stop; the response ends with the connection.
//   a streamed body (BodyStreamResponder; HttpResponse::body_stream, the admin snapshot): the
//     head, then pieces pulled from a producer thread until the last; the response ends with
//     the connection.
// Requests outside the stream prefix are offered to SessionContext::deferred_routes (the admin
// routes, answered from a worker thread), then to the ServiceEndpoints, then to the handler.
// Templated over the stream (Beast's example servers' shape): what depends on the stream being a
// raw socket is in StreamOps<Stream> (http/stream_ops.h, http/tls_stream_ops.h) and nowhere
// else. Two are instantiated (connection_session.cc): PlainSession (TCP) and TlsSession (TLS
// over TCP), which adds two steps, under `if constexpr`, so the plain session pays nothing:
//   start -> handshake (bounded by the request timeout) -> do_read ...
//   ... -> close_gracefully: close_notify (async_shutdown, bounded by kTlsShutdownTime) -> close
// Private to src/http: includes Beast.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/string_body.hpp>

#include "http/connection_slot.h"
#include "http/request_observer.h"
#include "http/server_options.h"
#include "http/session.h"
#include "http/stream_ops.h"
#include "protocol/http_types.h"
#include "streamkeeper/stream_manager.h"

namespace boost::asio::ssl {
template <typename Stream>
class stream;
}  // namespace boost::asio::ssl

namespace streamkeeper {

class ProtocolHandler;
class RequestGate;
class SessionRegistry;
class ServiceEndpoints;
class StreamManager;
class WakeQueue;
template <class Session>
class LongPollResponder;
template <class Session>
class SseResponder;
template <class Session>
class BodyStreamResponder;

// What every session shares with the server.
struct SessionContext {
  ProtocolHandler* handler = nullptr;
  StreamManager* manager = nullptr;
  ServerOptions options;
  RequestObserver* observer = nullptr;  // told of every answered request; may be null
  // Offered every request outside the stream prefix first; may be null.
  ServiceEndpoints* endpoints = nullptr;
  // Offered every request outside the stream prefix before `endpoints` (the admin routes,
  // which answer from a worker thread); may be empty.
  DeferredRoutes deferred_routes;
  // Asked first about every parsed request (http/request_gate.h); may be null: all is served.
  RequestGate* gate = nullptr;
  std::atomic<bool> stopping{false};
  // Open connections counted against options.max_connections, and over-limit connections
  // being answered 503. Taken by the acceptor (its thread alone adds), given back by the
  // session when it closes (ConnectionSession::release_slot).
  std::atomic<size_t> connections{0};
  std::atomic<size_t> refusing{0};
  // Live readers now (HttpServer::gauges()): each session adds its one when a long-poll parks
  // or an SSE response starts, and takes it back when that ends (ConnectionSession::leave_live).
  std::atomic<size_t> long_polls_waiting{0};
  std::atomic<size_t> sse_streams{0};
  // TLS handshakes that failed (a plain-HTTP client, an untrusted client certificate, a
  // scanner); each is closed quietly and logged at debug.
  std::atomic<uint64_t> tls_handshake_failures{0};
};

// Without a session, for a connection refused when even the refusal slots are taken: drops what
// the client has sent so far, sends `answer` as far as the socket takes it at once, and closes.
// Best effort: request bytes arriving after the close make the kernel reset the connection,
// which can destroy the answer before the client reads it. Returns the bytes sent.
size_t AnswerAndClose(SessionSocket* socket, const HttpResponse& answer);

// A timer on a session's executor (see SessionExecutor).
using SessionTimer =
    boost::asio::basic_waitable_timer<std::chrono::steady_clock,
                                      boost::asio::wait_traits<std::chrono::steady_clock>,
                                      SessionExecutor>;

template <class Stream>
class ConnectionSession final : public Session {
 public:
  // Serves the connection accepted on `socket`. `tls`: the TLS context of a TlsSession (kept as
  // long as the session), nullptr for a PlainSession. `wakes` and `registry` belong to the IO
  // context that owns `socket`. `slot` holds the places this connection was counted in (one of
  // SessionContext's counts, and its client address's); the session releases it when it
  // closes its stream, or at the latest when it is destroyed.
  ConnectionSession(SessionSocket&& socket, std::shared_ptr<boost::asio::ssl::context> tls,
                    SessionContext* context, WakeQueue* wakes, SessionRegistry* registry,
                    ConnectionSlot slot);
  ~ConnectionSession() override;
  ConnectionSession(const ConnectionSession&) = delete;
  ConnectionSession& operator=(const ConnectionSession&) = delete;
  // Serves requests until the client, a deadline or the server's stop ends the connection.
  // Registers the session in `registry` until it closes.
  void start();
  // Serves no request: sends `answer` at once (over TLS: once the handshake is done), then
  // half-closes and drains the connection briefly (so the client can read the answer), and
  // closes it.
  void refuse(HttpResponse answer);

  void on_server_stop() override;
  void wake(uint64_t token) override;

 private:
  // The responders drive the connection while they are active, through the members below
  // (send, close, post, the report, the live gauges, the stream itself).
  friend class LongPollResponder<ConnectionSession>;
  friend class SseResponder<ConnectionSession>;
  friend class BodyStreamResponder<ConnectionSession>;
  using Ops = StreamOps<Stream>;

  std::shared_ptr<ConnectionSession> self() {
    return std::static_pointer_cast<ConnectionSession>(shared_from_this());
  }
  SessionExecutor executor() { return stream_.get_executor(); }

  // TLS: the server handshake, then do_read(), or `then` for a refusal.
  template <class Then>
  void handshake(std::chrono::steady_clock::duration timeout, Then then);
  void do_read();
  // Reads more bytes of the current request into buffer_, then parses again.
  void read_more();
  // Feeds buffer_ to the parser; handles the request once it is whole, else reads more.
  void parse_request();
  void on_read_error(boost::beast::error_code ec);
  void handle_request();
  // Asks context_->gate (there is one) about the request whose head parser_ has just parsed,
  // before its body is read. False if it was refused: then it has been answered (and the
  // connection closes after the answer unless the whole request had already arrived).
  bool admit_request();
  void on_response(HttpResponse response);
  // The head of a chunked response that ends with the connection (SSE, a streamed body), from
  // `head` (which gains the request id when the request is reported).
  std::shared_ptr<boost::beast::http::response<boost::beast::http::empty_body>> chunked_head(
      HttpResponse& head);
  // Hands the connection to an SseResponder, which writes `head` and the events.
  void start_sse(HttpResponse head);
  // Hands the connection to a BodyStreamResponder, which writes `head` and the streamed body.
  void start_body_stream(HttpResponse head);
  void send(HttpResponse response);
  void on_write(boost::beast::error_code ec, bool close);

  // The request being answered, for context_->observer (nothing is kept without one).
  // begin_report() when a request (or a refusal) starts being answered, report() once when its
  // response is written or the connection ends first.
  void begin_report(std::string_view method, std::string_view target, uint64_t bytes_in,
                    std::optional<std::string_view> client_request_id);
  void report();
  // Closes at once: errors, deadlines, the peer gone; an operation may still be pending.
  void close();
  // The connection answered all it will and nothing is pending on the stream: plain TCP
  // closes at once (close()); TLS first sends close_notify, bounded by kTlsShutdownTime.
  void close_gracefully();
  void release_slot();
  // Counts this session in `gauge` (one of SessionContext's live-reader counts) until
  // leave_live(): when its long-poll is answered, or the connection ends.
  void enter_live(std::atomic<size_t>* gauge);
  void leave_live();
  // After an error answer to a request that may still be arriving: half-close, drain, close.
  void linger_then_close();
  void discard_input();

  // The transport deadline: the connection is closed if the read or write in progress (idle
  // wait, request, response) has not finished by then. Setting it costs a clock read, not a
  // timer operation: deadline_timer_ is armed lazily and, when it fires early, re-arms for what
  // is left. Re-arming the timer on every request showed in append profiles.
  void set_deadline(std::chrono::steady_clock::duration from_now);
  void clear_deadline() { deadline_ = std::chrono::steady_clock::time_point::max(); }
  void arm_deadline_timer();

  // The StreamManager callback that hands wake-up `token` of this session to its WakeQueue.
  // Tokens come from one counter for both responders, so a stale wake of one is never taken
  // for a current one of the other.
  WakeCallback wake_callback(uint64_t token);
  uint64_t next_token() { return ++tokens_; }

  // Posts `fn` onto this session's thread, keeping the session alive.
  template <class Fn>
  void post(Fn&& fn);

  // Before stream_: the TLS stream's SSL was made from it (null for plain TCP).
  std::shared_ptr<boost::asio::ssl::context> tls_context_;
  Stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  SessionTimer deadline_timer_;
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
  // When deadline_timer_ fires; max() while it is not armed.
  std::chrono::steady_clock::time_point deadline_timer_at_ =
      std::chrono::steady_clock::time_point::max();
  SessionContext* context_;
  WakeQueue* wakes_;
  SessionRegistry* registry_;  // null for a refused connection (never registered)
  ConnectionSlot slot_;  // empty once given back
  std::atomic<size_t>* live_gauge_ = nullptr;  // the live-reader count this session is in
  bool keep_alive_ = true;
  bool request_started_ = false;  // part of a request has arrived; the request deadline runs
  bool awaiting_request_ = false;  // idle between requests: nothing of the next has arrived
  bool linger_on_close_ = false;  // a request was refused: drain before closing
  bool head_request_ = false;
  bool handshaking_ = false;  // TLS: the handshake is in progress
  // close() ran: a completion queued before it (an SSE write that finished as its deadline
  // closed the connection) must not start anything new (park a live read, write).
  bool closed_ = false;
  // With a gate: the client's address (taken once, at start), and the Access-Control-Allow-Origin
  // of the response being answered.
  std::string peer_address_;
  std::string allow_origin_{kDefaultAllowOrigin};
  bool admitted_ = false;       // the gate let the request being received through
  HttpRequest gate_request_;    // its head as the gate saw it (kept for the headers' capacity)

  // The responders. The long-poll one is made at the connection's first long-poll and kept for
  // the next (its timer is made once); the SSE one is made when an SSE response starts, which
  // then lasts as long as the connection. At most one is active.
  std::unique_ptr<LongPollResponder<ConnectionSession>> long_poll_;
  std::unique_ptr<SseResponder<ConnectionSession>> sse_;
  // Made when a streamed body starts; the response ends with the connection.
  std::unique_ptr<BodyStreamResponder<ConnectionSession>> body_;
  uint64_t tokens_ = 0;

  struct Report {
    bool active = false;
    std::string method;
    std::string target;
    RouteKind route = RouteKind::kOther;
    int status = 0;
    uint64_t bytes_in = 0;
    uint64_t bytes_out = 0;
    std::chrono::steady_clock::time_point start;
    std::string request_id;
  };
  Report report_;
};

// The sessions the server runs: plain TCP, and TLS over TCP (TlsStream: http/tls_stream_ops.h).
using PlainSession = ConnectionSession<SessionSocket>;
using TlsSession = ConnectionSession<boost::asio::ssl::stream<SessionSocket>>;

}  // namespace streamkeeper
