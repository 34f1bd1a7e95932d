#include "queue/flat_batch.h"

#include <cassert>
#include <iterator>
#include <utility>

namespace estoque::queue {

void FlatBatch::Assign(std::span<Delivery* const> deliveries) {
  positions_.clear();
  sales_.clear();
  cancels_.clear();
  ids_.clear();
  offsets_.clear();
  std::size_t position_count = 0;
  for (const Delivery* delivery : deliveries) position_count += delivery->message.items.size();
  positions_.reserve(position_count);
  ids_.reserve(deliveries.size());
  offsets_.reserve(deliveries.size() + 1);
  for (Delivery* delivery : deliveries) {
    assert(delivery->decode_error.ok());
    offsets_.push_back({positions_.size(), sales_.size(), cancels_.size()});
    ids_.push_back(delivery->id);
    Message& message = delivery->message;
    std::move(message.items.begin(), message.items.end(), std::back_inserter(positions_));
    message.items.clear();
    std::move(message.sales.begin(), message.sales.end(), std::back_inserter(sales_));
    message.sales.clear();
    std::move(message.cancels.begin(), message.cancels.end(), std::back_inserter(cancels_));
    message.cancels.clear();
  }
  offsets_.push_back({positions_.size(), sales_.size(), cancels_.size()});
}

store::IngestBatch FlatBatch::All() const {
  store::IngestBatch batch;
  batch.positions = positions_;
  batch.sales = sales_;
  batch.cancels = cancels_;
  batch.consumed_message_ids = ids_;
  return batch;
}

store::IngestBatch FlatBatch::One(std::size_t index) const {
  assert(index < messages());
  const Offsets& begin = offsets_[index];
  const Offsets& end = offsets_[index + 1];
  store::IngestBatch batch;
  batch.positions = std::span(positions_).subspan(begin.positions, end.positions - begin.positions);
  batch.sales = std::span(sales_).subspan(begin.sales, end.sales - begin.sales);
  batch.cancels = std::span(cancels_).subspan(begin.cancels, end.cancels - begin.cancels);
  batch.consumed_message_ids = std::span(ids_).subspan(index, 1);
  return batch;
}

std::size_t FlatBatch::SaleLines(std::size_t sales_begin, std::size_t sales_end) const {
  std::size_t lines = 0;
  for (std::size_t i = sales_begin; i < sales_end; ++i) lines += sales_[i].lines.size();
  return lines;
}

std::size_t FlatBatch::ItemCount() const { return positions_.size() + SaleLines(0, sales_.size()); }

std::size_t FlatBatch::ItemCount(std::size_t index) const {
  assert(index < messages());
  const Offsets& begin = offsets_[index];
  const Offsets& end = offsets_[index + 1];
  return end.positions - begin.positions + SaleLines(begin.sales, end.sales);
}

}  // namespace estoque::queue
