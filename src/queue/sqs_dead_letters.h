// The dead-letter queue of the SQS backend: an SQS queue (the seed's
// dlq-mercado-puc-queue-estoque), usually the main queue's redrive target. It holds two kinds of
// message (sqs_body.h):
//   - the worker's: a poison message with why it failed (Add sends it here, then deletes it from
//     the main queue);
//   - the redrive policy's: a message SQS moved here after maxReceiveCount receives without a
//     delete (a node that crashed or hung with it, again and again). Its reason says so and its
//     attempts are 0 (SQS does not say).
//
// SQS cannot list a queue or fetch a message by id, so List, Replay and Drop receive the dead
// letters (up to kSqsDeadLetterScanMax of them, hiding them for hold_seconds), act on the ones
// selected, and make the others visible again at once. That makes them best effort where the
// embedded dead letters are exact (docs/AWS.md): dead letters hidden by a concurrent call, or
// beyond the scan limit, are not seen; a replay whose send fails half way has replayed the part
// that was sent (it answers Unavailable, and the rest stay dead letters). Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "queue/dead_letter_queue.h"
#include "queue/sqs_queue.h"

namespace estoque::queue {

// The most dead letters one List, Replay or Drop receives (and so can see).
inline constexpr std::size_t kSqsDeadLetterScanMax = 1000;

struct SqsDeadLetterOptions {
  std::string queue_url;  // the dead-letter queue's. REQUIRES: non-empty
  // How long the dead letters received by a call stay hidden if the call cannot release them.
  int hold_seconds = 30;
  // After a short poll comes back empty, one long poll of this many seconds makes sure (a short
  // poll asks only some of SQS's servers). 0: none.
  int final_wait_seconds = 1;
  std::chrono::milliseconds depth_refresh_interval{1000};
};

class SqsDeadLetterQueue final : public DeadLetterQueue {
 public:
  // Checks that the dead-letter queue exists. Errors as SqsQueue::Open. `queue` (the main queue,
  // whose held messages Add moves) must outlive this object.
  static Result<std::unique_ptr<SqsDeadLetterQueue>> Open(SqsQueue* queue,
                                                          SqsDeadLetterOptions options);

  // Sends the held message with `failure` to the dead-letter queue, then deletes it from the main
  // queue. NotFound if `delivery` is not held by the queue; Unavailable if the send failed
  // (nothing moved). If only the delete fails, the message is a dead letter and also comes back
  // to the main queue later (it is then applied or dead-lettered again).
  Status Add(const Delivery& delivery, const DeliveryFailure& failure) override;
  Result<DeadLetterPage> List(std::optional<uint64_t> after_id, std::size_t limit) override;
  // ApproximateNumberOfMessages(+NotVisible) of the dead-letter queue, fetched at most once per
  // depth_refresh_interval (the call that finds it stale waits for the fetch).
  uint64_t Depth() const override;
  // Sends the selected dead letters to the main queue under their ids, then deletes them here.
  Result<DeadLetterOutcome> Replay(const DeadLetterSelection& selection) override;
  Result<DeadLetterOutcome> Drop(const DeadLetterSelection& selection) override;

 private:
  SqsDeadLetterQueue(SqsQueue* queue, SqsDeadLetterOptions options);

  // A dead letter received (and so hidden) by a scan.
  struct Received {
    DeadLetter letter;
    std::string receipt_handle;
  };
  // Receives up to kSqsDeadLetterScanMax dead letters, hiding them for hold_seconds.
  Result<std::vector<Received>> Scan();
  // Makes `letters` visible again at once (best effort: otherwise after hold_seconds).
  void Release(const std::vector<const Received*>& letters);
  // The selected dead letters of `scanned` (every copy of each id), or the unknown ids.
  struct Selected {
    std::vector<const Received*> chosen;  // in id order
    std::vector<const Received*> others;
    std::vector<uint64_t> unknown;
  };
  Selected Select(const std::vector<Received>& scanned, const DeadLetterSelection& selection) const;
  Result<DeadLetterOutcome> Remove(const DeadLetterSelection& selection, bool send_to_queue);
  void ForgetDepth();

  SqsQueue* queue_;
  const SqsDeadLetterOptions options_;

  mutable std::mutex depth_mutex_;  // serialises depth fetches
  mutable uint64_t depth_ = 0;
  mutable int64_t depth_fetched_at_us_ = 0;  // monotonic; 0: fetch on the next Depth()
};

}  // namespace estoque::queue
