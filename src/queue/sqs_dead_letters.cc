#include "queue/sqs_dead_letters.h"

#include <algorithm>
#include <cassert>
#include <set>
#include <unordered_map>
#include <utility>

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/limits.h"
#include "queue/message_codec.h"
#include "queue/sqs_batches.h"
#include "queue/sqs_body.h"

namespace estoque::queue {
namespace {

namespace sqs = aws::sqs;

const std::vector<std::string> kDepthAttributes = {"ApproximateNumberOfMessages",
                                                   "ApproximateNumberOfMessagesNotVisible"};

constexpr std::string_view kRedrivenReason =
    "moved to the dead-letter queue by the SQS redrive policy: received maxReceiveCount times "
    "without being applied";

// The dead letter an SQS message of the dead-letter queue holds.
DeadLetter ToDeadLetter(const sqs::Message& message) {
  Result<SqsBody> body = DecodeSqsBody(message.body);
  if (!body.ok()) {
    DeadLetter letter;
    letter.id = SqsFallbackId(message.message_id);
    letter.reason = "SQS message " + message.message_id + " is not an estoque message: " +
                    body.status().message();
    letter.message_bytes = message.body;
    return letter;
  }
  if (body->dead_letter.has_value()) return std::move(*body->dead_letter);
  DeadLetter letter;
  letter.id = body->id;
  letter.reason = std::string(kRedrivenReason);
  Result<Message> decoded = DecodeMessage(body->message_bytes);
  if (decoded.ok()) letter.enqueued_at_us = decoded->enqueued_at_us;
  letter.message_bytes = std::move(body->message_bytes);
  return letter;
}

}  // namespace

Result<std::unique_ptr<SqsDeadLetterQueue>> SqsDeadLetterQueue::Open(SqsQueue* queue,
                                                                     SqsDeadLetterOptions options) {
  assert(queue != nullptr && !options.queue_url.empty());
  aws::AwsResult<sqs::QueueAttributes> attributes =
      queue->client().GetQueueAttributes(options.queue_url, kDepthAttributes);
  if (!attributes.ok()) {
    return SqsFailure(attributes.error(), "dead-letter queue " + options.queue_url);
  }
  return std::unique_ptr<SqsDeadLetterQueue>(new SqsDeadLetterQueue(queue, std::move(options)));
}

SqsDeadLetterQueue::SqsDeadLetterQueue(SqsQueue* queue, SqsDeadLetterOptions options)
    : queue_(queue), options_(std::move(options)) {}

void SqsDeadLetterQueue::ForgetDepth() {
  std::lock_guard<std::mutex> lock(depth_mutex_);
  depth_fetched_at_us_ = 0;
}

Status SqsDeadLetterQueue::Add(const Delivery& delivery, const DeliveryFailure& failure) {
  assert(!failure.reason.ok());
  Result<std::string> bytes = queue_->HeldMessageBytes(delivery.id);
  if (!bytes.ok()) return bytes.status();
  DeadLetter letter;
  letter.id = delivery.id;
  letter.reason = failure.reason.ToString().substr(0, limits::kDeadLetterReasonBytesMax);
  letter.attempts = failure.attempts;
  if (Result<Message> decoded = DecodeMessage(*bytes); decoded.ok()) {
    letter.enqueued_at_us = decoded->enqueued_at_us;
  }
  letter.first_failure_at_us = failure.first_failure_at_us;
  letter.last_failure_at_us = failure.last_failure_at_us;
  letter.dead_lettered_at_us = NowUnixMicros();
  letter.message_bytes = std::move(*bytes);
  const std::string body = EncodeSqsDeadLetterBody(letter);
  if (body.size() > sqs::kBatchPayloadBytesMax) {
    return Status::InvalidArgument("dead letter of " + std::to_string(body.size()) +
                                   " bytes does not fit an SQS message");
  }
  const Status sent = SendBodies(queue_->client(), options_.queue_url, {body}).front();
  if (!sent.ok()) {
    return sent.code() == StatusCode::kResourceExhausted ? sent : Status::Unavailable(sent.message());
  }
  ForgetDepth();
  if (Status deleted = queue_->DeleteHeld(delivery.id); !deleted.ok()) {
    spdlog::warn("sqs dead letters: message {} is a dead letter but its delete from the queue "
                 "failed (it will come back): {}", delivery.id, deleted.ToString());
  }
  return Status::Ok();
}

Result<std::vector<SqsDeadLetterQueue::Received>> SqsDeadLetterQueue::Scan() {
  std::vector<Received> scanned;
  bool waited = options_.final_wait_seconds == 0;
  while (scanned.size() < kSqsDeadLetterScanMax) {
    sqs::ReceiveRequest request;
    request.queue_url = options_.queue_url;
    request.max_messages = static_cast<int>(
        std::min<std::size_t>(sqs::kReceiveMessagesMax, kSqsDeadLetterScanMax - scanned.size()));
    request.wait_time_seconds = 0;
    request.visibility_timeout_seconds = options_.hold_seconds;
    aws::AwsResult<std::vector<sqs::Message>> received = queue_->client().ReceiveMessage(request);
    if (received.ok() && received->empty() && !waited) {
      waited = true;
      request.wait_time_seconds = options_.final_wait_seconds;
      received = queue_->client().ReceiveMessage(request);
    }
    if (!received.ok()) {
      std::vector<const Received*> all;
      for (const Received& letter : scanned) all.push_back(&letter);
      Release(all);
      return SqsFailure(received.error(), "ReceiveMessage (dead-letter queue)");
    }
    if (received->empty()) break;
    for (const sqs::Message& message : *received) {
      scanned.push_back({ToDeadLetter(message), message.receipt_handle});
    }
  }
  return scanned;
}

void SqsDeadLetterQueue::Release(const std::vector<const Received*>& letters) {
  std::vector<std::string> receipts;
  for (const Received* letter : letters) receipts.push_back(letter->receipt_handle);
  for (const Status& result : ChangeVisibility(queue_->client(), options_.queue_url, receipts, 0)) {
    if (!result.ok()) {
      spdlog::debug("sqs dead letters: release failed (visible again after {} s): {}",
                    options_.hold_seconds, result.ToString());
    }
  }
}

Result<DeadLetterPage> SqsDeadLetterQueue::List(std::optional<uint64_t> after_id,
                                                std::size_t limit) {
  assert(limit >= 1 && limit <= limits::kPageLimitMax);
  Result<std::vector<Received>> scanned = Scan();
  if (!scanned.ok()) return scanned.status();
  std::vector<const Received*> all;
  for (const Received& letter : *scanned) all.push_back(&letter);
  Release(all);
  std::sort(all.begin(), all.end(),
            [](const Received* a, const Received* b) { return a->letter.id < b->letter.id; });
  DeadLetterPage page;
  std::size_t bytes = 0;
  for (const Received* received : all) {
    const DeadLetter& letter = received->letter;
    if (after_id.has_value() && letter.id <= *after_id) continue;
    if (!page.items.empty() && letter.id == page.items.back().id) continue;  // a second copy
    if (page.items.size() == limit ||
        (!page.items.empty() && bytes + letter.message_bytes.size() > limits::kDeadLetterBytesPerCallMax)) {
      page.next_after_id = page.items.back().id;
      break;
    }
    bytes += letter.message_bytes.size();
    page.items.push_back(letter);
  }
  return page;
}

uint64_t SqsDeadLetterQueue::Depth() const {
  std::lock_guard<std::mutex> lock(depth_mutex_);
  const int64_t now_us = MonotonicMicros();
  if (depth_fetched_at_us_ != 0 &&
      now_us - depth_fetched_at_us_ < options_.depth_refresh_interval.count() * 1000) {
    return depth_;
  }
  aws::AwsResult<sqs::QueueAttributes> attributes =
      queue_->client().GetQueueAttributes(options_.queue_url, kDepthAttributes);
  depth_fetched_at_us_ = now_us;
  if (!attributes.ok()) return depth_;  // the last known count
  uint64_t depth = 0;
  for (const std::string& name : kDepthAttributes) {
    const auto found = attributes->find(name);
    if (found == attributes->end()) continue;
    try {
      depth += std::stoull(found->second);
    } catch (const std::exception&) {
    }
  }
  depth_ = depth;
  return depth_;
}

SqsDeadLetterQueue::Selected SqsDeadLetterQueue::Select(const std::vector<Received>& scanned,
                                                        const DeadLetterSelection& selection) const {
  Selected selected;
  std::vector<const Received*> sorted;
  for (const Received& letter : scanned) sorted.push_back(&letter);
  std::sort(sorted.begin(), sorted.end(),
            [](const Received* a, const Received* b) { return a->letter.id < b->letter.id; });
  std::set<uint64_t> wanted;
  if (selection.all) {
    for (const Received* letter : sorted) {
      if (wanted.size() == limits::kDeadLetterSelectionMax && !wanted.contains(letter->letter.id)) break;
      wanted.insert(letter->letter.id);
    }
  } else {
    std::set<uint64_t> present;
    for (const Received* letter : sorted) present.insert(letter->letter.id);
    for (uint64_t id : selection.ids) {
      if (present.contains(id)) {
        wanted.insert(id);
      } else {
        selected.unknown.push_back(id);
      }
    }
  }
  for (const Received* letter : sorted) {
    (wanted.contains(letter->letter.id) ? selected.chosen : selected.others).push_back(letter);
  }
  return selected;
}

Result<DeadLetterOutcome> SqsDeadLetterQueue::Remove(const DeadLetterSelection& selection,
                                                     bool send_to_queue) {
  Result<std::vector<Received>> scanned = Scan();
  if (!scanned.ok()) return scanned.status();
  Selected selected = Select(*scanned, selection);
  DeadLetterOutcome outcome;
  if (!selected.unknown.empty()) {
    Release(selected.chosen);
    Release(selected.others);
    outcome.unknown = std::move(selected.unknown);
    outcome.remaining = scanned->size();
    return outcome;
  }
  Release(selected.others);
  // One copy of each chosen id goes back to the queue; every copy leaves the dead letters.
  std::vector<const Received*> firsts;
  for (const Received* letter : selected.chosen) {
    if (firsts.empty() || firsts.back()->letter.id != letter->letter.id) firsts.push_back(letter);
  }
  std::set<uint64_t> removable;
  Status failure;
  if (send_to_queue) {
    std::size_t bytes = 0;
    for (const Received* letter : firsts) bytes += letter->letter.message_bytes.size();
    if (bytes > limits::kDeadLetterBytesPerCallMax && !selection.all) {
      Release(selected.chosen);
      return Status::InvalidArgument("the selected dead letters hold " + std::to_string(bytes) +
                                     " bytes, more than one replay may move");
    }
    std::vector<std::string> bodies;
    std::size_t taken_bytes = 0;
    for (const Received* letter : firsts) {
      if (!bodies.empty() && taken_bytes + letter->letter.message_bytes.size() >
                                 limits::kDeadLetterBytesPerCallMax) {
        break;  // `all`: the oldest that fit
      }
      taken_bytes += letter->letter.message_bytes.size();
      bodies.push_back(EncodeSqsBody(letter->letter.id, letter->letter.message_bytes));
    }
    const std::vector<Status> sent = SendBodies(queue_->client(), queue_->queue_url(), bodies);
    for (std::size_t i = 0; i < sent.size(); ++i) {
      if (sent[i].ok()) {
        removable.insert(firsts[i]->letter.id);
      } else if (failure.ok()) {
        failure = sent[i];
      }
    }
  } else {
    for (const Received* letter : firsts) removable.insert(letter->letter.id);
  }
  std::vector<std::string> receipts;
  std::vector<const Received*> kept;
  for (const Received* letter : selected.chosen) {
    if (removable.contains(letter->letter.id)) {
      receipts.push_back(letter->receipt_handle);
    } else {
      kept.push_back(letter);
    }
  }
  Release(kept);
  for (const Status& deleted : DeleteReceipts(queue_->client(), options_.queue_url, receipts)) {
    if (!deleted.ok() && failure.ok()) failure = deleted;
  }
  ForgetDepth();
  if (!failure.ok()) {
    return Status::Unavailable(std::to_string(removable.size()) + " of " +
                               std::to_string(firsts.size()) + " dead letters done: " +
                               failure.message());
  }
  outcome.done.assign(removable.begin(), removable.end());
  outcome.remaining = scanned->size() - receipts.size();
  return outcome;
}

Result<DeadLetterOutcome> SqsDeadLetterQueue::Replay(const DeadLetterSelection& selection) {
  return Remove(selection, /*send_to_queue=*/true);
}

Result<DeadLetterOutcome> SqsDeadLetterQueue::Drop(const DeadLetterSelection& selection) {
  return Remove(selection, /*send_to_queue=*/false);
}

}  // namespace estoque::queue
