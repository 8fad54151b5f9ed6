// Request ids: the X-Request-Id that ties an access-log line to the response a client got.
#pragma once

#include <string>
#include <string_view>

namespace streamkeeper {

// A new id: 16 lower-case hex digits, unique within the process and, with overwhelming
// likelihood, across restarts (each thread counts up from a random start). Thread-safe.
std::string NewRequestId();

// Whether an id sent by the client (or a proxy in front, e.g. nginx's $request_id) is kept
// instead of a new one: 1 to 64 characters of [A-Za-z0-9._-], so it cannot forge log lines or
// headers.
bool IsAcceptableRequestId(std::string_view id);

}  // namespace streamkeeper
