#include "streamkeeper/clock.h"

#include <chrono>

namespace streamkeeper {

Clock SystemClock() {
  return [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
}

}  // namespace streamkeeper
