#include "http_connection.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <algorithm>
#include <array>
#include <limits>
#include <vector>
#include <optional>

namespace dsbench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
// Bodies up to this size are copied behind the head so that the request is one buffer.
constexpr size_t kInlineBodyBytes = 16 << 10;

// Counts body bytes without storing them.
struct CountingBody {
  using value_type = uint64_t;
  struct reader {
    template <class Header>
    reader(Header&, value_type& count) : count_(count) {}
    void init(const boost::optional<uint64_t>&, beast::error_code& ec) {
      count_ = 0;
      ec = {};
    }
    template <class Buffers>
    std::size_t put(const Buffers& buffers, beast::error_code& ec) {
      ec = {};
      const auto n = asio::buffer_size(buffers);
      count_ += n;
      return n;
    }
    void finish(beast::error_code& ec) { ec = {}; }
    value_type& count_;
  };
};

bool HeaderIsTrue(const http::fields& fields, std::string_view name) {
  const auto it = fields.find(name);
  if (it == fields.end()) return false;
  return beast::iequals(it->value(), "true");
}

template <class Body>
void FillResponse(const http::response<Body>& message, HttpResponse* out) {
  out->status = static_cast<int>(message.result_int());
  out->content_type = std::string(message[http::field::content_type]);
  out->next_offset = std::string(message["Stream-Next-Offset"]);
  out->cursor = std::string(message["Stream-Cursor"]);
  out->up_to_date = HeaderIsTrue(message.base(), "Stream-Up-To-Date");
  out->closed = HeaderIsTrue(message.base(), "Stream-Closed");
}

// Reads the response to `request` from `stream` (a socket or a TLS stream over one) into *out;
// the error of the read that failed, if one did.
template <class Stream>
asio::awaitable<beast::error_code> ReadResponse(Stream& stream, beast::flat_buffer& buffer,
                                                const HttpRequest& request, HttpResponse* out,
                                                bool* keep_alive) {
  if (request.discard_body) {
    http::response_parser<CountingBody> parser;
    parser.body_limit(std::numeric_limits<uint64_t>::max());
    if (auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, kNoThrow);
        ec) {
      co_return ec;
    }
    FillResponse(parser.get(), out);
    *keep_alive = parser.get().keep_alive();
    auto length = parser.content_length();
    if (length && !parser.chunked() && buffer.size() <= *length) {
      // Large bodies: read straight from the socket in big chunks. Beast's parser reads at most
      // 64 KiB per call, which made the load generator, not the server, the bottleneck of the
      // catch-up scenario.
      uint64_t remaining = *length - buffer.size();
      out->body_bytes = buffer.size();
      buffer.clear();
      thread_local std::vector<char> scratch(4 << 20);
      while (remaining > 0) {
        size_t want = std::min<uint64_t>(remaining, scratch.size());
        auto [ec, n] = co_await stream.async_read_some(asio::buffer(scratch.data(), want),
                                                         kNoThrow);
        if (ec) {
          co_return ec;
        }
        remaining -= n;
        out->body_bytes += n;
      }
    } else {
      if (auto [ec, n] = co_await http::async_read(stream, buffer, parser, kNoThrow); ec) {
        co_return ec;
      }
      out->body_bytes = parser.get().body();
    }
  } else {
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::numeric_limits<uint64_t>::max());
    parser.skip(request.method == "HEAD");  // a Content-Length there announces no body
    if (auto [ec, n] = co_await http::async_read(stream, buffer, parser, kNoThrow); ec) {
      co_return ec;
    }
    FillResponse(parser.get(), out);
    out->body = std::move(parser.get().body());
    out->body_bytes = out->body.size();
    *keep_alive = parser.get().keep_alive();
  }
  co_return beast::error_code{};
}

}  // namespace

struct HttpConnection::Impl {
  Impl(asio::any_io_executor executor, const Target& t) : stream(executor), target(t) {}
  beast::tcp_stream stream;
  // https://: the TLS session over `stream`, made per TCP connection.
  std::optional<asio::ssl::stream<beast::tcp_stream&>> tls;
  beast::flat_buffer buffer;
  std::string wire;  // the request being sent, reused
  const Target& target;
  bool connected = false;
};

HttpConnection::HttpConnection(asio::any_io_executor executor, const Target& target)
    : impl_(std::make_unique<Impl>(std::move(executor), target)) {}

HttpConnection::~HttpConnection() = default;

asio::awaitable<HttpResponse> HttpConnection::Send(const HttpRequest& request) {
  bool was_reused = false;
  HttpResponse response = co_await SendOnce(request, &was_reused);
  if (response.status == 0 && was_reused) {
    response = co_await SendOnce(request, &was_reused);
  }
  co_return response;
}

asio::awaitable<HttpResponse> HttpConnection::SendOnce(const HttpRequest& request,
                                                       bool* was_reused) {
  HttpResponse out;
  auto& s = *impl_;
  auto fail = [&](std::string_view what, const beast::error_code& ec) {
    out.status = 0;
    out.error = std::string(what) + ": " + ec.message();
    if (ec == beast::error::timeout) *was_reused = false;  // a slow server gets no second wait
    beast::error_code ignored;
    s.tls.reset();
    s.stream.socket().close(ignored);
    s.connected = false;
    s.buffer.clear();
  };

  s.stream.expires_after(request.timeout);
  *was_reused = s.connected;
  if (!s.connected) {
    auto [ec, endpoint] = co_await s.stream.async_connect(s.target.endpoints, kNoThrow);
    if (ec) {
      fail("connect", ec);
      co_return out;
    }
    s.stream.socket().set_option(asio::ip::tcp::no_delay(true));
    if (s.target.tls) {
      s.tls.emplace(s.stream, *s.target.tls);
      // SNI for a name (not for an address literal); the certificate must name the host.
      boost::system::error_code not_address;
      asio::ip::make_address(s.target.host, not_address);
      if (not_address) SSL_set_tlsext_host_name(s.tls->native_handle(), s.target.host.c_str());
      s.tls->set_verify_callback(asio::ssl::host_name_verification(s.target.host));
      if (auto [ec] = co_await s.tls->async_handshake(asio::ssl::stream_base::client, kNoThrow);
          ec) {
        fail("TLS handshake", ec);
        co_return out;
      }
    }
    s.connected = true;
    ++connects_;
  }

  // The request is rendered by hand into one buffer and, nearly always, sent with a single
  // non-blocking write (over TLS: one async write through the TLS stream): Beast's serializer walks a chain of buffer views per write, and the
  // timed write of beast::tcp_stream arms a timer per operation, together a visible share of
  // the load generator's CPU on a machine it shares with the server it measures.
  std::string& wire = s.wire;
  wire.clear();
  wire.append(request.method).append(" ").append(request.target).append(" HTTP/1.1\r\nHost: ");
  wire.append(s.target.host_header).append("\r\nUser-Agent: ds-bench\r\n");
  if (!s.target.authorization.empty()) {
    wire.append("Authorization: ").append(s.target.authorization).append("\r\n");
  }
  if (!request.content_type.empty()) {
    wire.append("Content-Type: ").append(request.content_type).append("\r\n");
  }
  for (const auto& [name, value] : request.headers) {
    wire.append(name).append(": ").append(value).append("\r\n");
  }
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
    wire.append("Content-Length: ").append(std::to_string(request.body.size())).append("\r\n");
  }
  wire.append("\r\n");
  const bool small = request.body.size() <= kInlineBodyBytes;
  if (small) wire.append(request.body);
  const std::array<asio::const_buffer, 2> buffers{
      asio::buffer(wire), small ? asio::const_buffer() : asio::buffer(request.body)};
  if (s.tls) {
    if (auto [ec, n] = co_await asio::async_write(*s.tls, buffers, kNoThrow); ec) {
      fail("write", ec);
      co_return out;
    }
  } else {
    beast::error_code write_ec;
    s.stream.socket().non_blocking(true, write_ec);
    size_t written = write_ec ? 0 : s.stream.socket().write_some(buffers, write_ec);
    if (write_ec == asio::error::would_block || write_ec == asio::error::try_again) {
      write_ec = {};
    }
    if (write_ec) {
      fail("write", write_ec);
      co_return out;
    }
    if (written < asio::buffer_size(buffers)) {
      auto rest = beast::buffers_suffix<std::array<asio::const_buffer, 2>>(buffers);
      rest.consume(written);
      if (auto [ec, n] = co_await asio::async_write(s.stream, rest, kNoThrow); ec) {
        fail("write", ec);
        co_return out;
      }
    }
  }

  bool keep_alive = false;
  if (auto ec = s.tls ? co_await ReadResponse(*s.tls, s.buffer, request, &out, &keep_alive)
                      : co_await ReadResponse(s.stream, s.buffer, request, &out, &keep_alive);
      ec) {
    fail("read", ec);
    co_return out;
  }
  *was_reused = false;  // a response arrived: no retry regardless of status
  if (!keep_alive) {
    beast::error_code ignored;
    s.tls.reset();
    s.stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    s.stream.socket().close(ignored);
    s.connected = false;
    s.buffer.clear();
  }
  co_return out;
}

}  // namespace dsbench
