// Wall and monotonic clocks in the units the rest of the code uses (microseconds).
#pragma once

#include <chrono>
#include <cstdint>

namespace estoque {

// Microseconds since the Unix epoch (UTC), from the system clock.
inline int64_t NowUnixMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Microseconds from an arbitrary fixed point; never goes backwards. For durations only.
inline int64_t MonotonicMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace estoque
