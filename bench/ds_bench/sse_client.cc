#include "sse_client.h"

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <limits>
#include <optional>

namespace dsbench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
// Small on purpose: the fanout scenario holds thousands of these.
constexpr std::size_t kChunkBytes = 2048;

}  // namespace

struct SseClient::Impl {
  Impl(asio::any_io_executor executor, const Target& t) : stream(executor), target(t) {}
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  std::optional<http::response_parser<http::buffer_body>> parser;
  std::array<char, kChunkBytes> chunk{};
  SseParser sse;
  const Target& target;
  // When the idle deadline was last pushed back; see Read().
  std::chrono::steady_clock::time_point armed_at{};
};

SseClient::SseClient(asio::any_io_executor executor, const Target& target)
    : impl_(std::make_unique<Impl>(std::move(executor), target)) {}

SseClient::~SseClient() = default;

void SseClient::Close() {
  beast::error_code ignored;
  impl_->stream.socket().close(ignored);
  impl_->parser.reset();
}

asio::awaitable<int> SseClient::Open(const std::string& path_and_query,
                                     std::chrono::milliseconds timeout) {
  auto& s = *impl_;
  Close();
  s.buffer.clear();
  s.sse = SseParser{};
  s.armed_at = {};  // the first Read() sets its own deadline
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
  if (auto [ec, n] = co_await http::async_write(s.stream, req, kNoThrow); ec) {
    error_ = "write: " + ec.message();
    Close();
    co_return 0;
  }
  s.parser.emplace();
  s.parser->body_limit(std::numeric_limits<uint64_t>::max());
  if (auto [ec, n] = co_await http::async_read_header(s.stream, s.buffer, *s.parser, kNoThrow);
      ec) {
    error_ = "read header: " + ec.message();
    Close();
    co_return 0;
  }
  co_return static_cast<int>(s.parser->get().result_int());
}

asio::awaitable<bool> SseClient::Read(std::vector<SseEvent>* events,
                                      std::chrono::milliseconds idle_timeout) {
  auto& s = *impl_;
  if (!s.parser || s.parser->is_done()) co_return false;
  auto& body = s.parser->get().body();
  body.data = s.chunk.data();
  body.size = s.chunk.size();
  // Push the idle deadline back only when half of it is used up: re-arming the stream's timer
  // on every read cost thousands of timer-queue updates per event with 10,000 subscribers, CPU
  // the load generator takes from the server it measures on the same cores. A read still fails
  // after between half and all of `idle_timeout` without data.
  auto now = std::chrono::steady_clock::now();
  if (now - s.armed_at >= idle_timeout / 2) {
    s.stream.expires_after(idle_timeout);
    s.armed_at = now;
  }
  auto [ec, n] = co_await http::async_read_some(s.stream, s.buffer, *s.parser, kNoThrow);
  if (ec == http::error::need_buffer) ec = {};
  const std::size_t got = s.chunk.size() - body.size;
  if (got > 0) s.sse.Feed(std::string_view(s.chunk.data(), got), events);
  if (ec) {
    error_ = (ec == http::error::end_of_stream) ? "stream ended" : "read: " + ec.message();
    Close();
    co_return false;
  }
  co_return true;
}

}  // namespace dsbench
