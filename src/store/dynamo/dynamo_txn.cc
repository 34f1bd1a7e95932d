#include "store/dynamo/dynamo_txn.h"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <random>
#include <thread>

#include "aws/dynamodb_client.h"
#include "store/dynamo/dynamo_items.h"
#include "store/ledger_codec.h"
#include "store/stock_rule.h"

namespace estoque::store::dynamo {
namespace ddb = aws::dynamodb;
namespace json = boost::json;
namespace {

std::mt19937_64& Random() {
  thread_local std::mt19937_64 random(std::random_device{}());
  return random;
}

// 32 random hex digits: the ClientRequestToken of one commit attempt, so that the client's own
// retries of the same request (a timeout, a 5xx) cannot apply it twice.
std::string NewRequestToken() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token(32, '0');
  for (char& c : token) c = kHex[Random()() % 16];
  return token;
}

}  // namespace

std::string StatsShardKey(std::string_view branch, int shard) {
  return std::string(branch) + "#" + std::to_string(shard);
}

std::string_view StatsBranchOf(std::string_view key) {
  const std::size_t separator = key.rfind('#');
  return separator == std::string_view::npos ? key : key.substr(0, separator);
}

bool IsRace(const aws::AwsError& error) {
  if (error.code == "TransactionConflictException" ||
      error.code == "TransactionInProgressException" ||
      error.code == "ConditionalCheckFailedException") {
    return true;
  }
  if (error.code != "TransactionCanceledException") return false;
  for (const ddb::CancellationReason& reason : ddb::CancellationReasons(error)) {
    if (reason.code == "ConditionalCheckFailed" || reason.code == "TransactionConflict" ||
        reason.code == "ThrottlingError") {
      return true;
    }
  }
  return false;
}

Status RunWithRetries(int attempts_max, const std::function<Result<CommitOutcome>()>& attempt) {
  for (int i = 0; i < attempts_max; ++i) {
    Result<CommitOutcome> outcome = attempt();
    if (!outcome.ok()) return outcome.status();
    if (*outcome == CommitOutcome::kCommitted) return Status::Ok();
    // Full jitter over a growing window (2 ms, 4 ms, ... up to 100 ms).
    const int64_t window_us = std::min<int64_t>(100'000, int64_t{2'000} << std::min(i, 10));
    std::this_thread::sleep_for(std::chrono::microseconds(
        static_cast<int64_t>(Random()() % static_cast<uint64_t>(window_us))));
  }
  return Status::Unavailable("too many concurrent writers on the same items; retry");
}

DynamoTxn::DynamoTxn(const DynamoContext& context, int64_t now_us)
    : context_(context), now_us_(now_us) {}

std::string DynamoTxn::KeyOf(std::string_view barcode, std::string_view branch) {
  std::string key(barcode);
  key.push_back('\0');
  key.append(branch);
  return key;
}

DynamoTxn::Entry* DynamoTxn::Insert(std::string_view barcode, std::string_view branch) {
  auto entry = std::make_unique<Entry>();
  entry->barcode.assign(barcode);
  entry->branch.assign(branch);
  Entry* raw = entry.get();
  entries_.push_back(std::move(entry));
  by_key_.emplace(KeyOf(barcode, branch), raw);
  return raw;
}

Status DynamoTxn::Prefetch(std::span<const std::pair<std::string, std::string>> keys,
                           const std::vector<ddb::BatchGetKey>& others,
                           std::map<std::string, std::vector<Item>>* other_items) {
  std::vector<ddb::BatchGetKey> wanted = others;
  std::set<std::string> asked;
  for (const auto& [barcode, branch] : keys) {
    const std::string key = KeyOf(barcode, branch);
    if (by_key_.count(key) != 0 || !asked.insert(key).second) continue;
    wanted.push_back({context_.tables.positions, StateKey(barcode, branch)});
  }
  if (wanted.empty()) return Status::Ok();
  aws::AwsResult<std::map<std::string, std::vector<Item>>> items =
      context_.client->BatchGet(wanted);
  if (!items.ok()) return items.status();
  for (auto& [table, table_items] : *items) {
    if (table != context_.tables.positions && other_items != nullptr) {
      std::vector<Item>& into = (*other_items)[table];
      for (Item& item : table_items) into.push_back(std::move(item));
    }
  }
  for (const Item& item : (*items)[context_.tables.positions]) {
    const std::string barcode = GetS(item, "codigo_barra").value_or("");
    const std::string branch = GetS(item, "filial").value_or("");
    if (by_key_.count(KeyOf(barcode, branch)) != 0) continue;
    Entry* entry = Insert(barcode, branch);
    Status decoded = DecodeState(item, &entry->state, &entry->version);
    if (!decoded.ok()) return decoded;
    entry->before = entry->state;
    entry->existed = true;
  }
  for (const auto& [barcode, branch] : keys) {  // the rest have no state yet
    if (by_key_.count(KeyOf(barcode, branch)) == 0) Insert(barcode, branch);
  }
  return Status::Ok();
}

Result<DynamoTxn::Entry*> DynamoTxn::Touch(std::string_view barcode, std::string_view branch) {
  auto found = by_key_.find(KeyOf(barcode, branch));
  if (found != by_key_.end()) {
    found->second->touched = true;
    return found->second;
  }
  aws::AwsResult<ddb::GetItemOutput> read =
      context_.client->GetItem({context_.tables.positions, StateKey(barcode, branch), true});
  if (!read.ok()) return read.status();
  Entry* entry = Insert(barcode, branch);
  entry->touched = true;
  if (read->item) {
    Status decoded = DecodeState(*read->item, &entry->state, &entry->version);
    if (!decoded.ok()) return decoded;
    entry->before = entry->state;
    entry->existed = true;
  }
  return entry;
}

Result<bool> DynamoTxn::LedgerHas(const domain::Movement& movement) {
  assert(movement.is_count());
  const std::string key =
      LedgerPartition(movement.barcode, movement.branch) + '\0' + LedgerSortKey(movement);
  if (ledger_keys_.count(key) != 0) return true;
  aws::AwsResult<ddb::GetItemOutput> read =
      context_.client->GetItem({context_.tables.ledger, LedgerItemKey(movement), true});
  if (!read.ok()) return read.status();
  return read->item.has_value();
}

Status DynamoTxn::SumDeltasAfter(const Entry& entry, int64_t after_us, int64_t* sum) {
  *sum = 0;
  for (const auto& [at, effect] : entry.pending_deltas) {
    if (at > after_us) *sum += effect;
  }
  // Committed deltas: only if some is newer than the count (a PDV's newest position reads none).
  if (entry.before.last_movement_at_us <= after_us) return Status::Ok();
  ddb::QueryRequest query;
  query.table = context_.tables.ledger;
  query.key_condition.text = "pb = :pb AND sk > :after";
  query.key_condition.values = {{":pb", S(LedgerPartition(entry.barcode, entry.branch))},
                                {":after", S(T16(after_us) + std::string(kSortKeyMax))}};
  query.consistent_read = true;
  for (;;) {
    aws::AwsResult<ddb::QueryPage> page = context_.client->Query(query);
    if (!page.ok()) return page.status();
    domain::Movement movement;
    for (const Item& item : page->items) {
      Status decoded = DecodeMovement(item, &movement);
      if (!decoded.ok()) return decoded;
      if (!movement.is_count()) *sum += movement.quantity_milli;
    }
    if (!page->last_evaluated_key) return Status::Ok();
    query.exclusive_start_key = std::move(*page->last_evaluated_key);
  }
}

Status DynamoTxn::Record(Entry* entry, const domain::Movement& movement) {
  assert(entry->barcode == movement.barcode && entry->branch == movement.branch);
  Status applied = ApplyMovement(entry->state, entry->pending_deltas, movement,
                                 [&](int64_t at_us, int64_t* later) {
                                   return SumDeltasAfter(*entry, at_us, later);
                                 });
  if (!applied.ok()) return applied;
  entry->dirty = true;

  ledger_keys_.insert(LedgerPartition(movement.barcode, movement.branch) + '\0' +
                      LedgerSortKey(movement));
  ddb::PutItemRequest put;
  put.table = context_.tables.ledger;
  put.item = EncodeMovement(movement);
  put.condition.text = "attribute_not_exists(sk)";
  ledger_puts_.push_back(ddb::TransactPut(put));
  return Status::Ok();
}

void DynamoTxn::MarkSeen(std::string_view branch) { seen_.insert(std::string(branch)); }

void DynamoTxn::AddCounters(uint64_t messages, uint64_t applied_items, uint64_t dropped_items) {
  counter_messages_ += messages;
  counter_applied_ += applied_items;
  counter_dropped_ += dropped_items;
}

std::size_t DynamoTxn::ActionsUpperBound() const {
  std::set<std::string_view> branches(seen_.begin(), seen_.end());
  std::size_t states = 0;
  for (const auto& entry : entries_) {
    if (!entry->touched && !entry->dirty) continue;
    branches.insert(entry->branch);
    ++states;
  }
  return states + ledger_puts_.size() + extra_actions_.size() + branches.size() + 1;
}

bool DynamoTxn::Empty() const {
  return ledger_puts_.empty() && extra_actions_.empty() && seen_.empty() &&
         counter_messages_ == 0 && counter_applied_ == 0 && counter_dropped_ == 0 &&
         std::none_of(entries_.begin(), entries_.end(),
                      [](const std::unique_ptr<Entry>& entry) { return entry->dirty; });
}

Result<CommitOutcome> DynamoTxn::Commit() {
  struct StatsDelta {
    int64_t skus = 0;
    int64_t on_hand = 0;
    int64_t low = 0;
    int64_t negative = 0;
    bool seen = false;
  };
  std::map<std::string, StatsDelta> stats;
  std::vector<json::object> actions;
  for (const std::unique_ptr<Entry>& owned : entries_) {
    Entry& entry = *owned;
    if (!entry.dirty) continue;
    StockState& state = entry.state;
    StatsDelta& delta = stats[entry.branch];
    if (!entry.existed) ++delta.skus;
    delta.on_hand += state.on_hand_milli - entry.before.on_hand_milli;
    const int64_t min_stock =
        state.min_stock_milli.value_or(context_.policy->DefaultMinStock(entry.barcode));
    const AlertKind alert = AlertFor(state.on_hand_milli, min_stock);
    if (alert != state.alert) {
      if (state.alert != AlertKind::kNone) {
        (state.alert == AlertKind::kLowStock ? delta.low : delta.negative) -= 1;
      }
      if (alert != AlertKind::kNone) {
        (alert == AlertKind::kLowStock ? delta.low : delta.negative) += 1;
      }
      state.alert = alert;
      state.alert_since_us = now_us_;
    }
    ddb::PutItemRequest put;
    put.table = context_.tables.positions;
    put.item = EncodeState(entry.barcode, entry.branch, state, entry.version + 1);
    if (entry.existed) {
      put.condition.text = "v = :v";
      put.condition.values = {{":v", N(entry.version)}};
    } else {
      put.condition.text = "attribute_not_exists(codigo_barra)";
    }
    actions.push_back(ddb::TransactPut(put));
  }
  for (const std::string& branch : seen_) stats[branch].seen = true;
  for (json::object& put : ledger_puts_) actions.push_back(std::move(put));
  ledger_puts_.clear();
  for (json::object& action : extra_actions_) actions.push_back(std::move(action));
  extra_actions_.clear();
  const int shard = static_cast<int>(Random()() % kStatsShards);
  for (const auto& [branch, delta] : stats) {
    std::vector<std::pair<std::string, int64_t>> adds;
    if (delta.skus != 0) adds.emplace_back("skus", delta.skus);
    if (delta.on_hand != 0) adds.emplace_back("em_estoque_total_milli", delta.on_hand);
    if (delta.low != 0) adds.emplace_back("estoque_baixo", delta.low);
    if (delta.negative != 0) adds.emplace_back("estoque_negativo", delta.negative);
    if (adds.empty() && !delta.seen) continue;
    ddb::UpdateItemRequest update;
    update.table = context_.tables.stats;
    update.key = Item{{"filial", S(StatsShardKey(branch, shard))}};
    std::string text;
    for (std::size_t i = 0; i < adds.size(); ++i) {
      text += (i == 0 ? "ADD " : ", ") + adds[i].first + " :a" + std::to_string(i);
      update.expression.values[":a" + std::to_string(i)] = N(adds[i].second);
    }
    if (delta.seen) {
      text += (text.empty() ? "" : " ") + std::string("SET visto_us = :seen");
      update.expression.values[":seen"] = N(now_us_);
    }
    update.expression.text = std::move(text);
    actions.push_back(ddb::TransactUpdate(update));
  }
  if (counter_messages_ != 0 || counter_applied_ != 0 || counter_dropped_ != 0) {
    ddb::UpdateItemRequest update;
    update.table = context_.tables.stats;
    update.key = Item{{"filial", S(StatsShardKey(kChainStatsKey, shard))}};
    update.expression.text = "ADD mensagens :m, aplicados :a, descartados :d";
    update.expression.values = {{":m", N(static_cast<int64_t>(counter_messages_))},
                                {":a", N(static_cast<int64_t>(counter_applied_))},
                                {":d", N(static_cast<int64_t>(counter_dropped_))}};
    actions.push_back(ddb::TransactUpdate(update));
  }
  if (actions.empty()) return CommitOutcome::kCommitted;
  if (actions.size() > ddb::kTransactWriteActionsMax) {
    return Status::InvalidArgument("one write of the DynamoDB store needs " +
                                   std::to_string(actions.size()) + " actions, more than " +
                                   std::to_string(ddb::kTransactWriteActionsMax));
  }
  ddb::TransactWriteRequest request;
  request.actions = std::move(actions);
  request.client_request_token = NewRequestToken();
  aws::AwsResult<ddb::TransactWriteOutput> written = context_.client->TransactWriteItems(request);
  if (!written.ok()) {
    if (IsRace(written.error())) return CommitOutcome::kRaced;
    return written.status();
  }
  return CommitOutcome::kCommitted;
}

}  // namespace estoque::store::dynamo
