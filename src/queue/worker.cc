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

Worker::Worker(MessageQueue* queue, store::PositionStore* store, WorkerOptions options)
    : queue_(queue), store_(store), options_(options) {
  assert(queue != nullptr && store != nullptr);
  assert(options_.batch_messages_max >= 1);
  assert(options_.retry_backoff_initial.count() >= 1);
  assert(options_.retry_backoff_max >= options_.retry_backoff_initial);
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

bool Worker::ApplyWithRetry(const store::IngestBatch& batch) {
  std::chrono::milliseconds backoff = options_.retry_backoff_initial;
  for (;;) {
    Result<store::ApplyOutcome> applied = store_->ApplyBatch(batch);
    if (applied.ok()) return true;
    failures_.fetch_add(1, std::memory_order_relaxed);
    std::fprintf(stderr, "estoque worker: apply of %zu messages (%zu items) failed, retrying in %lld ms: %s\n",
                 batch.consumed_message_ids.size(), batch.positions.size(),
                 static_cast<long long>(backoff.count()),
                 applied.status().ToString().c_str());
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
  std::vector<domain::Position> items;
  std::vector<domain::Sale> sales;
  std::vector<domain::SaleCancel> cancels;
  std::vector<uint64_t> ids;
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

    // Flatten: one Apply for the whole batch. The items are moved out; Acknowledge needs ids only.
    items.clear();
    sales.clear();
    cancels.clear();
    ids.clear();
    ids.reserve(deliveries.size());
    std::size_t item_count = 0;
    for (const Delivery& delivery : deliveries) item_count += delivery.message.items.size();
    items.reserve(item_count);
    for (Delivery& delivery : deliveries) {
      ids.push_back(delivery.id);
      std::move(delivery.message.items.begin(), delivery.message.items.end(),
                std::back_inserter(items));
      delivery.message.items.clear();
      std::move(delivery.message.sales.begin(), delivery.message.sales.end(),
                std::back_inserter(sales));
      delivery.message.sales.clear();
      std::move(delivery.message.cancels.begin(), delivery.message.cancels.end(),
                std::back_inserter(cancels));
      delivery.message.cancels.clear();
    }
    store::IngestBatch batch;
    batch.positions = items;
    batch.sales = sales;
    batch.cancels = cancels;
    batch.consumed_message_ids = ids;
    if (!ApplyWithRetry(batch)) return;  // stopping; the batch stays in the queue

    Status acknowledged = queue_->Acknowledge(deliveries);
    if (!acknowledged.ok()) {
      // Applied but still stored as waiting: redelivered after a restart, where re-applying it is
      // a no-op under the newer-wins rule.
      failures_.fetch_add(1, std::memory_order_relaxed);
      std::fprintf(stderr, "estoque worker: acknowledge failed: %s\n",
                   acknowledged.ToString().c_str());
    }
    applied_messages_.fetch_add(ids.size(), std::memory_order_relaxed);
    std::size_t sale_lines = 0;
    for (const domain::Sale& sale : sales) sale_lines += sale.lines.size();
    applied_items_.fetch_add(items.size() + sale_lines, std::memory_order_relaxed);
  }
}

}  // namespace estoque::queue
