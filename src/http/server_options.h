// Limits and timeouts of the HTTP transport. Every limit is a setting of streamkeeper
// (config/server_settings.cc).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace streamkeeper {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 4437;
  size_t threads = 0;                      // IO threads; 0 = one per core
  size_t max_body_bytes = 64ull << 20;     // larger bodies get 413
  size_t max_header_bytes = 16 << 10;      // larger request heads get 431
  std::chrono::milliseconds request_timeout{30000};  // to receive one whole request
  std::chrono::milliseconds idle_timeout{120000};    // keep-alive connection with no request
  std::chrono::milliseconds write_timeout{30000};
  std::chrono::milliseconds long_poll_timeout{30000};
  std::chrono::milliseconds sse_heartbeat{15000};    // comment line to detect dead clients
  std::chrono::milliseconds sse_reconnect{60000};    // end SSE responses so CDNs can collapse
  // Client connections served at once; one more is answered 503 and closed. 0: no limit (the
  // server binary derives one from its descriptor limit, src/util/descriptor_limit.h).
  size_t max_connections = 0;
  // Connections one client address may have open at once; one more is answered 429 and
  // closed. 0: no limit.
  size_t max_connections_per_ip = 0;
  // Over-limit connections being answered 503 at once (each holds its descriptor while the
  // answer goes out and the client's request is drained, at most a couple of seconds); beyond
  // this, an over-limit connection gets the 503 without the drain (it may be lost to a reset).
  // Not a flag: the descriptor budget reserves room for it.
  size_t max_refusing_connections = 32;
  // At stop(): how long requests in flight may take to be answered before the connections
  // still open are cut.
  std::chrono::milliseconds shutdown_timeout{10000};
  // How long accepting pauses after accept() fails for lack of descriptors or memory.
  std::chrono::milliseconds accept_backoff{50};
};

}  // namespace streamkeeper
