#include "http/http_session.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "http/request_gate.h"
#include "http/request_id.h"
#include "http/request_message.h"
#include "http/response_head.h"
#include "http/session_registry.h"
#include "http/wake_queue.h"
#include "protocol/protocol_handler.h"
#include "protocol/request_target.h"
#include "service/service_endpoints.h"
#include "streamkeeper/stream_manager.h"

namespace streamkeeper {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

namespace {

constexpr size_t kReadBytes = 2048;
constexpr size_t kMaxReadBytes = 64 * 1024;
// How long a refused request's remaining bytes are read and dropped before the connection closes.
constexpr std::chrono::seconds kLingerTime{2};

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

HttpSession::HttpSession(SessionSocket&& socket, SessionContext* context, WakeQueue* wakes,
                         SessionRegistry* registry, ConnectionSlot slot)
    : socket_(std::move(socket)), deadline_timer_(socket_.get_executor()), context_(context),
      wakes_(wakes), registry_(registry), slot_(std::move(slot)), timer_(socket_.get_executor()) {}

// A session dropped without close() (its IO context stopped at shutdown) closes its socket
// here, as socket_ goes. A request it was answering is reported as cut short: the observers
// outlive the server (src/main.cc), and an operator checking what was acknowledged at a stop
// needs exactly those lines.
HttpSession::~HttpSession() {
  report();
  release_slot();
  leave_live();
}

std::function<void()> HttpSession::wake_callback(uint64_t token) {
  return [wakes = wakes_, self = shared_from_this(), token] { wakes->push(self, token); };
}

void HttpSession::wake(uint64_t token) {
  if (sse_) return on_sse_wake(token);
  on_long_poll_wake(token);
}

template <class Fn>
void HttpSession::post(Fn&& fn) {
  net::post(socket_.get_executor(), [self = shared_from_this(), fn = std::forward<Fn>(fn)]() mutable {
    fn();
  });
}

void HttpSession::start() {
  net::dispatch(socket_.get_executor(), [self = shared_from_this()] {
    // Responses and SSE events are first sent directly (send, sse_write): that must never block
    // the IO thread. Asio's own asynchronous operations do not depend on this flag.
    beast::error_code ec;
    self->socket_.non_blocking(true, ec);
    if (ec) return self->close();
    if (self->context_->gate != nullptr) {
      auto peer = self->socket_.remote_endpoint(ec);
      if (ec) return self->close();  // already disconnected
      self->peer_address_ = peer.address().to_string();
      self->allow_origin_.assign(self->context_->gate->allow_origin({}));
    }
    if (self->registry_ != nullptr) self->registry_->add(self);
    self->do_read();
  });
}

void HttpSession::refuse(HttpResponse answer) {
  auto self = shared_from_this();
  net::dispatch(socket_.get_executor(), [self, answer = std::move(answer)]() mutable {
    beast::error_code ec;
    self->socket_.non_blocking(true, ec);
    if (ec) return self->close();
    // As for a refused request (on_read_error): the client may be sending one right now, and
    // closing with its bytes unread would reset the connection before it reads the answer.
    self->keep_alive_ = false;
    self->linger_on_close_ = true;
    self->begin_report({}, {}, 0, std::nullopt);
    self->send(std::move(answer));
  });
}

// ---------------------------------------------------------------------------------------------
// Request/response cycle

void HttpSession::do_read() {
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

void HttpSession::read_more() {
  // Room for a typical request head in one read; while a body of known length arrives, as much
  // of it as is still to come (up to 64 KiB), so a large append takes few reads.
  size_t room = kReadBytes;
  if (parser_ && parser_->is_header_done()) {
    if (auto remaining = parser_->content_length_remaining()) {
      room = static_cast<size_t>(std::clamp<uint64_t>(*remaining, kReadBytes, kMaxReadBytes));
    }
  }
  socket_.async_read_some(buffer_.prepare(room),
                          [self = shared_from_this()](beast::error_code ec, size_t bytes) {
                            self->buffer_.commit(bytes);
                            if (!ec) return self->parse_request();
                            // The peer stopped sending: a request it had begun is cut short.
                            if (ec == net::error::eof && self->parser_ &&
                                self->parser_->got_some()) {
                              self->parser_->put_eof(ec);
                              if (!ec && self->parser_->is_done()) return self->handle_request();
                            }
                            self->on_read_error(ec);
                          });
}

void HttpSession::parse_request() {
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

void HttpSession::on_read_error(beast::error_code ec) {
  if (ec == http::error::end_of_stream || ec == net::error::eof ||
      ec == net::error::connection_reset || ec == net::error::operation_aborted ||
      ec == net::error::bad_descriptor) {
    return close();  // closed by the peer, or by us (deadline, shutdown)
  }
  parser_.reset();
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

void HttpSession::handle_request() {
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
  if (context_->gate != nullptr && refused_by_gate(request)) return;
  // The service routes (/metrics, /healthz, /readyz) live outside the stream prefix, so no
  // stream can shadow them; a stream request pays one prefix comparison for them.
  if (context_->endpoints != nullptr && !IsStreamTarget(request.target)) {
    if (std::optional<HttpResponse> response = context_->endpoints->handle(request)) {
      report_.route = RouteKind::kOther;
      return send(std::move(*response));
    }
  }
  // Reads answer inline (dispatch runs on this thread at once); writes answer from the
  // committer's thread, and dispatch then posts onto this connection's context.
  context_->handler->handle(request, [self = shared_from_this()](HttpResponse response) {
    net::dispatch(self->socket_.get_executor(),
                  [self, response = std::move(response)]() mutable {
                    self->on_response(std::move(response));
                  });
  });
}

bool HttpSession::refused_by_gate(const HttpRequest& request) {
  allow_origin_.assign(context_->gate->allow_origin(request.header("origin").value_or("")));
  std::optional<HttpResponse> refusal =
      context_->gate->admit(request, RequestPeer{peer_address_, false});
  if (!refusal) return false;
  send(std::move(*refusal));
  return true;
}

void HttpSession::on_response(HttpResponse response) {
  if (report_.active) {
    if (response.long_poll) report_.route = RouteKind::kLongPoll;
    if (response.sse) report_.route = RouteKind::kSse;
  }
  if (response.long_poll) return start_long_poll(std::move(*response.long_poll));
  if (response.sse) return start_sse(std::move(response));
  send(std::move(response));
}

template <class ConstBuffers>
bool HttpSession::send_now(const ConstBuffers& buffers, size_t* sent) {
  beast::error_code ec;
  *sent = socket_.write_some(buffers, ec);
  if (ec == net::error::would_block || ec == net::error::try_again) {
    *sent = 0;
    return true;
  }
  return !ec;
}

void HttpSession::send(HttpResponse response) {
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
  // Nearly always the whole response fits in the socket buffer (see send_now).
  size_t sent = 0;
  if (!send_now(std::array<net::const_buffer, 2>{net::buffer(wire.head), net::buffer(wire.body)},
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
  net::async_write(socket_, remaining,
                   [self = shared_from_this(), rest, close_after](beast::error_code ec,
                                                                  size_t bytes) {
                     self->report_.bytes_out += bytes;
                     self->on_write(ec, close_after);
                   });
}

void HttpSession::on_write(beast::error_code ec, bool close_after) {
  report();
  if (!ec && close_after && linger_on_close_) return linger_then_close();
  if (ec || close_after) return close();
  do_read();
}

// Closing a socket with unread request bytes makes the kernel answer with a reset, which can
// destroy the error response before the client has read it. So after refusing a request,
// half-close, discard whatever still arrives for a short while, then close.
void HttpSession::linger_then_close() {
  beast::error_code ignored;
  socket_.shutdown(net::ip::tcp::socket::shutdown_send, ignored);
  set_deadline(kLingerTime);
  discard_input();
}

void HttpSession::discard_input() {
  buffer_.clear();
  socket_.async_read_some(buffer_.prepare(kMaxReadBytes),
                          [self = shared_from_this()](beast::error_code ec, size_t) {
                            if (ec) return self->close();  // the client is done, or time is up
                            self->discard_input();
                          });
}

void HttpSession::close() {
  report();  // a response cut short, or an SSE response's end
  awaiting_request_ = false;
  if (registry_ != nullptr) registry_->remove(this);
  leave_live();
  beast::error_code ignored;
  timer_.cancel();
  clear_deadline();  // a deadline completion already queued must not re-arm for a closed socket
  deadline_timer_.cancel();
  socket_.shutdown(net::ip::tcp::socket::shutdown_send, ignored);
  socket_.close(ignored);
  release_slot();
}

// Every way a connection ends comes through here once: close() (the client left, a deadline,
// an error, the end of a refusal) or the destructor. Counted until the descriptor is closed,
// not until the last reference to the session goes (a parked waiter may hold one a while).
void HttpSession::release_slot() { slot_.release(); }

void HttpSession::enter_live(std::atomic<size_t>* gauge) {
  if (live_gauge_ != nullptr) return;
  live_gauge_ = gauge;
  gauge->fetch_add(1, std::memory_order_relaxed);
}

void HttpSession::leave_live() {
  if (live_gauge_ == nullptr) return;
  live_gauge_->fetch_sub(1, std::memory_order_relaxed);
  live_gauge_ = nullptr;
}

void HttpSession::set_deadline(std::chrono::steady_clock::duration from_now) {
  deadline_ = std::chrono::steady_clock::now() + from_now;
  // An armed timer that fires no later than the new deadline re-arms itself when it fires (an
  // unarmed one is "armed" at max(), later than any deadline).
  if (deadline_ < deadline_timer_at_) arm_deadline_timer();
}

void HttpSession::arm_deadline_timer() {
  deadline_timer_at_ = deadline_;
  deadline_timer_.expires_at(deadline_);  // cancels a wait in flight: it ends aborted
  deadline_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec) return;  // re-armed or closed
    self->deadline_timer_at_ = std::chrono::steady_clock::time_point::max();  // not armed
    if (self->deadline_ == std::chrono::steady_clock::time_point::max()) return;
    if (std::chrono::steady_clock::now() >= self->deadline_) return self->close();
    self->arm_deadline_timer();
  });
}

void HttpSession::on_server_stop() {
  if (waiting_ && !sse_) return end_long_poll_wait();
  if (waiting_ && sse_) {
    if (!context_->manager->cancel_wait(sse_->path, wait_handle_)) return;  // the wake pumps
    return sse_finish();
  }
  if (!awaiting_request_) return;
  // An idle connection. A request whose bytes have already arrived is read and answered (its
  // response then closes the connection); otherwise the wait for one is cancelled, and
  // on_read_error closes. (A read that completed with data but whose handler has not run yet
  // is not cancelled by this: that handler answers the request.)
  beast::error_code ec;
  if (socket_.available(ec) > 0 && !ec) return;
  socket_.cancel(ec);
}

// ---------------------------------------------------------------------------------------------
// Long-poll

void HttpSession::start_long_poll(LongPollDirective directive) {
  uint64_t token = ++token_;
  long_poll_ = std::move(directive);
  auto self = shared_from_this();
  wait_handle_ =
      context_->manager->wait_async(long_poll_->path, long_poll_->position, wake_callback(token));
  if (wait_handle_ != 0 && context_->stopping) {
    // Shutting down: answer now, and take the waiter back so that the manager keeps no
    // reference to this session.
    if (!context_->manager->cancel_wait(long_poll_->path, wait_handle_)) {
      waiting_ = true;  // its wake is already on the way and will answer
      enter_live(&context_->long_polls_waiting);
      return;
    }
    wait_handle_ = 0;
  }
  if (wait_handle_ == 0) return send(context_->handler->finish_long_poll(*long_poll_));
  waiting_ = true;
  enter_live(&context_->long_polls_waiting);
  timer_.expires_after(context_->options.long_poll_timeout);
  timer_.async_wait([self, token](beast::error_code ec) {
    if (!ec) self->on_long_poll_timeout(token);
  });
}

void HttpSession::on_long_poll_wake(uint64_t token) {
  if (token != token_ || !waiting_) return;
  answer_long_poll();
}

void HttpSession::on_long_poll_timeout(uint64_t token) {
  if (token != token_ || !waiting_) return;
  end_long_poll_wait();
}

void HttpSession::end_long_poll_wait() {
  // If the waiter is no longer parked its wake is already on the way; let it finish the request.
  if (!context_->manager->cancel_wait(long_poll_->path, wait_handle_)) return;
  answer_long_poll();
}

void HttpSession::answer_long_poll() {
  waiting_ = false;
  timer_.cancel();  // nothing to cancel when it is the timer that fired
  send(context_->handler->finish_long_poll(*long_poll_));
}

// ---------------------------------------------------------------------------------------------
// SSE

void HttpSession::start_sse(HttpResponse head) {
  enter_live(&context_->sse_streams);  // until close(): every SSE response ends there
  sse_ = std::move(*head.sse);
  sse_position_ = sse_->position;
  if (report_.active) {
    report_.status = head.status;
    head.set("X-Request-Id", report_.request_id);
  }
  sse_deadline_ = std::chrono::steady_clock::now() + context_->options.sse_reconnect;
  sse_next_beat_ = std::chrono::steady_clock::now() + context_->options.sse_heartbeat;
  auto message = std::make_shared<http::response<http::empty_body>>();
  message->version(11);
  message->result(static_cast<unsigned>(head.status));
  CopyHeaders(head, allow_origin_, message.get());
  message->set(http::field::date, HttpDate());
  message->keep_alive(false);  // the response ends with the connection
  message->chunked(true);
  auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*message);
  set_deadline(context_->options.write_timeout);
  http::async_write_header(
      socket_, *serializer,
      [self = shared_from_this(), message, serializer](beast::error_code ec, size_t bytes) {
        self->report_.bytes_out += bytes;
        if (ec) return self->close();
        // From here the SSE timer bounds writes (see on_sse_timer).
        self->clear_deadline();
        self->sse_pump(true);
      });
}

void HttpSession::sse_pump(bool first) {
  if (context_->stopping || std::chrono::steady_clock::now() >= sse_deadline_) {
    return sse_finish();
  }
  auto step = context_->handler->sse_step(*sse_, sse_position_, first);
  sse_position_ = step.next_position;
  if (!step.events.empty()) return sse_write(std::move(step.events), step.finished, step.wait);
  if (step.finished) return sse_finish();
  if (step.wait) return sse_wait();
  post([this] { sse_pump(false); });
}

void HttpSession::sse_write(std::string events, bool finished, bool wait) {
  auto now = std::chrono::steady_clock::now();
  sse_next_beat_ = now + context_->options.sse_heartbeat;
  // One chunk of the chunked response, framed here so that it goes out in one contiguous send.
  char size_line[24];
  int size_length = std::snprintf(size_line, sizeof size_line, "%zx\r\n", events.size());
  auto frame = std::make_shared<std::string>();
  frame->reserve(static_cast<size_t>(size_length) + events.size() + 2);
  frame->append(size_line, static_cast<size_t>(size_length)).append(events).append("\r\n");
  // Nearly always the socket buffer has room (see send_now): the delivery ends here, the
  // fan-out hot path.
  size_t sent = 0;
  if (!send_now(net::buffer(*frame), &sent)) return close();
  report_.bytes_out += sent;
  if (sent == frame->size()) return sse_after_write(finished, wait);
  // The peer is slower than us: write the rest asynchronously, bounded by the write deadline.
  sse_write_deadline_ = now + context_->options.write_timeout;
  sse_writing_ = true;
  arm_sse_timer();
  net::async_write(socket_, net::buffer(frame->data() + sent, frame->size() - sent),
                   [self = shared_from_this(), frame, finished, wait](beast::error_code ec,
                                                                      size_t bytes) {
                     self->report_.bytes_out += bytes;
                     self->sse_writing_ = false;
                     if (ec) return self->close();
                     self->sse_after_write(finished, wait);
                   });
}

void HttpSession::sse_after_write(bool finished, bool wait) {
  if (finished) return sse_finish();
  if (wait) return sse_wait();
  // More is ready (a catch-up): go on in a fresh handler rather than recursing.
  post([this] { sse_pump(false); });
}

void HttpSession::sse_wait() {
  if (context_->stopping) return sse_finish();
  uint64_t token = ++token_;
  wait_handle_ = context_->manager->wait_async(sse_->path, sse_position_, wake_callback(token));
  if (wait_handle_ == 0) return post([this] { sse_pump(false); });
  waiting_ = true;
  arm_sse_timer();
}

// One timer serves the heartbeat, the reconnect deadline and the write deadline. It is armed
// once and not cancelled on every event (a busy stream would otherwise re-arm it per event,
// which showed up in fan-out profiles); when it fires early it simply re-arms for what is left.
void HttpSession::arm_sse_timer() {
  if (sse_timer_armed_) return;
  sse_timer_armed_ = true;
  auto at = std::min(sse_next_beat_, sse_deadline_);
  if (sse_writing_) at = std::min(at, sse_write_deadline_);
  timer_.expires_at(at);
  timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    self->sse_timer_armed_ = false;
    if (!ec) self->on_sse_timer();
  });
}

void HttpSession::on_sse_wake(uint64_t token) {
  if (token != token_ || !waiting_) return;
  waiting_ = false;
  sse_pump(false);
}

void HttpSession::on_sse_timer() {
  auto now = std::chrono::steady_clock::now();
  if (sse_writing_) {
    if (now >= sse_write_deadline_) return close();  // the peer stopped reading
    return arm_sse_timer();
  }
  if (!waiting_) return;  // pumping; the next wait re-arms the timer
  if (now < sse_next_beat_ && now < sse_deadline_) return arm_sse_timer();
  if (!context_->manager->cancel_wait(sse_->path, wait_handle_)) return;  // a wake is on its way
  waiting_ = false;
  if (now >= sse_deadline_) return sse_finish();
  // A comment line: ignored by clients, but a dead peer makes the write fail and ends us.
  sse_write(":\n\n", false, true);
}

void HttpSession::sse_finish() {
  waiting_ = false;
  set_deadline(context_->options.write_timeout);
  net::async_write(socket_, http::make_chunk_last(),
                   [self = shared_from_this()](beast::error_code, size_t bytes) {
                     self->report_.bytes_out += bytes;
                     self->close();
                   });
}

// ---------------------------------------------------------------------------------------------
// Reports to the observer

void HttpSession::begin_report(std::string_view method, std::string_view target,
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

void HttpSession::report() {
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

}  // namespace streamkeeper
