// PositionStore: where positions live. The embedded backend is RocksDB (rocks_inventory_store.h);
// a DynamoDB backend implements the same contract later.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "domain/position.h"
#include "domain/sale.h"
#include "store/storage_condition.h"

namespace estoque::store {

// Totals kept by the store, updated atomically with the positions they count.
struct ApplyCounters {
  uint64_t applied_messages_total = 0;  // queue messages applied
  uint64_t applied_items_total = 0;     // items that replaced (or created) a position
  uint64_t dropped_older_items_total = 0;  // items not newer than the stored position (incl. redeliveries)
};

// What one Apply call did.
struct ApplyOutcome {
  uint64_t applied_items = 0;        // items that created or replaced a position
  uint64_t dropped_older_items = 0;  // items not newer than what was stored (or than an earlier
                                     // item of the same call), including identical redeliveries
};

// One batch taken from the queue: any mix of positions, sales and cancellations, from any number
// of messages. The result does not depend on the order of anything in it.
struct IngestBatch {
  std::span<const domain::Position> positions;
  std::span<const domain::Sale> sales;
  std::span<const domain::SaleCancel> cancels;
  std::span<const uint64_t> consumed_message_ids;
  // true: consumed_message_ids are rows of the engine's queue column family, removed by this
  // apply when the store ConsumesQueueMessages(); false: ids of a queue that lives elsewhere (the
  // embedded queue's own database, SQS), only counted, and deleted by the consumer after the
  // apply returns, so the apply's write is made durable (fsync'ed) before it returns.
  bool remove_queue_rows = true;
};

// One page of a key-ordered listing.
struct PositionPage {
  std::vector<domain::Position> items;
  // Opaque resume point: pass it back as `after` to get the next page. Empty when the listing ended.
  std::optional<std::string> next_after;
};

// Thread-safe: every method may be called concurrently from any thread.
class PositionStore {
 public:
  virtual ~PositionStore() = default;

  // The position of (barcode, branch). NotFound if none is stored; Unavailable on I/O failure.
  virtual Result<domain::Position> Get(std::string_view barcode, std::string_view branch) = 0;

  // Every branch's position for `barcode`, ordered by branch. Empty vector if none.
  virtual Result<std::vector<domain::Position>> ListByBarcode(std::string_view barcode) = 0;

  // Up to `limit` positions in key order, strictly after the resume point `after` (from a previous
  // page's next_after; nullopt = from the start). Without `branch`, ordered by (barcode, branch)
  // over the whole store; with `branch`, reads only that branch's index, ordered by barcode.
  // Keys never repeat or get skipped across pages, even while other keys are written: a page
  // resumes strictly after the last key returned. InvalidArgument if `after` is malformed or
  // belongs to a listing of another branch.
  // REQUIRES: 1 <= limit <= limits::kPageLimitMax
  virtual Result<PositionPage> List(std::optional<std::string_view> branch,
                                    std::optional<std::string_view> after, std::size_t limit) = 0;

  // Totals of applied / dropped items, as of the last committed write. Thread-safe; does not wait
  // for a write in progress (GET /v1/fila reads them while the worker applies).
  virtual Result<ApplyCounters> Counters() = 0;

  // Whether writes are accepted now, and if not why (storage_condition.h): while not kOk, every
  // write fails with Unavailable and reads go on. Lock-free. Backends without a local disk of
  // their own answer kOk.
  virtual StorageCondition Storage() const { return StorageCondition::kOk; }

  // Applies `items` (in any order, with any duplicates) with the newer-wins rule
  // (domain::Supersedes) in ONE atomic write, together with the counters, and, when
  // ConsumesQueueMessages(), the removal of the queue messages `consumed_message_ids` that carried
  // them. After a crash either all of it happened or none of it did, so a message is applied
  // exactly once. Apply calls are serialised internally (single writer): two Apply calls can never
  // interleave their read-decide-write, so an older position can never win.
  // Errors: Unavailable on I/O failure (nothing was written; retry).
  virtual Result<ApplyOutcome> Apply(std::span<const domain::Position> items,
                                     std::span<const uint64_t> consumed_message_ids) = 0;

  // Applies a whole queue batch in ONE atomic write, like Apply (which is this with positions
  // only). This default handles positions only and refuses sales and cancellations (Internal);
  // the inventory store (inventory_store.h) applies all of them.
  virtual Result<ApplyOutcome> ApplyBatch(const IngestBatch& batch) {
    if (!batch.sales.empty() || !batch.cancels.empty()) {
      return Status::Internal("this store applies positions only");
    }
    return Apply(batch.positions, batch.consumed_message_ids);
  }

  // True if Apply can remove the queue messages itself (the RocksDB store, when the queue's rows
  // are in its own database: one atomic write). False for backends where the consumer must delete
  // them from the queue. The server keeps the embedded queue in a database of its own
  // (store::EngineLayout::kQueue), so there the consumer deletes them either way.
  virtual bool ConsumesQueueMessages() const = 0;
};

}  // namespace estoque::store
