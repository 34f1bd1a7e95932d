#include "auth/dynamo_audit_log.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <deque>
#include <limits>
#include <vector>

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include "aws/dynamodb_attributes.h"
#include "common/clock.h"

namespace estoque::auth {
namespace {

namespace dynamo = aws::dynamodb;

constexpr std::string_view kDayAttribute = "dia";
constexpr std::string_view kSortAttribute = "sk";
constexpr std::string_view kDaysPartition = "#dias";  // the days that have entries
constexpr std::size_t kSortKeyChars = 16 + 1 + 8 + 1 + 16;

// 16 digits hold times up to the year 2286 (later ones are clamped to it).
std::string Digits16(int64_t at_us) {
  char text[24];
  std::snprintf(text, sizeof text, "%016lld",
                static_cast<long long>(std::clamp<int64_t>(at_us, 0, 9'999'999'999'999'999)));
  return text;
}

// "YYYY-MM-DD" (UTC) of a time in microseconds.
std::string DayOf(int64_t at_us) {
  using namespace std::chrono;
  const sys_days day = floor<days>(sys_time<microseconds>(microseconds(std::max<int64_t>(at_us, 0))));
  const year_month_day date(day);
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return text;
}

bool IsSortKey(std::string_view sk) {
  if (sk.size() != kSortKeyChars || sk[16] != '#' || sk[25] != '#') return false;
  for (std::size_t i = 0; i < sk.size(); ++i) {
    if (i == 16 || i == 25) continue;
    if (!std::isxdigit(static_cast<unsigned char>(sk[i]))) return false;
  }
  return true;
}

int64_t TimeOfSortKey(std::string_view sk) { return std::stoll(std::string(sk.substr(0, 16))); }

dynamo::Item EntryItem(const AuditEntry& entry, const std::string& node, uint64_t seq) {
  char seq_hex[17];
  std::snprintf(seq_hex, sizeof seq_hex, "%016llx", static_cast<unsigned long long>(seq));
  dynamo::Item item;
  item[kDayAttribute] = dynamo::StringValue(DayOf(entry.at_us));
  item[kSortAttribute] = dynamo::StringValue(Digits16(entry.at_us) + "#" + node + "#" + seq_hex);
  item["em_us"] = dynamo::NumberValue(entry.at_us);
  item["chave"] = dynamo::StringValue(entry.key_id);
  item["nome"] = dynamo::StringValue(entry.key_name);
  item["metodo"] = dynamo::StringValue(entry.method);
  item["caminho"] = dynamo::StringValue(entry.path);
  item["status"] = dynamo::NumberValue(entry.status);
  return item;
}

Status DecodeEntry(const dynamo::Item& item, AuditEntry* entry) {
  std::optional<int64_t> at = dynamo::NumberAttribute(item, "em_us");
  std::optional<int64_t> status = dynamo::NumberAttribute(item, "status");
  std::optional<std::string> key = dynamo::StringAttribute(item, "chave");
  std::optional<std::string> name = dynamo::StringAttribute(item, "nome");
  std::optional<std::string> method = dynamo::StringAttribute(item, "metodo");
  std::optional<std::string> path = dynamo::StringAttribute(item, "caminho");
  if (!at || !status || !key || !name || !method || !path) {
    return Status::Corruption("auditoria: malformed entry");
  }
  *entry = AuditEntry{*at, std::move(*key), std::move(*name), std::move(*method), std::move(*path),
                      static_cast<int>(*status)};
  return Status::Ok();
}

}  // namespace

dynamo::TableSpec DynamoAuditLog::TableSpec() {
  dynamo::TableSpec spec;
  spec.name = std::string(kAuditTable);
  spec.key.partition = dynamo::KeyAttribute{std::string(kDayAttribute), dynamo::AttributeType::kString};
  spec.key.sort = dynamo::KeyAttribute{std::string(kSortAttribute), dynamo::AttributeType::kString};
  return spec;
}

Result<std::unique_ptr<DynamoAuditLog>> DynamoAuditLog::Open(dynamo::DynamoDbClient* client,
                                                             DynamoAuditLogOptions options) {
  assert(client != nullptr);
  aws::AwsResult<boost::json::object> ready = dynamo::EnsureTable(*client, TableSpec(), options.tables);
  if (!ready.ok()) return ready.status();
  unsigned char bytes[4];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return Status::Unavailable("CSPRNG failed");
  char node[9];
  std::snprintf(node, sizeof node, "%02x%02x%02x%02x", bytes[0], bytes[1], bytes[2], bytes[3]);
  std::unique_ptr<DynamoAuditLog> log(new DynamoAuditLog(client, std::move(options), node));
  log->thread_ = std::thread([raw = log.get()] { raw->Run(); });
  return log;
}

DynamoAuditLog::DynamoAuditLog(dynamo::DynamoDbClient* client, DynamoAuditLogOptions options,
                               std::string node)
    : client_(client),
      options_(std::move(options)),
      table_(options_.tables.prefix + std::string(kAuditTable)),
      node_(std::move(node)) {}

Status DynamoAuditLog::IndexDay(const std::string& day) {
  if (indexed_days_.count(day) != 0) return Status::Ok();
  dynamo::PutItemRequest put;
  put.table = table_;
  put.item = {{kDayAttribute, dynamo::StringValue(kDaysPartition)},
              {kSortAttribute, dynamo::StringValue(day)}};
  if (Status written = client_->PutItem(put).status(); !written.ok()) return written;
  indexed_days_.insert(day);
  return Status::Ok();
}

DynamoAuditLog::~DynamoAuditLog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (Status flushed = Flush(); !flushed.ok()) spdlog::error("audit log: {}", flushed.ToString());
}

void DynamoAuditLog::Record(AuditEntry entry) {
  std::lock_guard lock(mutex_);
  if (pending_.size() >= kPendingMax) {
    spdlog::error("audit log: {} entries wait to be written; dropping one ({} {} by {})",
                  pending_.size(), entry.method, entry.path, entry.key_id);
    return;
  }
  pending_.push_back(EntryItem(entry, node_, next_seq_++));
}

Status DynamoAuditLog::WritePending() {
  std::lock_guard write(write_mutex_);
  while (true) {
    std::vector<dynamo::Item> chunk;
    {
      std::lock_guard lock(mutex_);
      while (!pending_.empty() && chunk.size() < dynamo::kBatchWriteRequestsMax) {
        chunk.push_back(std::move(pending_.front()));
        pending_.pop_front();
      }
    }
    if (chunk.empty()) return Status::Ok();
    Status status = Status::Ok();
    for (const dynamo::Item& item : chunk) {
      if (!status.ok()) break;
      status = IndexDay(*dynamo::StringAttribute(item, kDayAttribute));
    }
    std::vector<dynamo::BatchWriteRequest> requests;
    for (const dynamo::Item& item : chunk) requests.push_back({table_, false, item});
    if (status.ok()) {
      aws::AwsResult<dynamo::BatchWriteOutput> written = client_->BatchWriteItem(requests);
      status = written.status();
      if (written.ok() && !written->complete()) {
        status = Status::Unavailable("auditoria: DynamoDB left items unwritten");
      }
    }
    if (!status.ok()) {
      // Back to the front, in order (rewriting the ones that were written is harmless).
      std::lock_guard lock(mutex_);
      pending_.insert(pending_.begin(), std::make_move_iterator(chunk.begin()),
                      std::make_move_iterator(chunk.end()));
      while (pending_.size() > kPendingMax) pending_.pop_back();
      return status;
    }
  }
}

Status DynamoAuditLog::Flush() { return WritePending(); }

void DynamoAuditLog::Run() {
  bool failing = false;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, options_.flush_interval);
    lock.unlock();
    Status written = WritePending();
    if (!written.ok() && !failing) {
      spdlog::error("audit log: {}; entries are kept in memory and written when it succeeds",
                    written.ToString());
    } else if (written.ok() && failing) {
      spdlog::info("audit log: writing again");
    }
    failing = !written.ok();
    lock.lock();
  }
}

Result<AuditPage> DynamoAuditLog::List(const AuditQuery& query) const {
  if (query.after.has_value() && !IsSortKey(*query.after)) {
    return Status::InvalidArgument("malformed cursor");
  }
  // The newest key of interest, and the oldest.
  std::string high = query.until_us.has_value() ? Digits16(*query.until_us) + "~" : std::string("~");
  if (query.after.has_value() && *query.after < high) high = *query.after;
  const std::string low = query.since_us.has_value() ? Digits16(*query.since_us) : std::string("0");
  // The days to read: those with entries, from the newest key's day down to the oldest's.
  const std::string high_day = high == "~" ? std::string("9999-99-99") : DayOf(TimeOfSortKey(high));
  const std::string low_day = query.since_us.has_value() ? DayOf(*query.since_us) : std::string("0");
  dynamo::QueryRequest days_request;
  days_request.table = table_;
  days_request.key_condition.text = "#d = :d AND #s BETWEEN :low AND :high";
  days_request.key_condition.names = {{"#d", kDayAttribute}, {"#s", kSortAttribute}};
  days_request.key_condition.values = {{":d", dynamo::StringValue(kDaysPartition)},
                                       {":low", dynamo::StringValue(low_day)},
                                       {":high", dynamo::StringValue(high_day)}};
  days_request.scan_index_forward = false;
  days_request.consistent_read = true;
  days_request.limit = 32;
  std::deque<std::string> days;  // the next days to read, newest first
  bool more_days = true;         // days_request has more pages
  int queries = 0;
  // The next day to read into *day; false when there is none.
  const auto next_day = [&](std::string* day) -> Result<bool> {
    if (days.empty() && more_days) {
      if (++queries > kListQueriesMax) return Status::ResourceExhausted("query budget");
      aws::AwsResult<dynamo::QueryPage> read = client_->Query(days_request);
      if (!read.ok()) return read.status();
      for (const dynamo::Item& item : read->items) {
        days.push_back(dynamo::StringAttribute(item, kSortAttribute).value_or(""));
      }
      more_days = read->last_evaluated_key.has_value();
      if (more_days) days_request.exclusive_start_key = *read->last_evaluated_key;
    }
    if (days.empty()) return false;
    *day = std::move(days.front());
    days.pop_front();
    return true;
  };
  AuditPage page;
  std::string last_key;  // the last entry read (filtered out or not)
  dynamo::Item start_key;
  bool more = false;
  std::string day;
  Result<bool> has_day = next_day(&day);
  while (true) {
    if (!has_day.ok()) {
      if (has_day.status().code() != StatusCode::kResourceExhausted) return has_day.status();
      more = true;  // the budget ran out: the page ends here, with a cursor
      break;
    }
    if (!*has_day) break;
    if (++queries > kListQueriesMax) {
      more = true;
      break;
    }
    dynamo::QueryRequest request;
    request.table = table_;
    request.key_condition.text = "#d = :d AND #s BETWEEN :low AND :high";
    request.key_condition.names = {{"#d", kDayAttribute}, {"#s", kSortAttribute}};
    request.key_condition.values = {{":d", dynamo::StringValue(day)},
                                    {":low", dynamo::StringValue(low)},
                                    {":high", dynamo::StringValue(high)}};
    if (query.key_id.has_value()) {
      request.filter_text = "chave = :k";
      request.key_condition.values[":k"] = dynamo::StringValue(*query.key_id);
    }
    request.scan_index_forward = false;
    request.consistent_read = true;
    request.limit = static_cast<int64_t>(query.limit) + 1;
    request.exclusive_start_key = start_key;
    aws::AwsResult<dynamo::QueryPage> read = client_->Query(request);
    if (!read.ok()) return read.status();
    for (const dynamo::Item& item : read->items) {
      const std::string sk = dynamo::StringAttribute(item, kSortAttribute).value_or("");
      if (query.after.has_value() && sk == *query.after) continue;
      if (page.items.size() == query.limit) {
        more = true;
        break;
      }
      AuditEntry entry;
      if (Status decoded = DecodeEntry(item, &entry); !decoded.ok()) return decoded;
      page.items.push_back(std::move(entry));
      last_key = sk;
    }
    if (more) break;
    if (read->last_evaluated_key) {
      start_key = *read->last_evaluated_key;
      last_key = dynamo::StringAttribute(start_key, kSortAttribute).value_or(last_key);
      continue;
    }
    start_key = {};
    has_day = next_day(&day);
  }
  if (more && !last_key.empty()) page.next_after = last_key;
  return page;
}

}  // namespace estoque::auth
