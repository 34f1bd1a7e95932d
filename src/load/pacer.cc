#include "load/pacer.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace estoque::load {

Pacer::Pacer(double items_per_s) : nanos_per_item_(items_per_s > 0 ? 1e9 / items_per_s : 0) {
  assert(items_per_s >= 0);
}

int64_t Pacer::Reserve(uint64_t items, int64_t now_us) {
  if (nanos_per_item_ == 0) return now_us;
  const auto cost_ns = static_cast<int64_t>(std::llround(nanos_per_item_ * static_cast<double>(items)));
  const int64_t earliest_ns = (now_us - kBurstMicrosMax) * 1000;
  int64_t current = next_free_ns_.load(std::memory_order_relaxed);
  for (;;) {
    const int64_t slot_ns = std::max(current, earliest_ns);
    if (next_free_ns_.compare_exchange_weak(current, slot_ns + cost_ns, std::memory_order_relaxed)) {
      return slot_ns / 1000;
    }
  }
}

}  // namespace estoque::load
