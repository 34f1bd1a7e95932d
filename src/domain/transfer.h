// Transfers of stock between branches and reservations of stock for orders (docs/INVENTORY.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace estoque::domain {

// criada -> em_transito -> recebida, or criada | em_transito -> cancelada.
enum class TransferStatus : uint8_t { kCreated = 1, kInTransit = 2, kReceived = 3, kCancelled = 4 };
std::string_view TransferStatusName(TransferStatus status);  // criada, em_transito, ...
std::optional<TransferStatus> ParseTransferStatus(std::string_view text);

struct TransferLine {
  std::string barcode;
  int64_t quantity_milli = 0;  // > 0: shipped
  int64_t received_milli = 0;  // set when received (0 <= received <= quantity)
  friend bool operator==(const TransferLine&, const TransferLine&) = default;
};

struct Transfer {
  std::string id;
  std::string source;       // origem (branch)
  std::string destination;  // destino (branch)
  std::vector<TransferLine> lines;  // distinct barcodes
  TransferStatus status = TransferStatus::kCreated;
  int64_t created_at_us = 0;
  int64_t shipped_at_us = 0;    // 0 until shipped
  int64_t received_at_us = 0;   // 0 until received
  int64_t cancelled_at_us = 0;  // 0 unless cancelled
  std::string created_by;       // origin of the request (key id once keys exist)
  friend bool operator==(const Transfer&, const Transfer&) = default;
};

// ativa -> confirmada (became a sale) | liberada (released) | expirada (released by expiry).
enum class ReservationStatus : uint8_t { kActive = 1, kConfirmed = 2, kReleased = 3, kExpired = 4 };
std::string_view ReservationStatusName(ReservationStatus status);
std::optional<ReservationStatus> ParseReservationStatus(std::string_view text);

struct ReservationLine {
  std::string barcode;
  int64_t quantity_milli = 0;  // > 0
  friend bool operator==(const ReservationLine&, const ReservationLine&) = default;
};

struct Reservation {
  std::string id;
  std::string branch;
  std::vector<ReservationLine> lines;  // distinct barcodes
  int64_t expires_at_us = 0;
  ReservationStatus status = ReservationStatus::kActive;
  int64_t created_at_us = 0;
  int64_t resolved_at_us = 0;  // when it stopped being active; 0 while active
  std::string created_by;
  friend bool operator==(const Reservation&, const Reservation&) = default;
};

}  // namespace estoque::domain
