#include "queue/sqs_queue.h"

#include <algorithm>
#include <iterator>
#include <cassert>
#include <utility>

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "queue/message_codec.h"
#include "queue/sqs_batches.h"
#include "queue/sqs_body.h"

namespace estoque::queue {
namespace {

namespace sqs = aws::sqs;

// The encoded parts of `message`, each at most kSqsMessageBytesMax bytes: the message itself, or
// for positions only, its items cut in halves until every part fits (positions are independent:
// applying them in several writes gives the same result). InvalidArgument when a part cannot be
// cut further.
Result<std::vector<std::string>> EncodeParts(const Message& message) {
  std::string encoded = EncodeMessage(message);
  if (encoded.size() <= kSqsMessageBytesMax) return std::vector<std::string>{std::move(encoded)};
  if (!message.sales.empty() || !message.cancels.empty() || message.items.size() < 2) {
    return Status::InvalidArgument("message of " + std::to_string(encoded.size()) +
                                   " bytes is longer than one SQS message allows");
  }
  const std::size_t half = message.items.size() / 2;
  std::vector<std::string> parts;
  for (const auto& [begin, end] : {std::pair<std::size_t, std::size_t>{0, half},
                                   std::pair<std::size_t, std::size_t>{half, message.items.size()}}) {
    Message part;
    part.enqueued_at_us = message.enqueued_at_us;
    part.items.assign(message.items.begin() + static_cast<std::ptrdiff_t>(begin),
                      message.items.begin() + static_cast<std::ptrdiff_t>(end));
    Result<std::vector<std::string>> encoded_part = EncodeParts(part);
    if (!encoded_part.ok()) return encoded_part.status();
    for (std::string& bytes : *encoded_part) parts.push_back(std::move(bytes));
  }
  return parts;
}

uint64_t AttributeCount(const sqs::QueueAttributes& attributes, const std::string& name) {
  const auto found = attributes.find(name);
  if (found == attributes.end()) return 0;
  try {
    return std::stoull(found->second);
  } catch (const std::exception&) {
    return 0;
  }
}

const std::vector<std::string> kCountAttributes = {"ApproximateNumberOfMessages",
                                                   "ApproximateNumberOfMessagesNotVisible",
                                                   "ApproximateNumberOfMessagesDelayed"};

}  // namespace

Result<std::unique_ptr<SqsQueue>> SqsQueue::Open(sqs::SqsClient* client, SqsQueueOptions options,
                                                 std::unique_ptr<MessageIdSource> ids) {
  assert(client != nullptr && !options.queue_url.empty());
  assert(options.visibility_timeout_seconds >= 2 &&
         options.visibility_timeout_seconds <= sqs::kVisibilityTimeoutSecondsMax);
  assert(options.sender_threads >= 1);
  aws::AwsResult<sqs::QueueAttributes> attributes =
      client->GetQueueAttributes(options.queue_url, kCountAttributes);
  if (!attributes.ok()) return SqsFailure(attributes.error(), "queue " + options.queue_url);
  if (ids == nullptr) ids = std::make_unique<MessageIdSource>();
  std::unique_ptr<SqsQueue> queue(new SqsQueue(client, std::move(options), std::move(ids)));
  uint64_t depth = 0;
  for (const std::string& name : kCountAttributes) depth += AttributeCount(*attributes, name);
  queue->sqs_depth_messages_ = depth;
  queue->stats_fetched_at_us_ = MonotonicMicros();
  for (std::size_t i = 0; i < queue->options_.sender_threads; ++i) {
    queue->senders_.emplace_back([raw = queue.get()] { raw->SendLoop(); });
  }
  queue->maintenance_ = std::thread([raw = queue.get()] { raw->MaintenanceLoop(); });
  return queue;
}

SqsQueue::SqsQueue(sqs::SqsClient* client, SqsQueueOptions options,
                   std::unique_ptr<MessageIdSource> ids)
    : client_(client), options_(std::move(options)), ids_(std::move(ids)) {}

SqsQueue::~SqsQueue() {
  Close();
  {
    std::lock_guard<std::mutex> lock(maintenance_mutex_);
    maintenance_stopping_ = true;
  }
  maintenance_cv_.notify_all();
  if (maintenance_.joinable()) maintenance_.join();
}

void SqsQueue::Enqueue(Message message, EnqueueCallback done) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) {
      done(Status::Unavailable("queue is closed"));
      return;
    }
  }
  Result<std::vector<std::string>> parts = EncodeParts(message);
  if (!parts.ok()) {
    done(parts.status());
    return;
  }
  auto group = std::make_shared<Group>();
  group->done = std::move(done);
  group->parts_left = parts->size();
  std::vector<Pending> bodies;
  std::size_t bytes = 0;
  for (const std::string& part : *parts) {
    const uint64_t id = ids_->Next();
    if (group->first_id == 0) group->first_id = id;
    bodies.push_back({EncodeSqsBody(id, part), group});
    bytes += bodies.back().body.size();
  }
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (closed_) {
      lock.unlock();
      group->done(Status::Unavailable("queue is closed"));
      return;
    }
    if (unanswered_messages_ + bodies.size() > options_.pending_messages_max ||
        unanswered_bytes_ + bytes > options_.pending_bytes_max) {
      lock.unlock();
      group->done(Status::ResourceExhausted("too many messages waiting to be sent to SQS"));
      return;
    }
    unanswered_messages_ += bodies.size();
    unanswered_bytes_ += bytes;
    for (Pending& pending : bodies) pending_.push_back(std::move(pending));
  }
  pending_cv_.notify_one();
}

void SqsQueue::CompletePart(const std::shared_ptr<Group>& group, const Status& status) {
  EnqueueCallback done;
  Status outcome;
  {
    std::lock_guard<std::mutex> lock(group->mutex);
    if (!status.ok() && group->failure.ok()) group->failure = status;
    assert(group->parts_left > 0);
    if (--group->parts_left > 0) return;
    done = std::move(group->done);
    outcome = group->failure;
  }
  if (outcome.ok()) {
    done(group->first_id);
  } else {
    done(outcome);
  }
}

void SqsQueue::SendLoop() {
  for (;;) {
    std::vector<Pending> batch;
    std::size_t bytes = 0;
    bool more = false;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      pending_cv_.wait(lock, [this] { return !pending_.empty() || closed_; });
      if (pending_.empty()) return;  // closed and everything sent
      while (!pending_.empty() && batch.size() < sqs::kBatchEntriesMax &&
             (batch.empty() || bytes + pending_.front().body.size() <= sqs::kBatchPayloadBytesMax)) {
        bytes += pending_.front().body.size();
        batch.push_back(std::move(pending_.front()));
        pending_.pop_front();
      }
      more = !pending_.empty();
    }
    if (more) pending_cv_.notify_one();  // for another sender
    std::vector<std::string> bodies;
    bodies.reserve(batch.size());
    for (const Pending& pending : batch) bodies.push_back(pending.body);
    const std::vector<Status> results = SendBodies(*client_, options_.queue_url, bodies);
    std::size_t accepted = 0;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (results[i].ok()) {
        ++accepted;
      } else {
        spdlog::warn("sqs queue: a message was not accepted: {}", results[i].ToString());
      }
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      unanswered_messages_ -= batch.size();
      unanswered_bytes_ -= bytes;
      enqueued_total_ += accepted;
      if (accepted > 0) ++commits_total_;
    }
    for (std::size_t i = 0; i < batch.size(); ++i) CompletePart(batch[i].group, results[i]);
  }
}

Delivery SqsQueue::ToDelivery(const sqs::Message& message, std::string* message_bytes) const {
  Delivery delivery;
  delivery.attempt = static_cast<uint32_t>(std::max(1, message.receive_count()));
  Result<SqsBody> body = DecodeSqsBody(message.body);
  if (!body.ok()) {
    delivery.id = SqsFallbackId(message.message_id);
    delivery.decode_error = Status::Corruption("SQS message " + message.message_id +
                                               " is not an estoque message: " +
                                               body.status().message());
    *message_bytes = message.body;
    return delivery;
  }
  delivery.id = body->id;
  Result<Message> decoded = DecodeMessage(body->message_bytes);
  if (decoded.ok()) {
    delivery.message = std::move(*decoded);
  } else {
    delivery.decode_error = decoded.status();
  }
  *message_bytes = std::move(body->message_bytes);
  return delivery;
}

Result<std::vector<Delivery>> SqsQueue::Receive(std::size_t max_messages,
                                                std::chrono::milliseconds wait) {
  std::vector<Delivery> deliveries;
  int wait_seconds = 0;
  if (wait.count() > 0) {
    wait_seconds = static_cast<int>(std::clamp<int64_t>((wait.count() + 999) / 1000, 1,
                                                        sqs::kWaitTimeSecondsMax));
  }
  while (deliveries.size() < max_messages) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (closed_) break;
    }
    sqs::ReceiveRequest request;
    request.queue_url = options_.queue_url;
    request.max_messages = static_cast<int>(
        std::min<std::size_t>(sqs::kReceiveMessagesMax, max_messages - deliveries.size()));
    request.wait_time_seconds = deliveries.empty() ? wait_seconds : 0;
    request.visibility_timeout_seconds = options_.visibility_timeout_seconds;
    aws::AwsResult<std::vector<sqs::Message>> received = client_->ReceiveMessage(request);
    if (!received.ok()) {
      if (deliveries.empty()) return SqsFailure(received.error(), "ReceiveMessage");
      break;  // deliver what came; the next Receive reports the failure
    }
    const int64_t received_at_us = MonotonicMicros();
    const int64_t visibility_us = int64_t{options_.visibility_timeout_seconds} * 1'000'000;
    for (const sqs::Message& message : *received) {
      std::string bytes;
      deliveries.push_back(ToDelivery(message, &bytes));
      std::lock_guard<std::mutex> lock(mutex_);
      held_[deliveries.back().id].push_back({message.receipt_handle, std::move(bytes),
                                             received_at_us + visibility_us / 2,
                                             deliveries.back().decode_error.ok(),
                                             received_at_us + visibility_us});
    }
    if (received->size() < static_cast<std::size_t>(request.max_messages)) break;
  }
  return deliveries;
}

Status SqsQueue::Acknowledge(std::span<const Delivery> deliveries) {
  std::vector<std::string> receipts;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const Delivery& delivery : deliveries) {
      auto found = held_.find(delivery.id);
      if (found == held_.end()) continue;  // a second delivery of the same id in this batch
      for (Held& held : found->second) receipts.push_back(std::move(held.receipt_handle));
      held_.erase(found);
    }
  }
  const std::vector<Status> results = DeleteReceipts(*client_, options_.queue_url, receipts);
  for (const Status& result : results) {
    if (!result.ok()) return result;
  }
  return Status::Ok();
}

Result<std::string> SqsQueue::HeldMessageBytes(uint64_t id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = held_.find(id);
  if (found == held_.end()) return Status::NotFound("message " + std::to_string(id) + " is not held");
  return found->second.front().message_bytes;
}

Status SqsQueue::DeleteHeld(uint64_t id) {
  std::vector<std::string> receipts;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = held_.find(id);
    if (found == held_.end()) return Status::NotFound("message " + std::to_string(id) + " is not held");
    for (Held& held : found->second) receipts.push_back(std::move(held.receipt_handle));
    held_.erase(found);
  }
  for (const Status& result : DeleteReceipts(*client_, options_.queue_url, receipts)) {
    if (!result.ok()) return result;
  }
  return Status::Ok();
}

QueueStats SqsQueue::Stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  QueueStats stats;
  stats.depth_messages = sqs_depth_messages_ + unanswered_messages_;
  stats.depth_bytes = unanswered_bytes_;  // SQS does not tell the bytes it holds
  stats.oldest_age_ms = 0;                // nor the age of its oldest message (CloudWatch does)
  stats.enqueued_messages_total = enqueued_total_;
  stats.commits_total = commits_total_;
  return stats;
}

uint64_t SqsQueue::visibility_extensions_total() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return visibility_extensions_total_;
}

void SqsQueue::Close() {
  std::lock_guard<std::mutex> close_lock(close_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
  }
  pending_cv_.notify_all();
  for (std::thread& sender : senders_) {
    if (sender.joinable()) sender.join();
  }
}

void SqsQueue::ExtendDueVisibility() {
  const int64_t now_us = MonotonicMicros();
  const int64_t next_us = now_us + int64_t{options_.visibility_timeout_seconds} * 1'000'000 / 2;
  std::vector<std::string> receipts;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto entry = held_.begin(); entry != held_.end();) {
      std::vector<Held>& copies = entry->second;
      std::erase_if(copies, [now_us](const Held& held) {
        return !held.extended && held.visible_again_at_us <= now_us;
      });
      for (Held& held : copies) {
        if (!held.extended || held.extend_at_us > now_us) continue;
        receipts.push_back(held.receipt_handle);
        held.extend_at_us = next_us;
      }
      entry = copies.empty() ? held_.erase(entry) : std::next(entry);
    }
  }
  if (receipts.empty()) return;
  const std::vector<Status> results =
      ChangeVisibility(*client_, options_.queue_url, receipts, options_.visibility_timeout_seconds);
  uint64_t extended = 0;
  for (const Status& result : results) {
    if (result.ok()) {
      ++extended;
    } else {
      // Acknowledged meanwhile (its handle is gone), or SQS failed: the message may come again.
      spdlog::debug("sqs queue: visibility extension failed: {}", result.ToString());
    }
  }
  std::lock_guard<std::mutex> lock(mutex_);
  visibility_extensions_total_ += extended;
}

void SqsQueue::RefreshStats() {
  aws::AwsResult<sqs::QueueAttributes> attributes =
      client_->GetQueueAttributes(options_.queue_url, kCountAttributes);
  if (!attributes.ok()) {
    spdlog::debug("sqs queue: GetQueueAttributes failed: {}", attributes.error().ToString());
    std::lock_guard<std::mutex> lock(mutex_);
    stats_fetched_at_us_ = MonotonicMicros();  // try again after the interval, keep the counts
    return;
  }
  uint64_t depth = 0;
  for (const std::string& name : kCountAttributes) depth += AttributeCount(*attributes, name);
  std::lock_guard<std::mutex> lock(mutex_);
  sqs_depth_messages_ = depth;
  stats_fetched_at_us_ = MonotonicMicros();
}

void SqsQueue::MaintenanceLoop() {
  std::unique_lock<std::mutex> lock(maintenance_mutex_);
  while (!maintenance_stopping_) {
    lock.unlock();
    ExtendDueVisibility();
    int64_t fetched_at_us = 0;
    {
      std::lock_guard<std::mutex> stats_lock(mutex_);
      fetched_at_us = stats_fetched_at_us_;
    }
    if (MonotonicMicros() - fetched_at_us >= options_.stats_refresh_interval.count() * 1000) {
      RefreshStats();
    }
    lock.lock();
    maintenance_cv_.wait_for(lock, options_.maintenance_interval,
                             [this] { return maintenance_stopping_; });
  }
}

}  // namespace estoque::queue
