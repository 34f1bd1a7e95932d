// RocksInventoryStore: transfers between branches and reservations, each step one StockTxn.
#include <algorithm>
#include <cassert>
#include <memory>
#include <string>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include "common/clock.h"
#include "common/limits.h"
#include "store/ledger_codec.h"
#include "store/record_codec.h"
#include "store/rocks_inventory_store.h"
#include "store/flow_steps.h"

namespace estoque::store {
namespace {

rocksdb::Slice ToSlice(std::string_view bytes) { return {bytes.data(), bytes.size()}; }
std::string_view ToView(const rocksdb::Slice& slice) { return {slice.data(), slice.size()}; }

template <typename Record, typename Decode>
Result<Record> ReadRecord(RocksEngine* engine, rocksdb::ColumnFamilyHandle* family,
                          std::string_view id, Decode decode, std::string_view what) {
  std::string value;
  rocksdb::Status read = engine->db()->Get(rocksdb::ReadOptions(), family, ToSlice(id), &value);
  if (read.IsNotFound()) return Status::NotFound(std::string(what) + " not found");
  if (!read.ok()) return FromRocks(read, "read " + std::string(what));
  return decode(value);
}

// One page of a records family (transfers, reservations) in id order, strictly after `after`,
// keeping the records `keep` accepts. Filters scan: fine while these families stay small.
template <typename Page, typename Decode, typename Keep>
Result<Page> ListRecords(RocksEngine* engine, rocksdb::ColumnFamilyHandle* family, Decode decode,
                         Keep keep, std::optional<std::string_view> after, std::size_t limit,
                         std::string_view what) {
  assert(limit >= 1 && limit <= limits::kPageLimitMax);
  std::unique_ptr<rocksdb::Iterator> it(engine->db()->NewIterator(rocksdb::ReadOptions(), family));
  if (after.has_value()) {
    std::string start(*after);
    start.push_back('\0');  // the smallest id after `after`
    it->Seek(ToSlice(start));
  } else {
    it->SeekToFirst();
  }
  Page page;
  for (; it->Valid(); it->Next()) {
    auto record = decode(ToView(it->value()));
    if (!record.ok()) return record.status();
    if (!keep(*record)) continue;
    if (page.items.size() == limit) {
      page.next_after = page.items.back().id;
      break;
    }
    page.items.push_back(std::move(*record));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "list " + std::string(what));
  return page;
}

template <typename Record>
bool SameLines(const std::vector<Record>& a, const std::vector<Record>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].barcode != b[i].barcode || a[i].quantity_milli != b[i].quantity_milli) return false;
  }
  return true;
}

}  // namespace

Result<domain::Transfer> RocksInventoryStore::ReadTransfer(std::string_view id) {
  return ReadRecord<domain::Transfer>(engine_, engine_->transfers(), id, DecodeTransfer,
                                      "transfer");
}

Result<domain::Reservation> RocksInventoryStore::ReadReservation(std::string_view id) {
  return ReadRecord<domain::Reservation>(engine_, engine_->reservations(), id, DecodeReservation,
                                         "reservation");
}

Result<domain::Transfer> RocksInventoryStore::GetTransfer(std::string_view id) {
  return ReadTransfer(id);
}

Result<domain::Reservation> RocksInventoryStore::GetReservation(std::string_view id) {
  return ReadReservation(id);
}

Result<std::pair<domain::Transfer, bool>> RocksInventoryStore::CreateTransfer(
    domain::Transfer transfer) {
  std::lock_guard<std::mutex> writer(writer_mutex_);
  Result<domain::Transfer> existing = ReadTransfer(transfer.id);
  if (existing.ok()) {
    if (existing->source != transfer.source || existing->destination != transfer.destination ||
        !SameLines(existing->lines, transfer.lines)) {
      return Status::Conflict("transfer " + transfer.id + " already exists with other content");
    }
    return std::make_pair(std::move(*existing), false);
  }
  if (existing.status().code() != StatusCode::kNotFound) return existing.status();
  transfer.status = domain::TransferStatus::kCreated;
  transfer.created_at_us = NowUnixMicros();
  rocksdb::WriteOptions options;
  options.sync = engine_->options().sync_writes;
  rocksdb::WriteBatch batch;
  batch.Put(engine_->transfers(), ToSlice(transfer.id), EncodeTransfer(transfer));
  if (Status written = engine_->Write(options, &batch, "write transfer"); !written.ok()) {
    return written;
  }
  return std::make_pair(std::move(transfer), true);
}

Result<domain::Transfer> RocksInventoryStore::ShipTransfer(std::string_view id, int64_t at_us) {
  std::lock_guard<std::mutex> writer(writer_mutex_);
  Status loaded = EnsureLoadedLocked();
  if (!loaded.ok()) return loaded;
  Result<domain::Transfer> transfer = ReadTransfer(id);
  if (!transfer.ok()) return transfer.status();
  if (transfer->status == domain::TransferStatus::kInTransit) return transfer;
  if (transfer->status != domain::TransferStatus::kCreated) {
    return Status::Conflict("transfer is " +
                            std::string(domain::TransferStatusName(transfer->status)));
  }
  StockTxn txn(Shared(), NowUnixMicros());
  Status shipped = ShipTransferLines(txn, *transfer,
                                     policy_->AllowsNegativeStock(transfer->source), at_us);
  if (!shipped.ok()) return shipped;
  transfer->status = domain::TransferStatus::kInTransit;
  transfer->shipped_at_us = at_us;
  txn.batch().Put(engine_->transfers(), ToSlice(transfer->id), EncodeTransfer(*transfer));
  Status committed = txn.Commit(/*sync=*/true);
  if (!committed.ok()) return committed;
  return transfer;
}

Result<domain::Transfer> RocksInventoryStore::ReceiveTransfer(
    std::string_view id, std::optional<std::vector<int64_t>> received, int64_t at_us) {
  std::lock_guard<std::mutex> writer(writer_mutex_);
  Status loaded = EnsureLoadedLocked();
  if (!loaded.ok()) return loaded;
  Result<domain::Transfer> transfer = ReadTransfer(id);
  if (!transfer.ok()) return transfer.status();
  if (transfer->status == domain::TransferStatus::kReceived) return transfer;
  if (transfer->status != domain::TransferStatus::kInTransit) {
    return Status::Conflict("transfer is " +
                            std::string(domain::TransferStatusName(transfer->status)));
  }
  StockTxn txn(Shared(), NowUnixMicros());
  Status arrived = ReceiveTransferLines(txn, *transfer, received, at_us);
  if (!arrived.ok()) return arrived;
  transfer->status = domain::TransferStatus::kReceived;
  transfer->received_at_us = at_us;
  txn.batch().Put(engine_->transfers(), ToSlice(transfer->id), EncodeTransfer(*transfer));
  Status committed = txn.Commit(/*sync=*/true);
  if (!committed.ok()) return committed;
  return transfer;
}

Result<domain::Transfer> RocksInventoryStore::CancelTransfer(std::string_view id, int64_t at_us) {
  std::lock_guard<std::mutex> writer(writer_mutex_);
  Status loaded = EnsureLoadedLocked();
  if (!loaded.ok()) return loaded;
  Result<domain::Transfer> transfer = ReadTransfer(id);
  if (!transfer.ok()) return transfer.status();
  if (transfer->status == domain::TransferStatus::kCancelled) return transfer;
  if (transfer->status == domain::TransferStatus::kReceived) {
    return Status::Conflict("transfer is recebida");
  }
  StockTxn txn(Shared(), NowUnixMicros());
  if (transfer->status == domain::TransferStatus::kInTransit) {
    Status returned = ReturnTransferLines(txn, *transfer, at_us);
    if (!returned.ok()) return returned;
  }
  transfer->status = domain::TransferStatus::kCancelled;
  transfer->cancelled_at_us = at_us;
  txn.batch().Put(engine_->transfers(), ToSlice(transfer->id), EncodeTransfer(*transfer));
  Status committed = txn.Commit(/*sync=*/true);
  if (!committed.ok()) return committed;
  return transfer;
}

Result<TransferPage> RocksInventoryStore::ListTransfers(
    std::optional<std::string_view> branch, std::optional<domain::TransferStatus> status,
    std::optional<std::string_view> after, std::size_t limit) {
  return ListRecords<TransferPage>(
      engine_, engine_->transfers(), DecodeTransfer,
      [&](const domain::Transfer& transfer) {
        return (!branch.has_value() || transfer.source == *branch ||
                transfer.destination == *branch) &&
               (!status.has_value() || transfer.status == *status);
      },
      after, limit, "transfers");
}

// ---- reservations

Status RocksInventoryStore::EndReservationLocked(StockTxn& txn, domain::Reservation* reservation,
                                                 domain::ReservationStatus status,
                                                 int64_t now_us) {
  assert(reservation->status == domain::ReservationStatus::kActive);
  Status ended = EndReservationLines(txn, *reservation, status, now_us);
  if (!ended.ok()) return ended;
  txn.batch().Put(engine_->reservations(), ToSlice(reservation->id),
                  EncodeReservation(*reservation));
  txn.batch().Delete(engine_->reservation_expiry(),
                     ToSlice(ReservationExpiryKey(reservation->expires_at_us, reservation->id)));
  return Status::Ok();
}

Status RocksInventoryStore::ExpireDueLocked(StockTxn& txn, int64_t now_us, std::size_t* expired) {
  std::string upper;
  AppendEventTime(&upper, now_us + 1);
  const rocksdb::Slice upper_slice = ToSlice(upper);
  rocksdb::ReadOptions options;
  options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(
      engine_->db()->NewIterator(options, engine_->reservation_expiry()));
  std::vector<std::string> ids;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ids.emplace_back(ToView(it->key()).substr(8));
  if (!it->status().ok()) return FromRocks(it->status(), "scan reservation expiry");
  for (const std::string& id : ids) {
    Result<domain::Reservation> reservation = ReadReservation(id);
    if (!reservation.ok()) return reservation.status();
    if (reservation->status != domain::ReservationStatus::kActive) continue;
    Status ended =
        EndReservationLocked(txn, &*reservation, domain::ReservationStatus::kExpired, now_us);
    if (!ended.ok()) return ended;
    ++*expired;
  }
  return Status::Ok();
}

Result<std::size_t> RocksInventoryStore::ExpireReservations(int64_t now_us) {
  std::lock_guard<std::mutex> writer(writer_mutex_);
  Status loaded = EnsureLoadedLocked();
  if (!loaded.ok()) return loaded;
  StockTxn txn(Shared(), NowUnixMicros());
  std::size_t expired = 0;
  Status swept = ExpireDueLocked(txn, now_us, &expired);
  if (!swept.ok()) return swept;
  if (expired == 0) return expired;
  Status committed = txn.Commit(/*sync=*/true);
  if (!committed.ok()) return committed;
  return expired;
}

Result<std::pair<domain::Reservation, bool>> RocksInventoryStore::CreateReservation(
    domain::Reservation reservation, int64_t now_us) {
  std::lock_guard<std::mutex> writer(writer_mutex_);
  Status loaded = EnsureLoadedLocked();
  if (!loaded.ok()) return loaded;
  Result<domain::Reservation> existing = ReadReservation(reservation.id);
  if (existing.ok()) {
    if (existing->branch != reservation.branch || !SameLines(existing->lines, reservation.lines)) {
      return Status::Conflict("reservation " + reservation.id + " already exists with other content");
    }
    return std::make_pair(std::move(*existing), false);
  }
  if (existing.status().code() != StatusCode::kNotFound) return existing.status();
  StockTxn txn(Shared(), NowUnixMicros());
  std::size_t expired = 0;
  Status swept = ExpireDueLocked(txn, now_us, &expired);  // their stock is available again
  if (!swept.ok()) return swept;
  const bool may_go_negative = policy_->AllowsNegativeStock(reservation.branch);
  for (const domain::ReservationLine& line : reservation.lines) {
    Result<StockTxn::Entry*> entry = txn.Touch(line.barcode, reservation.branch);
    if (!entry.ok()) return entry.status();
    if (!may_go_negative && (*entry)->state.available_milli() < line.quantity_milli) {
      return Status::Conflict("insufficient stock of " + line.barcode + " in branch " +
                              reservation.branch);
    }
    (*entry)->state.reserved_milli += line.quantity_milli;
    txn.MarkDirty(*entry);
  }
  reservation.status = domain::ReservationStatus::kActive;
  reservation.created_at_us = now_us;
  reservation.resolved_at_us = 0;
  txn.batch().Put(engine_->reservations(), ToSlice(reservation.id), EncodeReservation(reservation));
  txn.batch().Put(engine_->reservation_expiry(),
                  ToSlice(ReservationExpiryKey(reservation.expires_at_us, reservation.id)),
                  rocksdb::Slice());
  Status committed = txn.Commit(/*sync=*/true);
  if (!committed.ok()) return committed;
  return std::make_pair(std::move(reservation), true);
}

Result<domain::Reservation> RocksInventoryStore::ConfirmReservation(std::string_view id,
                                                                    int64_t now_us) {
  std::lock_guard<std::mutex> writer(writer_mutex_);
  Status loaded = EnsureLoadedLocked();
  if (!loaded.ok()) return loaded;
  Result<domain::Reservation> reservation = ReadReservation(id);
  if (!reservation.ok()) return reservation.status();
  if (reservation->status == domain::ReservationStatus::kConfirmed) return reservation;
  StockTxn txn(Shared(), NowUnixMicros());
  if (reservation->status == domain::ReservationStatus::kActive &&
      reservation->expires_at_us <= now_us) {
    // Due but not swept yet: it expires now, and cannot be confirmed.
    Status ended =
        EndReservationLocked(txn, &*reservation, domain::ReservationStatus::kExpired, now_us);
    if (!ended.ok()) return ended;
    Status committed = txn.Commit(/*sync=*/true);
    if (!committed.ok()) return committed;
  }
  if (reservation->status != domain::ReservationStatus::kActive) {
    return Status::Conflict("reservation is " +
                            std::string(domain::ReservationStatusName(reservation->status)));
  }
  Status ended =
      EndReservationLocked(txn, &*reservation, domain::ReservationStatus::kConfirmed, now_us);
  if (!ended.ok()) return ended;
  Status committed = txn.Commit(/*sync=*/true);
  if (!committed.ok()) return committed;
  return reservation;
}

Result<domain::Reservation> RocksInventoryStore::ReleaseReservation(std::string_view id,
                                                                    int64_t now_us) {
  std::lock_guard<std::mutex> writer(writer_mutex_);
  Status loaded = EnsureLoadedLocked();
  if (!loaded.ok()) return loaded;
  Result<domain::Reservation> reservation = ReadReservation(id);
  if (!reservation.ok()) return reservation.status();
  if (reservation->status == domain::ReservationStatus::kReleased ||
      reservation->status == domain::ReservationStatus::kExpired) {
    return reservation;  // released either way
  }
  if (reservation->status != domain::ReservationStatus::kActive) {
    return Status::Conflict("reservation is " +
                            std::string(domain::ReservationStatusName(reservation->status)));
  }
  StockTxn txn(Shared(), NowUnixMicros());
  Status ended =
      EndReservationLocked(txn, &*reservation, domain::ReservationStatus::kReleased, now_us);
  if (!ended.ok()) return ended;
  Status committed = txn.Commit(/*sync=*/true);
  if (!committed.ok()) return committed;
  return reservation;
}

Result<ReservationPage> RocksInventoryStore::ListReservations(
    std::optional<std::string_view> branch, std::optional<domain::ReservationStatus> status,
    std::optional<std::string_view> after, std::size_t limit) {
  return ListRecords<ReservationPage>(
      engine_, engine_->reservations(), DecodeReservation,
      [&](const domain::Reservation& reservation) {
        return (!branch.has_value() || reservation.branch == *branch) &&
               (!status.has_value() || reservation.status == *status);
      },
      after, limit, "reservations");
}

}  // namespace estoque::store
