// The stock effects of a PDV position, of each step of a transfer and of ending a reservation,
// the same for every store: RocksInventoryStore (StockTxn) and DynamoInventoryStore (DynamoTxn)
// both run these on their own transaction, so the two backends write the same movements and
// quantities (the store contract suite checks that they agree). Each backend keeps only what is
// its own: reading the record, the conditions, and writing the record and the transaction.
//
// `Txn` offers Touch(barcode, branch) -> Result<Entry*> (the working state of a product-branch,
// Entry::state a StockState), Record(Entry*, movement) (the counting rule, stock_rule.h),
// LedgerHas(movement), MarkDirty(Entry*) and now_us().
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "domain/movement.h"
#include "domain/position.h"
#include "domain/transfer.h"
#include "store/position_store.h"
#include "store/stock_state.h"

namespace estoque::store {

// The movement of one step of a transfer or reservation line: id "<record>#<line + 1><step>"
// (`step` tells apart the movements of one line at one branch: ":envio", ":recebimento",
// ":perda", ":retorno"; "" for a confirmed reservation's sale), reference the record's id.
inline domain::Movement FlowMovement(domain::MovementKind kind, std::string_view origin,
                                     std::string_view record_id, std::size_t line,
                                     std::string_view step, std::string_view branch,
                                     std::string_view barcode, int64_t effect_milli,
                                     int64_t at_us, int64_t now_us) {
  domain::Movement movement;
  movement.kind = kind;
  movement.branch.assign(branch);
  movement.barcode.assign(barcode);
  movement.quantity_milli = effect_milli;
  movement.event_at_us = at_us;
  movement.recorded_at_us = now_us;
  movement.origin.assign(origin);
  movement.id = std::string(record_id) + "#" + std::to_string(line + 1) + std::string(step);
  movement.reference.assign(record_id);
  return movement;
}

// Records `movement` on its product-branch in `txn`.
template <typename Txn>
Status RecordFlow(Txn& txn, const domain::Movement& movement) {
  auto entry = txn.Touch(movement.barcode, movement.branch);
  if (!entry.ok()) return entry.status();
  return txn.Record(*entry, movement);
}

// A PDV position (the seed's message) is the count it makes (origin "posicao", id
// "<quantity>|<name>", event time its data_atualizacao) of `entry`'s product-branch: applied when
// it is the newest count (outcome->applied_items), else only written into the ledger, once, for
// as-of queries (outcome->dropped_older_items). `count` is a scratch movement the caller reuses
// from item to item (no allocation per item on the embedded apply path).
template <typename Txn, typename Entry>
Status RecordPositionCount(Txn& txn, Entry* entry, const domain::Position& item,
                           domain::Movement& count, ApplyOutcome* outcome) {
  count.kind = domain::MovementKind::kCount;
  count.origin = "posicao";
  count.recorded_at_us = txn.now_us();
  count.branch = item.branch;
  count.barcode = item.barcode;
  count.quantity_milli = item.quantity_milli;
  count.event_at_us = item.updated_at_us;
  count.product_name = item.product_name;
  const std::string identity = PositionCountIdentity(item.quantity_milli, item.product_name);
  count.id = identity.substr(identity.find('\0') + 1);
  const StockState& state = entry->state;
  if (!CountIsNewest(state, count.event_at_us, count.quantity_milli, identity)) {
    ++outcome->dropped_older_items;
    if (state.has_count && state.count_at_us == count.event_at_us &&
        state.count_identity == identity) {
      return Status::Ok();  // it is the newest count itself, already in the ledger
    }
    Result<bool> known = txn.LedgerHas(count);
    if (!known.ok()) return known.status();
    if (*known) return Status::Ok();
  } else {
    ++outcome->applied_items;
  }
  return txn.Record(entry, count);
}

// Shipping (criada -> em_transito): each line leaves the source (a transferencia_saida) and is
// in transit at the destination. Conflict "insufficient stock ..." when a line exceeds the
// source's available stock, unless `may_go_negative`.
template <typename Txn>
Status ShipTransferLines(Txn& txn, const domain::Transfer& transfer, bool may_go_negative,
                         int64_t at_us) {
  for (std::size_t i = 0; i < transfer.lines.size(); ++i) {
    const domain::TransferLine& line = transfer.lines[i];
    auto source = txn.Touch(line.barcode, transfer.source);
    if (!source.ok()) return source.status();
    if (!may_go_negative && (*source)->state.available_milli() < line.quantity_milli) {
      return Status::Conflict("insufficient stock of " + line.barcode + " in branch " +
                              transfer.source);
    }
    Status recorded = RecordFlow(
        txn, FlowMovement(domain::MovementKind::kTransferOut, "transferencia", transfer.id, i,
                          ":envio", transfer.source, line.barcode, -line.quantity_milli, at_us,
                          txn.now_us()));
    if (!recorded.ok()) return recorded;
    auto destination = txn.Touch(line.barcode, transfer.destination);
    if (!destination.ok()) return destination.status();
    (*destination)->state.in_transit_milli += line.quantity_milli;
    txn.MarkDirty(*destination);
  }
  return Status::Ok();
}

// Line `i` of a shipped transfer leaves the destination's em_transito and enters `branch` (the
// destination on receipt, the source on return) as a transferencia_entrada `step`.
template <typename Txn>
Status LeaveTransit(Txn& txn, const domain::Transfer& transfer, std::size_t i,
                    std::string_view step, std::string_view branch, int64_t at_us) {
  const domain::TransferLine& line = transfer.lines[i];
  auto destination = txn.Touch(line.barcode, transfer.destination);
  if (!destination.ok()) return destination.status();
  (*destination)->state.in_transit_milli -= line.quantity_milli;
  txn.MarkDirty(*destination);
  return RecordFlow(txn, FlowMovement(domain::MovementKind::kTransferIn, "transferencia",
                                      transfer.id, i, step, branch, line.barcode,
                                      line.quantity_milli, at_us, txn.now_us()));
}

// Receiving (em_transito -> recebida): the whole shipment arrives in the destination's books (a
// transferencia_entrada) and leaves its em_transito; what did not arrive (`received`, per line,
// or everything) is a loss there. Sets each line's received_milli. InvalidArgument when
// `received` does not match the lines or a quantity is outside 0..shipped.
template <typename Txn>
Status ReceiveTransferLines(Txn& txn, domain::Transfer& transfer,
                            const std::optional<std::vector<int64_t>>& received, int64_t at_us) {
  if (received.has_value() && received->size() != transfer.lines.size()) {
    return Status::InvalidArgument("received quantities do not match the transfer's lines");
  }
  for (std::size_t i = 0; i < transfer.lines.size(); ++i) {
    domain::TransferLine& line = transfer.lines[i];
    const int64_t got = received.has_value() ? (*received)[i] : line.quantity_milli;
    if (got < 0 || got > line.quantity_milli) {
      return Status::InvalidArgument("received quantity of " + line.barcode +
                                     " must be between 0 and the quantity shipped");
    }
    line.received_milli = got;
    Status recorded =
        LeaveTransit(txn, transfer, i, ":recebimento", transfer.destination, at_us);
    if (!recorded.ok()) return recorded;
    if (got < line.quantity_milli) {
      domain::Movement loss = FlowMovement(
          domain::MovementKind::kAdjustment, "transferencia", transfer.id, i, ":perda",
          transfer.destination, line.barcode, got - line.quantity_milli, at_us, txn.now_us());
      loss.reason = domain::AdjustReason::kLoss;
      recorded = RecordFlow(txn, loss);
      if (!recorded.ok()) return recorded;
    }
  }
  return Status::Ok();
}

// Cancelling a transfer in transit: each line leaves the destination's em_transito and returns
// to the source (a transferencia_entrada ":retorno"). A transfer not yet shipped has no effect.
template <typename Txn>
Status ReturnTransferLines(Txn& txn, const domain::Transfer& transfer, int64_t at_us) {
  for (std::size_t i = 0; i < transfer.lines.size(); ++i) {
    Status recorded = LeaveTransit(txn, transfer, i, ":retorno", transfer.source, at_us);
    if (!recorded.ok()) return recorded;
  }
  return Status::Ok();
}

// Ending an active reservation (confirmed, released or expired): its lines stop being reserved;
// confirmed, each line is also a sale at `now_us`. Sets the reservation's status and
// resolved_at_us.
template <typename Txn>
Status EndReservationLines(Txn& txn, domain::Reservation& reservation,
                           domain::ReservationStatus status, int64_t now_us) {
  for (std::size_t i = 0; i < reservation.lines.size(); ++i) {
    const domain::ReservationLine& line = reservation.lines[i];
    auto entry = txn.Touch(line.barcode, reservation.branch);
    if (!entry.ok()) return entry.status();
    (*entry)->state.reserved_milli -= line.quantity_milli;
    txn.MarkDirty(*entry);
    if (status == domain::ReservationStatus::kConfirmed) {
      Status recorded = txn.Record(
          *entry, FlowMovement(domain::MovementKind::kSale, "reserva", reservation.id, i, "",
                               reservation.branch, line.barcode, -line.quantity_milli, now_us,
                               txn.now_us()));
      if (!recorded.ok()) return recorded;
    }
  }
  reservation.status = status;
  reservation.resolved_at_us = now_us;
  return Status::Ok();
}

}  // namespace estoque::store
