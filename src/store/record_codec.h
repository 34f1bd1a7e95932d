// Values of the "sales", "transfers" and "reservations" column families (docs/STORAGE.md). One
// encoder and one decoder each; decoders return Corruption on any malformed value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "domain/sale.h"
#include "domain/transfer.h"

namespace estoque::store {

// What the store remembers of a sale (key: branch \0 venda_id): enough to answer a redelivery and
// to put the goods back on cancellation.
struct SaleRecord {
  enum class Status : uint8_t {
    kApplied = 1,        // its lines are in the ledger
    kCancelled = 2,      // applied, then cancelled (the cancellation lines are in the ledger too)
    kCancelPending = 3,  // a cancellation arrived first; the sale is applied and cancelled on arrival
  };
  Status status = Status::kApplied;
  int64_t event_at_us = 0;
  int64_t cancel_at_us = 0;
  std::string origin;
  std::string cancel_origin;
  std::vector<domain::SaleLine> lines;
  friend bool operator==(const SaleRecord&, const SaleRecord&) = default;
};

std::string SaleKey(std::string_view branch, std::string_view sale_id);

std::string EncodeSaleRecord(const SaleRecord& record);
Result<SaleRecord> DecodeSaleRecord(std::string_view value);

std::string EncodeTransfer(const domain::Transfer& transfer);
Result<domain::Transfer> DecodeTransfer(std::string_view value);

std::string EncodeReservation(const domain::Reservation& reservation);
Result<domain::Reservation> DecodeReservation(std::string_view value);

// "reservation_expiry" key: u64be(expires_at_us) id.
std::string ReservationExpiryKey(int64_t expires_at_us, std::string_view id);

}  // namespace estoque::store
