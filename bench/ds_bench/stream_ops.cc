#include "stream_ops.h"

#include <fstream>

namespace dsbench {

HttpRequest CreateRequest(const std::string& path, const std::string& content_type,
                          std::chrono::milliseconds timeout) {
  HttpRequest request;
  request.method = "PUT";
  request.target = path;
  request.content_type = content_type;
  request.timeout = timeout;
  return request;
}

HttpRequest AppendRequest(const std::string& path, const std::string& content_type,
                          std::string body, std::chrono::milliseconds timeout) {
  HttpRequest request;
  request.method = "POST";
  request.target = path;
  request.content_type = content_type;
  request.body = std::move(body);
  request.timeout = timeout;
  return request;
}

HttpRequest ReadRequest(std::string target, std::chrono::milliseconds timeout) {
  HttpRequest request;
  request.method = "GET";
  request.target = std::move(target);
  request.timeout = timeout;
  return request;
}

HttpRequest HeadRequest(const std::string& path, std::chrono::milliseconds timeout) {
  HttpRequest request;
  request.method = "HEAD";
  request.target = path;
  request.timeout = timeout;
  return request;
}

std::string ReadTarget(const std::string& path, const std::string& offset, std::string_view live,
                       const std::string& cursor) {
  std::string target = path + "?offset=" + offset;
  if (!live.empty()) {
    target += "&live=";
    target += live;
  }
  if (!cursor.empty()) target += "&cursor=" + cursor;
  return target;
}

std::string TimestampBody(int64_t steady_nanos, int min_bytes) {
  std::string body = std::to_string(steady_nanos);
  body.push_back(';');
  if (static_cast<int>(body.size()) < min_bytes) body.resize(min_bytes, '.');
  return body;
}

void ParseTimestamps(std::string_view data, std::vector<int64_t>* nanos) {
  int64_t value = 0;
  bool in_number = false;
  for (const char c : data) {
    if (c >= '0' && c <= '9') {
      value = value * 10 + (c - '0');
      in_number = true;
      continue;
    }
    if (c == ';' && in_number) nanos->push_back(value);
    value = 0;
    in_number = false;
  }
}

long ReadRssKib(long pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      long kib = -1;
      status >> kib;
      return kib;
    }
    status.ignore(1 << 20, '\n');
  }
  return -1;
}

}  // namespace dsbench
