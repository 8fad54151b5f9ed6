// RequestObserver: what the transport reports about each request it has answered, for the
// access log and the request metrics.
//
// The transport calls on_request() once per answered request, on the connection's IO thread,
// when the response has been written (an SSE response: when it ends), or when the connection
// ended before it was (status is still the one answered; bytes_out says how far it got).
// Connections refused at the connection limit are reported too, with an empty method.
// Observers must be thread-safe (every IO thread calls them) and cheap: they run on the request
// path. Nothing in a CompletedRequest outlives the call.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>
#include <vector>

namespace streamkeeper {

// What a request did, as the metrics and the access log name it.
enum class RouteKind : uint8_t {
  kCreate,    // PUT (create or fork)
  kAppend,    // POST (append, close)
  kRead,      // GET answered at once (catch-up, offset=now, up-to-date)
  kLongPoll,  // GET live=long-poll that parked (answered on data, close or timeout)
  kSse,       // GET live=sse
  kHead,      // HEAD
  kDelete,    // DELETE
  kOther,     // OPTIONS, unknown methods, unparsable requests, refused connections, and routes
              // outside the stream API (health, metrics)
};
inline constexpr int kRouteKinds = 8;

// "create", "append", "read", "long-poll", "sse", "head", "delete", "other".
std::string_view RouteKindName(RouteKind kind);

struct CompletedRequest {
  std::string_view method;      // as received, e.g. "GET"; empty if it never parsed
  std::string_view target;      // path and query as received; empty if it never parsed
  RouteKind route = RouteKind::kOther;
  int status = 0;
  uint64_t bytes_in = 0;        // request body bytes
  uint64_t bytes_out = 0;       // response bytes written (head, body, every SSE chunk)
  // From the whole request having arrived to the response's last byte written.
  std::chrono::steady_clock::duration duration{};
  // Also sent back in the X-Request-Id response header; empty for a connection refused without
  // a session (the acceptor answers it in one write, see AnswerAndClose).
  std::string_view request_id;
};

class RequestObserver {
 public:
  virtual ~RequestObserver() = default;
  virtual void on_request(const CompletedRequest& request) = 0;
};

// Several observers as one (the server's request metrics and its access log), told in the order
// they were added. Add them all before the server starts; the observers must outlive the list.
class RequestObserverList : public RequestObserver {
 public:
  void add(RequestObserver* observer) { observers_.push_back(observer); }
  void on_request(const CompletedRequest& request) override {
    for (RequestObserver* observer : observers_) observer->on_request(request);
  }

 private:
  std::vector<RequestObserver*> observers_;
};

}  // namespace streamkeeper
