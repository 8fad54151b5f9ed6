// Durable Streams requests the scenarios build, and payload helpers.
#ifndef DS_BENCH_STREAM_OPS_H_
#define DS_BENCH_STREAM_OPS_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http_connection.h"

namespace dsbench {

inline constexpr char kOctetStream[] = "application/octet-stream";
inline constexpr char kTextPlain[] = "text/plain";

// PUT path with the content type: 201 when created, 200 if it already
// existed with the same configuration.
HttpRequest CreateRequest(const std::string& path, const std::string& content_type,
                          std::chrono::milliseconds timeout);

HttpRequest AppendRequest(const std::string& path, const std::string& content_type,
                          std::string body, std::chrono::milliseconds timeout);

// GET of `target` (a path with its query, see ReadTarget).
HttpRequest ReadRequest(std::string target, std::chrono::milliseconds timeout);

// HEAD path: 200 with the stream's metadata, 404 when it does not exist (or has expired).
HttpRequest HeadRequest(const std::string& path, std::chrono::milliseconds timeout);

// "path?offset=<offset>[&live=<live>][&cursor=<cursor>]"
std::string ReadTarget(const std::string& path, const std::string& offset,
                       std::string_view live = {}, const std::string& cursor = {});

// A text body "<nanos>;" padded with '.' up to `min_bytes`, so that readers can
// find every send time in whatever concatenation of bodies they receive.
std::string TimestampBody(int64_t steady_nanos, int min_bytes);

// Appends every "<digits>;" found in `data` to *nanos.
void ParseTimestamps(std::string_view data, std::vector<int64_t>* nanos);

// Reads VmRSS of a process from /proc/<pid>/status in KiB; -1 if unavailable.
long ReadRssKib(long pid);

}  // namespace dsbench

#endif  // DS_BENCH_STREAM_OPS_H_
