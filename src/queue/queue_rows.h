// The rows of the embedded queue (waiting messages, dead letters and "queue.next_id"), read from
// one database and written into another: from the data directory's database, where the queue of
// earlier versions lived, into the queue's own (<data>/queue, store::EngineLayout::kQueue); and
// from the queue's database into a backup's checkpoint, so that a backup holds the messages
// accepted and not yet applied (a server started on the restored copy moves them back).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "store/rocksdb_engine.h"

namespace estoque::queue {

// meta key of the next message id (8 bytes big-endian): ids are never reused.
inline constexpr std::string_view kQueueNextIdKey = "queue.next_id";

// The queue's own database inside a data directory: <data_dir>/queue.
std::string QueueDatabaseDir(std::string_view data_dir);

struct QueueRows {
  std::vector<std::pair<std::string, std::string>> messages;      // "queue": key, value
  std::vector<std::pair<std::string, std::string>> dead_letters;  // "dlq": key, value
  std::optional<std::string> next_id;                             // meta "queue.next_id"
  bool empty() const { return messages.empty() && dead_letters.empty() && !next_id.has_value(); }
};

// Every row of `engine`'s queue families, as of one instant (one RocksDB snapshot).
Result<QueueRows> ReadQueueRows(const store::RocksEngine& engine);

// Writes `rows` into `engine` in ONE write, synced when the engine syncs writes. Rows already
// there under the same keys are replaced; "queue.next_id" becomes the larger of the two.
// Corruption if a stored or given next id is malformed; Unavailable if the write fails.
Status WriteQueueRows(const QueueRows& rows, store::RocksEngine* engine);

// Moves every row of `from` into `to`: written to `to`, then deleted from `from` (both writes
// synced). A crash between the two leaves the rows in both; the next call moves them again (same
// keys, same bytes), so nothing is lost or doubled. Returns the messages and dead letters moved.
// REQUIRES: no queue is open on either engine.
Result<std::size_t> MoveQueueRows(store::RocksEngine* from, store::RocksEngine* to);

}  // namespace estoque::queue
