#include "domain/movement.h"

#include <array>
#include <utility>

namespace estoque::domain {
namespace {

constexpr std::array<std::pair<MovementKind, std::string_view>, 8> kKindNames = {{
    {MovementKind::kSale, "venda"},
    {MovementKind::kSaleCancel, "cancelamento_venda"},
    {MovementKind::kReturn, "devolucao"},
    {MovementKind::kReceipt, "recebimento"},
    {MovementKind::kAdjustment, "ajuste"},
    {MovementKind::kTransferOut, "transferencia_saida"},
    {MovementKind::kTransferIn, "transferencia_entrada"},
    {MovementKind::kCount, "contagem"},
}};

constexpr std::array<std::pair<AdjustReason, std::string_view>, 5> kReasonNames = {{
    {AdjustReason::kLoss, "perda"},
    {AdjustReason::kBreakage, "quebra"},
    {AdjustReason::kExpiry, "vencimento"},
    {AdjustReason::kTheft, "furto"},
    {AdjustReason::kCorrection, "correcao"},
}};

}  // namespace

std::optional<MovementKind> ParseMovementKind(std::string_view text) {
  for (const auto& [kind, name] : kKindNames) {
    if (name == text) return kind;
  }
  return std::nullopt;
}

std::string_view MovementKindName(MovementKind kind) {
  for (const auto& [candidate, name] : kKindNames) {
    if (candidate == kind) return name;
  }
  return "contagem";
}

std::optional<AdjustReason> ParseAdjustReason(std::string_view text) {
  for (const auto& [reason, name] : kReasonNames) {
    if (name == text) return reason;
  }
  return std::nullopt;
}

std::string_view AdjustReasonName(AdjustReason reason) {
  for (const auto& [candidate, name] : kReasonNames) {
    if (candidate == reason) return name;
  }
  return "";
}

Result<int64_t> SignedEffect(MovementKind kind, AdjustReason reason, int64_t quantity_milli) {
  if (kind != MovementKind::kAdjustment && reason != AdjustReason::kNone) {
    return Status::InvalidArgument("motivo is only for ajuste");
  }
  switch (kind) {
    case MovementKind::kCount:
      if (quantity_milli < 0) return Status::InvalidArgument("must not be negative");
      return quantity_milli;
    case MovementKind::kSale:
    case MovementKind::kTransferOut:
      if (quantity_milli <= 0) return Status::InvalidArgument("must be positive");
      return -quantity_milli;
    case MovementKind::kSaleCancel:
    case MovementKind::kReturn:
    case MovementKind::kReceipt:
    case MovementKind::kTransferIn:
      if (quantity_milli <= 0) return Status::InvalidArgument("must be positive");
      return quantity_milli;
    case MovementKind::kAdjustment:
      if (reason == AdjustReason::kNone) return Status::InvalidArgument("motivo is required for ajuste");
      if (reason == AdjustReason::kCorrection) {
        if (quantity_milli == 0) return Status::InvalidArgument("must not be zero");
        return quantity_milli;
      }
      if (quantity_milli <= 0) return Status::InvalidArgument("must be positive");
      return -quantity_milli;
  }
  return Status::InvalidArgument("unknown tipo");
}

}  // namespace estoque::domain
