#include "http/connection_session.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "http/body_stream_responder.h"
#include "http/long_poll_responder.h"
#include "http/request_gate.h"
#include "http/request_id.h"
#include "http/request_message.h"
#include "http/response_head.h"
#include "http/session_registry.h"
#include "http/sse_responder.h"
#include "http/tls_stream_ops.h"
#include "http/wake_queue.h"
#include "protocol/protocol_handler.h"
#include "protocol/request_target.h"
#include "service/service_endpoints.h"
#include "streamkeeper/stream_manager.h"
#include "util/log.h"

namespace streamkeeper {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

namespace {

constexpr size_t kReadBytes = 2048;
constexpr size_t kMaxReadBytes = 64 * 1024;
// How long a refused request's remaining bytes are read and dropped before the connection closes.
constexpr std::chrono::seconds kLingerTime{2};
// TLS: how long close_notify may take to go out (and the client's to come back) before the
// socket closes anyway. Short: by then every response byte has been written.
constexpr std::chrono::seconds kTlsShutdownTime{1};
// TLS: how long a refused connection's handshake may take. Refusal slots are few
// (max_refusing_connections), so they are not held for the whole request timeout.
constexpr std::chrono::seconds kRefusalHandshakeTime{5};

// The IMF-fixdate of now, formatted at most once a second per thread.
const std::string& HttpDate() {
  thread_local std::time_t cached_second = 0;
  thread_local std::string cached;
  std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[64];
    size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached.assign(buf, n);
    cached_second = now;
  }
  return cached;
}

template <class Message>
void CopyHeaders(const HttpResponse& response, std::string_view allow_origin, Message* message) {
  for (const auto& [name, value] : response.headers) message->set(name, value);
  for (const auto& [name, value] : kCommonResponseHeaders) message->set(name, value);
  AddAllowOrigin(allow_origin, [message](std::string_view name, std::string_view value) {
    message->set(name, value);
  });
}

// target.starts_with(kStreamPrefix), as a fixed-size comparison the compiler inlines (the
// library's starts_with is an out-of-line call per request).
bool IsStreamTarget(std::string_view target) {
  return target.size() >= kStreamPrefix.size() &&
         std::memcmp(target.data(), kStreamPrefix.data(), kStreamPrefix.size()) == 0;
}

RouteKind RouteOfMethod(std::string_view method) {
  if (method == "GET") return RouteKind::kRead;
  if (method == "POST") return RouteKind::kAppend;
  if (method == "PUT") return RouteKind::kCreate;
  if (method == "HEAD") return RouteKind::kHead;
  if (method == "DELETE") return RouteKind::kDelete;
  return RouteKind::kOther;
}

}  // namespace

size_t AnswerAndClose(SessionSocket* socket, const HttpResponse& answer) {
  size_t sent = 0;
  beast::error_code ec;
  socket->non_blocking(true, ec);
  if (!ec) {
    std::array<char, 4096> discard;
    for (int reads = 0; reads < 16; ++reads) {  // at most 64 KiB: this runs on the acceptor
      socket->read_some(net::buffer(discard), ec);
      if (ec) break;  // would_block: nothing more has arrived
    }
    std::string head = RenderResponseHead(answer, false, true, HttpDate());
    sent = socket->write_some(
        std::array<net::const_buffer, 2>{net::buffer(head), net::buffer(answer.body)}, ec);
  }
  socket->shutdown(net::ip::tcp::socket::shutdown_send, ec);
  socket->close(ec);
  return sent;
}

template <class Stream>
ConnectionSession<Stream>::ConnectionSession(SessionSocket&& socket,
                                             std::shared_ptr<net::ssl::context> tls,
                                             SessionContext* context, WakeQueue* wakes,
                                             SessionRegistry* registry, ConnectionSlot slot)
    : tls_context_(std::move(tls)), stream_(Ops::make(std::move(socket), tls_context_.get())),
      deadline_timer_(stream_.get_executor()), context_(context), wakes_(wakes),
      registry_(registry), slot_(std::move(slot)) {}

// A session dropped without close() (its IO context stopped at shutdown) closes its socket
// here, as stream_ goes. A request it was answering is reported as cut short: the observers
// outlive the server (src/main.cc), and an operator checking what was acknowledged at a stop
// needs exactly those lines.
template <class Stream>
ConnectionSession<Stream>::~ConnectionSession() {
  report();
  release_slot();
  leave_live();
}

template <class Stream>
WakeCallback ConnectionSession<Stream>::wake_callback(uint64_t token) {
  return [wakes = wakes_, self = shared_from_this(), token] { wakes->push(self, token); };
}

template <class Stream>
void ConnectionSession<Stream>::wake(uint64_t token) {
  if (sse_) return sse_->on_wake(token);
  if (long_poll_) long_poll_->on_wake(token);
}

template <class Stream>
template <class Fn>
void ConnectionSession<Stream>::post(Fn&& fn) {
  net::post(stream_.get_executor(), [self = self(), fn = std::forward<Fn>(fn)]() mutable {
    fn();
  });
}

template <class Stream>
void ConnectionSession<Stream>::start() {
  net::dispatch(stream_.get_executor(), [self = self()] {
    beast::error_code ec;
    Ops::prepare(self->stream_, ec);  // makes the direct sends (Ops::send_now) safe
    if (ec) return self->close();
    if (self->context_->gate != nullptr) {
      self->peer_address_ = Ops::remote_address(self->stream_, ec);
      if (ec) return self->close();  // already disconnected
      self->allow_origin_.assign(self->context_->gate->allow_origin({}));
    }
    if (self->registry_ != nullptr) self->registry_->add(self);
    if constexpr (Ops::kTls) {
      return self->handshake(self->context_->options.request_timeout, [self] { self->do_read(); });
    }
    self->do_read();
  });
}

// A failed handshake (plain HTTP on the TLS port, a client certificate refused, a timeout) has
// no request to answer: the connection closes without a word, as TLS servers do.
template <class Stream>
template <class Then>
void ConnectionSession<Stream>::handshake(std::chrono::steady_clock::duration timeout,
                                          Then then) {
  if constexpr (Ops::kTls) {
    handshaking_ = true;
    set_deadline(timeout);
    stream_.async_handshake(net::ssl::stream_base::server,
                            [self = self(), then = std::move(then)](beast::error_code ec) {
                              self->handshaking_ = false;
                              if (!ec) return then();
                              // A stop closes handshakes in progress: not a failure.
                              if (!self->context_->stopping) {
                                self->context_->tls_handshake_failures.fetch_add(
                                    1, std::memory_order_relaxed);
                                std::string reason = ec.message();
                                log::Debug("TLS handshake failed", {{"reason", reason}});
                              }
                              self->close();
                            });
  }
}

template <class Stream>
void ConnectionSession<Stream>::refuse(HttpResponse answer) {
  net::dispatch(stream_.get_executor(), [self = self(), answer = std::move(answer)]() mutable {
    beast::error_code ec;
    Ops::prepare(self->stream_, ec);
    if (ec) return self->close();
    // As for a refused request (on_read_error): the client may be sending one right now, and
    // closing with its bytes unread would reset the connection before it reads the answer.
    self->keep_alive_ = false;
    self->linger_on_close_ = true;
    if constexpr (Ops::kTls) {
      // The answer goes out over TLS, never as plain text into a TLS port.
      auto refusal = std::make_shared<HttpResponse>(std::move(answer));
      return self->handshake(kRefusalHandshakeTime, [self, refusal] {
        self->begin_report({}, {}, 0, std::nullopt);
        self->send(std::move(*refusal));
      });
    }
    self->begin_report({}, {}, 0, std::nullopt);
    self->send(std::move(answer));
  });
}

// ---------------------------------------------------------------------------------------------
// Request/response cycle

template <class Stream>
void ConnectionSession<Stream>::do_read() {
  // Between requests a connection may sit idle for the idle timeout; once a request's first
  // bytes arrive, the whole request must arrive within the request timeout (parse_request).
  // A pipelined request is already here. Posted, not called: answers to reads are sent inline,
  // so calling would nest one stack frame chain per buffered request.
  // Once the server is stopping no new request is taken (a pipelined one included).
  if (context_->stopping) return close();
  if (buffer_.size() > 0) return post([this] { parse_request(); });
  set_deadline(context_->options.idle_timeout);
  awaiting_request_ = true;
  read_more();
}

template <class Stream>
void ConnectionSession<Stream>::read_more() {
  // Room for a typical request head in one read; while a body of known length arrives, as much
  // of it as is still to come (up to 64 KiB), so a large append takes few reads.
  size_t room = kReadBytes;
  if (parser_ && parser_->is_header_done()) {
    if (auto remaining = parser_->content_length_remaining()) {
      room = static_cast<size_t>(std::clamp<uint64_t>(*remaining, kReadBytes, kMaxReadBytes));
    }
  }
  stream_.async_read_some(buffer_.prepare(room),
                          [self = self()](beast::error_code ec, size_t bytes) {
                            self->buffer_.commit(bytes);
                            if (!ec) return self->parse_request();
                            Ops::normalize_read_error(ec);
                            // The peer stopped sending: a request it had begun is cut short.
                            if (ec == net::error::eof && self->parser_ &&
                                self->parser_->got_some()) {
                              self->parser_->put_eof(ec);
                              // Its head was parsed, and the gate asked, in
                              // parse_request: put_eof completes only a started body.
                              if (!ec && self->parser_->is_done()) return self->handle_request();
                            }
                            self->on_read_error(ec);
                          });
}

template <class Stream>
void ConnectionSession<Stream>::parse_request() {
  awaiting_request_ = false;
  if (!parser_) {
    parser_.emplace();
    ConfigureRequestParser(*parser_, context_->options);
  }
  beast::error_code ec;
  while (buffer_.size() > 0 && !parser_->is_done()) {
    size_t used = parser_->put(buffer_.data(), ec);
    buffer_.consume(used);
    if (ec == http::error::need_more) {
      ec = {};
      break;
    }
    if (ec) return on_read_error(ec);
    if (used == 0) break;  // nothing more can be taken from what is buffered
  }
  if (context_->gate != nullptr && !admitted_ && parser_->is_header_done() && !admit_request()) {
    return;
  }
  if (parser_->is_done()) return handle_request();
  // With the head parsed and body bytes taken as they come, what stays buffered is an unfinished
  // chunk-size line: bound it like a head, or a client could grow it for the whole timeout.
  if (parser_->is_header_done() && buffer_.size() > context_->options.max_header_bytes) {
    return on_read_error(http::error::bad_chunk);
  }
  // Part of a request: the rest must come within the request timeout, counted from its first
  // bytes (a client trickling bytes does not extend it).
  if (!request_started_) {
    request_started_ = true;
    set_deadline(context_->options.request_timeout);
  }
  read_more();
}

template <class Stream>
void ConnectionSession<Stream>::on_read_error(beast::error_code ec) {
  if (ec == http::error::end_of_stream || ec == net::error::eof ||
      ec == net::error::connection_reset || ec == net::error::operation_aborted ||
      ec == net::error::bad_descriptor) {
    return close();  // closed by the peer, or by us (deadline, shutdown)
  }
  parser_.reset();
  admitted_ = false;
  keep_alive_ = false;
  linger_on_close_ = true;  // the client may still be sending the request we refuse
  head_request_ = false;    // the refused request's method is not known: send the error body
  if (context_->gate != nullptr) allow_origin_.assign(context_->gate->allow_origin({}));
  clear_deadline();
  begin_report({}, {}, 0, std::nullopt);
  if (ec == http::error::body_limit) {
    return send(ProtocolHandler::Error(413, "PAYLOAD_TOO_LARGE", "request body is too large"));
  }
  if (ec == http::error::header_limit) {
    return send(ProtocolHandler::Error(431, "HEADERS_TOO_LARGE", "request headers are too large"));
  }
  send(ProtocolHandler::Error(400, "BAD_REQUEST", "malformed HTTP request"));
}

template <class Stream>
void ConnectionSession<Stream>::handle_request() {
  clear_deadline();  // the handler, a live read or the response's send bound what comes next
  request_started_ = false;
  auto message = parser_->release();
  parser_.reset();
  // A large body grew the buffer; do not keep that memory for the connection's lifetime.
  if (buffer_.capacity() > kMaxReadBytes && buffer_.size() <= kReadBytes) buffer_.shrink_to_fit();
  keep_alive_ = message.keep_alive();
  HttpRequest request = ToHttpRequest(message);
  head_request_ = message.method() == http::verb::head;
  if (context_->observer != nullptr) {
    begin_report(request.method, request.target, request.body.size(),
                 request.header("x-request-id"));
  }
  admitted_ = false;  // by admit_request(), when there is a gate; the next request is asked anew
  // The service and admin routes (/metrics, /healthz, /readyz, /_admin/...) live outside the
  // stream prefix, so no stream can shadow them; a stream request pays one prefix comparison.
  if (context_->deferred_routes && !IsStreamTarget(request.target)) {
    auto reply = [self = self()](HttpResponse response) {
      net::dispatch(self->stream_.get_executor(),
                    [self, response = std::move(response)]() mutable {
                      self->on_response(std::move(response));
                    });
    };
    // Set first: an immediate answer (405, 429) is reported from inside the call.
    const RouteKind route = report_.route;
    report_.route = RouteKind::kOther;
    if (context_->deferred_routes(request, std::move(reply))) return;
    report_.route = route;
  }
  if (context_->endpoints != nullptr && !IsStreamTarget(request.target)) {
    if (std::optional<HttpResponse> response = context_->endpoints->handle(request)) {
      report_.route = RouteKind::kOther;
      return send(std::move(*response));
    }
  }
  // Reads answer inline (dispatch runs on this thread at once); writes answer from the
  // committer's thread, and dispatch then posts onto this connection's context.
  context_->handler->handle(request, [self = self()](HttpResponse response) {
    net::dispatch(self->stream_.get_executor(),
                  [self, response = std::move(response)]() mutable {
                    self->on_response(std::move(response));
                  });
  });
}

// Asked as soon as the head is parsed, not once the body is in: a client without rights (no
// token, over its rate) must not make the server read and hold up to --max-body-bytes per
// connection before it is refused.
template <class Stream>
bool ConnectionSession<Stream>::admit_request() {
  admitted_ = true;
  BeastRequest& message = parser_->get();
  ToHttpRequestHead(message, &gate_request_);
  const HttpRequest& head = gate_request_;
  allow_origin_.assign(context_->gate->allow_origin(head.header("origin").value_or("")));
  std::optional<HttpResponse> refusal =
      context_->gate->admit(head, RequestPeer{peer_address_, Ops::kTls});
  if (!refusal) return true;
  // A refused request whose body is still on its way: answered now, and the connection closes
  // after a drain (linger_then_close), since the rest of the body would be taken for the next
  // request. A whole request leaves the connection as usable as any other answer would.
  const bool whole = parser_->is_done();
  keep_alive_ = whole && message.keep_alive();
  if (!whole) linger_on_close_ = true;
  head_request_ = message.method() == http::verb::head;
  request_started_ = false;
  admitted_ = false;
  clear_deadline();
  if (context_->observer != nullptr) {
    begin_report(head.method, head.target, whole ? message.body().size() : 0,
                 head.header("x-request-id"));
  }
  gate_request_.headers.clear();  // views into the parser's message, which goes now
  parser_.reset();
  send(std::move(*refusal));
  return false;
}

template <class Stream>
void ConnectionSession<Stream>::on_response(HttpResponse response) {
  // A deferred answer (an admin route's) may come after the client has gone.
  if (closed_) return;
  if (report_.active) {
    if (response.long_poll) report_.route = RouteKind::kLongPoll;
    if (response.sse) report_.route = RouteKind::kSse;
  }
  if (response.long_poll) {
    if (!long_poll_) long_poll_ = std::make_unique<LongPollResponder<ConnectionSession>>(this);
    return long_poll_->start(context_->handler->long_poll(std::move(*response.long_poll)));
  }
  if (response.sse) return start_sse(std::move(response));
  if (response.body_stream) return start_body_stream(std::move(response));
  send(std::move(response));
}

template <class Stream>
std::shared_ptr<http::response<http::empty_body>> ConnectionSession<Stream>::chunked_head(
    HttpResponse& head) {
  if (report_.active) {
    report_.status = head.status;
    head.set("X-Request-Id", report_.request_id);
  }
  auto message = std::make_shared<http::response<http::empty_body>>();
  message->version(11);
  message->result(static_cast<unsigned>(head.status));
  CopyHeaders(head, allow_origin_, message.get());
  message->set(http::field::date, HttpDate());
  message->keep_alive(false);  // the response ends with the connection
  message->chunked(true);
  return message;
}

template <class Stream>
void ConnectionSession<Stream>::start_body_stream(HttpResponse head) {
  auto message = chunked_head(head);
  body_ = std::make_unique<BodyStreamResponder<ConnectionSession>>(this,
                                                                    std::move(head.body_stream));
  body_->start(std::move(message));
}

template <class Stream>
void ConnectionSession<Stream>::start_sse(HttpResponse head) {
  enter_live(&context_->sse_streams);  // until close(): every SSE response ends there
  auto message = chunked_head(head);
  sse_ = std::make_unique<SseResponder<ConnectionSession>>(
      this, context_->handler->sse(std::move(*head.sse)));
  sse_->start(std::move(message));
}

template <class Stream>
void ConnectionSession<Stream>::send(HttpResponse response) {
  leave_live();  // a long-poll being answered no longer waits
  bool close_after = !keep_alive_ || context_->stopping;
  std::string_view request_id;
  if (report_.active) {
    report_.status = response.status;
    request_id = report_.request_id;
  }
  struct Wire {
    std::string head;
    std::string body;
  };
  Wire wire;
  wire.head = RenderResponseHead(response, head_request_, close_after, HttpDate(), request_id,
                                 allow_origin_);
  if (!head_request_) wire.body = std::move(response.body);
  // Nearly always the whole response fits in the socket buffer (see StreamOps::send_now).
  size_t sent = 0;
  if (!Ops::send_now(stream_,
                     std::array<net::const_buffer, 2>{net::buffer(wire.head),
                                                      net::buffer(wire.body)},
                     &sent)) {
    return close();
  }
  report_.bytes_out += sent;
  if (sent == wire.head.size() + wire.body.size()) return on_write({}, close_after);
  // A large body, or a peer slower than us: write the rest asynchronously, with a deadline.
  auto rest = std::make_shared<Wire>(std::move(wire));
  beast::buffers_suffix<std::array<net::const_buffer, 2>> remaining(
      std::array<net::const_buffer, 2>{net::buffer(rest->head), net::buffer(rest->body)});
  remaining.consume(sent);
  set_deadline(context_->options.write_timeout);
  net::async_write(stream_, remaining,
                   [self = self(), rest, close_after](beast::error_code ec,
                                                                  size_t bytes) {
                     self->report_.bytes_out += bytes;
                     self->on_write(ec, close_after);
                   });
}

template <class Stream>
void ConnectionSession<Stream>::on_write(beast::error_code ec, bool close_after) {
  report();
  if (ec) return close();
  if (!close_after) return do_read();
  if (linger_on_close_) return linger_then_close();
  close_gracefully();
}

// Closing a socket with unread request bytes makes the kernel answer with a reset, which can
// destroy the error response before the client has read it. So after refusing a request,
// half-close, discard whatever still arrives for a short while, then close.
// Over TLS the end of the response is close_notify, sent first; what the client still sends is
// then read from the socket and dropped undecrypted (after our close_notify OpenSSL would fail
// on it rather than read it).
template <class Stream>
void ConnectionSession<Stream>::linger_then_close() {
  set_deadline(kLingerTime);
  if constexpr (Ops::kTls) {
    stream_.async_shutdown([self = self()](beast::error_code) {
      Ops::shutdown_send(self->stream_);
      self->discard_input();  // closes at once if the deadline has closed the socket already
    });
    return;
  }
  Ops::shutdown_send(stream_);
  discard_input();
}

template <class Stream>
void ConnectionSession<Stream>::discard_input() {
  buffer_.clear();
  Ops::socket(stream_).async_read_some(buffer_.prepare(kMaxReadBytes),
                          [self = self()](beast::error_code ec, size_t) {
                            if (ec) return self->close();  // the client is done, or time is up
                            self->discard_input();
                          });
}

template <class Stream>
void ConnectionSession<Stream>::close() {
  closed_ = true;
  report();  // a response cut short, or an SSE response's end
  awaiting_request_ = false;
  if (registry_ != nullptr) registry_->remove(this);
  leave_live();
  if (long_poll_) long_poll_->cancel_timer();
  if (sse_) sse_->cancel_timer();
  if (body_) body_->cancel();
  clear_deadline();  // a deadline completion already queued must not re-arm for a closed socket
  deadline_timer_.cancel();
  Ops::close(stream_);
  release_slot();
}

// close_notify tells a TLS client that the response was not cut short. Asio's async_shutdown
// sends it, then waits for the client's (or its close, or kTlsShutdownTime): after a response
// nothing else is pending on the stream, as its contract requires.
template <class Stream>
void ConnectionSession<Stream>::close_gracefully() {
  if constexpr (Ops::kTls) {
    set_deadline(kTlsShutdownTime);
    stream_.async_shutdown([self = self()](beast::error_code) { self->close(); });
  } else {
    close();
  }
}

// Every way a connection ends comes through here once: close() (the client left, a deadline,
// an error, the end of a refusal) or the destructor. Counted until the descriptor is closed,
// not until the last reference to the session goes (a parked waiter may hold one a while).
template <class Stream>
void ConnectionSession<Stream>::release_slot() {
  slot_.release();
}

template <class Stream>
void ConnectionSession<Stream>::enter_live(std::atomic<size_t>* gauge) {
  if (live_gauge_ != nullptr) return;
  live_gauge_ = gauge;
  gauge->fetch_add(1, std::memory_order_relaxed);
}

template <class Stream>
void ConnectionSession<Stream>::leave_live() {
  if (live_gauge_ == nullptr) return;
  live_gauge_->fetch_sub(1, std::memory_order_relaxed);
  live_gauge_ = nullptr;
}

template <class Stream>
void ConnectionSession<Stream>::set_deadline(std::chrono::steady_clock::duration from_now) {
  deadline_ = std::chrono::steady_clock::now() + from_now;
  // An armed timer that fires no later than the new deadline re-arms itself when it fires (an
  // unarmed one is "armed" at max(), later than any deadline).
  if (deadline_ < deadline_timer_at_) arm_deadline_timer();
}

template <class Stream>
void ConnectionSession<Stream>::arm_deadline_timer() {
  deadline_timer_at_ = deadline_;
  deadline_timer_.expires_at(deadline_);  // cancels a wait in flight: it ends aborted
  deadline_timer_.async_wait([self = self()](beast::error_code ec) {
    if (ec) return;  // re-armed or closed
    self->deadline_timer_at_ = std::chrono::steady_clock::time_point::max();  // not armed
    if (self->deadline_ == std::chrono::steady_clock::time_point::max()) return;
    if (std::chrono::steady_clock::now() >= self->deadline_) return self->close();
    self->arm_deadline_timer();
  });
}

template <class Stream>
void ConnectionSession<Stream>::on_server_stop() {
  if constexpr (Ops::kTls) {
    if (handshaking_) return close();  // no request has begun
  }
  if (sse_) return sse_->on_server_stop();  // ends it unless a wake is on the way (it pumps)
  // A streamed body (a snapshot) may run for minutes: cut it, as its client can tell (no last
  // chunk), rather than hold the stop to its timeout.
  if (body_) return close();
  if (long_poll_ && long_poll_->waiting()) return long_poll_->on_server_stop();
  if (!awaiting_request_) return;
  // An idle connection. A request whose bytes have already arrived is read and answered (its
  // response then closes the connection); otherwise the wait for one is cancelled, and
  // on_read_error closes. (A read that completed with data but whose handler has not run yet
  // is not cancelled by this: that handler answers the request.)
  beast::error_code ec;
  if (Ops::available(stream_, ec) > 0 && !ec) return;
  Ops::cancel(stream_);
}

// ---------------------------------------------------------------------------------------------
// Reports to the observer

template <class Stream>
void ConnectionSession<Stream>::begin_report(std::string_view method, std::string_view target,
                               uint64_t bytes_in,
                               std::optional<std::string_view> client_request_id) {
  if (context_->observer == nullptr) return;
  report_.active = true;
  report_.method.assign(method);  // assign: the strings' capacity is reused request after request
  report_.target.assign(target);
  report_.route = RouteOfMethod(method);
  report_.status = 0;
  report_.bytes_in = bytes_in;
  report_.bytes_out = 0;
  report_.start = std::chrono::steady_clock::now();
  if (client_request_id && IsAcceptableRequestId(*client_request_id)) {
    report_.request_id.assign(*client_request_id);
  } else {
    NewRequestId(&report_.request_id);
  }
}

template <class Stream>
void ConnectionSession<Stream>::report() {
  if (!report_.active) return;
  report_.active = false;
  CompletedRequest done;
  done.method = report_.method;
  done.target = report_.target;
  done.route = report_.route;
  done.status = report_.status;
  done.bytes_in = report_.bytes_in;
  done.bytes_out = report_.bytes_out;
  done.duration = std::chrono::steady_clock::now() - report_.start;
  done.request_id = report_.request_id;
  context_->observer->on_request(done);
}

// The stream types the server runs.
template class ConnectionSession<SessionSocket>;
template class ConnectionSession<TlsStream>;

}  // namespace streamkeeper
