// The audit log on DynamoDB (table `auditoria`, docs/DYNAMODB.md), shared by N nodes: partition
// key `dia` (the entry's UTC day, "YYYY-MM-DD"), sort key `sk` = t16#node#seq (the entry's time
// in microseconds as 16 digits, the writing node's random id, its sequence number as 16 hex
// digits), so a day's entries are in time order and no two nodes' entries collide. The partition
// `dia` = "#dias" lists the days that have entries (sk = the day), written before the day's
// first entry, so a listing walks only those days, however sparse the log.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "auth/audit_log.h"
#include "aws/dynamodb_client.h"
#include "aws/dynamodb_tables.h"

namespace estoque::auth {

inline constexpr std::string_view kAuditTable = "auditoria";

struct DynamoAuditLogOptions {
  aws::dynamodb::TableSetup tables;
  std::chrono::milliseconds flush_interval = std::chrono::milliseconds(50);
};

// See AuditLog. Record() never blocks a request: entries get their key at once and are written
// by a background thread within flush_interval, 25 per BatchWriteItem. While DynamoDB refuses
// them (unavailable, throttled) they wait in memory, in order, and are written when it accepts
// them again (up to kPendingMax; beyond, the newest are dropped with an error log). Writing an
// item twice (a batch resent after a partial failure) rewrites the same key: no duplicates.
// List reads the days with entries, newest first, at most kListQueriesMax queries per page (a
// page may then end early, with a cursor to go on). Thread-safe.
class DynamoAuditLog final : public AuditLog {
 public:
  static constexpr std::size_t kPendingMax = 100'000;
  static constexpr int kListQueriesMax = 400;

  static aws::dynamodb::TableSpec TableSpec();  // without the prefix

  // Creates the table if missing, records its first day, starts the writer. `client` must
  // outlive the log. DynamoDB's errors (ToStatus).
  static Result<std::unique_ptr<DynamoAuditLog>> Open(aws::dynamodb::DynamoDbClient* client,
                                                      DynamoAuditLogOptions options);
  ~DynamoAuditLog() override;  // writes what is pending, stops the writer
  DynamoAuditLog(const DynamoAuditLog&) = delete;
  DynamoAuditLog& operator=(const DynamoAuditLog&) = delete;

  void Record(AuditEntry entry) override;
  Status Flush() override;
  // The cursor is an entry's sk; InvalidArgument for anything else.
  Result<AuditPage> List(const AuditQuery& query) const override;

 private:
  DynamoAuditLog(aws::dynamodb::DynamoDbClient* client, DynamoAuditLogOptions options,
                 std::string node);
  // Adds `day` to the "#dias" partition unless this node did already.
  Status IndexDay(const std::string& day);
  void Run();
  // Writes the items at the front of pending_ (taken under mutex_), 25 at a time; what is not
  // written goes back to the front. Serialised by write_mutex_.
  Status WritePending();

  aws::dynamodb::DynamoDbClient* const client_;
  const DynamoAuditLogOptions options_;
  const std::string table_;
  const std::string node_;  // 8 hex digits, random per instance

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<aws::dynamodb::Item> pending_;  // keyed items, oldest first
  uint64_t next_seq_ = 0;
  bool stopping_ = false;
  std::mutex write_mutex_;
  std::set<std::string> indexed_days_;  // days this node saw in "#dias" (guarded by write_mutex_)
  std::thread thread_;
};

}  // namespace estoque::auth
