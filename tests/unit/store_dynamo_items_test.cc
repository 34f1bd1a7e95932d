// The DynamoDB store's item layout (src/store/dynamo/dynamo_items.h): every record survives its
// round trip through DynamoDB attributes, and the sort keys order as the listings promise
// (time, then origin and id; a whole-store listing by barcode, then branch). No server needed.
#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "store/dynamo/dynamo_items.h"
#include "store/ledger_codec.h"

namespace estoque::store::dynamo {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000'000;

domain::Movement Sale(std::string branch, std::string barcode, std::string id, int64_t at) {
  domain::Movement movement;
  movement.kind = domain::MovementKind::kSale;
  movement.branch = std::move(branch);
  movement.barcode = std::move(barcode);
  movement.quantity_milli = -1'500;
  movement.event_at_us = at;
  movement.recorded_at_us = at + 7;
  movement.origin = "venda";
  movement.id = std::move(id);
  movement.reference = "v1";
  return movement;
}

TEST(DynamoItems, StateRoundTrips) {
  StockState state;
  state.product_name = "Caf\xC3\xA9 500g";
  state.has_count = true;
  state.count_at_us = kT0;
  state.count_quantity_milli = 12'000;
  state.count_identity = PositionCountIdentity(12'000, "Caf\xC3\xA9 500g");
  state.on_hand_milli = 10'500;
  state.reserved_milli = 2'000;
  state.in_transit_milli = 3'000;
  state.min_stock_milli = 11'000;
  state.last_movement_at_us = kT0 + 5;
  state.updated_at_us = kT0 + 5;
  state.alert = AlertKind::kLowStock;
  state.alert_since_us = kT0 + 9;
  const Item item = EncodeState("7891000100103", "1001", state, 41);
  EXPECT_EQ(GetN(item, "disponivel_milli"), 8'500);
  EXPECT_EQ(GetS(item, "alerta_filial"), "1001#estoque_baixo");
  EXPECT_EQ(GetS(item, "chave"), "7891000100103#1001");
  StockState decoded;
  int64_t version = 0;
  ASSERT_TRUE(DecodeState(item, &decoded, &version).ok());
  EXPECT_EQ(decoded, state);
  EXPECT_EQ(version, 41);

  StockState plain;  // no count, no reorder point, no alert: those attributes are absent
  const Item bare = EncodeState("7891000100103", "1001", plain, 1);
  EXPECT_FALSE(bare.contains("count_at_us"));
  EXPECT_FALSE(bare.contains("alerta_filial"));  // not in the sparse index
  EXPECT_FALSE(bare.contains("estoque_minimo_milli"));
  ASSERT_TRUE(DecodeState(bare, &decoded, &version).ok());
  EXPECT_EQ(decoded, plain);
}

TEST(DynamoItems, MovementSaleTransferAndReservationRoundTrip) {
  domain::Movement movement = Sale("1001", "7891000100103", "v1#2", kT0);
  movement.kind = domain::MovementKind::kAdjustment;
  movement.reason = domain::AdjustReason::kLoss;
  movement.product_name = "Arroz";
  domain::Movement decoded;
  ASSERT_TRUE(DecodeMovement(EncodeMovement(movement), &decoded).ok());
  EXPECT_EQ(decoded, movement);

  SaleRecordItem record;
  record.status = SaleRecordItem::Status::kCancelled;
  record.event_at_us = kT0;
  record.origin = "pdv";
  record.lines = {{"7891000100103", 1'000}, {"7891000100110", 2'500}};
  record.cancel_at_us = kT0 + 1;
  record.cancel_origin = "pdv";
  SaleRecordItem record_back;
  ASSERT_TRUE(DecodeSaleRecord(EncodeSaleRecord("1001", "v1", record), &record_back).ok());
  EXPECT_EQ(record_back.status, record.status);
  EXPECT_EQ(record_back.lines, record.lines);
  EXPECT_EQ(record_back.cancel_at_us, record.cancel_at_us);

  domain::Transfer transfer;
  transfer.id = "t1";
  transfer.source = "1001";
  transfer.destination = "1002";
  transfer.lines = {{"7891000100103", 4'000, 3'000}};
  transfer.status = domain::TransferStatus::kReceived;
  transfer.created_at_us = kT0;
  transfer.shipped_at_us = kT0 + 1;
  transfer.received_at_us = kT0 + 2;
  transfer.created_by = "k1";
  domain::Transfer transfer_back;
  ASSERT_TRUE(DecodeTransfer(EncodeTransfer(transfer), &transfer_back).ok());
  EXPECT_EQ(transfer_back, transfer);

  domain::Reservation reservation;
  reservation.id = "r1";
  reservation.branch = "1001";
  reservation.lines = {{"7891000100103", 1'000}};
  reservation.expires_at_us = kT0 + 60;
  reservation.created_at_us = kT0;
  const Item active = EncodeReservation(reservation);
  EXPECT_EQ(GetS(active, "filial_ativa"), "1001");  // in the expirando index while active
  domain::Reservation reservation_back;
  ASSERT_TRUE(DecodeReservation(active, &reservation_back).ok());
  EXPECT_EQ(reservation_back, reservation);
  reservation.status = domain::ReservationStatus::kConfirmed;
  EXPECT_FALSE(EncodeReservation(reservation).contains("filial_ativa"));
}

TEST(DynamoItems, LedgerSortKeysOrderAsTheListings) {
  // Same product-branch: time, then origin, then id (ids of sale lines "v1#1" < "v1#10").
  std::vector<domain::Movement> movements = {
      Sale("1001", "7891000100103", "v1#10", kT0), Sale("1001", "7891000100103", "v1#1", kT0),
      Sale("1001", "7891000100103", "v1#2", kT0 + 1), Sale("1001", "7891000100103", "v10#1", kT0),
      Sale("1001", "7891000100110", "v1#1", kT0), Sale("1001-B", "7891000100103", "v1#1", kT0)};
  movements[3].origin = "api";
  // Counts' ids "<quantity>|<name>": names may hold spaces, below '#'.
  domain::Movement count = Sale("1001", "7891000100103", "12|Arroz", kT0);
  count.kind = domain::MovementKind::kCount;
  count.origin = "posicao";
  domain::Movement longer = count;
  longer.id = "12|Arroz 5kg";
  domain::Movement other_barcode = longer;
  other_barcode.barcode = "7891000100110";
  movements.push_back(count);
  movements.push_back(longer);
  movements.push_back(other_barcode);
  auto tuple_of = [](const domain::Movement& m) {
    return std::tie(m.event_at_us, m.origin, m.id, m.barcode);
  };
  for (const domain::Movement& a : movements) {
    for (const domain::Movement& b : movements) {
      if (a.branch == b.branch) {
        EXPECT_EQ(tuple_of(a) < tuple_of(b), LedgerBranchSortKey(a) < LedgerBranchSortKey(b))
            << a.id << " " << b.id;
      }
      if (a.branch == b.branch && a.barcode == b.barcode) {
        EXPECT_EQ(tuple_of(a) < tuple_of(b), LedgerSortKey(a) < LedgerSortKey(b));
      }
      if (a.barcode == b.barcode) {
        EXPECT_EQ(std::tie(a.event_at_us, a.branch, a.origin, a.id) <
                      std::tie(b.event_at_us, b.branch, b.origin, b.id),
                  LedgerProductSortKey(a) < LedgerProductSortKey(b));
      }
    }
  }
  // Every key of a time sorts below T16(time) + kSortKeyMax, and above T16(time).
  const std::string key = LedgerBranchSortKey(movements[0]);
  EXPECT_LT(key, T16(kT0) + std::string(kSortKeyMax));
  EXPECT_GT(key, T16(kT0));
  EXPECT_EQ(T16(5), "0000000000000005");
  EXPECT_EQ(T16(-1), T16(0));
  EXPECT_LT(T16(kT0), T16(int64_t{1} << 62));  // clamped: still above every real time
}

TEST(DynamoItems, WholeStoreListKeysOrderByBarcodeThenBranch) {
  std::vector<std::pair<std::string, std::string>> keys = {
      {"12345678", "1001"}, {"123456789", "1000"}, {"12345678", "A-9"}, {"12345670", "1003"},
      {"12345678", "1001-x"}, {"12345678", "10010"}};
  for (const auto& a : keys) {
    for (const auto& b : keys) {
      EXPECT_EQ(a < b, ListKey(a.first, a.second) < ListKey(b.first, b.second))
          << a.first << "/" << a.second << " vs " << b.first << "/" << b.second;
    }
  }
  for (const auto& [barcode, branch] : keys) {
    EXPECT_GE(ListShardOf(barcode), 0);
    EXPECT_LT(ListShardOf(barcode), kListShards);
  }
}

}  // namespace
}  // namespace estoque::store::dynamo
