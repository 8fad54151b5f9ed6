// Transport-neutral HTTP messages: what the protocol layer consumes and produces.
//
// The protocol layer (ProtocolHandler) is a function from HttpRequest to HttpResponse and never
// sees a socket. A response may carry a directive for the transport: park a long-poll, or start
// an SSE stream. The transport (src/http/) carries those out and calls back into the protocol
// layer for every payload it sends.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace streamkeeper {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Headers every response carries (nosniff, CORP, CORS). They are not in HttpResponse::headers:
// the transport writes them from this constant block, and HttpResponse::header() finds them.
// Access-Control-Allow-Origin is apart: the transport writes the value the RequestGate chooses
// for the request's Origin (http/request_gate.h), kDefaultAllowOrigin without a gate.
inline constexpr std::string_view kDefaultAllowOrigin = "*";
inline constexpr std::array<std::pair<std::string_view, std::string_view>, 3>
    kCommonResponseHeaders{{
        {"X-Content-Type-Options", "nosniff"},
        {"Cross-Origin-Resource-Policy", "cross-origin"},
        {"Access-Control-Expose-Headers",
         "Stream-Next-Offset, Stream-Cursor, Stream-Up-To-Date, Stream-Closed, Producer-Epoch, "
         "Producer-Seq, Producer-Expected-Seq, Producer-Received-Seq, ETag, Content-Type, "
         "Location, stream-sse-data-encoding"},
    }};

// The views in a request point into the transport's parsed message: they are valid during
// ProtocolHandler::handle() only, which copies whatever it keeps (the body is owned and may be
// moved out).
struct HttpRequest {
  std::string_view method;  // upper case, e.g. "GET"
  std::string_view target;  // the raw request-target: path and query
  std::vector<std::pair<std::string_view, std::string_view>> headers;
  std::string body;

  // The value of the first header named `name` (case-insensitive), or nullopt.
  std::optional<std::string_view> header(std::string_view name) const;
};

// Parked long-poll: the transport waits for data past `position` (or the deadline) through a
// LongPollRead (protocol/live_read.h), which then answers from one read.
struct LongPollDirective {
  std::string path;
  uint64_t position = 0;
  std::optional<std::string> client_cursor;
  // The request said offset=now: its answer depends on when it was asked, so it is never
  // cacheable by URL, even though `position` is a real offset by the time it is sent.
  bool from_now = false;
};

// One step of an SSE stream: the events to send, where to continue, and whether the stream is
// finished (closed and fully sent, or gone) or must wait for data.
struct SseStep {
  std::string events;
  uint64_t next_position = 0;
  bool finished = false;
  bool wait = false;
};

// SSE stream: the transport sends the response head, then sends `first` (made from the read
// that answered the request) and asks an SseRead (protocol/live_read.h) for what follows.
struct SseDirective {
  std::string path;
  uint64_t position = 0;
  bool base64 = false;
  bool json = false;
  std::optional<std::string> client_cursor;
  SseStep first;
};

// A response body too large to hold, produced piece by piece (the admin snapshot). The
// transport sends the head with chunked encoding and then asks for one piece at a time, writing
// each before it asks for the next, until a piece comes with `last` (its data is sent too).
// A piece marked `failed` ends the response cut short (no last chunk: the client sees a
// truncated body, never a complete-looking one). The transport drops the stream when the
// response ends or the connection closes first; its destructor stops the production.
class BodyStream {
 public:
  struct Piece {
    std::string data;
    bool last = false;
    bool failed = false;
  };
  using Deliver = std::function<void(Piece)>;

  virtual ~BodyStream() = default;
  // Asks for the next piece. `deliver` is called exactly once, from any thread (possibly this
  // one, before next() returns), unless the stream is destroyed first (then never).
  virtual void next(Deliver deliver) = 0;
};

struct HttpResponse;

// Routes that answer later, from any thread (the admin routes: service/admin_endpoints.h).
// Given a request they return false when it is not theirs; otherwise they call `reply` once,
// now or later. The request's views are valid during the call only.
using DeferredRoutes =
    std::function<bool(const HttpRequest& request, std::function<void(HttpResponse)> reply)>;

struct HttpResponse {
  int status = 200;
  HeaderList headers;
  std::string body;
  std::optional<LongPollDirective> long_poll;
  std::optional<SseDirective> sse;
  // Set: the body is produced by this stream, and `body` is ignored.
  std::shared_ptr<BodyStream> body_stream;

  HttpResponse& set(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  // The value of header `name` (case-insensitive), including the common headers.
  std::optional<std::string_view> header(std::string_view name) const;
};

}  // namespace streamkeeper
