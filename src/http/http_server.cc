#include "http/http_server.h"

#include <pthread.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <thread>
#include <vector>

#include "http/http_session.h"
#include "http/wake_queue.h"
#include "protocol/protocol_handler.h"
#include "streamkeeper/stream_manager.h"

namespace streamkeeper {

namespace net = boost::asio;
using tcp = net::ip::tcp;

// One io_context per IO thread, each run by exactly that thread: a connection lives on one
// context, so its handlers never run concurrently and need no strand, and the contexts share no
// locks. (Profiles of the shared-context design showed strand dispatch and cross-thread wake-ups
// on every request.) The acceptor hands connections to the contexts round-robin.
class HttpServer::Impl {
 public:
  Impl(ProtocolHandler* handler, StreamManager* manager, ServerOptions options) {
    context_.handler = handler;
    context_.manager = manager;
    context_.options = std::move(options);
    if (context_.options.threads == 0) {
      context_.options.threads = std::max(1u, std::thread::hardware_concurrency());
    }
    for (size_t i = 0; i < context_.options.threads; ++i) {
      io_.push_back(std::make_unique<net::io_context>(1));
      work_.push_back(net::make_work_guard(*io_.back()));
      wakes_.push_back(std::make_unique<WakeQueue>(*io_.back()));
    }
    acceptor_ = std::make_unique<tcp::acceptor>(*io_[0]);
    grace_timer_ = std::make_unique<net::steady_timer>(*io_[0]);
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

  void stop() {
    // Set at once, not from the posted handler: the manager's shutdown wakes every live reader
    // right after this returns, and a reader woken on another IO thread must already see it,
    // or it would park again with nothing left to wake it.
    if (context_.stopping.exchange(true)) return;
    net::post(*io_[0], [this] {
      boost::system::error_code ignored;
      acceptor_->close(ignored);
      // Live readers were woken by the manager's shutdown; give in-flight responses a moment,
      // then stop every loop (idle keep-alive connections are simply dropped).
      grace_timer_->expires_after(std::chrono::milliseconds(500));
      grace_timer_->async_wait([this](boost::system::error_code) {
        for (auto& io : io_) io->stop();
      });
    });
  }

 private:
  void do_accept() {
    const size_t index = next_context_++ % io_.size();
    acceptor_->async_accept(*io_[index], [this, index](boost::system::error_code ec,
                                                        SessionSocket socket) {
      if (ec) {
        if (!acceptor_->is_open()) return;
      } else {
        boost::system::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        std::make_shared<HttpSession>(std::move(socket), &context_, wakes_[index].get())->start();
      }
      do_accept();
    });
  }

  std::vector<std::unique_ptr<net::io_context>> io_;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> work_;
  // One per context; after io_ so that queued sessions go before their contexts do.
  std::vector<std::unique_ptr<WakeQueue>> wakes_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  std::unique_ptr<net::steady_timer> grace_timer_;
  size_t next_context_ = 0;
  SessionContext context_;
};

HttpServer::HttpServer(ProtocolHandler* handler, StreamManager* manager, ServerOptions options)
    : impl_(std::make_unique<Impl>(handler, manager, std::move(options))) {}
HttpServer::~HttpServer() = default;
Status HttpServer::listen() { return impl_->listen(); }
uint16_t HttpServer::port() const { return impl_->port(); }
void HttpServer::run() { impl_->run(); }
void HttpServer::stop() { impl_->stop(); }

}  // namespace streamkeeper
