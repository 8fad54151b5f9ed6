// StreamOps<Stream>: the few things a ConnectionSession does that depend on what its stream is.
// Everything else in the session goes through Asio's generic stream operations
// (async_read_some, async_write, Beast's http::async_write_header), which work the same on a
// raw socket and on a TLS stream over one. A new stream type (the TLS one) specializes this.
//
//   kTls                  the stream is TLS: the session shakes hands first, and ends with
//                         close_notify (http/tls_stream_ops.h); compile-time, so the plain
//                         session carries none of it
//   make(socket, tls)     the stream over an accepted socket (`tls`: the TLS stream's context)
//   socket(s)             the TCP socket under the stream
//   prepare(s, ec)        before the first read: make send_now safe (never blocks the IO thread)
//   send_now(s, b, &n)    sends what the stream takes right now, without an asynchronous write;
//                         false when the connection is broken. May send nothing (n = 0): the
//                         caller then writes the rest with async_write.
//   available(s, ec)      bytes that have arrived and not been read (a request already here)
//   remote_address(s, ec) the peer's address, as text
//   cancel(s)             ends the reads and writes in progress (operation_aborted)
//   shutdown_send(s)      half-close: the peer reads the end of the response, we may still read
//   close(s)              closes at once
//   normalize_read_error(ec)  a read's stream-specific codes mapped onto the socket's: the end
//                         of input onto eof, a broken stream onto connection_reset
// Private to src/http.
#pragma once

#include <cstddef>
#include <string>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace streamkeeper {

// A session's socket and timers are bound to their io_context's own executor type, not the
// type-erased any_io_executor: copying and destroying type-erased executors on every
// operation showed in append profiles.
using SessionExecutor = boost::asio::io_context::executor_type;
using SessionSocket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, SessionExecutor>;

template <class Stream>
struct StreamOps;

// Plain TCP.
template <>
struct StreamOps<SessionSocket> {
  using error_code = boost::system::error_code;

  static constexpr bool kTls = false;

  static SessionSocket make(SessionSocket&& s, boost::asio::ssl::context*) { return std::move(s); }
  static SessionSocket& socket(SessionSocket& s) { return s; }

  // Responses and SSE events are first sent directly (send_now): that must never block the IO
  // thread. Asio's own asynchronous operations do not depend on this flag.
  static void prepare(SessionSocket& s, error_code& ec) { s.non_blocking(true, ec); }

  // No operation, timer or completion handler: per-request and per-event costs that showed in
  // profiles. The socket is non-blocking (prepare), so a full buffer sends less (maybe nothing).
  template <class ConstBuffers>
  static bool send_now(SessionSocket& s, const ConstBuffers& buffers, size_t* sent) {
    error_code ec;
    *sent = s.write_some(buffers, ec);
    if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) {
      *sent = 0;
      return true;
    }
    return !ec;
  }

  static size_t available(SessionSocket& s, error_code& ec) { return s.available(ec); }

  static std::string remote_address(SessionSocket& s, error_code& ec) {
    auto peer = s.remote_endpoint(ec);
    if (ec) return {};
    return peer.address().to_string();
  }

  static void cancel(SessionSocket& s) {
    error_code ignored;
    s.cancel(ignored);
  }

  static void shutdown_send(SessionSocket& s) {
    error_code ignored;
    s.shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
  }

  static void close(SessionSocket& s) {
    error_code ignored;
    s.shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
    s.close(ignored);
  }

  static void normalize_read_error(error_code&) {}
};

}  // namespace streamkeeper
