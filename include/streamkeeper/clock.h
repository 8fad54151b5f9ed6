// Clock: the single source of "now" for TTLs, expiry and cursors, injectable so tests never sleep.
#pragma once

#include <cstdint>
#include <functional>

namespace streamkeeper {

// Milliseconds since the Unix epoch.
using Clock = std::function<int64_t()>;

// The wall clock (system_clock).
Clock SystemClock();

}  // namespace streamkeeper
