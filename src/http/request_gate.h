// RequestGate: what may be served, decided before any route sees a request (access control,
// rate limits, CORS origins). The transport asks it once per parsed request; the protocol layer
// and the service endpoints never see a request it refused.
//
// Transport-neutral: it sees the protocol layer's HttpRequest and the client's address, never a
// socket, so it is tested without a server.
//
// Thread-safety: admit() and allow_origin() are called concurrently from every IO thread.
#pragma once

#include <optional>
#include <string_view>

#include "protocol/http_types.h"

namespace streamkeeper {

// Who is asking, as the transport knows it.
struct RequestPeer {
  std::string_view address;  // the client's IP address in text form ("127.0.0.1", "::1")
  bool tls = false;          // the request came over TLS
};

class RequestGate {
 public:
  virtual ~RequestGate() = default;

  // nullopt: serve `request`. Otherwise the complete answer to send instead (401, 403, 429,
  // ...), with the JSON error body; the connection stays usable unless the answer closes it.
  virtual std::optional<HttpResponse> admit(const HttpRequest& request,
                                            const RequestPeer& peer) = 0;

  // The Access-Control-Allow-Origin value to answer a request whose Origin header is `origin`
  // (empty when it has none) with; empty: send no Access-Control-Allow-Origin. A value other
  // than "*", empty included, makes the response also carry "Vary: Origin". The returned view must stay valid
  // until the gate is destroyed or `origin` goes (it may be `origin` itself).
  virtual std::string_view allow_origin(std::string_view origin) const { return "*"; }
};

}  // namespace streamkeeper
