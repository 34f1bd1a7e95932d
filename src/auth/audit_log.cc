#include "auth/audit_log.h"

#include <algorithm>
#include <chrono>
#include <iterator>
#include <limits>

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include "common/byte_reader.h"
#include "common/fixed_encoding.h"

namespace estoque::auth {
namespace {

constexpr auto kFlushInterval = std::chrono::milliseconds(50);
constexpr uint8_t kVersion = 1;
constexpr std::size_t kKeyBytes = 16;  // u64be(at_us) u64be(seq)
// Entries waiting beyond this are dropped with an error log (the writer is stuck: disk failing).
constexpr std::size_t kPendingMax = 1'000'000;

void AppendBigEndian(std::string* out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>((value >> shift) & 0xff));
}
uint64_t ReadBigEndian(const char* in) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | static_cast<unsigned char>(in[i]);
  return value;
}

std::string EncodeKey(int64_t at_us, uint64_t seq) {
  std::string key;
  AppendBigEndian(&key, static_cast<uint64_t>(std::max<int64_t>(at_us, 0)));
  AppendBigEndian(&key, seq);
  return key;
}

void AppendText(std::string* out, const std::string& text) {
  const std::size_t size = std::min<std::size_t>(text.size(), std::numeric_limits<uint16_t>::max());
  AppendFixed<uint16_t>(out, static_cast<uint16_t>(size));
  out->append(text, 0, size);
}

std::string EncodeValue(const AuditEntry& entry) {
  std::string value;
  value.push_back(static_cast<char>(kVersion));
  AppendFixed<uint16_t>(&value, static_cast<uint16_t>(entry.status));
  AppendText(&value, entry.key_id);
  AppendText(&value, entry.key_name);
  AppendText(&value, entry.method);
  AppendText(&value, entry.path);
  return value;
}

Status Decode(std::string_view key, std::string_view value, AuditEntry* out) {
  ByteReader reader(value);
  uint8_t version = 0;
  uint16_t status = 0;
  reader.Fixed(&version);
  reader.Fixed(&status);
  reader.String<uint16_t>(&out->key_id);
  reader.String<uint16_t>(&out->key_name);
  reader.String<uint16_t>(&out->method);
  reader.String<uint16_t>(&out->path);
  if (key.size() != kKeyBytes || reader.failed() || reader.remaining() != 0 || version != kVersion) {
    return Status::Corruption("malformed audit entry");
  }
  out->status = status;
  out->at_us = static_cast<int64_t>(ReadBigEndian(key.data()));
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<RocksAuditLog>> RocksAuditLog::Open(store::RocksEngine* engine) {
  std::unique_ptr<RocksAuditLog> log(new RocksAuditLog(engine));
  std::unique_ptr<rocksdb::Iterator> it(engine->db()->NewIterator(rocksdb::ReadOptions(), engine->audit()));
  it->SeekToLast();
  if (it->Valid() && it->key().size() == kKeyBytes) log->next_seq_ = ReadBigEndian(it->key().data() + 8) + 1;
  if (!it->status().ok()) return store::FromRocks(it->status(), "read audit log");
  log->thread_ = std::thread([raw = log.get()] { raw->Run(); });
  return log;
}

RocksAuditLog::~RocksAuditLog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  Status flushed = Flush();
  if (!flushed.ok()) spdlog::error("audit log: {}", flushed.ToString());
}

void RocksAuditLog::Record(AuditEntry entry) {
  std::lock_guard lock(mutex_);
  if (pending_.size() >= kPendingMax) {
    spdlog::error("audit log: {} entries wait to be written; dropping one ({} {} by {})",
                  pending_.size(), entry.method, entry.path, entry.key_id);
    return;
  }
  pending_.push_back(std::move(entry));
}

Status RocksAuditLog::WriteBatch(std::vector<AuditEntry>* entries) {
  if (entries->empty()) return Status::Ok();
  std::lock_guard write(write_mutex_);
  rocksdb::WriteBatch batch;
  for (const AuditEntry& entry : *entries) {
    batch.Put(engine_->audit(), EncodeKey(entry.at_us, next_seq_++), EncodeValue(entry));
  }
  Status written = engine_->Write(rocksdb::WriteOptions(), &batch, "write audit log");
  if (written.ok()) entries->clear();
  return written;
}

void RocksAuditLog::Requeue(std::vector<AuditEntry>* entries) {
  std::lock_guard lock(mutex_);
  // Older first; beyond the bound the oldest are dropped (logged), as in Record().
  const std::size_t room = kPendingMax > pending_.size() ? kPendingMax - pending_.size() : 0;
  const std::size_t kept = std::min(room, entries->size());
  if (kept < entries->size()) {
    spdlog::error("audit log: dropping {} entries that could not be written",
                  entries->size() - kept);
  }
  pending_.insert(pending_.begin(), std::make_move_iterator(entries->end() - kept),
                  std::make_move_iterator(entries->end()));
  entries->clear();
}

Status RocksAuditLog::Flush() {
  std::vector<AuditEntry> entries;
  {
    std::lock_guard lock(mutex_);
    entries.swap(pending_);
  }
  Status written = WriteBatch(&entries);
  if (!written.ok()) Requeue(&entries);
  return written;
}

void RocksAuditLog::Run() {
  bool failing = false;  // log a failure once, and its end, not every interval
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, kFlushInterval);
    std::vector<AuditEntry> entries;
    entries.swap(pending_);
    lock.unlock();
    const std::size_t count = entries.size();
    Status written = WriteBatch(&entries);
    if (!written.ok()) {
      if (!failing) {
        spdlog::error("audit log: {}; entries are kept in memory and written when it succeeds",
                      written.ToString());
      }
      failing = true;
      Requeue(&entries);
    } else if (failing && count > 0) {
      spdlog::info("audit log: writing again ({} entries kept meanwhile)", count);
      failing = false;
    }
    lock.lock();
  }
}

Result<AuditPage> RocksAuditLog::List(const AuditQuery& query) const {
  if (query.after.has_value() && query.after->size() != kKeyBytes) {
    return Status::InvalidArgument("malformed cursor");
  }
  std::unique_ptr<rocksdb::Iterator> it(engine_->db()->NewIterator(rocksdb::ReadOptions(), engine_->audit()));
  std::string start = query.until_us.has_value()
                          ? EncodeKey(*query.until_us, std::numeric_limits<uint64_t>::max())
                          : std::string(kKeyBytes, '\xff');
  if (query.after.has_value() && *query.after < start) start = *query.after;
  it->SeekForPrev(start);
  if (it->Valid() && query.after.has_value() && it->key().ToString() == *query.after) it->Prev();
  AuditPage page;
  // Bounded work per page even when a key filter matches little: at most this many entries read.
  constexpr std::size_t kScanMax = 100'000;
  std::size_t scanned = 0;
  std::string last_key;
  for (; it->Valid() && scanned < kScanMax; it->Prev(), ++scanned) {
    AuditEntry entry;
    Status decoded = Decode({it->key().data(), it->key().size()}, {it->value().data(), it->value().size()}, &entry);
    if (!decoded.ok()) return decoded;
    if (query.since_us.has_value() && entry.at_us < *query.since_us) break;
    last_key = it->key().ToString();
    if (query.key_id.has_value() && entry.key_id != *query.key_id) continue;
    page.items.push_back(std::move(entry));
    if (page.items.size() == query.limit) {
      it->Prev();
      break;
    }
  }
  if (!it->status().ok()) return store::FromRocks(it->status(), "read audit log");
  const bool more = it->Valid() && (!query.since_us.has_value() ||
                                    static_cast<int64_t>(ReadBigEndian(it->key().data())) >= *query.since_us);
  if (more && !last_key.empty()) page.next_after = last_key;
  return page;
}

}  // namespace estoque::auth
