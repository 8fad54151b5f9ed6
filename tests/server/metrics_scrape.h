// Test helpers for /metrics: scrape a running server and read one series' value out of the
// text, by its exact name and labels as the server writes them.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "http_test_client.h"

namespace streamkeeper::testing {

// GET /metrics; "" (with the status in *status, if given) unless it answered 200.
inline std::string Scrape(uint16_t port, int* status = nullptr) {
  HttpResult result = Request(port, "GET", "/metrics");
  if (status != nullptr) *status = result.status;
  return result.status == 200 ? result.body : std::string();
}

// The value of the sample line starting with `series` + ' ' (e.g.
// `streamkeeper_live_readers{mode="sse"}`), or nullopt if there is none.
inline std::optional<double> SeriesValue(const std::string& text, std::string_view series) {
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + at, end - at);
    if (line.size() > series.size() && line.starts_with(series) && line[series.size()] == ' ') {
      return std::stod(std::string(line.substr(series.size() + 1)));
    }
    at = end + 1;
  }
  return std::nullopt;
}

// Scrapes until `series` has `value` (bounded by `timeout`); the last value seen.
inline std::optional<double> WaitForSeries(uint16_t port, std::string_view series, double value,
                                           std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::optional<double> seen;
  for (;;) {
    seen = SeriesValue(Scrape(port), series);
    if (seen == value || std::chrono::steady_clock::now() >= deadline) return seen;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace streamkeeper::testing
