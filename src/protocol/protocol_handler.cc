#include "protocol/protocol_handler.h"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <boost/url/parse.hpp>

#include "manager/content_type.h"
#include "protocol/cursor.h"
#include "protocol/header_values.h"
#include "protocol/request_target.h"
#include "protocol/sse_encoder.h"
#include "streamkeeper/offset.h"
#include "util/utf8.h"

namespace streamkeeper {
namespace {

// Cache-Control of a 200 read answer, for shared caches (CDNs, tools/nginx/streamkeeper.conf).
// A chunk of data never changes, so it is cacheable (spec 10.1), even one that ends at the tail
// (it may later be followed by more, which a client finds by reading its Stream-Next-Offset).
// The empty answer at the tail of an open stream is that probe: "nothing more yet". Stored for
// max-age, it would hide new data and the close from every reader at the tail, so caches must
// revalidate it each time (its ETag changes with an append or the close). At the tail of a closed
// stream it is the EOF and never changes.
constexpr std::string_view kCatchUpCacheControl = "public, max-age=60, stale-while-revalidate=300";
constexpr std::string_view kOpenTailCacheControl = "no-cache";

std::string_view ReadCacheControl(bool has_data, bool closed) {
  return has_data || closed ? kCatchUpCacheControl : kOpenTailCacheControl;
}

int HttpStatusOf(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kGone: return 410;
    case StatusCode::kBadRequest: return 400;
    case StatusCode::kConfigMismatch:
    case StatusCode::kContentTypeMismatch:
    case StatusCode::kSeqConflict:
    case StatusCode::kClosed:
    case StatusCode::kProducerSeqGap: return 409;
    case StatusCode::kStaleEpoch: return 403;
    case StatusCode::kPayloadTooLarge: return 413;
    case StatusCode::kIoError: return 500;
    case StatusCode::kNoSpace: return 507;
    case StatusCode::kUnavailable: return 503;
  }
  return 500;
}

std::string_view ErrorCodeOf(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kNotFound: return "NOT_FOUND";
    case StatusCode::kGone: return "GONE";
    case StatusCode::kBadRequest: return "BAD_REQUEST";
    case StatusCode::kConfigMismatch: return "CONFIG_MISMATCH";
    case StatusCode::kContentTypeMismatch: return "CONTENT_TYPE_MISMATCH";
    case StatusCode::kSeqConflict: return "SEQ_CONFLICT";
    case StatusCode::kClosed: return "STREAM_CLOSED";
    case StatusCode::kProducerSeqGap: return "PRODUCER_SEQ_GAP";
    case StatusCode::kStaleEpoch: return "STALE_EPOCH";
    case StatusCode::kPayloadTooLarge: return "PAYLOAD_TOO_LARGE";
    case StatusCode::kIoError: return "STORAGE_ERROR";
    case StatusCode::kNoSpace: return "INSUFFICIENT_STORAGE";
    case StatusCode::kUnavailable: return "STORAGE_UNAVAILABLE";
  }
  return "INTERNAL";
}

// How long a client should wait before retrying a write the storage refused: long enough for
// an operator (or RocksDB's own recovery) to act, short enough that a transient fault costs
// little.
constexpr const char* kNoSpaceRetryAfterSeconds = "30";
constexpr const char* kUnavailableRetryAfterSeconds = "5";

HttpResponse ErrorOf(const Status& status) {
  HttpResponse response = ProtocolHandler::Error(HttpStatusOf(status.code()),
                                                 ErrorCodeOf(status.code()), status.message());
  if (status.code() == StatusCode::kNoSpace) {
    response.set("Retry-After", kNoSpaceRetryAfterSeconds);
  } else if (status.code() == StatusCode::kUnavailable || status.code() == StatusCode::kIoError) {
    response.set("Retry-After", kUnavailableRetryAfterSeconds);
  }
  return response;
}

HttpResponse Empty(int status) {
  HttpResponse response;
  response.status = status;
  return response;
}

// The source of a fork: a path, or a URL whose path is taken.
std::optional<std::string> ForkSourcePath(std::string_view value) {
  auto parsed = boost::urls::parse_uri_reference(value);
  if (!parsed) return std::nullopt;
  std::string path = parsed->path();
  if (!ValidateStreamPath(path).ok()) return std::nullopt;
  return path;
}

std::string HostOf(const HttpRequest& request) {
  auto host = request.header("host");
  return host && !host->empty() ? std::string(*host) : std::string("127.0.0.1");
}

bool EtagMatches(std::optional<std::string_view> if_none_match, const std::string& etag) {
  if (!if_none_match) return false;
  std::string_view list = *if_none_match;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.substr(0, 2) == "W/") item.remove_prefix(2);
    if (item == etag || item == "*") return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

// The answer to an OPTIONS request (a CORS preflight).
HttpResponse Preflight() {
  HttpResponse response = Empty(204);
  response.set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, HEAD, OPTIONS");
  response.set("Access-Control-Allow-Headers",
               "Content-Type, Authorization, If-None-Match, Stream-Seq, Stream-TTL, "
               "Stream-Expires-At, Stream-Closed, Producer-Id, Producer-Epoch, Producer-Seq, "
               "Stream-Forked-From, Stream-Fork-Offset, Stream-Fork-Sub-Offset");
  response.set("Access-Control-Max-Age", "86400");
  return response;
}

}  // namespace

ProtocolHandler::ProtocolHandler(StreamManager* manager, ProtocolOptions options)
    : manager_(manager), options_(std::move(options)) {}

HttpResponse ProtocolHandler::Error(int status, std::string_view code, std::string_view message) {
  HttpResponse response = Empty(status);
  response.set("Content-Type", "application/json");
  response.set("Cache-Control", "no-store");
  response.body = R"({"error":{"code":)" + boost::json::serialize(boost::json::string(code)) +
                  R"(,"message":)" + boost::json::serialize(boost::json::string(message)) + "}}";
  return response;
}

void ProtocolHandler::handle(HttpRequest& request, Reply reply) {
  // OPTIONS * asks about the server, not a resource.
  const bool options = request.method == "OPTIONS";
  if (options && request.target == "*") return reply(Preflight());
  RequestTarget target;
  if (Status s = ParseRequestTarget(request.target, &target); !s.ok()) return reply(ErrorOf(s));
  // A path that breaks the rule is refused for every method, a preflight included, before
  // any stream is looked up; a path outside the stream prefix is only "not found" (404).
  Status valid = ValidateStreamPath(target.path);
  if (valid.code() == StatusCode::kBadRequest) {
    return reply(Error(400, "INVALID_PATH", valid.message()));
  }
  if (options) return reply(Preflight());
  if (!valid.ok()) return reply(ErrorOf(valid));
  const std::string& path = target.path;
  if (request.method == "GET") return reply(handle_get(request, path, target));
  if (request.method == "HEAD") return reply(handle_head(path));
  if (request.method == "PUT") return handle_put(request, path, std::move(reply));
  if (request.method == "POST") return handle_post(request, path, std::move(reply));
  if (request.method == "DELETE") return handle_delete(path, std::move(reply));
  HttpResponse response = Error(405, "METHOD_NOT_ALLOWED", "method not allowed");
  response.set("Allow", "GET, POST, PUT, DELETE, HEAD, OPTIONS");
  reply(std::move(response));
}

// ---------------------------------------------------------------------------------------------
// PUT: create (and fork)

void ProtocolHandler::handle_put(HttpRequest& request, const std::string& path, Reply reply) {
  CreateOptions options;
  auto content_type = request.header("content-type");
  options.content_type_given = content_type && IsWellFormedContentType(*content_type);
  if (options.content_type_given) options.content_type = std::string(*content_type);

  auto ttl = request.header("stream-ttl");
  auto expires = request.header("stream-expires-at");
  if (ttl && expires) {
    return reply(Error(400, "BAD_REQUEST", "Stream-TTL and Stream-Expires-At are exclusive"));
  }
  if (ttl) {
    options.ttl_seconds = ParseCanonicalUnsigned(*ttl);
    if (!options.ttl_seconds) return reply(Error(400, "BAD_REQUEST", "invalid Stream-TTL"));
  }
  if (expires) {
    options.expires_at_ms = ParseRfc3339(*expires);
    if (!options.expires_at_ms) {
      return reply(Error(400, "BAD_REQUEST", "invalid Stream-Expires-At"));
    }
  }
  options.closed = IsTrueFlag(request.header("stream-closed"));

  auto fork_from = request.header("stream-forked-from");
  auto fork_offset = request.header("stream-fork-offset");
  auto fork_sub = request.header("stream-fork-sub-offset");
  if (!fork_from && (fork_offset || fork_sub)) {
    return reply(Error(400, "BAD_REQUEST", "fork offsets need Stream-Forked-From"));
  }
  if (fork_from) {
    auto source = ForkSourcePath(*fork_from);
    if (!source) return reply(Error(400, "BAD_REQUEST", "invalid Stream-Forked-From"));
    options.fork_from = *source;
    if (fork_offset) {
      options.fork_offset = ParsePosition(*fork_offset);
      if (!options.fork_offset) {
        return reply(Error(400, "BAD_REQUEST", "invalid Stream-Fork-Offset"));
      }
    }
    if (fork_sub) {
      auto sub = ParseCanonicalUnsigned(*fork_sub);
      if (!sub) return reply(Error(400, "BAD_REQUEST", "invalid Stream-Fork-Sub-Offset"));
      options.fork_sub_offset = *sub;
    }
  }
  options.initial_data = std::move(request.body);
  std::string location = "http://" + HostOf(request) + path;

  manager_->create_async(path, std::move(options),
                         [reply = std::move(reply), location](Status s, CreateResult result) {
    if (!s.ok()) {
      // A soft-deleted path or fork source is a conflict for creates, not "gone".
      if (s.code() == StatusCode::kGone) {
        return reply(Error(409, "CONFLICT", s.message()));
      }
      if (s.code() == StatusCode::kContentTypeMismatch) {
        return reply(Error(409, "CONTENT_TYPE_MISMATCH", s.message()));
      }
      return reply(ErrorOf(s));
    }
    HttpResponse response = Empty(result.created ? 201 : 200);
    if (result.created) response.set("Location", location);
    response.set("Content-Type", result.info.content_type);
    response.set("Stream-Next-Offset", FormatOffset(result.info.tail));
    if (result.info.closed) response.set("Stream-Closed", "true");
    reply(std::move(response));
  });
}

// ---------------------------------------------------------------------------------------------
// POST: append, close

void ProtocolHandler::handle_post(HttpRequest& request, const std::string& path, Reply reply) {
  AppendOptions options;
  options.close = IsTrueFlag(request.header("stream-closed"));
  if (request.body.empty() && !options.close) {
    return reply(Error(400, "BAD_REQUEST", "empty body (send Stream-Closed: true to close)"));
  }
  auto content_type = request.header("content-type");
  if (!request.body.empty()) {
    if (!content_type || content_type->empty()) {
      return reply(Error(400, "BAD_REQUEST", "Content-Type is required"));
    }
    options.content_type = std::string(*content_type);
  }
  // Stream-Seq and Producer-Id are stored and shown as text (ds-admin show, export): bytes
  // that are not UTF-8 (HTTP lets obs-text through) are refused rather than stored.
  if (auto seq = request.header("stream-seq")) {
    if (!IsValidUtf8(*seq)) {
      return reply(Error(400, "BAD_REQUEST", "Stream-Seq is not valid UTF-8"));
    }
    options.stream_seq = std::string(*seq);
  }

  auto producer_id = request.header("producer-id");
  auto producer_epoch = request.header("producer-epoch");
  auto producer_seq = request.header("producer-seq");
  int producer_headers = (producer_id ? 1 : 0) + (producer_epoch ? 1 : 0) + (producer_seq ? 1 : 0);
  if (producer_headers != 0) {
    if (producer_headers != 3) {
      return reply(Error(400, "BAD_REQUEST",
                         "Producer-Id, Producer-Epoch and Producer-Seq go together"));
    }
    if (producer_id->empty()) return reply(Error(400, "BAD_REQUEST", "empty Producer-Id"));
    if (!IsValidUtf8(*producer_id)) {
      return reply(Error(400, "BAD_REQUEST", "Producer-Id is not valid UTF-8"));
    }
    auto epoch = ParseProducerNumber(*producer_epoch);
    auto seq = ParseProducerNumber(*producer_seq);
    if (!epoch || !seq) {
      return reply(Error(400, "BAD_REQUEST", "invalid Producer-Epoch or Producer-Seq"));
    }
    options.producer = Producer{std::string(*producer_id), *epoch, *seq};
  }
  bool has_producer = options.producer.has_value();
  // A producer append that stores data answers 200; close-only and duplicates answer 204.
  bool stores_data = !request.body.empty();

  manager_->append_async(
      path, std::move(request.body), std::move(options),
      [reply = std::move(reply), has_producer, stores_data](AppendResult result) {
        const Status& s = result.status;
        HttpResponse response;
        if (s.ok()) {
          response = Empty(has_producer && stores_data && !result.duplicate ? 200 : 204);
        } else {
          response = ErrorOf(s);
        }
        switch (s.code()) {
          case StatusCode::kOk:
          case StatusCode::kClosed:
            response.set("Stream-Next-Offset", FormatOffset(result.tail));
            if (result.closed) response.set("Stream-Closed", "true");
            break;
          case StatusCode::kStaleEpoch:
            response.set("Producer-Epoch", std::to_string(result.producer_epoch));
            break;
          case StatusCode::kProducerSeqGap:
            response.set("Producer-Expected-Seq", std::to_string(result.expected_seq));
            response.set("Producer-Received-Seq", std::to_string(result.received_seq));
            break;
          default: break;
        }
        if (s.ok() && has_producer) {
          response.set("Producer-Epoch", std::to_string(result.producer_epoch));
          response.set("Producer-Seq", std::to_string(result.producer_seq));
        }
        reply(std::move(response));
      });
}

// ---------------------------------------------------------------------------------------------
// DELETE, HEAD

void ProtocolHandler::handle_delete(const std::string& path, Reply reply) {
  manager_->remove_async(path, [reply = std::move(reply)](Status s) {
    reply(s.ok() ? Empty(204) : ErrorOf(s));
  });
}

HttpResponse ProtocolHandler::handle_head(const std::string& path) {
  StreamInfo info;
  Status s = manager_->get_metadata(path, &info);
  if (!s.ok()) {
    HttpResponse response = ErrorOf(s);
    response.body.clear();
    return response;
  }
  HttpResponse response = Empty(200);
  response.set("Content-Type", info.content_type);
  response.set("Stream-Next-Offset", FormatOffset(info.tail));
  if (info.ttl_seconds) response.set("Stream-TTL", std::to_string(*info.ttl_seconds));
  if (info.expires_at_ms) response.set("Stream-Expires-At", FormatRfc3339(*info.expires_at_ms));
  if (info.closed) response.set("Stream-Closed", "true");
  response.set("Cache-Control", "no-store");
  return response;
}

// ---------------------------------------------------------------------------------------------
// GET: catch-up, long-poll, SSE

HttpResponse ProtocolHandler::handle_get(const HttpRequest& request, const std::string& path,
                                         const RequestTarget& target) {
  auto offsets = target.params("offset");
  auto lives = target.params("live");
  auto cursors = target.params("cursor");
  if (offsets.size() > 1 || lives.size() > 1 || cursors.size() > 1) {
    return Error(400, "BAD_REQUEST", "repeated query parameter");
  }
  std::string_view live = lives.empty() ? std::string_view() : lives[0];
  if (!live.empty() && live != "long-poll" && live != "sse") {
    return Error(400, "BAD_REQUEST", "live must be long-poll or sse");
  }
  if (!live.empty() && offsets.empty()) {
    return Error(400, "BAD_REQUEST", "live reads need an offset");
  }
  std::string offset_text = offsets.empty() ? "-1" : std::string(offsets[0]);
  auto parsed = ParseOffset(offset_text);
  if (!parsed) return Error(400, "BAD_REQUEST", "malformed offset");
  std::optional<uint64_t> position;
  if (parsed->kind == ParsedOffset::Kind::kPosition) position = parsed->position;
  if (parsed->kind == ParsedOffset::Kind::kStart) position = 0;
  std::optional<std::string_view> client_cursor;
  if (!cursors.empty()) client_cursor = cursors[0];

  ReadResult read = manager_->read(path, position, ReadOptions{options_.max_read_bytes});
  if (live == "sse") {
    // The read checks the stream, touches the TTL and gives the first events (directive.first),
    // which the transport sends right after the head.
    if (!read.status.ok()) return ErrorOf(read.status);
    HttpResponse response = Empty(200);
    response.set("Content-Type", "text/event-stream");
    response.set("Cache-Control", "no-cache");
    bool text = IsTextContentType(read.content_type);
    if (!text) response.set("stream-sse-data-encoding", "base64");
    SseDirective directive;
    directive.path = path;
    directive.position = position.value_or(read.next);
    directive.base64 = !text;
    directive.json = read.is_json;
    if (client_cursor) directive.client_cursor = std::string(*client_cursor);
    directive.first = sse_step_of(directive, directive.position, true, std::move(read));
    response.sse = std::move(directive);
    return response;
  }
  bool from_now = parsed->kind == ParsedOffset::Kind::kNow;
  return read_response(request, std::move(read), path, offset_text, position, from_now,
                       live == "long-poll", client_cursor);
}

HttpResponse ProtocolHandler::read_response(const HttpRequest& request, ReadResult read,
                                            const std::string& path,
                                            const std::string& offset_text,
                                            std::optional<uint64_t> position, bool from_now,
                                            bool live,
                                            std::optional<std::string_view> client_cursor) {
  if (!read.status.ok()) return ErrorOf(read.status);
  uint64_t from = position.value_or(read.next);
  bool has_data = read.next > from;

  if (live && !has_data) {
    if (read.closed) {
      HttpResponse response = Empty(204);
      response.set("Stream-Next-Offset", FormatOffset(read.next));
      response.set("Stream-Up-To-Date", "true");
      response.set("Stream-Closed", "true");
      response.set("Cache-Control", "no-store");
      return response;
    }
    HttpResponse response;
    LongPollDirective directive{path, from, std::nullopt, from_now};
    if (client_cursor) directive.client_cursor = std::string(*client_cursor);
    response.long_poll = std::move(directive);
    return response;
  }

  HttpResponse response = Empty(200);
  response.set("Content-Type", read.content_type);
  response.set("Stream-Next-Offset", FormatOffset(read.next));
  if (read.up_to_date) response.set("Stream-Up-To-Date", "true");
  if (read.closed) response.set("Stream-Closed", "true");
  if (live) response.set("Stream-Cursor", NextCursor(options_.clock(), client_cursor));
  if (from_now) {  // nothing to cache or validate: the answer depends on when it was asked
    response.set("Cache-Control", "no-store");
  } else {
    // "<generation>:<requested offset>:<next offset>[:c]": changes with new data, with the
    // close, and with a re-created stream.
    std::string etag;
    etag.reserve(80);
    etag.append("\"").append(std::to_string(read.generation)).append(":").append(offset_text);
    etag.append(":").append(FormatOffset(read.next)).append(read.closed ? ":c\"" : "\"");
    if (EtagMatches(request.header("if-none-match"), etag)) {
      HttpResponse not_modified = Empty(304);
      not_modified.set("ETag", etag);
      not_modified.set("Stream-Next-Offset", FormatOffset(read.next));
      not_modified.set("Cache-Control", std::string(ReadCacheControl(has_data, read.closed)));
      return not_modified;
    }
    response.set("ETag", std::move(etag));
    response.set("Cache-Control", std::string(ReadCacheControl(has_data, read.closed)));
  }
  response.body = std::move(read.data);
  return response;
}

HttpResponse ProtocolHandler::finish_long_poll(const LongPollDirective& directive) {
  ReadResult read =
      manager_->read(directive.path, directive.position, ReadOptions{options_.max_read_bytes});
  if (!read.status.ok()) return ErrorOf(read.status);
  std::optional<std::string_view> cursor;
  if (directive.client_cursor) cursor = *directive.client_cursor;
  if (read.next > directive.position) {  // answered from this same read
    HttpRequest none;
    return read_response(none, std::move(read), directive.path, FormatOffset(directive.position),
                         directive.position, directive.from_now, true, cursor);
  }
  HttpResponse response = Empty(204);
  response.set("Stream-Next-Offset", FormatOffset(read.next));
  response.set("Stream-Up-To-Date", "true");
  response.set("Cache-Control", "no-store");
  if (read.closed) {
    response.set("Stream-Closed", "true");
  } else {
    response.set("Stream-Cursor", NextCursor(options_.clock(), cursor));
  }
  return response;
}

LongPollRead ProtocolHandler::long_poll(LongPollDirective directive) {
  return LongPollRead(this, manager_, std::move(directive));
}

SseRead ProtocolHandler::sse(SseDirective directive) {
  return SseRead(this, manager_, std::move(directive));
}

SseStep ProtocolHandler::sse_step(const SseDirective& directive, uint64_t position, bool first) {
  return sse_step_of(
      directive, position, first,
      manager_->read(directive.path, position, ReadOptions{options_.max_read_bytes}));
}

SseStep ProtocolHandler::sse_step_of(const SseDirective& directive, uint64_t position, bool first,
                                     ReadResult read) {
  SseStep step;
  step.next_position = position;
  if (!read.status.ok()) {
    step.finished = true;
    return step;
  }
  bool has_data = read.next > position;
  if (!has_data && !read.closed && !first) {
    step.wait = true;
    return step;
  }
  if (has_data) AppendSseDataEvent(read.data, directive.base64, &step.events);
  SseControl control;
  control.next_offset = FormatOffset(read.next);
  control.up_to_date = read.up_to_date;
  control.closed = read.closed;
  if (!read.closed) {
    std::optional<std::string_view> cursor;
    if (directive.client_cursor) cursor = *directive.client_cursor;
    control.cursor = NextCursor(options_.clock(), cursor);
  }
  AppendSseControlEvent(control, &step.events);
  step.next_position = read.next;
  step.finished = read.closed;
  step.wait = !read.closed && read.up_to_date;
  return step;
}

}  // namespace streamkeeper
