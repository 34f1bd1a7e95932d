// MessageIdSource: the ids of the messages an estoque node sends to an SQS queue. Several nodes
// send to one queue and none of them can ask the others, so an id is made of the time and a tag
// drawn at random for each process:
//
//   id = tick << kTagBits | tag,   tick = max(previous tick + 1, wall clock in microseconds)
//
// Within a process ids strictly increase (also across restarts, as long as the clock does not go
// back by more than the time between them). Two processes collide only if they drew the same tag
// (1 in 4096) and issue an id in the same microsecond. An id names a message in the 202 answer
// and in the dead-letter operations; applying a message twice is harmless whatever its id
// (docs/INVENTORY.md), so a collision could at worst make a dead-letter selection ambiguous.
// Ids stay below 2^63 until the year 2112.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>

namespace estoque::queue {

class MessageIdSource {
 public:
  static constexpr int kTagBits = 12;

  // `tag` < 2^kTagBits; `clock_us` returns the wall clock in microseconds (thread-safe).
  MessageIdSource(uint32_t tag, std::function<int64_t()> clock_us);
  // A random tag and the system clock.
  MessageIdSource();

  // A new id, greater than every id this object returned before. Thread-safe.
  uint64_t Next();

  uint32_t tag() const { return tag_; }

 private:
  const uint32_t tag_;
  const std::function<int64_t()> clock_us_;
  std::mutex mutex_;
  uint64_t last_tick_ = 0;
};

}  // namespace estoque::queue
