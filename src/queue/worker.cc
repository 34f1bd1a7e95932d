#include "queue/worker.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <iterator>
#include <utility>

#include "common/clock.h"

namespace estoque::queue {

Worker::Worker(MessageQueue* queue, store::PositionStore* store, WorkerOptions options,
               DeadLetterQueue* dead_letters)
    : queue_(queue), store_(store), dead_letters_(dead_letters), options_(options) {
  assert(queue != nullptr && store != nullptr);
  assert(options_.batch_messages_max >= 1);
  assert(options_.retry_backoff_initial.count() >= 1);
  assert(options_.retry_backoff_max >= options_.retry_backoff_initial);
  assert(options_.dead_letter_attempts_max >= 1);
}

Worker::~Worker() { Stop(); }

void Worker::Start() {
  std::lock_guard<std::mutex> lock(thread_mutex_);
  if (started_) return;
  started_ = true;
  thread_ = std::thread([this] { Run(); });
}

void Worker::Stop() {
  std::lock_guard<std::mutex> lock(thread_mutex_);
  {
    std::lock_guard<std::mutex> stop_lock(stop_mutex_);
    stopping_.store(true, std::memory_order_relaxed);
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Worker::SleepUnlessStopping(std::chrono::milliseconds duration) {
  std::unique_lock<std::mutex> lock(stop_mutex_);
  return stop_cv_.wait_for(lock, duration,
                           [this] { return stopping_.load(std::memory_order_relaxed); });
}

bool Worker::RetriedForever(const Status& status) const {
  return status.code() == StatusCode::kUnavailable ||
         status.code() == StatusCode::kResourceExhausted || dead_letters_ == nullptr;
}

std::optional<Status> Worker::ApplyWithRetry(store::IngestBatch batch) {
  batch.remove_queue_rows = queue_->StoreRemovesRows();
  std::chrono::milliseconds backoff = options_.retry_backoff_initial;
  for (;;) {
    Result<store::ApplyOutcome> applied = store_->ApplyBatch(batch);
    if (applied.ok()) return Status::Ok();
    failures_.fetch_add(1, std::memory_order_relaxed);
    if (!RetriedForever(applied.status())) return applied.status();
    std::fprintf(stderr, "estoque worker: apply of %zu messages (%zu items) failed, retrying in %lld ms: %s\n",
                 batch.consumed_message_ids.size(), batch.positions.size(),
                 static_cast<long long>(backoff.count()),
                 applied.status().ToString().c_str());
    if (SleepUnlessStopping(backoff)) return std::nullopt;
    backoff = std::min(backoff * 2, options_.retry_backoff_max);
  }
}

void Worker::Applied(std::span<const Delivery> deliveries, std::size_t items) {
  Status acknowledged = queue_->Acknowledge(deliveries);
  if (!acknowledged.ok()) {
    // Applied but still stored as waiting: redelivered after a restart, where re-applying it is
    // a no-op under the newer-wins rule.
    failures_.fetch_add(1, std::memory_order_relaxed);
    std::fprintf(stderr, "estoque worker: acknowledge failed: %s\n",
                 acknowledged.ToString().c_str());
  }
  applied_messages_.fetch_add(deliveries.size(), std::memory_order_relaxed);
  applied_items_.fetch_add(items, std::memory_order_relaxed);
}

bool Worker::ApplyDeliveries(std::vector<Delivery>& deliveries) {
  // Messages that decoded are applied together; one that did not is poison from the start.
  std::vector<Delivery*> decoded;
  std::vector<Poisoned> poisoned;
  decoded.reserve(deliveries.size());
  for (Delivery& delivery : deliveries) {
    if (delivery.decode_error.ok()) {
      decoded.push_back(&delivery);
    } else {
      failures_.fetch_add(1, std::memory_order_relaxed);
      poisoned.push_back({&delivery, std::nullopt, delivery.decode_error, NowUnixMicros()});
    }
  }
  flat_.Assign(decoded);

  if (flat_.messages() > 0) {
    std::optional<Status> applied = ApplyWithRetry(flat_.All());
    if (!applied.has_value()) return false;  // stopping; the batch stays in the queue
    const bool all_decoded = decoded.size() == deliveries.size();
    if (applied->ok()) {
      if (all_decoded) {
        Applied(deliveries, flat_.ItemCount());
      } else {
        for (std::size_t i = 0; i < decoded.size(); ++i) {
          Applied(std::span<const Delivery>(decoded[i], 1), flat_.ItemCount(i));
        }
      }
    } else if (flat_.messages() == 1) {
      poisoned.push_back({decoded[0], 0, std::move(*applied), NowUnixMicros()});
    } else {
      // Nothing of the batch was written (one atomic write): apply each message alone to find
      // the culprits; the others are applied, once, by their own writes.
      std::fprintf(stderr,
                   "estoque worker: apply of %zu messages failed (%s): applying them one by one\n",
                   flat_.messages(), applied->ToString().c_str());
      for (std::size_t i = 0; i < flat_.messages(); ++i) {
        std::optional<Status> alone = ApplyWithRetry(flat_.One(i));
        if (!alone.has_value()) return false;
        if (alone->ok()) {
          Applied(std::span<const Delivery>(decoded[i], 1), flat_.ItemCount(i));
        } else {
          poisoned.push_back({decoded[i], i, std::move(*alone), NowUnixMicros()});
        }
      }
    }
  }
  for (const Poisoned& message : poisoned) {
    if (!RetryOrDeadLetter(message)) return false;
  }
  return true;
}

bool Worker::RetryOrDeadLetter(const Poisoned& poisoned) {
  const Delivery& delivery = *poisoned.delivery;
  DeliveryFailure failure{poisoned.failure, 1, poisoned.failed_at_us, poisoned.failed_at_us};
  std::chrono::milliseconds backoff = options_.retry_backoff_initial;
  while (failure.attempts < options_.dead_letter_attempts_max) {
    std::fprintf(stderr,
                 "estoque worker: message %llu failed (attempt %u of %u), retrying in %lld ms: %s\n",
                 static_cast<unsigned long long>(delivery.id), failure.attempts,
                 options_.dead_letter_attempts_max, static_cast<long long>(backoff.count()),
                 failure.reason.ToString().c_str());
    if (SleepUnlessStopping(backoff)) return false;
    backoff = std::min(backoff * 2, options_.retry_backoff_max);
    Status attempt = delivery.decode_error;  // bytes that did not decode will not decode now
    if (poisoned.flat_index.has_value()) {
      std::optional<Status> applied = ApplyWithRetry(flat_.One(*poisoned.flat_index));
      if (!applied.has_value()) return false;
      if (applied->ok()) {
        Applied(std::span<const Delivery>(&delivery, 1), flat_.ItemCount(*poisoned.flat_index));
        return true;
      }
      attempt = std::move(*applied);
    } else {
      failures_.fetch_add(1, std::memory_order_relaxed);
    }
    ++failure.attempts;
    failure.reason = std::move(attempt);
    failure.last_failure_at_us = NowUnixMicros();
  }
  return MoveToDeadLetters(delivery, failure);
}

bool Worker::MoveToDeadLetters(const Delivery& delivery, const DeliveryFailure& failure) {
  if (dead_letters_ == nullptr) {
    // Only a message that does not decode gets here: it can never apply, so it is left where it
    // is (unacknowledged, stored) rather than holding up everything behind it.
    failures_.fetch_add(1, std::memory_order_relaxed);
    std::fprintf(stderr, "estoque worker: message %llu left in the queue (no dead-letter queue): %s\n",
                 static_cast<unsigned long long>(delivery.id), failure.reason.ToString().c_str());
    return true;
  }
  std::chrono::milliseconds backoff = options_.retry_backoff_initial;
  for (;;) {
    Status moved = dead_letters_->Add(delivery, failure);
    if (moved.ok()) {
      dead_lettered_.fetch_add(1, std::memory_order_relaxed);
      std::fprintf(stderr,
                   "estoque worker: message %llu moved to the dead-letter queue after %u attempts: %s\n",
                   static_cast<unsigned long long>(delivery.id), failure.attempts,
                   failure.reason.ToString().c_str());
      return true;
    }
    failures_.fetch_add(1, std::memory_order_relaxed);
    if (moved.code() != StatusCode::kUnavailable && moved.code() != StatusCode::kResourceExhausted) {
      // Not movable (no longer queued, or the dead letters are damaged): it stays where it is,
      // unacknowledged, and is tried again after a restart.
      std::fprintf(stderr, "estoque worker: message %llu could not be dead-lettered: %s\n",
                   static_cast<unsigned long long>(delivery.id), moved.ToString().c_str());
      return true;
    }
    std::fprintf(stderr, "estoque worker: dead-lettering message %llu failed, retrying in %lld ms: %s\n",
                 static_cast<unsigned long long>(delivery.id),
                 static_cast<long long>(backoff.count()), moved.ToString().c_str());
    if (SleepUnlessStopping(backoff)) return false;
    backoff = std::min(backoff * 2, options_.retry_backoff_max);
  }
}

void Worker::Run() {
  // Freshness (202 -> readable) is decided by how soon this thread gets a core when the HTTP
  // threads keep both busy: ask for a slightly higher priority. Needs CAP_SYS_NICE; without it the
  // call fails and the thread runs at normal priority, which is only slower, never wrong.
  if (options_.thread_nice != 0) {
    setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), options_.thread_nice);
  }
  while (!stopping_.load(std::memory_order_relaxed)) {
    const int64_t started_us = MonotonicMicros();
    Result<std::vector<Delivery>> received =
        queue_->Receive(options_.batch_messages_max, options_.receive_wait);
    if (!received.ok()) {
      failures_.fetch_add(1, std::memory_order_relaxed);
      std::fprintf(stderr, "estoque worker: receive failed: %s\n",
                   received.status().ToString().c_str());
      SleepUnlessStopping(options_.retry_backoff_max);
      continue;
    }
    std::vector<Delivery>& deliveries = *received;
    if (deliveries.empty()) {
      // A closed queue answers at once; do not spin until Stop() arrives.
      const auto elapsed = std::chrono::microseconds(MonotonicMicros() - started_us);
      if (elapsed < options_.receive_wait) {
        SleepUnlessStopping(std::chrono::duration_cast<std::chrono::milliseconds>(
            options_.receive_wait - elapsed));
      }
      continue;
    }

    if (deliveries.size() < options_.batch_messages_max && options_.batch_linger.count() > 0 &&
        !SleepUnlessStopping(options_.batch_linger)) {
      Result<std::vector<Delivery>> more = queue_->Receive(
          options_.batch_messages_max - deliveries.size(), std::chrono::milliseconds(0));
      if (more.ok()) {
        std::move(more->begin(), more->end(), std::back_inserter(deliveries));
      }
    }

    if (!ApplyDeliveries(deliveries)) return;  // stopping; what is unapplied stays queued
  }
}

}  // namespace estoque::queue
