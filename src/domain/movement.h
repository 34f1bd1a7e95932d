// Movement: one change of stock of one product in one branch, as recorded in the ledger
// (docs/INVENTORY.md). Counts set the quantity as of their event time; every other kind adds a
// signed delta.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace estoque::domain {

enum class MovementKind : uint8_t {
  kSale = 1,             // venda: removes
  kSaleCancel = 2,       // cancelamento_venda: puts back what a sale removed
  kReturn = 3,           // devolucao: a customer brings goods back
  kReceipt = 4,          // recebimento: goods received from a supplier
  kAdjustment = 5,       // ajuste: with a motivo
  kTransferOut = 6,      // transferencia_saida: leaves the source branch
  kTransferIn = 7,       // transferencia_entrada: arrives at the destination (or back at the source)
  kCount = 8,            // contagem: a physical count or a PDV's stock position
};

enum class AdjustReason : uint8_t {
  kNone = 0,
  kLoss = 1,        // perda
  kBreakage = 2,    // quebra
  kExpiry = 3,      // vencimento
  kTheft = 4,       // furto
  kCorrection = 5,  // correcao
};

std::optional<MovementKind> ParseMovementKind(std::string_view text);
std::string_view MovementKindName(MovementKind kind);
std::optional<AdjustReason> ParseAdjustReason(std::string_view text);
std::string_view AdjustReasonName(AdjustReason reason);  // "" for kNone

// How the wire's "quantidade" (always as sent) becomes the ledger's signed effect.
//   contagem: the counted quantity, >= 0 (it is not a delta).
//   venda, transferencia_saida, and ajuste with perda/quebra/vencimento/furto: a positive amount,
//     removed (effect = -quantidade).
//   cancelamento_venda, devolucao, recebimento, transferencia_entrada: a positive amount, added.
//   ajuste correcao: the signed change itself (non-zero).
// InvalidArgument naming the rule if `quantity_milli` does not fit the kind: "must be positive",
// "must not be negative", "must not be zero"; ajuste without a motivo: "motivo is required for
// ajuste"; a motivo on another kind: "motivo is only for ajuste".
Result<int64_t> SignedEffect(MovementKind kind, AdjustReason reason, int64_t quantity_milli);

// A movement as stored in the ledger.
struct Movement {
  MovementKind kind = MovementKind::kCount;
  AdjustReason reason = AdjustReason::kNone;
  std::string branch;       // filial
  std::string barcode;      // codigo_barra
  // Counts: the counted quantity. Every other kind: the signed effect on the on-hand quantity.
  int64_t quantity_milli = 0;
  int64_t event_at_us = 0;     // data: when it happened
  int64_t recorded_at_us = 0;  // registrado_em: when estoque recorded it
  // Identity: (branch, origin, id) is unique; a second movement with the same identity is a
  // redelivery of the first.
  std::string origin;  // origem: "pdv", "posicao", "venda", "transferencia", "reserva", or a key id
  std::string id;      // client-chosen (or derived: "<venda_id>#<line>", ...)
  std::string reference;     // referencia: the sale, transfer or reservation it belongs to
  std::string product_name;  // counts from PDV positions: the name they carried; else empty

  bool is_count() const { return kind == MovementKind::kCount; }
  friend bool operator==(const Movement&, const Movement&) = default;
};

}  // namespace estoque::domain
