// RequestMessage: how the transport parses a request with Beast and hands it to the protocol
// layer as an HttpRequest.
//
// Shared by ConnectionSession and the HTTP fuzz target (tests/fuzz/), so the bytes the fuzzer feeds
// are parsed with the server's settings and converted by the server's code.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "http/server_options.h"
#include "protocol/http_types.h"

namespace streamkeeper {

using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;
using BeastRequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// Eager (head and body taken in one pass over the buffer), with the body bounded by
// options.max_body_bytes (413) and the head by options.max_header_bytes (431).
void ConfigureRequestParser(BeastRequestParser& parser, const ServerOptions& options);

// The protocol layer's request: method, target and headers are views into `message`, which must
// outlive the result; the body is moved out of `message`.
HttpRequest ToHttpRequest(BeastRequest& message);

// The head of `message` as *out's method, target and headers (views into `message`, which must
// outlive their use); out's body is left empty. Reuses out's header capacity.
void ToHttpRequestHead(const BeastRequest& message, HttpRequest* out);

}  // namespace streamkeeper
