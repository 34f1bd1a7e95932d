#include "domain/transfer.h"

namespace estoque::domain {

std::string_view TransferStatusName(TransferStatus status) {
  switch (status) {
    case TransferStatus::kCreated: return "criada";
    case TransferStatus::kInTransit: return "em_transito";
    case TransferStatus::kReceived: return "recebida";
    case TransferStatus::kCancelled: return "cancelada";
  }
  return "criada";
}

std::optional<TransferStatus> ParseTransferStatus(std::string_view text) {
  for (TransferStatus status : {TransferStatus::kCreated, TransferStatus::kInTransit,
                                TransferStatus::kReceived, TransferStatus::kCancelled}) {
    if (TransferStatusName(status) == text) return status;
  }
  return std::nullopt;
}

std::string_view ReservationStatusName(ReservationStatus status) {
  switch (status) {
    case ReservationStatus::kActive: return "ativa";
    case ReservationStatus::kConfirmed: return "confirmada";
    case ReservationStatus::kReleased: return "liberada";
    case ReservationStatus::kExpired: return "expirada";
  }
  return "ativa";
}

std::optional<ReservationStatus> ParseReservationStatus(std::string_view text) {
  for (ReservationStatus status : {ReservationStatus::kActive, ReservationStatus::kConfirmed,
                                   ReservationStatus::kReleased, ReservationStatus::kExpired}) {
    if (ReservationStatusName(status) == text) return status;
  }
  return std::nullopt;
}

}  // namespace estoque::domain
