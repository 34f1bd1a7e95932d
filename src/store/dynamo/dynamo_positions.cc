// DynamoInventoryStore: the PositionStore reads (the core issue's position API over stock states).
#include <algorithm>
#include <cassert>
#include <queue>

#include "common/limits.h"
#include "domain/barcode.h"
#include "domain/branch.h"
#include "store/dynamo/dynamo_inventory_store.h"
#include "store/dynamo/dynamo_items.h"

namespace estoque::store::dynamo {
namespace ddb = aws::dynamodb;
namespace {

// A state seen as the core issue's position: the name of its newest PDV count, em_estoque and
// the time of its newest movement.
Status DecodeAsPosition(const Item& item, domain::Position* position) {
  StockState state;
  int64_t version = 0;
  Status decoded = DecodeState(item, &state, &version);
  if (!decoded.ok()) return decoded;
  position->barcode = GetS(item, "codigo_barra").value_or("");
  position->branch = GetS(item, "filial").value_or("");
  position->product_name = std::move(state.product_name);
  position->quantity_milli = state.on_hand_milli;
  position->updated_at_us = state.updated_at_us;
  return Status::Ok();
}

// Splits "first\0second"; false unless there is exactly one separator.
bool SplitKey(std::string_view key, std::string_view* first, std::string_view* second) {
  const std::size_t separator = key.find('\0');
  if (separator == std::string_view::npos) return false;
  *first = key.substr(0, separator);
  *second = key.substr(separator + 1);
  return second->find('\0') == std::string_view::npos;
}

std::string JoinKey(std::string_view first, std::string_view second) {
  std::string key(first);
  key.push_back('\0');
  key.append(second);
  return key;
}

// Up to `wanted` items of one Query, in its order, following LastEvaluatedKey.
Result<std::vector<Item>> QueryUpTo(CountingClient& client, ddb::QueryRequest request,
                                    std::size_t wanted) {
  std::vector<Item> items;
  request.limit = static_cast<int64_t>(wanted);
  while (items.size() < wanted) {
    aws::AwsResult<ddb::QueryPage> page = client.Query(request);
    if (!page.ok()) return page.status();
    for (Item& item : page->items) items.push_back(std::move(item));
    if (!page->last_evaluated_key) break;
    request.exclusive_start_key = std::move(*page->last_evaluated_key);
  }
  if (items.size() > wanted) items.resize(wanted);
  return items;
}

}  // namespace

Result<domain::Position> DynamoInventoryStore::Get(std::string_view barcode,
                                                   std::string_view branch) {
  aws::AwsResult<ddb::GetItemOutput> read =
      counting_.GetItem({context_.tables.positions, StateKey(barcode, branch), true});
  if (!read.ok()) return read.status();
  if (!read->item) return Status::NotFound("no position for this barcode and branch");
  domain::Position position;
  Status decoded = DecodeAsPosition(*read->item, &position);
  if (!decoded.ok()) return decoded;
  return position;
}

Result<std::vector<domain::Position>> DynamoInventoryStore::ListByBarcode(
    std::string_view barcode) {
  ddb::QueryRequest query;
  query.table = context_.tables.positions;
  query.key_condition.text = "codigo_barra = :cb";
  query.key_condition.values = {{":cb", S(barcode)}};
  query.consistent_read = true;
  std::vector<domain::Position> positions;
  for (;;) {
    aws::AwsResult<ddb::QueryPage> page = counting_.Query(query);
    if (!page.ok()) return page.status();
    for (const Item& item : page->items) {
      Status decoded = DecodeAsPosition(item, &positions.emplace_back());
      if (!decoded.ok()) return decoded;
    }
    if (!page->last_evaluated_key) break;
    query.exclusive_start_key = std::move(*page->last_evaluated_key);
  }
  return positions;
}

Result<PositionPage> DynamoInventoryStore::List(std::optional<std::string_view> branch,
                                               std::optional<std::string_view> after,
                                               std::size_t limit) {
  assert(limit >= 1 && limit <= limits::kPageLimitMax);
  PositionPage page;
  if (branch.has_value()) {
    // The branch's index, in barcode order; the cursor is "branch\0barcode".
    if (!domain::ValidateBranch(*branch).ok()) return Status::InvalidArgument("invalid branch");
    ddb::QueryRequest request;
    request.table = context_.tables.positions;
    request.index_name = kPositionsByBranch;
    request.key_condition.text = "filial = :f";
    request.key_condition.values = {{":f", S(*branch)}};
    if (after.has_value()) {
      std::string_view after_branch;
      std::string_view barcode;
      if (!SplitKey(*after, &after_branch, &barcode) || after_branch != *branch ||
          !domain::ValidateBarcode(barcode, false).ok()) {
        return Status::InvalidArgument("cursor does not belong to this branch's listing");
      }
      request.key_condition.text += " AND codigo_barra > :after";
      request.key_condition.values[":after"] = S(barcode);
    }
    Result<std::vector<Item>> items = QueryUpTo(counting_, std::move(request), limit + 1);
    if (!items.ok()) return items.status();
    for (std::size_t i = 0; i < items->size() && i < limit; ++i) {
      Status decoded = DecodeAsPosition((*items)[i], &page.items.emplace_back());
      if (!decoded.ok()) return decoded;
    }
    if (items->size() > limit) page.next_after = JoinKey(*branch, page.items.back().barcode);
    return page;
  }

  // The whole store in (barcode, branch) order: the merge of the `lista` index's shards, each
  // ordered by "barcode#branch"; the cursor is "barcode\0branch".
  std::optional<std::string> start_after;
  if (after.has_value()) {
    std::string_view barcode;
    std::string_view after_branch;
    if (!SplitKey(*after, &barcode, &after_branch) ||
        !domain::ValidateBarcode(barcode, false).ok() ||
        !domain::ValidateBranch(after_branch).ok()) {
      return Status::InvalidArgument("malformed cursor");
    }
    start_after = ListKey(barcode, after_branch);
  }
  std::vector<Item> merged;
  for (int shard = 0; shard < kListShards; ++shard) {
    ddb::QueryRequest request;
    request.table = context_.tables.positions;
    request.index_name = kPositionsList;
    request.key_condition.text =
        start_after ? "lista_shard = :s AND chave > :after" : "lista_shard = :s";
    request.key_condition.values = {{":s", N(shard)}};
    if (start_after) request.key_condition.values[":after"] = S(*start_after);
    Result<std::vector<Item>> items = QueryUpTo(counting_, std::move(request), limit + 1);
    if (!items.ok()) return items.status();
    for (Item& item : *items) merged.push_back(std::move(item));
  }
  std::vector<std::pair<std::string, std::size_t>> order;
  for (std::size_t i = 0; i < merged.size(); ++i) {
    order.emplace_back(GetS(merged[i], "chave").value_or(""), i);
  }
  std::sort(order.begin(), order.end());
  for (std::size_t i = 0; i < order.size() && i < limit; ++i) {
    Status decoded = DecodeAsPosition(merged[order[i].second], &page.items.emplace_back());
    if (!decoded.ok()) return decoded;
  }
  if (order.size() > limit) {
    page.next_after = JoinKey(page.items.back().barcode, page.items.back().branch);
  }
  return page;
}

}  // namespace estoque::store::dynamo
