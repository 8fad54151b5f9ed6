// The server under test: a base URL that must resolve only to loopback.
#ifndef DS_BENCH_TARGET_H_
#define DS_BENCH_TARGET_H_

#include <boost/asio/ip/tcp.hpp>
#include <optional>
#include <string>
#include <vector>

namespace dsbench {

struct Target {
  std::string host;         // as given in the URL, used for the Host header
  std::string port;         // decimal
  std::string host_header;  // "host:port", IPv6 in brackets
  std::string base_path;    // URL path without a trailing slash, often empty
  std::vector<boost::asio::ip::tcp::endpoint> endpoints;  // all loopback

  // "<base_path>/v1/stream/<name>"
  std::string StreamPath(const std::string& name) const;
};

// Parses an http:// base URL and resolves its host. Returns nullopt and sets
// *error when the URL is malformed, not plain http, unresolvable, or when the
// host (or any address it resolves to) is not loopback: 127.0.0.0/8, ::1,
// "localhost". This tool must never send load to another machine.
std::optional<Target> ResolveLoopbackTarget(const std::string& url, std::string* error);

}  // namespace dsbench

#endif  // DS_BENCH_TARGET_H_
