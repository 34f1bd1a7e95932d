// The items of the DynamoDB inventory store (docs/DYNAMODB.md): how a StockState, a ledger
// movement, a sale record, a transfer and a reservation are laid out as DynamoDB attributes, and
// the sort keys that make string order the order the store lists them in. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "aws/dynamodb_requests.h"
#include "common/result.h"
#include "domain/movement.h"
#include "domain/sale.h"
#include "domain/transfer.h"
#include "store/stock_state.h"

namespace estoque::store::dynamo {

using aws::dynamodb::Item;

// AttributeValues.
boost::json::value S(std::string_view text);
boost::json::value N(int64_t number);
// The S attribute `name` of `item`, or nullopt when absent (or not a string).
std::optional<std::string> GetS(const Item& item, std::string_view name);
// The N attribute `name` as int64, or `fallback` when absent.
int64_t GetN(const Item& item, std::string_view name, int64_t fallback = 0);

// A time as 16 zero-padded decimal digits, so that string order is time order (clamped to
// 0 .. 10^16 - 1, years 1970-2286).
std::string T16(int64_t us);
// Above every sort key that starts with the same time: T16(t) + kSortKeyMax sorts after every
// key of time t (U+10FFFF, above any character of an identity).
inline constexpr std::string_view kSortKeyMax = "\xf4\x8f\xbf\xbf";

// ---- posicoes: one item per product-branch. Partition codigo_barra, sort filial.
// Number of partitions of the `lista` index (the whole-store listing in (barcode, branch) order
// is the merge of its shards).
inline constexpr int kListShards = 8;
int ListShardOf(std::string_view barcode);
std::string ListKey(std::string_view barcode, std::string_view branch);  // "barcode#branch"
Item StateKey(std::string_view barcode, std::string_view branch);
// The whole item of `state` with version `version` (attribute v).
Item EncodeState(std::string_view barcode, std::string_view branch, const StockState& state,
                 int64_t version);
// Fills *state and *version (0 when the item has none). Corruption if malformed.
Status DecodeState(const Item& item, StockState* state, int64_t* version);
// alerta_filial: "branch#kind" (branches never hold '#').
std::string AlertPartition(std::string_view branch, AlertKind kind);

// Separates the parts of a ledger sort key: U+0001, below every character an origin, a branch, an
// id or a count's "<quantity>|<name>" id may hold (names exclude control characters), so the
// keys sort as the tuples of their parts do.
inline constexpr char kSortSeparator = '\x01';

// ---- movimentos: the ledger. Partition pb = "barcode#branch", sort sk = t16 origin id (parts
// joined by kSortSeparator, written "t16·origin·id" in the docs).
std::string LedgerPartition(std::string_view barcode, std::string_view branch);
std::string LedgerSortKey(const domain::Movement& movement);
std::string LedgerBranchSortKey(const domain::Movement& movement);   // fsk: t16·origin·id·barcode
std::string LedgerProductSortKey(const domain::Movement& movement);  // psk: t16·branch·origin·id
Item LedgerItemKey(const domain::Movement& movement);
Item EncodeMovement(const domain::Movement& movement);
Status DecodeMovement(const Item& item, domain::Movement* movement);

// ---- ids: exactly-once records. k = "mov#branch#origin#id" -> the ledger key; k =
// "venda#branch#sale_id" -> the sale record.
std::string MovementIdItemKey(std::string_view branch, std::string_view origin,
                              std::string_view id);
std::string SaleItemKey(std::string_view branch, std::string_view sale_id);
// A movement id record kept `ttl_seconds` after `now_us` (attribute expira_em, Unix seconds).
Item EncodeMovementId(const domain::Movement& movement, int64_t now_us, int64_t ttl_seconds);

// A sale as the ids table remembers it (what a later cancellation needs).
struct SaleRecordItem {
  enum class Status { kApplied, kCancelled, kCancelPending };
  Status status = Status::kApplied;
  int64_t event_at_us = 0;
  std::string origin;
  std::vector<domain::SaleLine> lines;
  int64_t cancel_at_us = 0;
  std::string cancel_origin;
};
std::string_view SaleStatusName(SaleRecordItem::Status status);
Item EncodeSaleRecord(std::string_view branch, std::string_view sale_id,
                      const SaleRecordItem& record);
estoque::Status DecodeSaleRecord(const Item& item, SaleRecordItem* record);

// ---- transferencias, reservas.
Item EncodeTransfer(const domain::Transfer& transfer);
estoque::Status DecodeTransfer(const Item& item, domain::Transfer* transfer);
// While active, a reservation carries filial_ativa (the sparse `expirando` index's partition).
Item EncodeReservation(const domain::Reservation& reservation);
estoque::Status DecodeReservation(const Item& item, domain::Reservation* reservation);

}  // namespace estoque::store::dynamo
