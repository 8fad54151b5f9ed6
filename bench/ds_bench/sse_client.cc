#include "sse_client.h"

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <vector>

#include "chunked_decoder.h"

namespace dsbench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
// Small on purpose: the fanout scenario holds thousands of these.
constexpr std::size_t kChunkBytes = 2048;

}  // namespace

// Beast handles connecting, the request and the response header; the body is then read
// straight from the socket and de-chunked here. Per event that saves Beast's parser and the
// timer that beast::tcp_stream arms and cancels around every read: with 10,000 subscribers
// both were measurable CPU taken from the server under test on the same cores.
struct SseClient::Impl {
  Impl(asio::any_io_executor executor, const Target& t)
      : stream(executor), watchdog(executor), target(t) {}
  beast::tcp_stream stream;
  asio::steady_timer watchdog;
  const Target& target;
  beast::flat_buffer header_buffer;
  std::array<char, kChunkBytes> chunk{};
  bool open = false;
  bool chunked = false;
  std::string leftover;  // body bytes that arrived with the header
  ChunkedDecoder decoder;
  std::vector<std::string_view> pieces;
  SseParser sse;
  std::chrono::milliseconds idle_timeout{0};
  Clock::time_point last_data{};
  bool idle = false;  // the watchdog closed the socket
  uint64_t generation = 0;  // tells the watchdog which Open() armed it

  // Closes the socket once no byte has arrived for the idle timeout. Re-arms itself from the
  // time of the last data instead of being pushed back on every read.
  static void ArmWatchdog(const std::shared_ptr<Impl>& impl, Clock::time_point at) {
    impl->watchdog.expires_at(at);
    impl->watchdog.async_wait([impl, generation = impl->generation](beast::error_code ec) {
      if (ec || !impl->open || generation != impl->generation) return;
      const auto deadline = impl->last_data + impl->idle_timeout;
      if (Clock::now() < deadline) return ArmWatchdog(impl, deadline);
      impl->idle = true;
      beast::error_code ignored;
      impl->stream.socket().close(ignored);
    });
  }
};

SseClient::SseClient(asio::any_io_executor executor, const Target& target)
    : impl_(std::make_shared<Impl>(std::move(executor), target)) {}

SseClient::~SseClient() { Close(); }

void SseClient::Close() {
  beast::error_code ignored;
  impl_->open = false;
  impl_->watchdog.cancel();
  impl_->stream.socket().close(ignored);
}

asio::awaitable<int> SseClient::Open(const std::string& path_and_query,
                                     std::chrono::milliseconds timeout,
                                     std::chrono::milliseconds idle_timeout) {
  auto& s = *impl_;
  Close();
  s.header_buffer.clear();
  s.leftover.clear();
  s.decoder = ChunkedDecoder{};
  s.sse = SseParser{};
  s.idle = false;
  ++s.generation;
  if (s.target.tls) {
    // Only the request/response scenarios (append, catchup, ...) speak TLS so far.
    error_ = "SSE readers over https:// are not supported by ds-bench";
    co_return 0;
  }
  s.stream.expires_after(timeout);
  if (auto [ec, ep] = co_await s.stream.async_connect(s.target.endpoints, kNoThrow); ec) {
    error_ = "connect: " + ec.message();
    co_return 0;
  }
  s.stream.socket().set_option(asio::ip::tcp::no_delay(true));

  http::request<http::empty_body> req{http::verb::get, path_and_query, 11};
  req.set(http::field::host, s.target.host_header);
  req.set(http::field::user_agent, "ds-bench");
  req.set(http::field::accept, "text/event-stream");
  if (!s.target.authorization.empty()) req.set(http::field::authorization, s.target.authorization);
  if (auto [ec, n] = co_await http::async_write(s.stream, req, kNoThrow); ec) {
    error_ = "write: " + ec.message();
    Close();
    co_return 0;
  }
  http::response_parser<http::empty_body> parser;
  parser.skip(true);  // the body is read by Read(), not by Beast
  if (auto [ec, n] = co_await http::async_read_header(s.stream, s.header_buffer, parser, kNoThrow);
      ec) {
    error_ = "read header: " + ec.message();
    Close();
    co_return 0;
  }
  s.stream.expires_never();
  const auto data = s.header_buffer.cdata();
  s.leftover.assign(static_cast<const char*>(data.data()), data.size());
  s.chunked = parser.chunked();
  s.open = true;
  s.idle_timeout = idle_timeout;
  s.last_data = Clock::now();
  Impl::ArmWatchdog(impl_, s.last_data + idle_timeout);
  co_return static_cast<int>(parser.get().result_int());
}

asio::awaitable<bool> SseClient::Read(const SseEventHandler& on_event) {
  auto& s = *impl_;
  if (!s.open) co_return false;
  std::string_view bytes;
  beast::error_code ec;
  if (!s.leftover.empty()) {
    bytes = s.leftover;
  } else {
    auto [read_ec, n] =
        co_await s.stream.socket().async_read_some(asio::buffer(s.chunk), kNoThrow);
    ec = read_ec;
    bytes = std::string_view(s.chunk.data(), n);
    if (n > 0) s.last_data = Clock::now();
  }
  bool ended = false;
  if (!bytes.empty()) {
    if (s.chunked) {
      s.pieces.clear();
      const auto result = s.decoder.Feed(bytes, &s.pieces);
      for (const auto piece : s.pieces) s.sse.Feed(piece, on_event);
      if (result == ChunkedDecoder::Result::kError) {
        error_ = "malformed chunked body";
        Close();
        co_return false;
      }
      ended = result == ChunkedDecoder::Result::kDone;
    } else {
      s.sse.Feed(bytes, on_event);  // the body ends with the connection
    }
  }
  s.leftover.clear();
  if (ended || ec) {
    if (ended || ec == asio::error::eof) {
      error_ = "stream ended";
    } else {
      error_ = s.idle ? "idle timeout" : "read: " + ec.message();
    }
    Close();
    co_return false;
  }
  co_return true;
}

}  // namespace dsbench
