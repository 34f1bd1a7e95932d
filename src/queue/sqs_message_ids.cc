#include "queue/sqs_message_ids.h"

#include <algorithm>
#include <cassert>
#include <random>

#include "common/clock.h"

namespace estoque::queue {

MessageIdSource::MessageIdSource(uint32_t tag, std::function<int64_t()> clock_us)
    : tag_(tag), clock_us_(std::move(clock_us)) {
  assert(tag_ < (1u << kTagBits));
}

MessageIdSource::MessageIdSource()
    : MessageIdSource(std::random_device{}() & ((1u << kTagBits) - 1), [] { return NowUnixMicros(); }) {}

uint64_t MessageIdSource::Next() {
  const int64_t now_us = clock_us_();
  std::lock_guard<std::mutex> lock(mutex_);
  last_tick_ = std::max(last_tick_ + 1, static_cast<uint64_t>(std::max<int64_t>(now_us, 0)));
  return (last_tick_ << kTagBits) | tag_;
}

}  // namespace estoque::queue
