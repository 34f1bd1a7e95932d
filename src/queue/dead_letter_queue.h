// DeadLetterQueue: where a poison message goes. A message whose failure is its own (its stored
// bytes do not decode, or applying it fails with a code other than Unavailable/ResourceExhausted)
// is retried a few times by the worker and then moved here, out of the queue, so everything after
// it keeps flowing. It stays, with why it failed, until an operator replays it (back into the
// queue, under its own id) or drops it. The embedded backend keeps dead letters in the engine's
// "dlq" column family (embedded_dead_letters.h); with SQS this is the seed's
// dlq-mercado-puc-queue-estoque.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "queue/message.h"

namespace estoque::queue {

// Why and how often a message failed, as the worker saw it.
struct DeliveryFailure {
  Status reason;                   // the last failure; REQUIRES: !reason.ok()
  uint32_t attempts = 0;           // failed attempts, >= 1
  int64_t first_failure_at_us = 0;  // wall clock (UTC microseconds)
  int64_t last_failure_at_us = 0;
};

// One dead letter.
struct DeadLetter {
  uint64_t id = 0;                  // the message's queue id (the 202's message_id); kept on replay
  std::string reason;               // the last failure, Status::ToString() ("corruption: ...")
  uint32_t attempts = 0;            // failed attempts before it was moved
  int64_t enqueued_at_us = 0;       // when the message was accepted; 0 if it does not decode
  int64_t first_failure_at_us = 0;
  int64_t last_failure_at_us = 0;
  int64_t dead_lettered_at_us = 0;  // when it was moved here
  std::string message_bytes;        // the message exactly as the queue stored it (message_codec.h)

  friend bool operator==(const DeadLetter&, const DeadLetter&) = default;
};

// One page of dead letters in id order.
struct DeadLetterPage {
  std::vector<DeadLetter> items;
  std::optional<uint64_t> next_after_id;  // pass back as `after_id`; nullopt on the last page
};

// Which dead letters a replay or drop acts on.
struct DeadLetterSelection {
  bool all = false;            // the oldest limits::kDeadLetterSelectionMax
  std::vector<uint64_t> ids;   // when !all: 1..limits::kDeadLetterSelectionMax distinct ids
};

// What a replay or drop did. All or nothing: if any selected id is unknown, `unknown` lists them
// (in selection order) and nothing was done.
struct DeadLetterOutcome {
  std::vector<uint64_t> done;     // ids replayed or dropped, in id order
  std::vector<uint64_t> unknown;  // selected ids that are not dead letters
  uint64_t remaining = 0;         // dead letters left afterwards
};

// Thread-safe: every method may be called concurrently from any thread.
class DeadLetterQueue {
 public:
  virtual ~DeadLetterQueue() = default;

  // The worker's side: moves `delivery` (received from the queue, not acknowledged) out of the
  // queue and into the dead letters with `failure`, in one atomic write, and releases it from the
  // queue's accounting. Outcomes: Ok; Unavailable (I/O failure: nothing moved, retry); NotFound
  // (the message is no longer in the queue). REQUIRES: !failure.reason.ok()
  virtual Status Add(const Delivery& delivery, const DeliveryFailure& failure) = 0;

  // Up to `limit` dead letters in id order, strictly after `after_id` (nullopt: from the first);
  // fewer once they hold limits::kDeadLetterBytesPerCallMax message bytes (at least one).
  // Unavailable on I/O failure, Corruption if a stored record does not decode.
  // REQUIRES: 1 <= limit <= limits::kPageLimitMax
  virtual Result<DeadLetterPage> List(std::optional<uint64_t> after_id, std::size_t limit) = 0;

  // How many dead letters are kept.
  virtual uint64_t Depth() const = 0;

  // Moves the selected dead letters back into the queue, under their own ids, in one durable
  // write: the worker applies them again like any message (and dead-letters them again if they
  // still fail). `all` takes the oldest up to limits::kDeadLetterSelectionMax and
  // limits::kDeadLetterBytesPerCallMax. Errors, with nothing moved: InvalidArgument (the ids
  // hold more than kDeadLetterBytesPerCallMax), ResourceExhausted (they do not fit the queue's
  // bounds), Unavailable (closed, I/O), Corruption. REQUIRES: a valid selection (see above).
  virtual Result<DeadLetterOutcome> Replay(const DeadLetterSelection& selection) = 0;

  // Deletes the selected dead letters for good, in one durable write (`all`: the oldest
  // limits::kDeadLetterSelectionMax). Errors, with nothing deleted: Unavailable, Corruption.
  virtual Result<DeadLetterOutcome> Drop(const DeadLetterSelection& selection) = 0;
};

}  // namespace estoque::queue
