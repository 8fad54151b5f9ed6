// The server under test: a base URL that must resolve only to loopback, http:// or https://.
#ifndef DS_BENCH_TARGET_H_
#define DS_BENCH_TARGET_H_

#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace dsbench {

struct Target {
  std::string host;         // as given in the URL, used for the Host header
  std::string port;         // decimal
  std::string host_header;  // "host:port", IPv6 in brackets
  std::string base_path;    // URL path without a trailing slash, often empty
  std::string authorization;  // the Authorization header of every request; empty: none
  std::vector<boost::asio::ip::tcp::endpoint> endpoints;  // all loopback
  // https://: the client context (the --ca file trusted, the certificate checked against
  // host); nullptr for http://. Shared by every connection.
  std::shared_ptr<boost::asio::ssl::context> tls;

  // "<base_path>/v1/stream/<name>"
  std::string StreamPath(const std::string& name) const;
};

// Parses an http:// or https:// base URL and resolves its host. Returns nullopt and sets
// *error when the URL is malformed, neither http nor https, unresolvable, or when the
// host (or any address it resolves to) is not loopback: 127.0.0.0/8, ::1,
// "localhost". This tool must never send load to another machine.
// https:// trusts the PEM CAs of `ca_file` (empty: the system's) and needs TLS 1.2 or 1.3.
std::optional<Target> ResolveLoopbackTarget(const std::string& url, std::string* error,
                                            const std::string& ca_file = "");

}  // namespace dsbench

#endif  // DS_BENCH_TARGET_H_
