#include "queue/embedded_queue.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include "common/clock.h"
#include "queue/message_codec.h"
#include "queue/queue_rows.h"

namespace estoque::queue {
namespace {


rocksdb::Slice ToSlice(std::string_view bytes) { return {bytes.data(), bytes.size()}; }

// The delivery of the stored message `id`: decoded, or flagged with why it does not decode.
Delivery StoredDelivery(uint64_t id, std::string_view bytes) {
  Delivery delivery;
  delivery.id = id;
  Result<Message> message = DecodeMessage(bytes);
  if (message.ok()) {
    delivery.message = std::move(*message);
  } else {
    delivery.decode_error = Status::Corruption("queue message " + std::to_string(id) +
                                               " does not decode: " + message.status().message());
  }
  return delivery;
}

// When a waiting message was accepted, for the queue's oldest age: a message that does not decode
// has no readable time, so it counts from now.
int64_t AcceptedAtMicros(const Delivery& delivery) {
  return delivery.decode_error.ok() ? delivery.message.enqueued_at_us : NowUnixMicros();
}

}  // namespace

EmbeddedQueue::EmbeddedQueue(store::RocksEngine* engine, const EmbeddedQueueOptions& options)
    : engine_(engine), options_(options) {
  assert(engine != nullptr);
}

Result<std::unique_ptr<EmbeddedQueue>> EmbeddedQueue::Open(store::RocksEngine* engine,
                                                           const EmbeddedQueueOptions& options) {
  std::unique_ptr<EmbeddedQueue> queue(new EmbeddedQueue(engine, options));
  rocksdb::DB* db = engine->db();

  std::string next_id_bytes;
  rocksdb::Status read =
      db->Get(rocksdb::ReadOptions(), engine->meta(), ToSlice(kQueueNextIdKey), &next_id_bytes);
  if (read.ok()) {
    if (next_id_bytes.size() != 8) return Status::Corruption("malformed queue.next_id");
    queue->next_id_ = std::max<uint64_t>(1, store::DecodeQueueKey(next_id_bytes));
  } else if (!read.IsNotFound()) {
    return store::FromRocks(read, "read queue.next_id");
  }

  // Whatever is still in the column family was accepted and not applied: it waits again.
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), engine->queue()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const rocksdb::Slice key = it->key();
    if (key.size() != 8) return Status::Corruption("malformed queue key");
    const uint64_t id = store::DecodeQueueKey(std::string_view(key.data(), key.size()));
    Delivery delivery = StoredDelivery(id, std::string_view(it->value().data(), it->value().size()));
    const std::size_t bytes = it->value().size();
    queue->unacked_.push_back(Unacked{id, AcceptedAtMicros(delivery), bytes});
    queue->unacked_bytes_ += bytes;
    queue->ready_.push_back(Waiting{std::move(delivery), bytes});
    queue->next_id_ = std::max(queue->next_id_, id + 1);
  }
  if (!it->status().ok()) return store::FromRocks(it->status(), "load queue");

  queue->committer_ = std::thread([q = queue.get()] { q->CommitLoop(); });
  return queue;
}

EmbeddedQueue::~EmbeddedQueue() { Close(); }

void EmbeddedQueue::Enqueue(Message message, EnqueueCallback done) {
  assert(done);
  if (message.enqueued_at_us == 0) message.enqueued_at_us = NowUnixMicros();
  std::string encoded = EncodeMessage(message);  // outside the lock: producers encode in parallel
  Status refused;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::size_t waiting_messages =
        pending_.size() + committing_messages_ + requeuing_messages_ + unacked_.size();
    const std::size_t waiting_bytes = pending_bytes_ + requeuing_bytes_ + unacked_bytes_;
    if (closed_) {
      refused = Status::Unavailable("queue is closed");
    } else if (waiting_messages + 1 > options_.max_messages) {
      refused = Status::ResourceExhausted("queue holds its maximum of " +
                                          std::to_string(options_.max_messages) + " messages");
    } else if (waiting_bytes + encoded.size() > options_.max_bytes) {
      refused = Status::ResourceExhausted("queue holds its maximum of " +
                                          std::to_string(options_.max_bytes) + " bytes");
    } else {
      pending_bytes_ += encoded.size();
      pending_.push_back(Pending{std::move(message), std::move(encoded), std::move(done)});
    }
  }
  if (!refused.ok()) {
    done(std::move(refused));
    return;
  }
  pending_cv_.notify_one();
}

void EmbeddedQueue::CommitLoop() {
  std::vector<Pending> batch;
  rocksdb::WriteBatch write_batch;
  rocksdb::WriteOptions write_options;
  write_options.sync = engine_->options().sync_writes;
  for (;;) {
    uint64_t first_id = 0;
    std::size_t batch_bytes = 0;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      pending_cv_.wait(lock, [this] { return closed_ || !pending_.empty(); });
      if (pending_.empty()) {
        assert(closed_);
        return;  // closed and everything accepted was written
      }
      batch.swap(pending_);
      committing_messages_ = batch.size();
      first_id = next_id_;
    }

    // Group commit: every message pending at this moment in one write (one fsync).
    write_batch.Clear();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      write_batch.Put(engine_->queue(), store::QueueKey(first_id + i), ToSlice(batch[i].encoded));
      batch_bytes += batch[i].encoded.size();
    }
    const uint64_t next_id = first_id + batch.size();
    write_batch.Put(engine_->meta(), ToSlice(kQueueNextIdKey), store::QueueKey(next_id));
    const Status status = engine_->Write(write_options, &write_batch, "enqueue");

    {
      std::lock_guard<std::mutex> lock(mutex_);
      committing_messages_ = 0;
      assert(pending_bytes_ >= batch_bytes);
      pending_bytes_ -= batch_bytes;
      // Consumed even by a failed write: ids are never reused, whatever the failure left on disk.
      next_id_ = next_id;
      if (status.ok()) {
        for (std::size_t i = 0; i < batch.size(); ++i) {
          const uint64_t id = first_id + i;
          const std::size_t bytes = batch[i].encoded.size();
          unacked_.push_back(Unacked{id, batch[i].message.enqueued_at_us, bytes});
          unacked_bytes_ += bytes;
          ready_.push_back(Waiting{Delivery{id, std::move(batch[i].message), 1}, bytes});
        }
        enqueued_total_ += batch.size();
        ++commits_total_;
      }
    }
    if (status.ok()) ready_cv_.notify_all();

    // Callbacks run outside the lock: they may do real work (write an HTTP response).
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (status.ok()) {
        batch[i].done(first_id + i);
      } else {
        batch[i].done(Status::Unavailable(status.message()));
      }
    }
    batch.clear();
  }
}

Status EmbeddedQueue::Requeue(std::vector<RequeuedMessage> messages, rocksdb::WriteBatch* batch) {
  assert(batch != nullptr);
  std::size_t bytes = 0;
  for (const RequeuedMessage& message : messages) bytes += message.bytes.size();
  {
    // Reserve room in the bounds first, so the write below cannot overfill the queue.
    std::lock_guard<std::mutex> lock(mutex_);
    const std::size_t waiting_messages =
        pending_.size() + committing_messages_ + requeuing_messages_ + unacked_.size();
    const std::size_t waiting_bytes = pending_bytes_ + requeuing_bytes_ + unacked_bytes_;
    if (closed_) return Status::Unavailable("queue is closed");
    if (waiting_messages + messages.size() > options_.max_messages) {
      return Status::ResourceExhausted("queue has room for " +
                                       std::to_string(options_.max_messages - waiting_messages) +
                                       " more messages, not " + std::to_string(messages.size()));
    }
    if (waiting_bytes + bytes > options_.max_bytes) {
      return Status::ResourceExhausted("queue has room for " +
                                       std::to_string(options_.max_bytes - waiting_bytes) +
                                       " more bytes, not " + std::to_string(bytes));
    }
    requeuing_messages_ += messages.size();
    requeuing_bytes_ += bytes;
  }

  for (const RequeuedMessage& message : messages) {
    batch->Put(engine_->queue(), store::QueueKey(message.id), ToSlice(message.bytes));
  }
  rocksdb::WriteOptions write_options;
  write_options.sync = engine_->options().sync_writes;
  const Status written = engine_->Write(write_options, batch, "requeue");

  std::vector<Waiting> waiting;
  if (written.ok()) {
    waiting.reserve(messages.size());
    for (const RequeuedMessage& message : messages) {
      waiting.push_back(Waiting{StoredDelivery(message.id, message.bytes), message.bytes.size()});
    }
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    assert(requeuing_messages_ >= messages.size() && requeuing_bytes_ >= bytes);
    requeuing_messages_ -= messages.size();
    requeuing_bytes_ -= bytes;
    if (!written.ok()) return Status::Unavailable(written.message());
    // Both lists stay in id order (Acknowledge searches unacked_; Receive hands out the oldest).
    for (Waiting& entry : waiting) {
      const uint64_t id = entry.delivery.id;
      auto unacked = std::lower_bound(
          unacked_.begin(), unacked_.end(), id,
          [](const Unacked& waiting_entry, uint64_t wanted) { return waiting_entry.id < wanted; });
      assert(unacked == unacked_.end() || unacked->id != id);
      unacked_.insert(unacked, Unacked{id, AcceptedAtMicros(entry.delivery), entry.encoded_bytes});
      unacked_bytes_ += entry.encoded_bytes;
      auto ready = std::lower_bound(
          ready_.begin(), ready_.end(), id,
          [](const Waiting& ready_entry, uint64_t wanted) { return ready_entry.delivery.id < wanted; });
      ready_.insert(ready, std::move(entry));
    }
  }
  ready_cv_.notify_all();
  return Status::Ok();
}

Result<std::vector<Delivery>> EmbeddedQueue::Receive(std::size_t max_messages,
                                                     std::chrono::milliseconds wait) {
  assert(max_messages >= 1);
  std::vector<Delivery> deliveries;
  std::unique_lock<std::mutex> lock(mutex_);
  ready_cv_.wait_for(lock, wait, [this] { return closed_ || !ready_.empty(); });
  if (closed_) return deliveries;
  const std::size_t count = std::min(max_messages, ready_.size());
  deliveries.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    deliveries.push_back(std::move(ready_.front().delivery));
    ready_.pop_front();
  }
  return deliveries;
}

Status EmbeddedQueue::DeleteRows(std::span<const Delivery> deliveries) {
  std::vector<uint64_t> ids;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ids.swap(undeleted_);
  }
  for (const Delivery& delivery : deliveries) ids.push_back(delivery.id);
  rocksdb::WriteBatch batch;
  for (const uint64_t id : ids) batch.Delete(engine_->queue(), store::QueueKey(id));
  // Not synced: a lost deletion only means a redelivery after a crash (at least once), and the
  // identities of a message's effects make re-applying it harmless.
  Status written = engine_->Write(rocksdb::WriteOptions(), &batch, "acknowledge");
  if (!written.ok()) {
    // Tried again with the next acknowledgement (or, after a restart, the message comes again).
    std::lock_guard<std::mutex> lock(mutex_);
    undeleted_.insert(undeleted_.end(), ids.begin(), ids.end());
  }
  return written;
}

Status EmbeddedQueue::Acknowledge(std::span<const Delivery> deliveries) {
  if (deliveries.empty()) return Status::Ok();
  // The messages leave the queue's memory even when their rows could not be deleted now (a full
  // disk): they were applied, and must not hold the queue's depth up.
  Status deleted;
  if (options_.delete_on_acknowledge) deleted = DeleteRows(deliveries);
  std::lock_guard<std::mutex> lock(mutex_);
  for (const Delivery& delivery : deliveries) {
    // Acknowledgements normally come in id order, so the front is the common case.
    auto it = unacked_.begin();
    if (it == unacked_.end()) break;
    if (it->id != delivery.id) {
      it = std::lower_bound(unacked_.begin(), unacked_.end(), delivery.id,
                            [](const Unacked& entry, uint64_t id) { return entry.id < id; });
      if (it == unacked_.end() || it->id != delivery.id) continue;  // already acknowledged
    }
    assert(unacked_bytes_ >= it->encoded_bytes);
    unacked_bytes_ -= it->encoded_bytes;
    unacked_.erase(it);
  }
  return deleted;
}

QueueStats EmbeddedQueue::Stats() const {
  QueueStats stats;
  const int64_t now_us = NowUnixMicros();
  std::lock_guard<std::mutex> lock(mutex_);
  stats.depth_messages =
      pending_.size() + committing_messages_ + requeuing_messages_ + unacked_.size();
  stats.depth_bytes = pending_bytes_ + requeuing_bytes_ + unacked_bytes_;
  if (!unacked_.empty()) {
    stats.oldest_age_ms = std::max<int64_t>(0, (now_us - unacked_.front().enqueued_at_us) / 1000);
  }
  stats.enqueued_messages_total = enqueued_total_;
  stats.commits_total = commits_total_;
  return stats;
}

void EmbeddedQueue::Close() {
  std::lock_guard<std::mutex> close_lock(close_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
  }
  pending_cv_.notify_all();
  ready_cv_.notify_all();
  if (committer_.joinable()) committer_.join();
}

}  // namespace estoque::queue
