// InventoryStore: stock as the ledger of movements says it is (docs/INVENTORY.md). Extends the
// core issue's PositionStore (whose positions are now counts sent by PDVs) with sales, movements,
// transfers, reservations, the ledger, alerts and branch summaries. The embedded backend is
// RocksInventoryStore; a DynamoDB backend implements the same contract later.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "domain/movement.h"
#include "domain/position.h"
#include "domain/sale.h"
#include "domain/transfer.h"
#include "store/position_store.h"
#include "store/stock_state.h"

namespace estoque::store {

// What the store asks of the catalog (implemented over catalog::Catalog by the app). Thread-safe.
class InventoryPolicy {
 public:
  virtual ~InventoryPolicy() = default;
  // permite_estoque_negativo of the branch: may API requests take its stock below zero?
  virtual bool AllowsNegativeStock(std::string_view branch) = 0;
  // The product's default reorder point (estoque_minimo), >= 0.
  virtual int64_t DefaultMinStock(std::string_view barcode) = 0;
};

// The quantity of a product-branch at a past time, from the ledger.
struct StockAsOf {
  int64_t on_hand_milli = 0;
  int64_t count_at_us = -1;       // event time of the count it is based on; -1: no count before
  int64_t last_movement_at_us = -1;  // newest non-count movement at or before the time; -1: none
  int64_t movements = 0;          // ledger entries read to answer
};

struct LedgerQuery {
  std::optional<std::string> barcode;  // codigo_barra
  std::optional<std::string> branch;   // filial
  // Only movements of these branches (sorted, unique; a key's scope); nullopt = every branch.
  // With `branch` too, a branch not in the set yields an empty page.
  std::optional<std::vector<std::string>> branches;
  std::optional<int64_t> since_us;     // desde: event time >= this
  std::optional<int64_t> until_us;     // ate: event time <= this
  std::optional<std::string> after;    // cursor: the previous page's next_after
  std::size_t limit = 100;             // 1..limits::kPageLimitMax
};

// Newest first: by event time, then barcode, branch and identity, all descending.
struct LedgerPage {
  std::vector<domain::Movement> items;
  std::optional<std::string> next_after;
};

struct AlertEntry {
  std::string branch;
  std::string barcode;
  AlertKind kind = AlertKind::kNone;
  StockState state;  // current
  int64_t min_stock_milli = 0;  // the reorder point in force
};

struct AlertPage {
  std::vector<AlertEntry> items;
  std::optional<std::string> next_after;
};

struct BranchSummary {
  uint64_t skus = 0;           // product-branches with a state
  __int128 on_hand_total_milli = 0;
  uint64_t low_stock = 0;      // alerts estoque_baixo
  uint64_t negative_stock = 0; // alerts estoque_negativo
  int64_t last_seen_at_us = 0; // record time of the last position or sale from it; 0: never
};

// How one movement request ended.
struct MovementOutcome {
  domain::Movement movement;  // as stored (the original, for a redelivery)
  bool duplicate = false;     // the identity was seen before: nothing was applied now
};

struct TransferPage {
  std::vector<domain::Transfer> items;
  std::optional<std::string> next_after;
};
struct ReservationPage {
  std::vector<domain::Reservation> items;
  std::optional<std::string> next_after;
};

// Thread-safe. Every write is serialised with every other (single writer) and atomic: after a
// crash all of it happened or none of it did. Writes through the API are durable before they
// return (under the default durability).
class InventoryStore : public PositionStore {
 public:
  // Applies a queue batch (PositionStore::Apply is this with positions only).
  //  - positions: counts as of their time (identity "posicao" + quantity + name);
  //  - sales: one venda movement per line, id "<venda_id>#<line>", origin "venda"; a sale id seen
  //    before in the branch is not applied again;
  //  - cancels: one cancelamento_venda per line of the sale as of the cancellation's time; a
  //    cancellation before its sale is kept and applied when the sale arrives.
  // Sales below zero are facts: always applied (an alert is raised).
  Result<ApplyOutcome> ApplyBatch(const IngestBatch& batch) override = 0;

  // Records movements sent through the API, all or nothing. Each movement has kind, reason,
  // branch, barcode, quantity_milli (signed effect; counted quantity for counts), event_at_us,
  // origin and id set; event_at_us < 0 means "when recorded" (the client sent no time), and such
  // a movement repeats an earlier one whatever that one's time was. A movement whose (branch, origin, id) was recorded before is answered
  // with the original (duplicate=true) and not applied again. Errors:
  //   Conflict "id already used for another movement" if that identity names a different one;
  //   Conflict "insufficient stock" if a negative delta would take a branch that does not allow
  //     negative stock below zero (on_hand after the batch < 0 where it was made lower by it).
  virtual Result<std::vector<MovementOutcome>> RecordMovements(
      std::vector<domain::Movement> movements) = 0;

  // Current state. NotFound if the product-branch has none.
  virtual Result<StockState> GetStock(std::string_view barcode, std::string_view branch) = 0;
  // Every branch's state of `barcode`, ordered by branch (pairs of branch, state).
  virtual Result<std::vector<std::pair<std::string, StockState>>> GetStockByBarcode(
      std::string_view barcode) = 0;
  // on_hand as of `at_us` (inclusive). Cost: the movements between the newest count at or before
  // at_us and at_us. NotFound if the product-branch has no state at all.
  virtual Result<StockAsOf> StockAt(std::string_view barcode, std::string_view branch,
                                    int64_t at_us) = 0;
  virtual Result<LedgerPage> ListLedger(const LedgerQuery& query) = 0;
  // Current alerts, ordered by (branch, kind, barcode). InvalidArgument for a bad cursor.
  virtual Result<AlertPage> ListAlerts(std::optional<std::string_view> branch,
                                       std::optional<AlertKind> kind,
                                       std::optional<std::string_view> after,
                                       std::size_t limit) = 0;
  virtual Result<BranchSummary> Summary(std::string_view branch) = 0;
  // Sets (or with nullopt clears) the branch's own reorder point; re-evaluates its alert.
  // Creates the state if there is none.
  virtual Result<StockState> SetMinStock(std::string_view barcode, std::string_view branch,
                                         std::optional<int64_t> min_stock_milli) = 0;
  // Re-evaluates the alerts of every branch of `barcode` (after its default reorder point changed).
  virtual Status RefreshAlerts(std::string_view barcode) = 0;

  // ---- transfers. `at_us` is the event time of the step (the movements' data).
  // Creates it as criada (no stock moves yet). Same id again: the stored one if it has the same
  // source, destination and lines (created=false), else Conflict.
  virtual Result<std::pair<domain::Transfer, bool>> CreateTransfer(domain::Transfer transfer) = 0;
  // criada -> em_transito: source on hand -= q (transferencia_saida), destination in_transit += q,
  // atomically. Conflict if insufficient stock at a source that does not allow negative stock, or
  // from any status but criada (em_transito again: returns it unchanged).
  virtual Result<domain::Transfer> ShipTransfer(std::string_view id, int64_t at_us) = 0;
  // em_transito -> recebida: destination in_transit -= q, on hand += q (transferencia_entrada),
  // and q - received recorded as an ajuste perda. `received` (same order as lines, each
  // 0..quantity) defaults to the shipped quantities. Conflict from other statuses (recebida
  // again: returns it unchanged).
  virtual Result<domain::Transfer> ReceiveTransfer(std::string_view id,
                                                   std::optional<std::vector<int64_t>> received,
                                                   int64_t at_us) = 0;
  // criada | em_transito -> cancelada; if shipped, the goods go back to the source
  // (transferencia_entrada there) and leave the destination's in_transit. Conflict if recebida.
  virtual Result<domain::Transfer> CancelTransfer(std::string_view id, int64_t at_us) = 0;
  virtual Result<domain::Transfer> GetTransfer(std::string_view id) = 0;
  // Ordered by id; `branch` matches source or destination.
  virtual Result<TransferPage> ListTransfers(std::optional<std::string_view> branch,
                                             std::optional<domain::TransferStatus> status,
                                             std::optional<std::string_view> after,
                                             std::size_t limit) = 0;

  // ---- reservations. `now_us` is the record time of the step.
  // Reserves every line or none: Conflict "insufficient stock" if available (on hand - reserved)
  // is below a line's quantity at a branch that does not allow negative stock. Due reservations
  // expire first. Same id again: the stored one if same branch and lines, else Conflict.
  virtual Result<std::pair<domain::Reservation, bool>> CreateReservation(
      domain::Reservation reservation, int64_t now_us) = 0;
  // ativa -> confirmada: reserved -= q and a venda movement per line at now_us. Conflict if not
  // active (confirmada again: returns it unchanged).
  virtual Result<domain::Reservation> ConfirmReservation(std::string_view id, int64_t now_us) = 0;
  // ativa -> liberada: reserved -= q. Conflict if not active (liberada again: unchanged).
  virtual Result<domain::Reservation> ReleaseReservation(std::string_view id, int64_t now_us) = 0;
  virtual Result<domain::Reservation> GetReservation(std::string_view id) = 0;
  virtual Result<ReservationPage> ListReservations(std::optional<std::string_view> branch,
                                                   std::optional<domain::ReservationStatus> status,
                                                   std::optional<std::string_view> after,
                                                   std::size_t limit) = 0;
  // Every active reservation with expires_at_us <= now_us becomes expirada and releases its
  // stock. Returns how many expired.
  virtual Result<std::size_t> ExpireReservations(int64_t now_us) = 0;
};

}  // namespace estoque::store
