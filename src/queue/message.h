// A queue message: one accepted write, validated and normalised. POST /v1/posicoes (the seed's
// queue message) fills `items`; POST /v1/vendas one entry of `sales`; a sale cancellation one entry
// of `cancels`. Applying a message applies all of them (docs/INVENTORY.md); their order inside a
// message or across messages does not change the result.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "domain/position.h"
#include "domain/sale.h"

namespace estoque::queue {

struct Message {
  std::vector<domain::Position> items;
  int64_t enqueued_at_us = 0;  // wall clock when it was accepted
  std::vector<domain::Sale> sales;
  std::vector<domain::SaleCancel> cancels;
};

// A message handed to a consumer. `id` is unique for the life of the queue (never reused, also
// across restarts) and is what the 202 returned as message_id.
struct Delivery {
  uint64_t id = 0;
  Message message;
  uint32_t attempt = 1;  // 1 on first delivery
  // Ok, or Corruption when the stored bytes of this message do not decode (a poison message):
  // `message` is then empty and applying it must fail. The worker dead-letters such a message
  // after its attempts (worker.h); the stored bytes are kept, never lost.
  Status decode_error;
};

}  // namespace estoque::queue
