// DynamoInventoryStore: reads of the ledger (pages newest first, quantities as of a time) and of
// the current alerts.
#include <algorithm>
#include <cassert>
#include <functional>
#include <queue>
#include <tuple>

#include "common/limits.h"
#include "store/dynamo/dynamo_inventory_store.h"
#include "store/dynamo/dynamo_items.h"
#include "store/ledger_codec.h"

namespace estoque::store::dynamo {
namespace ddb = aws::dynamodb;
namespace {

// Ledger pages are ordered by this tuple, descending (as RocksInventoryStore's).
auto OrderOf(const domain::Movement& m) {
  return std::tie(m.event_at_us, m.branch, m.origin, m.id, m.barcode);
}

constexpr int64_t kTimeMax = 9'999'999'999'999'999;  // the greatest T16

// One ordered source of ledger movements, newest first: a Query of the ledger or of one of its
// indexes between two sort keys, read page by page as the merge consumes it, keeping only the
// movements `keep` accepts.
class LedgerSource {
 public:
  LedgerSource(CountingClient* client, ddb::QueryRequest query,
               std::function<bool(const domain::Movement&)> keep)
      : client_(client), query_(std::move(query)), keep_(std::move(keep)) {}

  bool Valid() const { return position_ < buffer_.size(); }
  const domain::Movement& current() const { return buffer_[position_]; }

  Status Start() { return Fill(); }
  Status Next() {
    ++position_;
    if (position_ < buffer_.size() || !more_) return Status::Ok();
    return Fill();
  }

 private:
  Status Fill() {
    buffer_.clear();
    position_ = 0;
    while (buffer_.empty() && more_) {
      aws::AwsResult<ddb::QueryPage> page = client_->Query(query_);
      if (!page.ok()) return page.status();
      for (const Item& item : page->items) {
        domain::Movement movement;
        Status decoded = DecodeMovement(item, &movement);
        if (!decoded.ok()) return decoded;
        if (keep_(movement)) buffer_.push_back(std::move(movement));
      }
      more_ = page->last_evaluated_key.has_value();
      if (more_) query_.exclusive_start_key = std::move(*page->last_evaluated_key);
    }
    return Status::Ok();
  }

  CountingClient* client_;
  ddb::QueryRequest query_;
  std::function<bool(const domain::Movement&)> keep_;
  std::vector<domain::Movement> buffer_;
  std::size_t position_ = 0;
  bool more_ = true;
};

}  // namespace

Result<LedgerPage> DynamoInventoryStore::ListLedger(const LedgerQuery& query) {
  assert(query.limit >= 1 && query.limit <= limits::kPageLimitMax);
  std::optional<domain::Movement> cursor;
  if (query.after.has_value()) {
    domain::Movement decoded;
    if (!DecodeLedgerKey(*query.after, &decoded).ok()) {
      return Status::InvalidArgument("malformed cursor");
    }
    cursor = std::move(decoded);
  }
  const int64_t since = query.since_us.value_or(0);
  const int64_t until = std::min(query.until_us.value_or(kTimeMax), kTimeMax);
  auto in_scope = [&](std::string_view branch) {
    return !query.branches.has_value() ||
           std::binary_search(query.branches->begin(), query.branches->end(), branch);
  };
  auto keep = [&](const domain::Movement& m) {
    return m.event_at_us >= since && m.event_at_us <= until && in_scope(m.branch) &&
           (!cursor.has_value() || OrderOf(m) < OrderOf(*cursor));
  };

  const std::string kSep(1, kSortSeparator);
  std::vector<std::unique_ptr<LedgerSource>> sources;
  // A source over `partition_value` of (table, index), sort attribute `sort_name`; `cursor_bound`
  // is the greatest sort key the cursor's page may continue from.
  auto add_source = [&](const std::string& index, const char* partition_name,
                        const std::string& partition_value, const char* sort_name,
                        const std::optional<std::string>& cursor_bound) {
    std::string low = T16(since);
    std::string high = T16(until) + std::string(kSortKeyMax);
    if (cursor_bound.has_value() && *cursor_bound < high) high = *cursor_bound;
    if (high < low) return;
    ddb::QueryRequest request;
    request.table = context_.tables.ledger;
    request.index_name = index;
    request.key_condition.text = "#p = :p AND #s BETWEEN :lo AND :hi";
    request.key_condition.names = {{"#p", partition_name}, {"#s", sort_name}};
    request.key_condition.values = {{":p", S(partition_value)}, {":lo", S(low)}, {":hi", S(high)}};
    request.scan_index_forward = false;
    request.consistent_read = index.empty();
    request.limit = static_cast<int64_t>(query.limit) + 1;
    sources.push_back(std::make_unique<LedgerSource>(&counting_, std::move(request), keep));
  };
  // The cursor's bound in a source whose movements all have branch `branch` and whose sort keys
  // continue, after the time, with `same_branch_rest` for the cursor's own branch.
  auto bound_for_branch = [&](std::string_view branch,
                              const std::string& same_branch_rest) -> std::optional<std::string> {
    if (!cursor.has_value() || cursor->event_at_us > until) return std::nullopt;
    const std::string time = T16(cursor->event_at_us);
    if (branch < cursor->branch) return time + std::string(kSortKeyMax);
    if (branch == cursor->branch) return time + same_branch_rest;
    return time;  // before its time group
  };

  if (query.barcode.has_value() && query.branch.has_value()) {
    if (in_scope(*query.branch)) {
      add_source("", "pb", LedgerPartition(*query.barcode, *query.branch), "sk",
                 bound_for_branch(*query.branch,
                                  cursor ? kSep + cursor->origin + kSep + cursor->id : ""));
    }
  } else if (query.barcode.has_value()) {
    std::optional<std::string> bound;
    if (cursor.has_value() && cursor->event_at_us <= until) {
      bound = T16(cursor->event_at_us) + kSep + cursor->branch + kSep + cursor->origin + kSep +
              cursor->id;
    }
    add_source(kLedgerByProduct, "codigo_barra", *query.barcode, "psk", bound);
  } else {
    std::vector<std::string> branches;
    if (query.branch.has_value()) {
      if (in_scope(*query.branch)) branches.push_back(*query.branch);
    } else if (query.branches.has_value()) {
      branches = *query.branches;
    } else {
      Result<std::vector<std::string>> all = Branches();
      if (!all.ok()) return all.status();
      branches = std::move(*all);
    }
    for (const std::string& branch : branches) {
      add_source(kLedgerByBranch, "filial", branch, "fsk",
                 bound_for_branch(branch, cursor ? kSep + cursor->origin + kSep + cursor->id + kSep +
                                                       cursor->barcode
                                                 : ""));
    }
  }

  auto compare = [](const LedgerSource* a, const LedgerSource* b) {
    return OrderOf(a->current()) < OrderOf(b->current());
  };
  std::priority_queue<LedgerSource*, std::vector<LedgerSource*>, decltype(compare)> heap(compare);
  for (const std::unique_ptr<LedgerSource>& source : sources) {
    Status started = source->Start();
    if (!started.ok()) return started;
    if (source->Valid()) heap.push(source.get());
  }
  LedgerPage page;
  while (!heap.empty() && page.items.size() < query.limit) {
    LedgerSource* source = heap.top();
    heap.pop();
    page.items.push_back(source->current());
    Status stepped = source->Next();
    if (!stepped.ok()) return stepped;
    if (source->Valid()) heap.push(source);
  }
  if (!heap.empty() && !page.items.empty()) page.next_after = LedgerKey(page.items.back());
  return page;
}

Result<StockAsOf> DynamoInventoryStore::StockAt(std::string_view barcode, std::string_view branch,
                                                int64_t at_us) {
  Result<StockState> state = GetStock(barcode, branch);
  if (!state.ok()) return state.status();
  ddb::QueryRequest request;
  request.table = context_.tables.ledger;
  request.key_condition.text = "pb = :pb AND sk <= :hi";
  request.key_condition.values = {{":pb", S(LedgerPartition(barcode, branch))},
                                  {":hi", S(T16(std::max<int64_t>(at_us, 0)) +
                                            std::string(kSortKeyMax))}};
  request.scan_index_forward = false;
  request.consistent_read = true;
  request.limit = 200;
  // Walk back from at_us as RocksInventoryStore::StockAt does: the deltas newer than the newest
  // count at or before at_us add up; that count's time group is read whole to settle ties.
  StockAsOf result;
  int64_t sum_after = 0;
  int64_t group_sum = 0;
  int64_t group_at = -1;
  bool found_count = false;
  int64_t best_quantity = 0;
  std::string best_identity;
  bool done = false;
  while (!done) {
    aws::AwsResult<ddb::QueryPage> page = counting_.Query(request);
    if (!page.ok()) return page.status();
    for (const Item& item : page->items) {
      domain::Movement movement;
      Status decoded = DecodeMovement(item, &movement);
      if (!decoded.ok()) return decoded;
      if (movement.event_at_us != group_at) {
        if (found_count) {
          done = true;
          break;
        }
        sum_after += group_sum;
        group_sum = 0;
        group_at = movement.event_at_us;
      }
      ++result.movements;
      if (movement.is_count()) {
        const std::string identity = MovementIdentity(movement.origin, movement.id);
        if (!found_count || std::tie(movement.quantity_milli, identity) >
                                std::tie(best_quantity, best_identity)) {
          best_quantity = movement.quantity_milli;
          best_identity = identity;
        }
        found_count = true;
        result.count_at_us = movement.event_at_us;
      } else {
        group_sum += movement.quantity_milli;
        result.last_movement_at_us = std::max(result.last_movement_at_us, movement.event_at_us);
      }
    }
    if (done || !page->last_evaluated_key) break;
    request.exclusive_start_key = std::move(*page->last_evaluated_key);
  }
  result.on_hand_milli = found_count ? best_quantity + sum_after : sum_after + group_sum;
  return result;
}

Result<AlertPage> DynamoInventoryStore::ListAlerts(std::optional<std::string_view> branch,
                                                   std::optional<AlertKind> kind,
                                                   std::optional<std::string_view> after,
                                                   std::size_t limit) {
  assert(limit >= 1 && limit <= limits::kPageLimitMax);
  // The cursor: branch \0 kind \0 barcode of the last entry returned.
  std::optional<std::tuple<std::string, std::string, std::string>> cursor;
  if (after.has_value()) {
    const std::size_t first = after->find('\0');
    const std::size_t second =
        first == std::string_view::npos ? first : after->find('\0', first + 1);
    if (second == std::string_view::npos) return Status::InvalidArgument("malformed cursor");
    cursor.emplace(std::string(after->substr(0, first)),
                   std::string(after->substr(first + 1, second - first - 1)),
                   std::string(after->substr(second + 1)));
    const std::optional<AlertKind> cursor_kind = ParseAlertKind(std::get<1>(*cursor));
    if (!cursor_kind || (branch && std::get<0>(*cursor) != *branch) ||
        (kind && *cursor_kind != *kind)) {
      return Status::InvalidArgument("cursor does not belong to this listing");
    }
  }
  std::vector<std::string> branches;
  if (branch.has_value()) {
    branches.emplace_back(*branch);
  } else {
    Result<std::vector<std::string>> all = Branches();
    if (!all.ok()) return all.status();
    branches = std::move(*all);
  }
  std::vector<AlertKind> kinds;
  if (kind.has_value()) {
    kinds.push_back(*kind);
  } else {
    kinds = {AlertKind::kLowStock, AlertKind::kNegativeStock};  // in name order
  }

  // Up to limit + 1 (branch, kind, barcode) from the sparse index, in order; then the states.
  AlertPage page;
  std::vector<std::tuple<std::string, AlertKind, std::string>> found;
  for (const std::string& b : branches) {
    for (const AlertKind k : kinds) {
      if (found.size() > limit) break;
      const std::string kind_name(AlertKindName(k));
      std::optional<std::string> start_after;
      if (cursor.has_value()) {
        const auto here = std::tie(b, kind_name);
        const auto there = std::tie(std::get<0>(*cursor), std::get<1>(*cursor));
        if (here < there) continue;
        if (here == there) start_after = std::get<2>(*cursor);
      }
      ddb::QueryRequest request;
      request.table = context_.tables.positions;
      request.index_name = kPositionsAlerts;
      request.key_condition.text = start_after ? "alerta_filial = :p AND codigo_barra > :after"
                                               : "alerta_filial = :p";
      request.key_condition.values = {{":p", S(AlertPartition(b, k))}};
      if (start_after) request.key_condition.values[":after"] = S(*start_after);
      request.limit = static_cast<int64_t>(limit + 1 - found.size());
      while (found.size() <= limit) {
        aws::AwsResult<ddb::QueryPage> listed = counting_.Query(request);
        if (!listed.ok()) return listed.status();
        for (const Item& item : listed->items) {
          found.emplace_back(b, k, GetS(item, "codigo_barra").value_or(""));
        }
        if (!listed->last_evaluated_key) break;
        request.exclusive_start_key = std::move(*listed->last_evaluated_key);
      }
    }
  }
  if (found.size() > limit) found.resize(limit + 1);
  const bool more = found.size() > limit;
  if (more) found.pop_back();
  std::vector<ddb::BatchGetKey> keys;
  for (const auto& [b, k, barcode] : found) keys.push_back({context_.tables.positions, StateKey(barcode, b)});
  std::map<std::pair<std::string, std::string>, Item> states;
  if (!keys.empty()) {
    aws::AwsResult<std::map<std::string, std::vector<Item>>> items = counting_.BatchGet(keys);
    if (!items.ok()) return items.status();
    for (Item& item : (*items)[context_.tables.positions]) {
      states.emplace(std::make_pair(GetS(item, "codigo_barra").value_or(""),
                                    GetS(item, "filial").value_or("")),
                     std::move(item));
    }
  }
  for (const auto& [b, k, barcode] : found) {
    auto state_item = states.find({barcode, b});
    if (state_item == states.end()) continue;
    AlertEntry entry;
    entry.branch = b;
    entry.barcode = barcode;
    entry.kind = k;
    int64_t version = 0;
    Status decoded = DecodeState(state_item->second, &entry.state, &version);
    if (!decoded.ok()) return decoded;
    // The index is eventually consistent: an alert that ended since is not listed.
    if (entry.state.alert != k) continue;
    entry.min_stock_milli =
        entry.state.min_stock_milli.value_or(context_.policy->DefaultMinStock(barcode));
    page.items.push_back(std::move(entry));
  }
  if (more && !found.empty()) {
    const auto& [b, k, barcode] = found.back();
    std::string next = b;
    next.push_back('\0');
    next.append(AlertKindName(k));
    next.push_back('\0');
    next.append(barcode);
    page.next_after = std::move(next);
  }
  return page;
}

}  // namespace estoque::store::dynamo
