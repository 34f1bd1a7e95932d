#include "queue/embedded_dead_letters.h"

#include <algorithm>
#include <cassert>
#include <string>
#include <utility>

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include "common/clock.h"
#include "common/limits.h"
#include "queue/dead_letter_codec.h"

namespace estoque::queue {
namespace {

rocksdb::Slice ToSlice(std::string_view bytes) { return {bytes.data(), bytes.size()}; }
std::string_view ToView(const rocksdb::Slice& slice) { return {slice.data(), slice.size()}; }

// The id of a "dlq" key; Corruption unless it is 8 bytes.
Result<uint64_t> KeyId(const rocksdb::Slice& key) {
  if (key.size() != 8) return Status::Corruption("malformed dead letter key");
  return store::DecodeQueueKey(ToView(key));
}

}  // namespace

EmbeddedDeadLetterQueue::EmbeddedDeadLetterQueue(store::RocksEngine* engine, EmbeddedQueue* queue)
    : engine_(engine), queue_(queue) {
  assert(engine != nullptr && queue != nullptr);
}

Result<std::unique_ptr<EmbeddedDeadLetterQueue>> EmbeddedDeadLetterQueue::Open(
    store::RocksEngine* engine, EmbeddedQueue* queue) {
  std::unique_ptr<EmbeddedDeadLetterQueue> dead_letters(new EmbeddedDeadLetterQueue(engine, queue));
  std::unique_ptr<rocksdb::Iterator> it(
      engine->db()->NewIterator(rocksdb::ReadOptions(), engine->dlq()));
  uint64_t depth = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    Result<uint64_t> id = KeyId(it->key());
    if (!id.ok()) return id.status();
    ++depth;
  }
  if (!it->status().ok()) return store::FromRocks(it->status(), "count dead letters");
  dead_letters->depth_.store(depth, std::memory_order_relaxed);
  return dead_letters;
}

Status EmbeddedDeadLetterQueue::Add(const Delivery& delivery, const DeliveryFailure& failure) {
  assert(!failure.reason.ok() && failure.attempts >= 1);
  std::lock_guard<std::mutex> lock(move_mutex_);
  const std::string key = store::QueueKey(delivery.id);
  DeadLetter letter;
  letter.id = delivery.id;
  rocksdb::Status read = engine_->db()->Get(rocksdb::ReadOptions(), engine_->queue(),
                                            ToSlice(key), &letter.message_bytes);
  if (read.IsNotFound()) {
    return Status::NotFound("message " + std::to_string(delivery.id) + " is not in the queue");
  }
  if (!read.ok()) return store::FromRocks(read, "read the message to dead-letter");
  letter.reason = failure.reason.ToString();
  letter.attempts = failure.attempts;
  letter.enqueued_at_us = delivery.decode_error.ok() ? delivery.message.enqueued_at_us : 0;
  letter.first_failure_at_us = failure.first_failure_at_us;
  letter.last_failure_at_us = failure.last_failure_at_us;
  letter.dead_lettered_at_us = NowUnixMicros();

  rocksdb::WriteBatch batch;
  batch.Delete(engine_->queue(), ToSlice(key));
  batch.Put(engine_->dlq(), ToSlice(key), EncodeDeadLetter(letter));
  Status written =
      engine_->Write(rocksdb::WriteOptions(), &batch, "dead-letter");
  if (!written.ok()) return written;
  depth_.fetch_add(1, std::memory_order_relaxed);
  // Only releases the queue's accounting: the row is already gone (a second delete, with
  // delete_on_acknowledge, is harmless).
  return queue_->Acknowledge(std::span<const Delivery>(&delivery, 1));
}

Result<DeadLetterPage> EmbeddedDeadLetterQueue::List(std::optional<uint64_t> after_id,
                                                    std::size_t limit) {
  assert(limit >= 1 && limit <= limits::kPageLimitMax);
  DeadLetterPage page;
  if (after_id.has_value() && *after_id == UINT64_MAX) return page;
  std::unique_ptr<rocksdb::Iterator> it(
      engine_->db()->NewIterator(rocksdb::ReadOptions(), engine_->dlq()));
  if (after_id.has_value()) {
    it->Seek(store::QueueKey(*after_id + 1));
  } else {
    it->SeekToFirst();
  }
  std::size_t message_bytes = 0;
  for (; it->Valid() && page.items.size() < limit &&
         message_bytes < limits::kDeadLetterBytesPerCallMax;
       it->Next()) {
    Result<uint64_t> id = KeyId(it->key());
    if (!id.ok()) return id.status();
    Result<DeadLetter> letter = DecodeDeadLetter(*id, ToView(it->value()));
    if (!letter.ok()) return letter.status();
    message_bytes += letter->message_bytes.size();
    page.items.push_back(std::move(*letter));
  }
  if (!it->status().ok()) return store::FromRocks(it->status(), "list dead letters");
  if (it->Valid()) page.next_after_id = page.items.back().id;
  return page;
}

Result<std::vector<DeadLetter>> EmbeddedDeadLetterQueue::Select(const DeadLetterSelection& selection,
                                                                DeadLetterOutcome* outcome) {
  std::vector<DeadLetter> letters;
  if (selection.all) {
    Result<DeadLetterPage> oldest = List(std::nullopt, limits::kDeadLetterSelectionMax);
    if (!oldest.ok()) return oldest.status();
    return std::move(oldest->items);
  }
  assert(!selection.ids.empty() && selection.ids.size() <= limits::kDeadLetterSelectionMax);
  std::string value;
  std::size_t message_bytes = 0;
  for (const uint64_t id : selection.ids) {
    rocksdb::Status read =
        engine_->db()->Get(rocksdb::ReadOptions(), engine_->dlq(), store::QueueKey(id), &value);
    if (read.IsNotFound()) {
      outcome->unknown.push_back(id);
      continue;
    }
    if (!read.ok()) return store::FromRocks(read, "read dead letter");
    Result<DeadLetter> letter = DecodeDeadLetter(id, value);
    if (!letter.ok()) return letter.status();
    message_bytes += letter->message_bytes.size();
    if (message_bytes > limits::kDeadLetterBytesPerCallMax) {
      return Status::InvalidArgument("these dead letters hold more than " +
                                     std::to_string(limits::kDeadLetterBytesPerCallMax) +
                                     " bytes: select fewer ids");
    }
    letters.push_back(std::move(*letter));
  }
  std::sort(letters.begin(), letters.end(),
            [](const DeadLetter& a, const DeadLetter& b) { return a.id < b.id; });
  letters.erase(std::unique(letters.begin(), letters.end(),
                            [](const DeadLetter& a, const DeadLetter& b) { return a.id == b.id; }),
                letters.end());
  return letters;
}

Result<std::vector<uint64_t>> EmbeddedDeadLetterQueue::SelectIds(
    const DeadLetterSelection& selection, DeadLetterOutcome* outcome) {
  std::vector<uint64_t> ids;
  if (selection.all) {
    std::unique_ptr<rocksdb::Iterator> it(
        engine_->db()->NewIterator(rocksdb::ReadOptions(), engine_->dlq()));
    for (it->SeekToFirst(); it->Valid() && ids.size() < limits::kDeadLetterSelectionMax;
         it->Next()) {
      Result<uint64_t> id = KeyId(it->key());
      if (!id.ok()) return id.status();
      ids.push_back(*id);
    }
    if (!it->status().ok()) return store::FromRocks(it->status(), "list dead letters");
    return ids;
  }
  assert(!selection.ids.empty() && selection.ids.size() <= limits::kDeadLetterSelectionMax);
  rocksdb::PinnableSlice value;
  for (const uint64_t id : selection.ids) {
    value.Reset();
    rocksdb::Status read = engine_->db()->Get(rocksdb::ReadOptions(), engine_->dlq(),
                                              store::QueueKey(id), &value);
    if (read.IsNotFound()) {
      outcome->unknown.push_back(id);
      continue;
    }
    if (!read.ok()) return store::FromRocks(read, "read dead letter");
    ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

Result<DeadLetterOutcome> EmbeddedDeadLetterQueue::Replay(const DeadLetterSelection& selection) {
  std::lock_guard<std::mutex> lock(move_mutex_);
  DeadLetterOutcome outcome;
  Result<std::vector<DeadLetter>> letters = Select(selection, &outcome);
  if (!letters.ok()) return letters.status();
  if (!outcome.unknown.empty()) {
    outcome.remaining = Depth();
    return outcome;
  }
  rocksdb::WriteBatch batch;
  std::vector<EmbeddedQueue::RequeuedMessage> messages;
  messages.reserve(letters->size());
  for (DeadLetter& letter : *letters) {
    batch.Delete(engine_->dlq(), store::QueueKey(letter.id));
    messages.push_back({letter.id, std::move(letter.message_bytes)});
    outcome.done.push_back(letter.id);
  }
  Status requeued = queue_->Requeue(std::move(messages), &batch);
  if (!requeued.ok()) return requeued;
  outcome.remaining = depth_.fetch_sub(outcome.done.size(), std::memory_order_relaxed) -
                      outcome.done.size();
  return outcome;
}

Result<DeadLetterOutcome> EmbeddedDeadLetterQueue::Drop(const DeadLetterSelection& selection) {
  std::lock_guard<std::mutex> lock(move_mutex_);
  DeadLetterOutcome outcome;
  Result<std::vector<uint64_t>> ids = SelectIds(selection, &outcome);
  if (!ids.ok()) return ids.status();
  if (!outcome.unknown.empty()) {
    outcome.remaining = Depth();
    return outcome;
  }
  rocksdb::WriteBatch batch;
  for (const uint64_t id : *ids) batch.Delete(engine_->dlq(), store::QueueKey(id));
  outcome.done = std::move(*ids);
  rocksdb::WriteOptions write_options;
  write_options.sync = engine_->options().sync_writes;
  Status written = engine_->Write(write_options, &batch, "drop dead letters");
  if (!written.ok()) return written;
  outcome.remaining = depth_.fetch_sub(outcome.done.size(), std::memory_order_relaxed) -
                      outcome.done.size();
  return outcome;
}

}  // namespace estoque::queue
