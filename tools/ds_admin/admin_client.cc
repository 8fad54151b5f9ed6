#include "admin_client.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>
#include <strings.h>

#include <sys/socket.h>

#include <array>
#include <cerrno>

namespace ds_admin {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using streamkeeper::Status;
using tcp = asio::ip::tcp;
using Millis = std::chrono::milliseconds;

std::optional<std::string> AdminResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() && strncasecmp(key.data(), name.data(), name.size()) == 0) {
      return value;
    }
  }
  return std::nullopt;
}

std::string AdminResponse::error_text() const {
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(body, ec);
  if (!ec && parsed.is_object()) {
    const boost::json::value* error = parsed.as_object().if_contains("error");
    if (error && error->is_object()) {
      const boost::json::value* code = error->as_object().if_contains("code");
      const boost::json::value* message = error->as_object().if_contains("message");
      if (code && code->is_string() && message && message->is_string()) {
        return "HTTP " + std::to_string(status) + " " + std::string(code->as_string()) + ": " +
               std::string(message->as_string());
      }
    }
  }
  std::string text = "HTTP " + std::to_string(status);
  if (!body.empty()) text += ": " + body.substr(0, 200);
  return text;
}

struct AdminClient::Impl {
  AdminClientOptions options;
  bool https = false;
  std::string host;
  std::string port;
  std::string prefix;  // the URL's path without its trailing '/'
  std::string host_header;  // host (IPv6 in brackets), ":port" when the URL has one
  asio::io_context ioc;
  asio::ssl::context ssl{asio::ssl::context::tls_client};
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  bool connected = false;

  beast::tcp_stream& lowest() { return https ? beast::get_lowest_layer(*tls) : *plain; }

  // Runs the operation `start` begins (it stores its result in *ec) to completion, bounded by
  // `timeout`: tcp_stream closes the socket when it passes and the operation ends with
  // beast::error::timeout.
  template <class Start>
  void run(Millis timeout, boost::system::error_code* ec, Start&& start) {
    lowest().expires_after(timeout);
    *ec = asio::error::would_block;
    start();
    ioc.restart();
    ioc.run();
  }

  void close() {
    boost::system::error_code ignored;
    if (plain) plain->socket().close(ignored);
    if (tls) beast::get_lowest_layer(*tls).socket().close(ignored);
    plain.reset();
    tls.reset();
    buffer.clear();
    connected = false;
  }

  Status unreachable(const std::string& why) const {
    return Status::Unavailable("cannot reach the server at " + options.url + ": " + why);
  }

  Status connect() {
    close();
    tcp::resolver resolver(ioc);
    boost::system::error_code ec;
    tcp::resolver::results_type endpoints = resolver.resolve(host, port, ec);
    if (ec) return unreachable("cannot resolve " + host + ": " + ec.message());
    if (https) {
      tls.emplace(ioc, ssl);
    } else {
      plain.emplace(ioc);
    }
    run(options.connect_timeout, &ec, [&] {
      lowest().async_connect(endpoints, [&](boost::system::error_code e, const tcp::endpoint&) {
        ec = e;
      });
    });
    if (ec) {
      close();
      return unreachable(ec == beast::error::timeout ? "connect timed out" : ec.message());
    }
    if (https) {
      SSL* handle = tls->native_handle();
      boost::system::error_code ip_ec;
      asio::ip::make_address(host, ip_ec);
      if (ip_ec) {
        SSL_set_tlsext_host_name(handle, host.c_str());
        SSL_set1_host(handle, host.c_str());
      } else {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(handle), host.c_str());
      }
      run(options.connect_timeout, &ec, [&] {
        tls->async_handshake(asio::ssl::stream_base::client,
                             [&](boost::system::error_code e) { ec = e; });
      });
      if (ec) {
        close();
        return unreachable("TLS handshake failed: " + ec.message());
      }
    }
    connected = true;
    return Status::Ok();
  }

  // False when the idle keep-alive connection has something to read: the server closed it
  // (EOF, or TLS close_notify) or sent something unasked. Either way it cannot carry a request;
  // a new connection is opened instead, before anything is sent.
  bool still_open() {
    boost::system::error_code ec;
    size_t pending = lowest().socket().available(ec);
    if (ec || pending > 0 || buffer.size() > 0) return false;
    lowest().socket().non_blocking(true, ec);
    char probe;
    ssize_t got = ::recv(lowest().socket().native_handle(), &probe, 1, MSG_PEEK | MSG_DONTWAIT);
    // got == 0: orderly EOF; got < 0 with EAGAIN: nothing there, open.
    return got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  template <class Operation>
  void with_stream(Operation&& operation) {
    if (https) {
      operation(*tls);
    } else {
      operation(*plain);
    }
  }

  http::request<http::string_body> make_request(std::string_view method, const std::string& target,
                                                const HeaderList& headers, std::string_view body) {
    http::request<http::string_body> req;
    req.method_string(method);
    req.target(target);
    req.version(11);
    req.set(http::field::host, host_header);
    req.set(http::field::user_agent, "ds-admin");
    if (!options.token.empty()) req.set(http::field::authorization, "Bearer " + options.token);
    for (const auto& [name, value] : headers) req.set(name, value);
    req.body() = std::string(body);
    if (!body.empty() || method == "POST" || method == "PUT") req.prepare_payload();
    req.keep_alive(true);
    return req;
  }

  // One attempt at an exchange: write `req`, then read the head into `parser`.
  template <class Parser>
  Status send_and_read_head(http::request<http::string_body>& req, Parser& parser, Millis timeout) {
    boost::system::error_code ec;
    with_stream([&](auto& stream) {
      run(timeout, &ec, [&] {
        http::async_write(stream, req, [&](boost::system::error_code e, size_t) { ec = e; });
      });
    });
    if (ec) return Status::IoError("sending to " + options.url + ": " + ec.message());
    with_stream([&](auto& stream) {
      run(timeout, &ec, [&] {
        http::async_read_header(stream, buffer, parser,
                                [&](boost::system::error_code e, size_t) { ec = e; });
      });
    });
    if (ec == beast::error::timeout) {
      return Status::IoError("no answer from " + options.url + " within " +
                             std::to_string(timeout.count()) + " ms");
    }
    if (ec) return Status::IoError("reading from " + options.url + ": " + ec.message());
    return Status::Ok();
  }

  static void CopyHead(const http::response_header<>& head, AdminResponse* out) {
    out->status = static_cast<int>(head.result_int());
    out->headers.clear();
    for (const auto& field : head) {
      out->headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
  }

  // Reads the rest of a response whose head `parser` holds, whole, into out->body.
  template <class Parser>
  Status read_whole(Parser&& head_parser, Millis timeout, AdminResponse* out) {
    http::response_parser<http::string_body> parser(std::move(head_parser));
    parser.body_limit(boost::none);
    boost::system::error_code ec;
    with_stream([&](auto& stream) {
      run(timeout, &ec, [&] {
        http::async_read(stream, buffer, parser,
                         [&](boost::system::error_code e, size_t) { ec = e; });
      });
    });
    if (ec) return Status::IoError("reading from " + options.url + ": " + ec.message());
    out->body = std::move(parser.get().body());
    if (!parser.get().keep_alive()) close();
    return Status::Ok();
  }

  Status exchange(std::string_view method, const std::string& target, const HeaderList& headers,
                  std::string_view body, Millis timeout, const BodySink* sink,
                  AdminResponse* out) {
    http::request<http::string_body> req = make_request(method, target, headers, body);
    // Only a request that changes nothing is sent again: a POST the server took but never
    // answered, resent, would append its data twice.
    const bool idempotent = method == "GET" || method == "HEAD";
    for (int attempt = 0;; ++attempt) {
      if (connected && !still_open()) close();
      bool reused = connected;
      if (!connected) {
        Status s = connect();
        if (!s.ok()) return s;
      }
      auto parser = std::make_unique<http::response_parser<http::buffer_body>>();
      parser->body_limit(boost::none);
      if (method == "HEAD") parser->skip(true);
      Status s = send_and_read_head(req, *parser, timeout);
      if (!s.ok()) {
        close();
        // A server may close an idle keep-alive connection just as we reuse it (after
        // still_open() looked).
        if (reused && idempotent && attempt == 0) continue;
        return s;
      }
      CopyHead(parser->get().base(), out);
      out->body.clear();
      if (sink == nullptr || out->status / 100 != 2) {
        return read_whole(std::move(*parser), timeout, out);
      }
      return read_pieces(*parser, timeout, *sink);
    }
  }

  Status read_pieces(http::response_parser<http::buffer_body>& parser, Millis idle_timeout,
                     const BodySink& sink) {
    std::array<char, 64 * 1024> piece;
    while (!parser.is_done()) {
      parser.get().body().data = piece.data();
      parser.get().body().size = piece.size();
      boost::system::error_code ec;
      with_stream([&](auto& stream) {
        run(idle_timeout, &ec, [&] {
          http::async_read_some(stream, buffer, parser,
                                [&](boost::system::error_code e, size_t) { ec = e; });
        });
      });
      if (ec == http::error::need_buffer) ec = {};
      if (ec) {
        close();
        return Status::IoError("reading the body from " + options.url + ": " + ec.message());
      }
      size_t got = piece.size() - parser.get().body().size;
      if (got > 0 && !sink(std::string_view(piece.data(), got))) {
        close();
        return Status::IoError("aborted");
      }
    }
    if (!parser.get().keep_alive()) close();
    return Status::Ok();
  }
};

AdminClient::AdminClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AdminClient::~AdminClient() {
  if (impl_) impl_->close();
}

namespace {

struct BaseUrl {
  bool https = false;
  std::string host;         // IPv6 without brackets: for resolving and certificate checks
  std::string port;
  std::string host_header;  // as the URL has it, brackets and port included
  std::string prefix;       // the path, without its trailing '/'
};

Status ParseBaseUrl(const std::string& url, BaseUrl* out) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  auto bad = [&](const std::string& why) { return Status::BadRequest("--url '" + url + "' " + why); };
  if (!parsed) return bad("is not a URL (expected e.g. http://127.0.0.1:4437)");
  std::string scheme(parsed->scheme());
  if (scheme == "https") {
    out->https = true;
  } else if (scheme != "http") {
    return bad("must start with http:// or https://");
  }
  if (parsed->has_query() || parsed->has_fragment() || parsed->has_userinfo()) {
    return bad("must not have a query, fragment or user information");
  }
  out->host = std::string(parsed->host_address());
  if (out->host.empty()) return bad("has no host");
  out->port = parsed->has_port() ? std::string(parsed->port()) : (out->https ? "443" : "80");
  out->host_header = std::string(parsed->encoded_host_and_port());
  out->prefix = std::string(parsed->encoded_path());
  while (!out->prefix.empty() && out->prefix.back() == '/') out->prefix.pop_back();
  return Status::Ok();
}

}  // namespace

Status AdminClient::CheckUrl(const std::string& url) {
  BaseUrl base;
  return ParseBaseUrl(url, &base);
}

Status AdminClient::Create(AdminClientOptions options, std::unique_ptr<AdminClient>* out) {
  out->reset();
  BaseUrl base;
  Status parsed = ParseBaseUrl(options.url, &base);
  if (!parsed.ok()) return parsed;
  auto impl = std::make_unique<Impl>();
  impl->https = base.https;
  impl->host = std::move(base.host);
  impl->port = std::move(base.port);
  impl->host_header = std::move(base.host_header);
  impl->prefix = std::move(base.prefix);
  if (impl->https) {
    boost::system::error_code ec;
    impl->ssl.set_verify_mode(asio::ssl::verify_peer);
    if (options.ca_file.empty()) {
      impl->ssl.set_default_verify_paths(ec);
    } else {
      impl->ssl.load_verify_file(options.ca_file, ec);
    }
    if (ec) {
      return Status::BadRequest("--ca '" + options.ca_file + "' cannot be loaded: " + ec.message());
    }
  }
  impl->options = std::move(options);
  out->reset(new AdminClient(std::move(impl)));
  return Status::Ok();
}

const std::string& AdminClient::url() const { return impl_->options.url; }

std::string PercentEncode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~' || (keep_slash && c == '/');
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string AdminClient::stream_target(std::string_view path) const {
  constexpr std::string_view kStreamPrefix = "/v1/stream/";  // protocol/request_target.h
  if (path.starts_with(kStreamPrefix)) {
    path.remove_prefix(kStreamPrefix.size());
  } else {
    while (path.starts_with('/')) path.remove_prefix(1);
  }
  return impl_->prefix + std::string(kStreamPrefix) + PercentEncode(path, /*keep_slash=*/true);
}

std::string AdminClient::route_target(std::string_view route) const {
  return impl_->prefix + std::string(route);
}

Status AdminClient::request(std::string_view method, const std::string& target,
                            const HeaderList& headers, std::string_view body, Millis timeout,
                            AdminResponse* out) {
  return impl_->exchange(method, target, headers, body, timeout, nullptr, out);
}

Status AdminClient::request_streamed(std::string_view method, const std::string& target,
                                     const HeaderList& headers, std::string_view body,
                                     Millis idle_timeout, const BodySink& sink,
                                     AdminResponse* out) {
  return impl_->exchange(method, target, headers, body, idle_timeout, &sink, out);
}

}  // namespace ds_admin
