// Pacer: spreads requests evenly in time to hold a target offered load across all connections
// (token pacing). Each request reserves the next free send slot; a connection waits for its slot.
#pragma once

#include <atomic>
#include <cstdint>

namespace estoque::load {

// Thread-safe (one atomic). With rate 0 every slot is "now": no pacing.
class Pacer {
 public:
  // Idle time is not banked beyond this: after a pause, at most this much is sent at once.
  static constexpr int64_t kBurstMicrosMax = 10'000;

  // `items_per_s` is the target; 0 disables pacing. REQUIRES: items_per_s >= 0.
  explicit Pacer(double items_per_s);

  // Reserves a slot for a request of `items` items and returns the monotonic time (microseconds,
  // on the MonotonicMicros scale) at which it may be sent; <= now_us means "send now".
  int64_t Reserve(uint64_t items, int64_t now_us);

 private:
  const double nanos_per_item_;  // 0 when pacing is off
  // Slots are kept in nanoseconds so that high rates do not lose precision to rounding.
  std::atomic<int64_t> next_free_ns_{0};
};

}  // namespace estoque::load
