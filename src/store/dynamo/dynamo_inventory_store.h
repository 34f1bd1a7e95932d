// DynamoInventoryStore: the InventoryStore (store/inventory_store.h) over DynamoDB, for N
// stateless estoque nodes sharing one set of tables (docs/DYNAMODB.md). Same contract and same
// rules as RocksInventoryStore (the store contract tests run both), with DynamoDB's tools in place
// of the embedded single writer: every write is one TransactWriteItems whose conditions (state
// versions, attribute_not_exists on ledger entries and ids, record statuses) make a concurrent
// write by another node fail it, and the write is then redone from fresh reads (bounded
// attempts). Differences from the embedded store, all from DynamoDB's limits:
//   - a transaction holds at most 100 actions, so ApplyBatch applies a large batch as several
//     transactions, each exactly-once on its own (a batch interrupted half way is completed by
//     its redelivery; a sale of more than kSaleLinesMax lines is applied in parts the same way);
//     RecordMovements takes at most kMovementsPerWriteMax movements, a transfer kTransferLinesMax
//     lines, a reservation kReservationLinesMax (InvalidArgument beyond);
//   - ConsumesQueueMessages() is false: the queue consumer deletes messages after Apply.
// Thread-safe; holds no lock across requests.
#pragma once

#include <cstddef>
#include <memory>

#include "aws/client_config.h"
#include "aws/dynamodb_client.h"
#include "store/dynamo/counting_client.h"
#include "store/dynamo/dynamo_schema.h"
#include "store/capacity_usage.h"
#include "store/dynamo/dynamo_txn.h"
#include "store/inventory_store.h"

namespace estoque::store::dynamo {

// Movements of one RecordMovements: up to 4 actions each (state, ledger, id, its branch's
// statistics) in one transaction of 100.
inline constexpr std::size_t kMovementsPerWriteMax = 24;
inline constexpr std::size_t kSaleLinesMax = 32;  // in one transaction: 3 per line + record + stats
inline constexpr std::size_t kTransferLinesMax = 32;
inline constexpr std::size_t kReservationLinesMax = 48;  // confirming: 2 per line + record + statistics

class DynamoInventoryStore final : public InventoryStore {
 public:
  // `policy` must outlive the store (nullptr: DefaultInventoryPolicy).
  DynamoInventoryStore(std::unique_ptr<aws::dynamodb::DynamoDbClient> client,
                       DynamoStoreOptions options, InventoryPolicy* policy);
  ~DynamoInventoryStore() override;

  // Requests sent so far, per DynamoDB operation, and their capacity units.
  RequestCounts RequestCountsSnapshot() const { return counting_.Snapshot(); }
  // The same as GET /metrics takes it (store/capacity_usage.h).
  CapacityUsage CapacityUsageSnapshot() const;
  const TableNames& tables() const { return context_.tables; }

  // PositionStore
  Result<domain::Position> Get(std::string_view barcode, std::string_view branch) override;
  Result<std::vector<domain::Position>> ListByBarcode(std::string_view barcode) override;
  Result<PositionPage> List(std::optional<std::string_view> branch,
                            std::optional<std::string_view> after, std::size_t limit) override;
  Result<ApplyCounters> Counters() override;
  Result<ApplyOutcome> Apply(std::span<const domain::Position> items,
                             std::span<const uint64_t> consumed_message_ids) override;
  bool ConsumesQueueMessages() const override { return false; }

  // InventoryStore
  Result<ApplyOutcome> ApplyBatch(const IngestBatch& batch) override;
  Result<std::vector<MovementOutcome>> RecordMovements(
      std::vector<domain::Movement> movements) override;
  Result<StockState> GetStock(std::string_view barcode, std::string_view branch) override;
  Result<std::vector<std::pair<std::string, StockState>>> GetStockByBarcode(
      std::string_view barcode) override;
  Result<StockAsOf> StockAt(std::string_view barcode, std::string_view branch,
                            int64_t at_us) override;
  Result<LedgerPage> ListLedger(const LedgerQuery& query) override;
  Result<AlertPage> ListAlerts(std::optional<std::string_view> branch,
                               std::optional<AlertKind> kind,
                               std::optional<std::string_view> after, std::size_t limit) override;
  Result<BranchSummary> Summary(std::string_view branch) override;
  Result<StockState> SetMinStock(std::string_view barcode, std::string_view branch,
                                 std::optional<int64_t> min_stock_milli) override;
  Status RefreshAlerts(std::string_view barcode) override;

  Result<std::pair<domain::Transfer, bool>> CreateTransfer(domain::Transfer transfer) override;
  Result<domain::Transfer> ShipTransfer(std::string_view id, int64_t at_us) override;
  Result<domain::Transfer> ReceiveTransfer(std::string_view id,
                                           std::optional<std::vector<int64_t>> received,
                                           int64_t at_us) override;
  Result<domain::Transfer> CancelTransfer(std::string_view id, int64_t at_us) override;
  Result<domain::Transfer> GetTransfer(std::string_view id) override;
  Result<TransferPage> ListTransfers(std::optional<std::string_view> branch,
                                     std::optional<domain::TransferStatus> status,
                                     std::optional<std::string_view> after,
                                     std::size_t limit) override;

  Result<std::pair<domain::Reservation, bool>> CreateReservation(domain::Reservation reservation,
                                                                 int64_t now_us) override;
  Result<domain::Reservation> ConfirmReservation(std::string_view id, int64_t now_us) override;
  Result<domain::Reservation> ReleaseReservation(std::string_view id, int64_t now_us) override;
  Result<domain::Reservation> GetReservation(std::string_view id) override;
  Result<ReservationPage> ListReservations(std::optional<std::string_view> branch,
                                           std::optional<domain::ReservationStatus> status,
                                           std::optional<std::string_view> after,
                                           std::size_t limit) override;
  Result<std::size_t> ExpireReservations(int64_t now_us) override;

 private:
  // A sale (or a cancellation of a sale) of more than kSaleLinesMax lines: its lines in parts of
  // kSaleLinesMax, each one transaction that is exactly-once by a part record in ids, then the
  // sale record, conditioned on the status read, last.
  Result<ApplyOutcome> ApplyLargeSale(std::optional<domain::Sale> sale,
                                      const domain::SaleCancel* cancel, uint64_t messages);
  Status ApplySaleLinesInParts(std::string_view branch, std::string_view sale_id,
                               const std::vector<domain::SaleLine>& lines, bool cancellation,
                               int64_t at_us);
  // The statistics items of `branch` (or kChainStatsKey), one BatchGetItem; absent ones left out.
  Result<std::vector<Item>> StatsShards(std::string_view branch);
  // Every branch with statistics (any that ever had a state), sorted.
  Result<std::vector<std::string>> Branches();
  // Adds the release of an active reservation's stock (and, confirming, its sales) to `txn`,
  // with the reservation's record conditioned on status ativa.
  Status EndReservation(DynamoTxn& txn, domain::Reservation* reservation,
                        domain::ReservationStatus status, int64_t now_us);
  // Expires the due reservations of `branch` (nullopt: of every branch), each in its own
  // transaction conditioned on status ativa. Returns how many this call expired.
  Result<std::size_t> ExpireDue(std::optional<std::string_view> branch, int64_t now_us);

  std::unique_ptr<aws::dynamodb::DynamoDbClient> client_;
  CountingClient counting_;
  std::unique_ptr<InventoryPolicy> default_policy_;
  DynamoContext context_;
};

// Opens the store: a client for `config`, and the tables (created when missing and
// options.create_tables, waiting until ACTIVE). `policy` as the constructor's. Errors: those of
// DynamoDB as Status (Unavailable when it cannot be reached, InvalidArgument for a refused
// request such as bad credentials).
Result<std::unique_ptr<DynamoInventoryStore>> OpenDynamoInventoryStore(
    aws::AwsClientConfig config, DynamoStoreOptions options, InventoryPolicy* policy = nullptr);

}  // namespace estoque::store::dynamo
