#include "target.h"

#include <boost/asio/io_context.hpp>
#include <boost/url/parse.hpp>

namespace dsbench {
namespace {

namespace asio = boost::asio;

bool IsLoopbackLiteralOrName(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

}  // namespace

std::string Target::StreamPath(const std::string& name) const {
  return base_path + "/v1/stream/" + name;
}

std::optional<Target> ResolveLoopbackTarget(const std::string& url, std::string* error) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) {
    *error = "malformed URL: " + url;
    return std::nullopt;
  }
  if (parsed->scheme() != "http") {
    *error = "only http:// URLs are supported: " + url;
    return std::nullopt;
  }
  Target target;
  // host_address() leaves IPv6 brackets out; the Host header puts them back.
  target.host = std::string(parsed->host_address());
  target.port = parsed->has_port() ? std::string(parsed->port()) : "80";
  const bool ipv6 = parsed->host_type() == boost::urls::host_type::ipv6;
  target.host_header = (ipv6 ? "[" + target.host + "]" : target.host) + ":" + target.port;
  target.base_path = std::string(parsed->encoded_path());
  while (!target.base_path.empty() && target.base_path.back() == '/') target.base_path.pop_back();

  if (!IsLoopbackLiteralOrName(target.host)) {
    *error = "refusing non-loopback host '" + target.host +
             "': only 127.0.0.0/8, ::1 and localhost are allowed";
    return std::nullopt;
  }

  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  boost::system::error_code ec;
  const auto results = resolver.resolve(target.host, target.port, ec);
  if (ec) {
    *error = "cannot resolve " + target.host + ": " + ec.message();
    return std::nullopt;
  }
  // A tampered hosts file could map "localhost" elsewhere; check what we got.
  for (const auto& entry : results) {
    if (!entry.endpoint().address().is_loopback()) {
      *error = "refusing " + target.host + ": it resolves to non-loopback address " +
               entry.endpoint().address().to_string();
      return std::nullopt;
    }
    target.endpoints.push_back(entry.endpoint());
  }
  if (target.endpoints.empty()) {
    *error = "no addresses for " + target.host;
    return std::nullopt;
  }
  return target;
}

}  // namespace dsbench
