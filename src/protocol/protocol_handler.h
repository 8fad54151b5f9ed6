// ProtocolHandler: the Durable Streams protocol as a function from request to response.
//
// It validates methods, paths, query parameters and headers, calls the StreamManager, and maps
// typed results onto status codes and headers. It knows nothing of sockets: live reads come back
// as directives (HttpResponse::long_poll / ::sse) that the transport turns into live reads
// (long_poll(), sse(): protocol/live_read.h) to park and resume.
//
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "protocol/http_types.h"
#include "protocol/live_read.h"
#include "streamkeeper/clock.h"
#include "streamkeeper/stream_manager.h"

namespace streamkeeper {

struct ProtocolOptions {
  size_t max_read_bytes = 1 << 20;  // payload bytes per catch-up response or SSE data event
  Clock clock = SystemClock();
};

class ProtocolHandler {
 public:
  using Reply = std::function<void(HttpResponse)>;

  ProtocolHandler(StreamManager* manager, ProtocolOptions options);

  // Handles one request; calls `reply` exactly once, either inline or later from the manager's
  // committer thread (writes answer only once durable).
  // `request` is consumed: its body may be moved out.
  void handle(HttpRequest& request, Reply reply);

  // The live reads of a response's directives, which the transport parks and resumes
  // (protocol/live_read.h). The handler outlives them.
  LongPollRead long_poll(LongPollDirective directive);
  SseRead sse(SseDirective directive);

  // Completes a parked long-poll after a wake or the timeout, from one read.
  HttpResponse finish_long_poll(const LongPollDirective& directive);

  // One step of an SSE stream from `position`, from one read (SseStep, protocol/http_types.h).
  // `first`: the step right after the head, which always sends the position (a control event).
  using SseStep = streamkeeper::SseStep;
  SseStep sse_step(const SseDirective& directive, uint64_t position, bool first);

  // An error response with the JSON error body and the headers every response carries.
  static HttpResponse Error(int status, std::string_view code, std::string_view message);

 private:
  void handle_put(HttpRequest& request, const std::string& path, Reply reply);
  void handle_post(HttpRequest& request, const std::string& path, Reply reply);
  void handle_delete(const std::string& path, Reply reply);
  HttpResponse handle_head(const std::string& path);
  HttpResponse handle_get(const HttpRequest& request, const std::string& path,
                          const struct RequestTarget& target);
  // The answer to a read of `path` from `position` (nullopt: the tail), made from `read`.
  HttpResponse read_response(const HttpRequest& request, ReadResult read, const std::string& path,
                             const std::string& offset_text, std::optional<uint64_t> position,
                             bool from_now, bool live,
                             std::optional<std::string_view> client_cursor);
  SseStep sse_step_of(const SseDirective& directive, uint64_t position, bool first,
                      ReadResult read);

  StreamManager* manager_;
  ProtocolOptions options_;
};

}  // namespace streamkeeper
