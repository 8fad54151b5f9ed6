// HttpSession: one client connection, as a chain of short steps on its own strand:
//   do_read -> parse_request -> (protocol handler) -> on_response -> send -> on_write -> do_read
// with two detours for live reads, each costing no thread while it waits:
//   long-poll: park a waiter in the StreamManager and a timer; whichever fires first finishes it;
//   SSE:       send the head, then pump events, park, pump again, until closed, gone or the
//              reconnect interval ends the response.
// Private to src/http: includes Beast.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "http/connection_slot.h"
#include "http/request_observer.h"
#include "http/server_options.h"
#include "protocol/http_types.h"

namespace streamkeeper {

class ProtocolHandler;
class RequestGate;
class SessionRegistry;
class ServiceEndpoints;
class StreamManager;
class WakeQueue;

// What every session shares with the server.
struct SessionContext {
  ProtocolHandler* handler = nullptr;
  StreamManager* manager = nullptr;
  ServerOptions options;
  RequestObserver* observer = nullptr;  // told of every answered request; may be null
  // Offered every request outside the stream prefix first; may be null.
  ServiceEndpoints* endpoints = nullptr;
  // Asked first about every parsed request (http/request_gate.h); may be null: all is served.
  RequestGate* gate = nullptr;
  std::atomic<bool> stopping{false};
  // Open connections counted against options.max_connections, and over-limit connections
  // being answered 503. Taken by the acceptor (its thread alone adds), given back by the
  // session when it closes (HttpSession::release_slot).
  std::atomic<size_t> connections{0};
  std::atomic<size_t> refusing{0};
  // Live readers now (HttpServer::gauges()): each session adds its one when a long-poll parks
  // or an SSE response starts, and takes it back when that ends (HttpSession::leave_live).
  std::atomic<size_t> long_polls_waiting{0};
  std::atomic<size_t> sse_streams{0};
};

// A session's socket and timer are bound to their io_context's own executor type, not the
// type-erased any_io_executor: copying and destroying type-erased executors on every
// operation showed in append profiles.
using SessionExecutor = boost::asio::io_context::executor_type;
using SessionSocket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, SessionExecutor>;

// Without a session, for a connection refused when even the refusal slots are taken: drops what
// the client has sent so far, sends `answer` as far as the socket takes it at once, and closes.
// Best effort: request bytes arriving after the close make the kernel reset the connection,
// which can destroy the answer before the client reads it. Returns the bytes sent.
size_t AnswerAndClose(SessionSocket* socket, const HttpResponse& answer);

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  // `wakes` and `registry` belong to the IO context that owns `socket`. `slot` holds the places
  // this connection was counted in (one of SessionContext's counts, and its client address's);
  // the session releases it when it closes its socket, or at the latest when it is destroyed.
  HttpSession(SessionSocket&& socket, SessionContext* context, WakeQueue* wakes,
              SessionRegistry* registry, ConnectionSlot slot);
  ~HttpSession();
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;
  // Serves requests until the client, a deadline or the server's stop ends the connection.
  // Registers the session in `registry` until it closes.
  void start();
  // Serves no request: sends `answer` at once, then half-closes and drains the connection
  // briefly (so the client can read the answer), and closes it.
  void refuse(HttpResponse answer);

  // The server is stopping (context->stopping is already set). Called on the session's thread.
  // Ends what would otherwise wait: an idle connection is closed, a parked long-poll answered
  // now (204 unless data came), an SSE response ended with its last chunk. A request being
  // received or answered, or already arrived, goes on; its response closes the connection.
  void on_server_stop();

  // The parked live read `token` may go on (new data, a close, or a shutdown). Called by this
  // session's WakeQueue on the session's own thread; stale tokens are ignored.
  void wake(uint64_t token);

 private:
  void do_read();
  // Reads more bytes of the current request into buffer_, then parses again.
  void read_more();
  // Feeds buffer_ to the parser; handles the request once it is whole, else reads more.
  void parse_request();
  void on_read_error(boost::beast::error_code ec);
  void handle_request();
  // Asks context_->gate about `request` (it has one); true if it was refused and answered.
  bool refused_by_gate(const HttpRequest& request);
  void on_response(HttpResponse response);
  void send(HttpResponse response);
  // Sends what the socket buffer takes right now, without an asynchronous write: no operation,
  // timer or completion handler, per-request and per-event costs that showed in profiles. The
  // socket is non-blocking (start()), so a full buffer sends less (maybe nothing) instead of
  // blocking the IO thread. *sent says how much went; false when the connection is broken.
  template <class ConstBuffers>
  bool send_now(const ConstBuffers& buffers, size_t* sent);
  void on_write(boost::beast::error_code ec, bool close);

  // The request being answered, for context_->observer (nothing is kept without one).
  // begin_report() when a request (or a refusal) starts being answered, report() once when its
  // response is written or the connection ends first.
  void begin_report(std::string_view method, std::string_view target, uint64_t bytes_in,
                    std::optional<std::string_view> client_request_id);
  void report();
  void close();
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

  void start_long_poll(LongPollDirective directive);
  void on_long_poll_wake(uint64_t token);
  void on_long_poll_timeout(uint64_t token);
  // The parked long-poll is to end before data comes (its timeout, the server's stop): it is
  // answered now, unless its wake is already on the way (then the wake answers).
  void end_long_poll_wait();
  // Answers the parked long-poll: what arrived since it parked (finish_long_poll), or 204.
  void answer_long_poll();

  void start_sse(HttpResponse head);
  void sse_pump(bool first);
  void sse_write(std::string events, bool finished, bool wait);
  void sse_after_write(bool finished, bool wait);
  // The StreamManager callback that hands this session's wake-up to its WakeQueue.
  std::function<void()> wake_callback(uint64_t token);
  void sse_wait();
  void on_sse_wake(uint64_t token);
  void arm_sse_timer();
  void on_sse_timer();
  void sse_finish();

  // Posts `fn` onto this session's strand, keeping the session alive.
  template <class Fn>
  void post(Fn&& fn);

  using Timer = boost::asio::basic_waitable_timer<std::chrono::steady_clock,
                                                 boost::asio::wait_traits<std::chrono::steady_clock>,
                                                 SessionExecutor>;

  SessionSocket socket_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  Timer deadline_timer_;
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
  // With a gate: the client's address (taken once, at start), and the Access-Control-Allow-Origin
  // of the response being answered.
  std::string peer_address_;
  std::string allow_origin_{kDefaultAllowOrigin};

  // Live-read state; `token_` tells stale wakes and timers apart from current ones.
  Timer timer_;
  uint64_t token_ = 0;
  uint64_t wait_handle_ = 0;
  bool waiting_ = false;
  std::optional<LongPollDirective> long_poll_;
  std::optional<SseDirective> sse_;
  uint64_t sse_position_ = 0;
  std::chrono::steady_clock::time_point sse_deadline_;    // end the response (reconnect)
  std::chrono::steady_clock::time_point sse_next_beat_;   // send a heartbeat if idle until then
  std::chrono::steady_clock::time_point sse_write_deadline_;  // of the write in flight
  bool sse_timer_armed_ = false;
  bool sse_writing_ = false;

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

}  // namespace streamkeeper
