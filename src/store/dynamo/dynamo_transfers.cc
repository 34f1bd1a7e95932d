// DynamoInventoryStore: transfers between branches and reservations. Every step is one
// DynamoTxn whose record Put is conditioned on the status it read, so two nodes can never both
// take the same step (the loser reads again and answers as for a repeat).
#include <algorithm>
#include <cassert>

#include "common/clock.h"
#include "common/limits.h"
#include "store/dynamo/dynamo_inventory_store.h"
#include "store/dynamo/dynamo_items.h"
#include "store/flow_steps.h"

namespace estoque::store::dynamo {
namespace ddb = aws::dynamodb;
namespace {

template <typename Line>
bool SameLines(const std::vector<Line>& a, const std::vector<Line>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].barcode != b[i].barcode || a[i].quantity_milli != b[i].quantity_milli) return false;
  }
  return true;
}

// The record `id` of `table` decoded by `decode`; NotFound when absent.
template <typename Record, typename Decode>
Result<Record> ReadRecord(CountingClient& client, const std::string& table, std::string_view id,
                          Decode decode, std::string_view what) {
  aws::AwsResult<ddb::GetItemOutput> read = client.GetItem({table, Item{{"id", S(id)}}, true});
  if (!read.ok()) return read.status();
  if (!read->item) return Status::NotFound(std::string(what) + " not found");
  Record record;
  Status decoded = decode(*read->item, &record);
  if (!decoded.ok()) return decoded;
  return record;
}

// A TransactPut of `item` in `table` conditioned on its current status (nullopt: that it does
// not exist yet).
boost::json::object RecordPut(const std::string& table, Item item,
                              std::optional<std::string_view> current_status) {
  ddb::PutItemRequest put;
  put.table = table;
  put.item = std::move(item);
  if (current_status.has_value()) {
    put.condition.text = "#st = :st";
    put.condition.names = {{"#st", "status"}};
    put.condition.values = {{":st", S(*current_status)}};
  } else {
    put.condition.text = "attribute_not_exists(id)";
  }
  return ddb::TransactPut(put);
}

// One page of a records table in id order, strictly after `after`, keeping what `keep` accepts.
// A Scan of the whole table, sorted here: fine while transfers and reservations stay few (the
// embedded store scans its families the same way).
template <typename Page, typename Record, typename Decode, typename Keep>
Result<Page> ListRecords(CountingClient& client, const std::string& table, Decode decode, Keep keep,
                         std::optional<std::string_view> after, std::size_t limit) {
  assert(limit >= 1 && limit <= limits::kPageLimitMax);
  ddb::ScanRequest scan;
  scan.table = table;
  scan.consistent_read = true;
  std::vector<Record> records;
  for (;;) {
    aws::AwsResult<ddb::QueryPage> page = client.Scan(scan);
    if (!page.ok()) return page.status();
    for (const Item& item : page->items) {
      Record record;
      Status decoded = decode(item, &record);
      if (!decoded.ok()) return decoded;
      if ((!after.has_value() || record.id > *after) && keep(record)) {
        records.push_back(std::move(record));
      }
    }
    if (!page->last_evaluated_key) break;
    scan.exclusive_start_key = std::move(*page->last_evaluated_key);
  }
  std::sort(records.begin(), records.end(),
            [](const Record& a, const Record& b) { return a.id < b.id; });
  Page result;
  for (Record& record : records) {
    if (result.items.size() == limit) {
      result.next_after = result.items.back().id;
      break;
    }
    result.items.push_back(std::move(record));
  }
  return result;
}

}  // namespace

Result<domain::Transfer> DynamoInventoryStore::GetTransfer(std::string_view id) {
  return ReadRecord<domain::Transfer>(counting_, context_.tables.transfers, id, DecodeTransfer,
                                      "transfer");
}

Result<domain::Reservation> DynamoInventoryStore::GetReservation(std::string_view id) {
  return ReadRecord<domain::Reservation>(counting_, context_.tables.reservations, id,
                                         DecodeReservation, "reservation");
}

Result<std::pair<domain::Transfer, bool>> DynamoInventoryStore::CreateTransfer(
    domain::Transfer transfer) {
  if (transfer.lines.size() > kTransferLinesMax) {
    return Status::InvalidArgument("itens: a transfer has at most " +
                                   std::to_string(kTransferLinesMax) +
                                   " lines with the DynamoDB store");
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    Result<domain::Transfer> existing = GetTransfer(transfer.id);
    if (existing.ok()) {
      if (existing->source != transfer.source || existing->destination != transfer.destination ||
          !SameLines(existing->lines, transfer.lines)) {
        return Status::Conflict("transfer " + transfer.id + " already exists with other content");
      }
      return std::make_pair(std::move(*existing), false);
    }
    if (existing.status().code() != StatusCode::kNotFound) return existing.status();
    domain::Transfer created = transfer;
    created.status = domain::TransferStatus::kCreated;
    created.created_at_us = NowUnixMicros();
    ddb::PutItemRequest put;
    put.table = context_.tables.transfers;
    put.item = EncodeTransfer(created);
    put.condition.text = "attribute_not_exists(id)";
    aws::AwsResult<ddb::WriteOutput> written = counting_.PutItem(put);
    if (written.ok()) return std::make_pair(std::move(created), true);
    if (written.error().code != "ConditionalCheckFailedException") return written.status();
    // Created by another request meanwhile: answer as for a repeat.
  }
  return Status::Unavailable("transfer " + transfer.id + " is being created concurrently");
}

Result<domain::Transfer> DynamoInventoryStore::ShipTransfer(std::string_view id, int64_t at_us) {
  domain::Transfer result;
  Status done = RunWithRetries(context_.options.write_attempts_max, [&]() -> Result<CommitOutcome> {
    Result<domain::Transfer> transfer = GetTransfer(id);
    if (!transfer.ok()) return transfer.status();
    result = *transfer;
    if (transfer->status == domain::TransferStatus::kInTransit) return CommitOutcome::kCommitted;
    if (transfer->status != domain::TransferStatus::kCreated) {
      return Status::Conflict("transfer is " +
                              std::string(domain::TransferStatusName(transfer->status)));
    }
    DynamoTxn txn(context_, NowUnixMicros());
    std::vector<std::pair<std::string, std::string>> keys;
    for (const domain::TransferLine& line : transfer->lines) {
      keys.emplace_back(line.barcode, transfer->source);
      keys.emplace_back(line.barcode, transfer->destination);
    }
    Status prefetched = txn.Prefetch(keys);
    if (!prefetched.ok()) return prefetched;
    Status shipped_lines = ShipTransferLines(
        txn, *transfer, context_.policy->AllowsNegativeStock(transfer->source), at_us);
    if (!shipped_lines.ok()) return shipped_lines;
    domain::Transfer shipped = *transfer;
    shipped.status = domain::TransferStatus::kInTransit;
    shipped.shipped_at_us = at_us;
    txn.AddAction(RecordPut(context_.tables.transfers, EncodeTransfer(shipped), "criada"));
    Result<CommitOutcome> committed = txn.Commit();
    if (committed.ok()) result = std::move(shipped);
    return committed;
  });
  if (!done.ok()) return done;
  return result;
}

Result<domain::Transfer> DynamoInventoryStore::ReceiveTransfer(
    std::string_view id, std::optional<std::vector<int64_t>> received, int64_t at_us) {
  domain::Transfer result;
  Status done = RunWithRetries(context_.options.write_attempts_max, [&]() -> Result<CommitOutcome> {
    Result<domain::Transfer> transfer = GetTransfer(id);
    if (!transfer.ok()) return transfer.status();
    result = *transfer;
    if (transfer->status == domain::TransferStatus::kReceived) return CommitOutcome::kCommitted;
    if (transfer->status != domain::TransferStatus::kInTransit) {
      return Status::Conflict("transfer is " +
                              std::string(domain::TransferStatusName(transfer->status)));
    }
    DynamoTxn txn(context_, NowUnixMicros());
    domain::Transfer arrived = *transfer;
    Status arrived_lines = ReceiveTransferLines(txn, arrived, received, at_us);
    if (!arrived_lines.ok()) return arrived_lines;
    arrived.status = domain::TransferStatus::kReceived;
    arrived.received_at_us = at_us;
    txn.AddAction(RecordPut(context_.tables.transfers, EncodeTransfer(arrived), "em_transito"));
    Result<CommitOutcome> committed = txn.Commit();
    if (committed.ok()) result = std::move(arrived);
    return committed;
  });
  if (!done.ok()) return done;
  return result;
}

Result<domain::Transfer> DynamoInventoryStore::CancelTransfer(std::string_view id, int64_t at_us) {
  domain::Transfer result;
  Status done = RunWithRetries(context_.options.write_attempts_max, [&]() -> Result<CommitOutcome> {
    Result<domain::Transfer> transfer = GetTransfer(id);
    if (!transfer.ok()) return transfer.status();
    result = *transfer;
    if (transfer->status == domain::TransferStatus::kCancelled) return CommitOutcome::kCommitted;
    if (transfer->status == domain::TransferStatus::kReceived) {
      return Status::Conflict("transfer is recebida");
    }
    DynamoTxn txn(context_, NowUnixMicros());
    const std::string was(domain::TransferStatusName(transfer->status));
    if (transfer->status == domain::TransferStatus::kInTransit) {
      Status returned = ReturnTransferLines(txn, *transfer, at_us);
      if (!returned.ok()) return returned;
    }
    domain::Transfer cancelled = *transfer;
    cancelled.status = domain::TransferStatus::kCancelled;
    cancelled.cancelled_at_us = at_us;
    txn.AddAction(RecordPut(context_.tables.transfers, EncodeTransfer(cancelled), was));
    Result<CommitOutcome> committed = txn.Commit();
    if (committed.ok()) result = std::move(cancelled);
    return committed;
  });
  if (!done.ok()) return done;
  return result;
}

Result<TransferPage> DynamoInventoryStore::ListTransfers(
    std::optional<std::string_view> branch, std::optional<domain::TransferStatus> status,
    std::optional<std::string_view> after, std::size_t limit) {
  return ListRecords<TransferPage, domain::Transfer>(
      counting_, context_.tables.transfers, DecodeTransfer,
      [&](const domain::Transfer& transfer) {
        return (!branch.has_value() || transfer.source == *branch ||
                transfer.destination == *branch) &&
               (!status.has_value() || transfer.status == *status);
      },
      after, limit);
}

// ---- reservations

Status DynamoInventoryStore::EndReservation(DynamoTxn& txn, domain::Reservation* reservation,
                                            domain::ReservationStatus status, int64_t now_us) {
  assert(reservation->status == domain::ReservationStatus::kActive);
  Status ended = EndReservationLines(txn, *reservation, status, now_us);
  if (!ended.ok()) return ended;
  txn.AddAction(RecordPut(context_.tables.reservations, EncodeReservation(*reservation), "ativa"));
  return Status::Ok();
}

Result<std::size_t> DynamoInventoryStore::ExpireDue(std::optional<std::string_view> branch,
                                                    int64_t now_us) {
  // The sparse index holds only active reservations: one branch's due ones are a Query, every
  // branch's a Scan of the (small) index.
  std::vector<std::string> ids;
  auto collect = [&](const std::vector<Item>& items) {
    for (const Item& item : items) ids.push_back(GetS(item, "id").value_or(""));
  };
  if (branch.has_value()) {
    ddb::QueryRequest request;
    request.table = context_.tables.reservations;
    request.index_name = kReservationsExpiring;
    request.key_condition.text = "filial_ativa = :b AND expira_em_us <= :now";
    request.key_condition.values = {{":b", S(*branch)}, {":now", N(now_us)}};
    for (;;) {
      aws::AwsResult<ddb::QueryPage> page = counting_.Query(request);
      if (!page.ok()) return page.status();
      collect(page->items);
      if (!page->last_evaluated_key) break;
      request.exclusive_start_key = std::move(*page->last_evaluated_key);
    }
  } else {
    ddb::ScanRequest request;
    request.table = context_.tables.reservations;
    request.index_name = kReservationsExpiring;
    request.filter.text = "expira_em_us <= :now";
    request.filter.values = {{":now", N(now_us)}};
    for (;;) {
      aws::AwsResult<ddb::QueryPage> page = counting_.Scan(request);
      if (!page.ok()) return page.status();
      collect(page->items);
      if (!page->last_evaluated_key) break;
      request.exclusive_start_key = std::move(*page->last_evaluated_key);
    }
  }
  std::size_t expired = 0;
  for (const std::string& id : ids) {
    bool ended = false;
    Status done = RunWithRetries(context_.options.write_attempts_max, [&]() -> Result<CommitOutcome> {
      ended = false;
      Result<domain::Reservation> reservation = GetReservation(id);
      if (!reservation.ok()) return reservation.status();
      // Ended meanwhile (the index is eventually consistent), or not due by its record.
      if (reservation->status != domain::ReservationStatus::kActive ||
          reservation->expires_at_us > now_us) {
        return CommitOutcome::kCommitted;
      }
      DynamoTxn txn(context_, NowUnixMicros());
      Status end = EndReservation(txn, &*reservation, domain::ReservationStatus::kExpired, now_us);
      if (!end.ok()) return end;
      Result<CommitOutcome> committed = txn.Commit();
      ended = committed.ok() && *committed == CommitOutcome::kCommitted;
      return committed;
    });
    if (!done.ok()) return done;
    if (ended) ++expired;
  }
  return expired;
}

Result<std::size_t> DynamoInventoryStore::ExpireReservations(int64_t now_us) {
  return ExpireDue(std::nullopt, now_us);
}

Result<std::pair<domain::Reservation, bool>> DynamoInventoryStore::CreateReservation(
    domain::Reservation reservation, int64_t now_us) {
  if (reservation.lines.size() > kReservationLinesMax) {
    return Status::InvalidArgument("itens: a reservation has at most " +
                                   std::to_string(kReservationLinesMax) +
                                   " lines with the DynamoDB store");
  }
  Result<domain::Reservation> existing = GetReservation(reservation.id);
  if (!existing.ok() && existing.status().code() != StatusCode::kNotFound) {
    return existing.status();
  }
  if (!existing.ok()) {
    Result<std::size_t> swept = ExpireDue(reservation.branch, now_us);  // their stock is free again
    if (!swept.ok()) return swept.status();
  }
  std::pair<domain::Reservation, bool> result;
  bool first_attempt = true;
  Status done = RunWithRetries(context_.options.write_attempts_max, [&]() -> Result<CommitOutcome> {
    if (!first_attempt) existing = GetReservation(reservation.id);  // again after a race
    first_attempt = false;
    if (existing.ok()) {
      if (existing->branch != reservation.branch ||
          !SameLines(existing->lines, reservation.lines)) {
        return Status::Conflict("reservation " + reservation.id +
                                " already exists with other content");
      }
      result = {*existing, false};
      return CommitOutcome::kCommitted;
    }
    if (existing.status().code() != StatusCode::kNotFound) return existing.status();
    DynamoTxn txn(context_, NowUnixMicros());
    std::vector<std::pair<std::string, std::string>> keys;
    for (const domain::ReservationLine& line : reservation.lines) {
      keys.emplace_back(line.barcode, reservation.branch);
    }
    Status prefetched = txn.Prefetch(keys);
    if (!prefetched.ok()) return prefetched;
    const bool may_go_negative = context_.policy->AllowsNegativeStock(reservation.branch);
    for (const domain::ReservationLine& line : reservation.lines) {
      Result<DynamoTxn::Entry*> entry = txn.Touch(line.barcode, reservation.branch);
      if (!entry.ok()) return entry.status();
      if (!may_go_negative && (*entry)->state.available_milli() < line.quantity_milli) {
        return Status::Conflict("insufficient stock of " + line.barcode + " in branch " +
                                reservation.branch);
      }
      (*entry)->state.reserved_milli += line.quantity_milli;
      txn.MarkDirty(*entry);
    }
    domain::Reservation created = reservation;
    created.status = domain::ReservationStatus::kActive;
    created.created_at_us = now_us;
    created.resolved_at_us = 0;
    txn.AddAction(RecordPut(context_.tables.reservations, EncodeReservation(created), std::nullopt));
    Result<CommitOutcome> committed = txn.Commit();
    if (committed.ok()) result = {std::move(created), true};
    return committed;
  });
  if (!done.ok()) return done;
  return result;
}

Result<domain::Reservation> DynamoInventoryStore::ConfirmReservation(std::string_view id,
                                                                     int64_t now_us) {
  domain::Reservation result;
  Status refusal;
  Status done = RunWithRetries(context_.options.write_attempts_max, [&]() -> Result<CommitOutcome> {
    Result<domain::Reservation> reservation = GetReservation(id);
    if (!reservation.ok()) return reservation.status();
    result = *reservation;
    if (reservation->status == domain::ReservationStatus::kConfirmed) {
      return CommitOutcome::kCommitted;
    }
    if (reservation->status != domain::ReservationStatus::kActive) {
      return Status::Conflict("reservation is " +
                              std::string(domain::ReservationStatusName(reservation->status)));
    }
    DynamoTxn txn(context_, NowUnixMicros());
    // Due but not swept yet: it expires now, and cannot be confirmed.
    const bool due = reservation->expires_at_us <= now_us;
    Status end = EndReservation(txn, &*reservation,
                                due ? domain::ReservationStatus::kExpired
                                    : domain::ReservationStatus::kConfirmed,
                                now_us);
    if (!end.ok()) return end;
    Result<CommitOutcome> committed = txn.Commit();
    if (committed.ok() && *committed == CommitOutcome::kCommitted) {
      result = *reservation;
      if (due) refusal = Status::Conflict("reservation is expirada");
    }
    return committed;
  });
  if (!done.ok()) return done;
  if (!refusal.ok()) return refusal;
  return result;
}

Result<domain::Reservation> DynamoInventoryStore::ReleaseReservation(std::string_view id,
                                                                     int64_t now_us) {
  domain::Reservation result;
  Status done = RunWithRetries(context_.options.write_attempts_max, [&]() -> Result<CommitOutcome> {
    Result<domain::Reservation> reservation = GetReservation(id);
    if (!reservation.ok()) return reservation.status();
    result = *reservation;
    if (reservation->status == domain::ReservationStatus::kReleased ||
        reservation->status == domain::ReservationStatus::kExpired) {
      return CommitOutcome::kCommitted;  // released either way
    }
    if (reservation->status != domain::ReservationStatus::kActive) {
      return Status::Conflict("reservation is " +
                              std::string(domain::ReservationStatusName(reservation->status)));
    }
    DynamoTxn txn(context_, NowUnixMicros());
    Status end = EndReservation(txn, &*reservation, domain::ReservationStatus::kReleased, now_us);
    if (!end.ok()) return end;
    Result<CommitOutcome> committed = txn.Commit();
    if (committed.ok()) result = *reservation;
    return committed;
  });
  if (!done.ok()) return done;
  return result;
}

Result<ReservationPage> DynamoInventoryStore::ListReservations(
    std::optional<std::string_view> branch, std::optional<domain::ReservationStatus> status,
    std::optional<std::string_view> after, std::size_t limit) {
  return ListRecords<ReservationPage, domain::Reservation>(
      counting_, context_.tables.reservations, DecodeReservation,
      [&](const domain::Reservation& reservation) {
        return (!branch.has_value() || reservation.branch == *branch) &&
               (!status.has_value() || reservation.status == *status);
      },
      after, limit);
}

}  // namespace estoque::store::dynamo
