#include "protocol/cursor.h"

#include <charconv>
#include <random>

namespace streamkeeper {
namespace {

constexpr int64_t kEpochMs = 1728432000000;  // 2024-10-09T00:00:00Z
constexpr int64_t kIntervalMs = 20000;

uint64_t RandomJitterIntervals() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<uint64_t> jitter_seconds(1, 3600);
  uint64_t intervals = (jitter_seconds(rng) + kIntervalMs / 1000 - 1) / (kIntervalMs / 1000);
  return intervals == 0 ? 1 : intervals;
}

}  // namespace

std::string NextCursor(int64_t now_ms, std::optional<std::string_view> client_cursor) {
  uint64_t current = now_ms > kEpochMs ? static_cast<uint64_t>((now_ms - kEpochMs) / kIntervalMs) : 0;
  if (client_cursor) {
    uint64_t client = 0;
    auto [ptr, ec] =
        std::from_chars(client_cursor->data(), client_cursor->data() + client_cursor->size(), client);
    bool valid = ec == std::errc() && ptr == client_cursor->data() + client_cursor->size();
    if (valid && client >= current) current = client + RandomJitterIntervals();
  }
  return std::to_string(current);
}

}  // namespace streamkeeper
