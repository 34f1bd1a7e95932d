// A queue message: one accepted POST /v1/posicoes body (the seed's queue message), validated and
// normalised. Applying it applies each item with the newer-wins rule.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "domain/position.h"

namespace estoque::queue {

struct Message {
  std::vector<domain::Position> items;
  int64_t enqueued_at_us = 0;  // wall clock when it was accepted
};

// A message handed to a consumer. `id` is unique for the life of the queue (never reused, also
// across restarts) and is what the 202 returned as message_id.
struct Delivery {
  uint64_t id = 0;
  Message message;
  uint32_t attempt = 1;  // 1 on first delivery
};

}  // namespace estoque::queue
