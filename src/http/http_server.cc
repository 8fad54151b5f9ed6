#include "http/http_server.h"

#include <pthread.h>

#include <cerrno>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <thread>
#include <vector>

#include "http/connection_session.h"
#include "http/peer_connections.h"
#include "http/session_registry.h"
#include "util/address_key.h"
#include "http/tls_context.h"
#include "http/tls_stream_ops.h"
#include "http/wake_queue.h"
#include "protocol/protocol_handler.h"
#include "streamkeeper/stream_manager.h"
#include "util/log.h"

namespace streamkeeper {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

namespace {

// How long a client refused at a connection limit is asked to wait before trying again.
constexpr const char* kRefusedRetryAfterSeconds = "1";
// At most one "refusing connections" warning per this interval, however often the limit is met.
constexpr std::chrono::seconds kRefusalReportInterval{10};
// How often a stopping server looks whether every connection has closed.
constexpr std::chrono::milliseconds kStopPollInterval{10};

// accept() failures that say the process or the system has run out of something (descriptors,
// buffers, memory). The pending connection stays in the backlog and the listening socket stays
// readable, so accepting again at once fails again at once: these pause accepting instead.
// The name of the errno, for the log; nullptr if `ec` is not one of them.
const char* ExhaustionName(const boost::system::error_code& ec) {
  if (ec.category() != boost::system::system_category()) return nullptr;
  switch (ec.value()) {
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOBUFS: return "ENOBUFS";
    case ENOMEM: return "ENOMEM";
  }
  return nullptr;
}

long long MillisSince(SteadyClock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start).count();
}

}  // namespace

// One io_context per IO thread, each run by exactly that thread: a connection lives on one
// context, so its handlers never run concurrently and need no strand, and the contexts share no
// locks. (Profiles of the shared-context design showed strand dispatch and cross-thread wake-ups
// on every request.) The acceptor hands connections to the contexts round-robin.
//
// Admission, on the acceptor's thread (io_[0]):
//   accepted, under options.max_connections and under
//   options.max_connections_per_ip for its address     -> a session, counted (in both) until it
//                                                        closes (its ConnectionSlot);
//   accepted, at the limit, a refusal slot free        -> answered 503 (JSON error, Retry-After),
//                                                        drained briefly and closed;
//   accepted, at the limit, no refusal slot free       -> answered 503 as far as the socket
//                                                        takes it at once, closed (no drain),
//                                                        over TLS closed at once (see below);
//   accepted, its address at its own limit             -> the same, with 429;
//   accept() fails for lack of descriptors or memory   -> accepting pauses for
//                                                        options.accept_backoff, then resumes.
// With the default limit (derived from the descriptor limit, util/descriptor_limit.h) the last
// case should not happen; it is there for the limit set too high, or descriptors taken elsewhere.
//
// With TLS every connection is a TlsSession holding the context tls_->current() gave when it
// was accepted. A refusal is never written as plain text into the TLS port: with a refusal
// slot free it is a TlsSession too (handshake, then the 503 or 429, close_notify, drain);
// without one the connection is closed at once, unanswered (a handshake costs more than the
// acceptor's thread should spend on a connection it cannot serve).
class HttpServer::Impl {
 public:
  Impl(ProtocolHandler* handler, StreamManager* manager, ServerOptions options,
       RequestObserver* observer, ServiceEndpoints* endpoints, RequestGate* gate,
       TlsContextProvider* tls)
      : tls_(tls), peers_(options.max_connections_per_ip) {
    context_.handler = handler;
    context_.gate = gate;
    context_.observer = observer;
    context_.endpoints = endpoints;
    context_.manager = manager;
    context_.options = std::move(options);
    if (context_.options.threads == 0) {
      context_.options.threads = std::max(1u, std::thread::hardware_concurrency());
    }
    for (size_t i = 0; i < context_.options.threads; ++i) {
      io_.push_back(std::make_unique<net::io_context>(1));
      work_.push_back(net::make_work_guard(*io_.back()));
      wakes_.push_back(std::make_unique<WakeQueue>(*io_.back()));
      registries_.push_back(std::make_unique<SessionRegistry>());
    }
    acceptor_ = std::make_unique<tcp::acceptor>(*io_[0]);
    grace_timer_ = std::make_unique<net::steady_timer>(*io_[0]);
    accept_timer_ = std::make_unique<net::steady_timer>(*io_[0]);
  }

  Status listen() {
    boost::system::error_code ec;
    auto address = net::ip::make_address(context_.options.host, ec);
    if (ec) return Status::BadRequest("invalid --host '" + context_.options.host + "'");
    tcp::endpoint endpoint(address, context_.options.port);
    acceptor_->open(endpoint.protocol(), ec);
    if (!ec) acceptor_->set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_->bind(endpoint, ec);
    if (!ec) acceptor_->listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      return Status::IoError("cannot listen on " + context_.options.host + ":" +
                             std::to_string(context_.options.port) + ": " + ec.message());
    }
    do_accept();
    return Status::Ok();
  }

  uint16_t port() const { return acceptor_->local_endpoint().port(); }

  void set_deferred_routes(DeferredRoutes routes) { context_.deferred_routes = std::move(routes); }

  TransportGauges gauges() const {
    TransportGauges out;
    out.connections = context_.connections.load(std::memory_order_relaxed);
    out.long_polls_waiting = context_.long_polls_waiting.load(std::memory_order_relaxed);
    out.sse_streams = context_.sse_streams.load(std::memory_order_relaxed);
    return out;
  }

  void run() {
    std::vector<std::thread> threads;
    for (size_t i = 1; i < io_.size(); ++i) {
      threads.emplace_back([this, i] {
        pthread_setname_np(pthread_self(), "sk-io");
        io_[i]->run();
      });
    }
    pthread_setname_np(pthread_self(), "sk-io");
    io_[0]->run();
    for (auto& thread : threads) thread.join();
  }

  // Stopping, on the acceptor's thread (io_[0]) unless said otherwise:
  //   1. `stopping` is set at once (so that a session about to wait sees it), the acceptor
  //      closes: no new connection;
  //   2. on every IO thread, each session is told (Session::on_server_stop): idle
  //      connections close, parked long-polls are answered, SSE responses end; a request
  //      being received or answered goes on, and its response closes the connection;
  //   3. every IO loop stops once no connection is left open, or when
  //      options.shutdown_timeout has passed (the connections still open are then cut).
  void stop() {
    if (context_.stopping.exchange(true)) return;
    net::post(*io_[0], [this] {
      boost::system::error_code ignored;
      acceptor_->close(ignored);
      accept_timer_->cancel();
      stop_started_ = SteadyClock::now();
      for (size_t i = 0; i < io_.size(); ++i) {
        net::post(*io_[i], [this, i] {
          for (const auto& session : registries_[i]->sessions()) session->on_server_stop();
        });
      }
      wait_for_connections();
    });
  }

 private:
  // Polled rather than signalled: it runs once per process, for at most the shutdown timeout,
  // and the counts it reads are already kept for the connection limit.
  void wait_for_connections() {
    const size_t open = context_.connections.load() + context_.refusing.load();
    const auto waited = SteadyClock::now() - stop_started_;
    if (open == 0) {
      log::Info("every connection answered and closed", {{"waited_ms", MillisSince(stop_started_)}});
      return stop_loops();
    }
    if (waited >= context_.options.shutdown_timeout) {
      log::Warn("shutdown timeout reached: cutting the connections still open",
                {{"connections", open},
                 {"shutdown_timeout_ms", context_.options.shutdown_timeout.count()}});
      return stop_loops();
    }
    auto left = context_.options.shutdown_timeout - waited;
    grace_timer_->expires_after(std::min<SteadyClock::duration>(kStopPollInterval, left));
    grace_timer_->async_wait([this](boost::system::error_code) { wait_for_connections(); });
  }

  void stop_loops() {
    for (auto& io : io_) io->stop();
  }

  void do_accept() {
    const size_t index = next_context_++ % io_.size();
    acceptor_->async_accept(*io_[index], [this, index](boost::system::error_code ec,
                                                        SessionSocket socket) {
      if (ec) {
        if (!acceptor_->is_open()) return;
        if (const char* name = ExhaustionName(ec)) return pause_accepting(ec, name);
        // Anything else concerns that one connection (say, reset before it was taken).
        return do_accept();
      }
      end_exhaustion_episode();
      admit(std::move(socket), index);
      do_accept();
    });
  }

  void admit(SessionSocket socket, size_t index) {
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    const ServerOptions& options = context_.options;
    // Only this thread adds to the counts, so checking and then adding cannot overshoot.
    if (options.max_connections != 0 && context_.connections.load() >= options.max_connections) {
      note_refusal(&over_limit_);
      return refuse(std::move(socket), index,
                    ProtocolHandler::Error(
                        503, "TOO_MANY_CONNECTIONS",
                        "the server is at its connection limit (" +
                            std::to_string(options.max_connections) +
                            ", --max-connections); retry later"));
    }
    ConnectionSlot slot;
    if (options.max_connections_per_ip == 0) {
      slot = ConnectionSlot(&context_.connections);
    } else {
      boost::system::error_code ec;
      auto peer = socket.remote_endpoint(ec);
      if (ec) return;  // gone already: the socket closes as it goes
      // Counted per client, as access control's rate limits count: an IPv6 client by its /64.
      const std::string text = peer.address().to_string();
      std::string address(AddressKey(text).view());
      if (!peers_.try_add(address)) {
        note_refusal(&over_peer_limit_);
        return refuse(std::move(socket), index,
                      ProtocolHandler::Error(
                          429, "TOO_MANY_CONNECTIONS",
                          "this address (an IPv6 one: its /64) has " +
                              std::to_string(options.max_connections_per_ip) +
                              " connections open, its limit (--max-connections-per-ip); "
                              "close one or retry later"));
      }
      slot = ConnectionSlot(&context_.connections, &peers_, std::move(address));
    }
    context_.connections.fetch_add(1);
    if (tls_ != nullptr) {
      std::make_shared<TlsSession>(std::move(socket), tls_->current(), &context_,
                                   wakes_[index].get(), registries_[index].get(), std::move(slot))
          ->start();
      return;
    }
    std::make_shared<PlainSession>(std::move(socket), nullptr, &context_, wakes_[index].get(),
                                   registries_[index].get(), std::move(slot))
        ->start();
  }

  // Answers a connection over a limit with `answer` (a JSON error) and closes it: in a session
  // that drains the client's request briefly if a refusal slot is free, else at once.
  void refuse(SessionSocket socket, size_t index, HttpResponse answer) {
    answer.set("Retry-After", kRefusedRetryAfterSeconds);
    if (context_.refusing.load() >= context_.options.max_refusing_connections) {
      size_t sent = 0;
      if (tls_ == nullptr) sent = AnswerAndClose(&socket, answer);  // TLS: closed as it goes
      if (context_.observer != nullptr) {
        CompletedRequest refused;  // no request was read, and no X-Request-Id went out
        refused.status = answer.status;
        refused.bytes_out = sent;
        context_.observer->on_request(refused);
      }
      return;
    }
    context_.refusing.fetch_add(1);
    if (tls_ != nullptr) {
      std::make_shared<TlsSession>(std::move(socket), tls_->current(), &context_,
                                   wakes_[index].get(), nullptr, ConnectionSlot(&context_.refusing))
          ->refuse(std::move(answer));
      return;
    }
    std::make_shared<PlainSession>(std::move(socket), nullptr, &context_, wakes_[index].get(),
                                   nullptr, ConnectionSlot(&context_.refusing))
        ->refuse(std::move(answer));
  }

  // Refusals at one limit not yet logged.
  struct RefusalReport {
    const char* limit;  // the flag
    uint64_t unreported = 0;
    SteadyClock::time_point last;
  };

  // One warning when refusals start, then at most one per kRefusalReportInterval while they go
  // on: a server at its limit refuses in bursts, and a line per refusal would flood the log.
  void note_refusal(RefusalReport* report) {
    ++report->unreported;
    auto now = SteadyClock::now();
    if (report->last != SteadyClock::time_point() && now - report->last < kRefusalReportInterval) {
      return;
    }
    const bool global = report == &over_limit_;
    log::Warn(std::string("at a connection limit (") + report->limit + " " +
              std::to_string(global ? context_.options.max_connections
                                    : context_.options.max_connections_per_ip) +
              "): refused " + std::to_string(report->unreported) + " connection(s) with " +
              (global ? "503" : "429") + " since the last report");
    report->unreported = 0;
    report->last = now;
  }

  // An episode of failing accepts: logged when it starts and when accepting works again, never
  // per failed call.
  void pause_accepting(const boost::system::error_code& ec, const char* name) {
    if (exhaustion_failures_ == 0) {
      exhaustion_since_ = SteadyClock::now();
      log::Warn(std::string("accept failed: ") + name + " (" + ec.message() + ") with " +
                std::to_string(context_.connections.load()) +
                " connection(s) open; pausing accepts for " +
                std::to_string(context_.options.accept_backoff.count()) +
                " ms at a time until accepting works again");
    }
    ++exhaustion_failures_;
    accept_timer_->expires_after(context_.options.accept_backoff);
    accept_timer_->async_wait([this](boost::system::error_code ec) {
      if (ec || !acceptor_->is_open()) return;  // stopped
      do_accept();
    });
  }

  void end_exhaustion_episode() {
    if (exhaustion_failures_ == 0) return;
    log::Info("accepting again, after " + std::to_string(exhaustion_failures_) +
              " failed accept(s) over " + std::to_string(MillisSince(exhaustion_since_)) + " ms");
    exhaustion_failures_ = 0;
  }

  // First: sessions, destroyed with the IO contexts below at shutdown, give their count back
  // to it.
  SessionContext context_;
  TlsContextProvider* tls_;  // null: plain HTTP
  // Connections open per client address (--max-connections-per-ip); before the IO contexts
  // for the same reason.
  PeerConnections peers_;
  // One per context: the sessions stop() must reach (they remove themselves as they close).
  std::vector<std::unique_ptr<SessionRegistry>> registries_;
  std::vector<std::unique_ptr<net::io_context>> io_;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> work_;
  // One per context; after io_ so that queued sessions go before their contexts do.
  std::vector<std::unique_ptr<WakeQueue>> wakes_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  std::unique_ptr<net::steady_timer> grace_timer_;  // paces wait_for_connections
  SteadyClock::time_point stop_started_;
  std::unique_ptr<net::steady_timer> accept_timer_;  // ends a pause of accepting
  size_t next_context_ = 0;
  // Acceptor thread only.
  uint64_t exhaustion_failures_ = 0;  // failed accepts in the current episode; 0: none going on
  SteadyClock::time_point exhaustion_since_;
  RefusalReport over_limit_{"--max-connections", 0, {}};
  RefusalReport over_peer_limit_{"--max-connections-per-ip", 0, {}};
};

HttpServer::HttpServer(ProtocolHandler* handler, StreamManager* manager, ServerOptions options,
                       RequestObserver* observer, ServiceEndpoints* endpoints, RequestGate* gate,
                       TlsContextProvider* tls)
    : impl_(std::make_unique<Impl>(handler, manager, std::move(options), observer, endpoints,
                                   gate, tls)) {}
HttpServer::~HttpServer() = default;
Status HttpServer::listen() { return impl_->listen(); }
uint16_t HttpServer::port() const { return impl_->port(); }
TransportGauges HttpServer::gauges() const { return impl_->gauges(); }
void HttpServer::run() { impl_->run(); }
void HttpServer::stop() { impl_->stop(); }
void HttpServer::set_deferred_routes(DeferredRoutes routes) {
  impl_->set_deferred_routes(std::move(routes));
}

}  // namespace streamkeeper
