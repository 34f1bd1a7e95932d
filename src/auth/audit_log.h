// AuditLog: who wrote what. One entry per write request and per admin action (the key's id and
// name, method, path, status, time), newest first on reads. Two implementations: RocksAuditLog
// (below: the engine's "audit" column family) and DynamoAuditLog (dynamo_audit_log.h: the
// `auditoria` table).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "store/rocksdb_engine.h"

namespace estoque::auth {

struct AuditEntry {
  int64_t at_us = 0;
  std::string key_id;    // "" when authentication is off
  std::string key_name;
  std::string method;
  std::string path;      // without the query string
  int status = 0;        // the HTTP status answered
  friend bool operator==(const AuditEntry&, const AuditEntry&) = default;
};

struct AuditQuery {
  std::optional<std::string> key_id;
  std::optional<int64_t> since_us, until_us;
  std::size_t limit = 100;
  std::optional<std::string> after;  // cursor: the last entry's stored key
};

struct AuditPage {
  std::vector<AuditEntry> items;
  std::optional<std::string> next_after;
};

// Thread-safe.
class AuditLog {
 public:
  virtual ~AuditLog() = default;
  // Queues the entry; never blocks a request (written in the background).
  virtual void Record(AuditEntry entry) = 0;
  // Writes everything recorded so far (tests, shutdown).
  virtual Status Flush() = 0;
  // Entries newest first, filtered by key and time, from the cursor on. InvalidArgument for a
  // cursor this log did not make.
  virtual Result<AuditPage> List(const AuditQuery& query) const = 0;
};

// The audit log in the engine's "audit" column family. Record() never blocks a request: entries
// are written in batches by a background thread within kFlushInterval (to the WAL; the next
// fsync'ed write of any request makes them durable). While the storage refuses writes (disk full,
// I/O error) entries wait in memory, in order, and are written when it accepts them again (up to
// kPendingMax entries; beyond, the oldest are dropped with an error log).
class RocksAuditLog final : public AuditLog {
 public:
  static Result<std::unique_ptr<RocksAuditLog>> Open(store::RocksEngine* engine);
  ~RocksAuditLog() override;  // writes what is pending, stops the thread
  RocksAuditLog(const RocksAuditLog&) = delete;
  RocksAuditLog& operator=(const RocksAuditLog&) = delete;

  void Record(AuditEntry entry) override;
  Status Flush() override;
  Result<AuditPage> List(const AuditQuery& query) const override;

 private:
  explicit RocksAuditLog(store::RocksEngine* engine) : engine_(engine) {}
  void Run();
  // Writes `entries` in one batch and clears it; on failure leaves it as it was.
  Status WriteBatch(std::vector<AuditEntry>* entries);
  // Puts `entries` (older than anything pending) back in front of pending_, and clears it.
  void Requeue(std::vector<AuditEntry>* entries);

  store::RocksEngine* engine_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<AuditEntry> pending_;
  bool stopping_ = false;
  uint64_t next_seq_ = 0;   // tie-break of entries at the same microsecond (guarded by write_mutex_)
  std::mutex write_mutex_;
  std::thread thread_;
};

}  // namespace estoque::auth
