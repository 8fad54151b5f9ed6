// StreamOps<TlsStream>: what a ConnectionSession over TLS (Boost.Asio's ssl::stream over the
// session's TCP socket) does differently from plain TCP (http/stream_ops.h). The session
// itself adds, under `if constexpr (Ops::kTls)`: the server handshake before the first read,
// and close_notify (async_shutdown) before a connection that answered all it will closes.
//
//   send_now    sends nothing: the caller's async_write writes it all. A non-blocking SSL_write
//               would need Asio's internal BIO pair flushed outside its own operations;
//               asynchronous writes are correct and TLS costs far more than they do.
//   available   decrypted bytes in OpenSSL (SSL_pending), record bytes handed to OpenSSL and
//               not yet decrypted, and bytes on the socket: a request that may already be here.
//   close       closes the socket at once, without close_notify (for errors and deadlines,
//               where an operation may still be pending on the stream).
// Private to src/http.
#pragma once

#include <openssl/bio.h>
#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>

#include "http/stream_ops.h"

namespace streamkeeper {

using TlsStream = boost::asio::ssl::stream<SessionSocket>;

template <>
struct StreamOps<TlsStream> {
  using error_code = boost::system::error_code;

  static constexpr bool kTls = true;

  static TlsStream make(SessionSocket&& s, boost::asio::ssl::context* tls) {
    return TlsStream(std::move(s), *tls);
  }
  static SessionSocket& socket(TlsStream& s) { return s.next_layer(); }

  static void prepare(TlsStream&, error_code& ec) { ec = {}; }

  template <class ConstBuffers>
  static bool send_now(TlsStream&, const ConstBuffers&, size_t* sent) {
    *sent = 0;
    return true;
  }

  static size_t available(TlsStream& s, error_code& ec) {
    SSL* ssl = s.native_handle();
    size_t buffered = static_cast<size_t>(SSL_pending(ssl)) + BIO_ctrl_pending(SSL_get_rbio(ssl));
    return buffered + s.next_layer().available(ec);
  }

  static std::string remote_address(TlsStream& s, error_code& ec) {
    return StreamOps<SessionSocket>::remote_address(s.next_layer(), ec);
  }

  static void cancel(TlsStream& s) { StreamOps<SessionSocket>::cancel(s.next_layer()); }

  static void shutdown_send(TlsStream& s) {
    StreamOps<SessionSocket>::shutdown_send(s.next_layer());
  }

  static void close(TlsStream& s) { StreamOps<SessionSocket>::close(s.next_layer()); }

  // A peer that closes TCP without close_notify (stream_truncated) has ended its input as
  // surely as one that sends it (eof): HTTP framing, not TLS, tells a cut request. Any other
  // TLS failure (a bad record, an alert) leaves nothing to answer on.
  static void normalize_read_error(error_code& ec) {
    if (ec == boost::asio::ssl::error::stream_truncated) {
      ec = boost::asio::error::eof;
    } else if (ec.category() == boost::asio::error::get_ssl_category() ||
               ec.category() == boost::asio::ssl::error::get_stream_category()) {
      ec = boost::asio::error::connection_reset;
    }
  }
};

}  // namespace streamkeeper
