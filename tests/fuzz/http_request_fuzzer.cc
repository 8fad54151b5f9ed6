// Fuzz target: bytes as they would arrive on one connection, parsed with the server's Beast
// settings (http/request_message.h) and answered by the ProtocolHandler over a StreamManager on
// MemoryStorage. No sockets: the transport's part is replayed here, as HttpSession does it.
//
// The input may hold several pipelined requests, so a create can be followed by appends, reads,
// forks and deletes of the same stream. Each input gets a fresh manager, so a crash reproduces
// from its input alone.
//
// Beyond ASan/UBSan, it checks what the server promises for any request bytes:
//   - every parsed request is answered, exactly once and within seconds;
//   - with a healthy backend nothing is a server error: every status is 1xx-4xx;
//   - an error response carries a JSON error body (HEAD: no body, as HEAD never has one);
//   - the response head renders (live directives are carried out: a long-poll is finished at
//     once, an SSE stream is stepped until it would wait).
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string_view>

#include "http/request_message.h"
#include "http/response_head.h"
#include "protocol/protocol_handler.h"
#include "streamkeeper/memory_storage.h"
#include "streamkeeper/stream_manager.h"

namespace streamkeeper {
namespace {

// Small enough that a fuzzed body can reach the 413 path quickly.
ServerOptions FuzzServerOptions() {
  ServerOptions options;
  options.max_body_bytes = 16 << 10;
  options.max_header_bytes = 4 << 10;
  return options;
}

[[noreturn]] void Fail(const char* what, const HttpResponse& response) {
  std::fprintf(stderr, "http_request_fuzzer: %s (status %d)\nbody: %.*s\n", what,
               response.status, static_cast<int>(response.body.size()), response.body.data());
  std::abort();
}

void CheckResponse(const HttpResponse& response, bool head) {
  if (response.status < 100 || response.status > 599) Fail("status out of range", response);
  if (response.status >= 500) Fail("server error for a request on a healthy backend", response);
  if (response.status >= 400 && !head) {
    auto type = response.header("Content-Type");
    if (!type || type->find("application/json") == std::string_view::npos ||
        response.body.empty() || response.body.front() != '{') {
      Fail("error response without a JSON error body", response);
    }
  }
  (void)RenderResponseHead(response, false, false, "Thu, 01 Jan 2026 00:00:00 GMT");
}

// Calls handle() and waits for its one reply, which may come from the committer's thread.
HttpResponse Handle(ProtocolHandler& handler, HttpRequest& request) {
  struct Slot {
    std::mutex mu;
    std::condition_variable cv;
    int replies = 0;
    HttpResponse response;
  };
  auto slot = std::make_shared<Slot>();
  handler.handle(request, [slot](HttpResponse response) {
    std::lock_guard lock(slot->mu);
    if (++slot->replies == 1) slot->response = std::move(response);
    slot->cv.notify_all();
  });
  std::unique_lock lock(slot->mu);
  if (!slot->cv.wait_for(lock, std::chrono::seconds(10), [&] { return slot->replies > 0; })) {
    std::fprintf(stderr, "http_request_fuzzer: no reply within 10 s\n");
    std::abort();
  }
  return std::move(slot->response);
}

void CarryOut(ProtocolHandler& handler, HttpResponse response, bool head) {
  CheckResponse(response, head);
  if (response.long_poll) {
    CheckResponse(handler.finish_long_poll(*response.long_poll), head);
  } else if (response.sse) {
    uint64_t position = response.sse->position;
    for (int step = 0; step < 8; ++step) {
      auto next = handler.sse_step(*response.sse, position, step == 0);
      position = next.next_position;
      if (next.finished || next.wait) break;
    }
  }
}

}  // namespace
}  // namespace streamkeeper

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace streamkeeper;
  namespace http = boost::beast::http;

  ManagerOptions manager_options;
  manager_options.sweep_interval = std::chrono::milliseconds(0);
  manager_options.clock = [] { return int64_t{1'780'000'000'000}; };  // fixed: reproducible TTLs
  Status status;
  auto manager = StreamManager::Open(std::make_unique<MemoryStorage>(), manager_options, &status);
  if (!manager) std::abort();
  ProtocolOptions protocol_options;
  protocol_options.max_read_bytes = 4096;  // fuzzed streams are small: let reads page
  protocol_options.clock = manager_options.clock;
  ProtocolHandler handler(manager.get(), protocol_options);
  const ServerOptions server_options = FuzzServerOptions();

  std::string_view in(reinterpret_cast<const char*>(data), size);
  // As HttpSession::parse_request: a fresh parser per request, fed what is buffered; the end of
  // the input is the peer closing its side.
  for (int requests = 0; !in.empty() && requests < 64; ++requests) {
    BeastRequestParser parser;
    ConfigureRequestParser(parser, server_options);
    boost::beast::error_code ec;
    while (!in.empty() && !parser.is_done()) {
      size_t used = parser.put(boost::asio::buffer(in.data(), in.size()), ec);
      in.remove_prefix(used);
      if (ec || used == 0) break;
    }
    if (ec == http::error::need_more || (!ec && !parser.is_done())) {
      ec = {};
      if (!parser.got_some()) break;
      parser.put_eof(ec);
    }
    if (ec || !parser.is_done()) break;  // the session answers 400/413/431 and closes
    BeastRequest message = parser.release();
    bool keep_alive = message.keep_alive();
    bool head = message.method() == http::verb::head;
    HttpRequest request = ToHttpRequest(message);
    CarryOut(handler, Handle(handler, request), head);
    if (!keep_alive) break;
  }
  manager->shutdown();
  return 0;
}
