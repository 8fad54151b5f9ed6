#include "target.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <exception>
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

std::shared_ptr<asio::ssl::context> MakeClientContext(const std::string& ca_file,
                                                      std::string* error) {
  try {
    auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
    if (ca_file.empty()) {
      context->set_default_verify_paths();
    } else {
      context->load_verify_file(ca_file);
    }
    context->set_verify_mode(asio::ssl::verify_peer);
    return context;
  } catch (const std::exception& e) {
    *error = "--ca " + ca_file + ": " + e.what();
    return nullptr;
  }
}

}  // namespace

std::string Target::StreamPath(const std::string& name) const {
  return base_path + "/v1/stream/" + name;
}

std::optional<Target> ResolveLoopbackTarget(const std::string& url, std::string* error,
                                            const std::string& ca_file) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) {
    *error = "malformed URL: " + url;
    return std::nullopt;
  }
  const bool https = parsed->scheme() == "https";
  if (parsed->scheme() != "http" && !https) {
    *error = "only http:// and https:// URLs are supported: " + url;
    return std::nullopt;
  }
  Target target;
  // host_address() leaves IPv6 brackets out; the Host header puts them back.
  target.host = std::string(parsed->host_address());
  target.port = parsed->has_port() ? std::string(parsed->port()) : https ? "443" : "80";
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
  if (https) {
    target.tls = MakeClientContext(ca_file, error);
    if (!target.tls) return std::nullopt;
  }
  return target;
}

}  // namespace dsbench
