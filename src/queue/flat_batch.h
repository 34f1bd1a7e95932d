// FlatBatch: the messages of one receive laid end to end for one store call, remembering which
// rows came from which message, so that any one message can also be applied alone (the worker
// does that to find a poison message in a failed batch) without copying anything.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "queue/message.h"
#include "store/position_store.h"

namespace estoque::queue {

// Not thread-safe; reused from batch to batch (Assign clears it, keeping capacity).
class FlatBatch {
 public:
  // Takes the contents of `deliveries`' messages (moved out: their messages are left empty; ids
  // and everything else stay). REQUIRES: every delivery decoded (decode_error.ok()).
  void Assign(std::span<Delivery* const> deliveries);

  std::size_t messages() const { return ids_.size(); }
  // Every message, for one atomic Apply.
  store::IngestBatch All() const;
  // Message `index` alone. REQUIRES: index < messages()
  store::IngestBatch One(std::size_t index) const;
  // Items of All() / One(index): positions plus sale lines (what Worker::applied_items counts).
  std::size_t ItemCount() const;
  std::size_t ItemCount(std::size_t index) const;

 private:
  // Where message i's rows start in each vector; entry messages() is the end.
  struct Offsets {
    std::size_t positions = 0;
    std::size_t sales = 0;
    std::size_t cancels = 0;
  };
  std::size_t SaleLines(std::size_t sales_begin, std::size_t sales_end) const;

  std::vector<domain::Position> positions_;
  std::vector<domain::Sale> sales_;
  std::vector<domain::SaleCancel> cancels_;
  std::vector<uint64_t> ids_;
  std::vector<Offsets> offsets_;  // messages() + 1 entries once assigned
};

}  // namespace estoque::queue
