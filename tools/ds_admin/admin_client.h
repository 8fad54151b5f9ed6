// AdminClient: ds-admin's blocking HTTP/1.1 client for a running server (--url).
//
// One keep-alive connection to the server named by a base URL ("http://127.0.0.1:4437" or
// "https://host:port/prefix"), opened on first use and reopened once when the server has closed
// it between requests. https verifies the server's certificate and host name against --ca (or
// the system's CAs). Every step is bounded by a timeout: nothing here waits for ever. Sends the
// bearer token, when there is one, in Authorization on every request.
//
// Not thread-safe: one client per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "streamkeeper/status.h"

namespace ds_admin {

struct AdminClientOptions {
  std::string url;      // base URL: http or https, host, optional port and path prefix
  std::string token;    // bearer token; empty: no Authorization header
  std::string ca_file;  // https: PEM CAs; empty: the system's default verify paths
  std::chrono::milliseconds connect_timeout{5000};
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct AdminResponse {
  int status = 0;
  HeaderList headers;
  std::string body;  // empty when the body went to a BodySink

  // The first header named `name` (case-insensitive), or nullopt.
  std::optional<std::string> header(std::string_view name) const;
  // The server's JSON error ({"error":{"code":C,"message":M}}) as "C: M", or the status line
  // and the start of the body when it is not one: for error messages.
  std::string error_text() const;
};

// Receives a response body piece by piece; returning false abandons the response (the
// connection is then closed) and the request fails with kIoError "aborted".
using BodySink = std::function<bool(std::string_view piece)>;

// `text` with every byte but unreserved characters (RFC 3986 §2.3), and '/' when `keep_slash`,
// percent-encoded: for request paths (keep_slash) and query values.
std::string PercentEncode(std::string_view text, bool keep_slash);

class AdminClient {
 public:
  // Parses options.url; kBadRequest with a message naming it when it is not an http(s) URL
  // with a host. Connects nothing yet.
  static streamkeeper::Status Create(AdminClientOptions options,
                                     std::unique_ptr<AdminClient>* out);
  // The URL check of Create() alone, for the command line (a bad --url is a usage error).
  static streamkeeper::Status CheckUrl(const std::string& url);
  ~AdminClient();
  AdminClient(const AdminClient&) = delete;
  AdminClient& operator=(const AdminClient&) = delete;

  // The request target of the stored stream `path`: the base prefix, then the path
  // percent-encoded byte by byte (everything but unreserved characters and '/'). The server
  // stores a stream under its whole decoded request path ("/v1/stream/chat/1", as `list`
  // prints it), which is used as it is; any other path (a store an embedding program wrote:
  // "/chat/1", or a bare "chat/1") goes under "/v1/stream/" without its leading slashes.
  std::string stream_target(std::string_view path) const;
  // The request target for a server route ("/_admin/snapshot"): the base prefix and `route`.
  std::string route_target(std::string_view route) const;

  // Sends one request and reads the whole answer into *out (any status: the caller decides).
  // `timeout` bounds sending and receiving (not connecting, which has its own). kUnavailable
  // naming the URL when the server cannot be reached; kIoError on a broken or timed-out
  // exchange.
  streamkeeper::Status request(std::string_view method, const std::string& target,
                               const HeaderList& headers, std::string_view body,
                               std::chrono::milliseconds timeout, AdminResponse* out);

  // As request(), but a 2xx answer's body goes to `sink` as it arrives (out->body stays
  // empty); other answers are read whole into out->body. `idle_timeout` bounds each wait for
  // the next piece, not the whole body, so a large download is not cut.
  streamkeeper::Status request_streamed(std::string_view method, const std::string& target,
                                        const HeaderList& headers, std::string_view body,
                                        std::chrono::milliseconds idle_timeout,
                                        const BodySink& sink, AdminResponse* out);

  // The base URL as given, for messages.
  const std::string& url() const;

 private:
  struct Impl;
  explicit AdminClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ds_admin
