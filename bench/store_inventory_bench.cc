// RocksInventoryStore costs behind the inventory issue's figures (docs/BENCHMARKS.md).
//
// Run (Release build; the ledger preload takes tens of seconds, once per process):
//   ninja -C build store_inventory_bench && build/store_inventory_bench
//   build/store_inventory_bench --benchmark_filter=BM_LateCountRebase   (one family only)
//   build/store_inventory_bench --benchmark_filter=BM_LedgerPage
//
//   BM_LateCountRebase/later_movements:<N>: one product-branch holds a count at T0 and N sales
//     (one line of 1 unit each, 1 ms apart) from T0 + 1 h. Each iteration applies, as the queue
//     worker does (ApplyBatch with one domain::Position), a count at T0 + i µs: newer than the
//     previous iteration's count, so it becomes the base of on-hand, but older than every sale, so
//     on-hand must be re-based by summing the N later deltas from the ledger. N = 10,000 is the
//     issue's "late event" (b: <= 10 ms); N = 0 is the baseline (a count with nothing after it).
//     Time per iteration is the cost of one late event; p50_ms/p99_ms/max_ms are over iterations.
//   BM_LedgerPage/branch_only:<0|1>/pages_per_walk:<1|10>: one product-branch holds 1,000,000
//     ledger movements (sales of one line, 1 ms apart). Each iteration is one ListLedger page of
//     limit 100 (the API's default), newest first. A walk starts at a random "ate" (until_us)
//     uniform over the movements' time range and then follows next_after pages_per_walk - 1
//     times (pages_per_walk:1: every page at a random "ate"). branch_only:0 queries codigo_barra +
//     filial (the product-branch's range of "ledger"); branch_only:1 filial alone (the
//     ledger_by_branch index, then a MultiGet of the values). p50_ms/p99_ms/max_ms are computed
//     from every page's latency (the c: p99 <= 5 ms); items_per_page shows pages are
//     full (only pages near the oldest movement are short).
//
// Each store lives in a fresh directory under /tmp, built once per process and removed at exit.
// After its preload the memtables are flushed and the ledger compacted, so reads come from SST
// files as in a store that has settled (the block cache warms during the run). Has its own main()
// (the one of benchmark_main is then not linked in).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <rocksdb/db.h>

#include "store/rocks_inventory_store.h"
#include "store/rocksdb_engine.h"

namespace estoque::store {
namespace {

constexpr const char* kBarcode = "7891000315507";
constexpr const char* kBranch = "1001";
constexpr int64_t kMicrosPerMilli = 1'000;
constexpr int64_t kT0Us = 1'716'855'391'000'000;  // 2024-05-28T00:16:31Z
// Later movements start this long after T0, so the benchmarked counts (T0 + i µs) stay older
// than every one of them for up to 3.6e9 iterations.
constexpr int64_t kLaterMovementsOffsetUs = 3'600'000'000;
constexpr int64_t kMovementSpacingUs = kMicrosPerMilli;
// Sales per ApplyBatch while preloading (one line each).
constexpr int64_t kPreloadSalesPerBatch = 1'000;
constexpr int64_t kLedgerMovements = 1'000'000;
constexpr std::size_t kLedgerPageLimit = 100;  // limits::kPageLimitDefault
constexpr int64_t kLedgerPageIterations = 20'000;

[[noreturn]] void Die(const char* what, const Status& status) {
  std::fprintf(stderr, "%s: %s\n", what, status.ToString().c_str());
  std::abort();
}

struct Fixture {
  std::string dir;
  std::unique_ptr<RocksEngine> engine;
  std::unique_ptr<RocksInventoryStore> store;
  int64_t first_movement_us = 0;  // event times of the preloaded later movements
  int64_t last_movement_us = 0;
  int64_t next_count_offset_us = 1;  // BM_LateCountRebase: the next count is at T0 + this

  ~Fixture() {
    store.reset();
    engine.reset();
    std::filesystem::remove_all(dir);
  }
};

std::unique_ptr<Fixture> OpenFixture() {
  auto fixture = std::make_unique<Fixture>();
  char pattern[] = "/tmp/estoque_inventory_bench_XXXXXX";
  const char* dir = mkdtemp(pattern);
  if (dir == nullptr) std::abort();
  fixture->dir = dir;
  EngineOptions options;
  options.data_dir = fixture->dir + "/db";
  Result<std::unique_ptr<RocksEngine>> engine = RocksEngine::Open(options);
  if (!engine.ok()) Die("open", engine.status());
  fixture->engine = std::move(*engine);
  fixture->store = std::make_unique<RocksInventoryStore>(fixture->engine.get());
  return fixture;
}

domain::Position Count(int64_t at_us, int64_t quantity_milli) {
  domain::Position count;
  count.barcode = kBarcode;
  count.branch = kBranch;
  count.product_name = "Café Torrado e Moído 500g";
  count.quantity_milli = quantity_milli;
  count.updated_at_us = at_us;
  return count;
}

void ApplyCount(Fixture& fixture, const domain::Position& count) {
  IngestBatch batch;
  batch.positions = std::span<const domain::Position>(&count, 1);
  Result<ApplyOutcome> outcome = fixture.store->ApplyBatch(batch);
  if (!outcome.ok()) Die("apply count", outcome.status());
}

// `movements` sales of one line of 1 unit of the product-branch, kMovementSpacingUs apart from
// `first_us`, kPreloadSalesPerBatch per ApplyBatch; then flush and compact.
void PreloadSales(Fixture& fixture, int64_t movements, int64_t first_us) {
  std::vector<domain::Sale> sales;
  for (int64_t done = 0; done < movements;) {
    sales.clear();
    for (int64_t i = 0; i < kPreloadSalesPerBatch && done < movements; ++i, ++done) {
      domain::Sale& sale = sales.emplace_back();
      sale.id = "bench-" + std::to_string(done);
      sale.branch = kBranch;
      sale.lines.push_back({kBarcode, 1'000});
      sale.event_at_us = first_us + done * kMovementSpacingUs;
      sale.origin = "pdv";
    }
    IngestBatch batch;
    batch.sales = sales;
    Result<ApplyOutcome> outcome = fixture.store->ApplyBatch(batch);
    if (!outcome.ok()) Die("apply sales", outcome.status());
    if (outcome->applied_items != sales.size()) std::abort();
  }
  fixture.first_movement_us = first_us;
  fixture.last_movement_us = first_us + (movements - 1) * kMovementSpacingUs;
  rocksdb::DB* db = fixture.engine->db();
  for (rocksdb::ColumnFamilyHandle* family : fixture.engine->families()) {
    if (!db->Flush(rocksdb::FlushOptions(), family).ok()) std::abort();
  }
  for (rocksdb::ColumnFamilyHandle* family :
       {fixture.engine->ledger(), fixture.engine->ledger_by_branch()}) {
    if (!db->CompactRange(rocksdb::CompactRangeOptions(), family, nullptr, nullptr).ok()) {
      std::abort();
    }
  }
}

// Built on first use, emptied by main() before exit: RocksDB's own statics must still exist when
// the stores close.
std::map<int64_t, std::unique_ptr<Fixture>> rebase_fixtures;  // by later movements
std::unique_ptr<Fixture> ledger_fixture;

Fixture& RebaseFixture(int64_t later_movements) {
  std::unique_ptr<Fixture>& fixture = rebase_fixtures[later_movements];
  if (fixture) return *fixture;
  fixture = OpenFixture();
  ApplyCount(*fixture, Count(kT0Us, 0));
  if (later_movements > 0) {
    PreloadSales(*fixture, later_movements, kT0Us + kLaterMovementsOffsetUs);
  }
  return *fixture;
}

Fixture& LedgerFixture() {
  if (ledger_fixture) return *ledger_fixture;
  const auto start = std::chrono::steady_clock::now();
  ledger_fixture = OpenFixture();
  PreloadSales(*ledger_fixture, kLedgerMovements, kT0Us);
  std::fprintf(stderr, "ledger preload: %lld movements in %.1f s\n",
               static_cast<long long>(kLedgerMovements),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return *ledger_fixture;
}

// Per-call latencies, turned into percentile counters.
class Latencies {
 public:
  explicit Latencies(std::size_t expected) { nanos_.reserve(expected); }
  void Record(std::chrono::steady_clock::duration elapsed) {
    nanos_.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count());
  }
  // p50_ms, p99_ms (nearest rank) and max_ms of what was recorded.
  void Report(benchmark::State& state) {
    if (nanos_.empty()) return;
    std::sort(nanos_.begin(), nanos_.end());
    const auto at_rank = [&](double percent) {
      const auto rank =
          static_cast<std::size_t>(std::ceil(percent / 100 * static_cast<double>(nanos_.size())));
      return static_cast<double>(nanos_[std::max<std::size_t>(rank, 1) - 1]) / 1e6;
    };
    state.counters["p50_ms"] = at_rank(50);
    state.counters["p99_ms"] = at_rank(99);
    state.counters["max_ms"] = static_cast<double>(nanos_.back()) / 1e6;
  }

 private:
  std::vector<int64_t> nanos_;
};

void BM_LateCountRebase(benchmark::State& state) {
  const int64_t later_movements = state.range(0);
  Fixture& fixture = RebaseFixture(later_movements);
  Latencies latencies(1 << 16);
  int64_t quantity_milli = 0;
  for (auto _ : state) {
    const int64_t at_us = kT0Us + fixture.next_count_offset_us++;
    if (fixture.next_count_offset_us >= kLaterMovementsOffsetUs) {
      state.SkipWithError("out of count times older than the later movements");
      break;
    }
    quantity_milli = 1'000'000 + (fixture.next_count_offset_us % 1'000) * 1'000;
    const domain::Position count = Count(at_us, quantity_milli);
    IngestBatch batch;
    batch.positions = std::span<const domain::Position>(&count, 1);
    const auto start = std::chrono::steady_clock::now();
    Result<ApplyOutcome> outcome = fixture.store->ApplyBatch(batch);
    latencies.Record(std::chrono::steady_clock::now() - start);
    if (!outcome.ok() || outcome->applied_items != 1) {
      state.SkipWithError(outcome.ok() ? "the count was not the newest"
                                       : outcome.status().ToString().c_str());
      break;
    }
  }
  // The last count's re-base must equal the count plus every later sale (-1 unit each).
  Result<StockState> stock = fixture.store->GetStock(kBarcode, kBranch);
  if (!stock.ok() || stock->on_hand_milli != quantity_milli - later_movements * 1'000) {
    state.SkipWithError("on hand after the re-base is wrong");
  }
  latencies.Report(state);
}
BENCHMARK(BM_LateCountRebase)
    ->ArgName("later_movements")
    ->Arg(0)
    ->Arg(10'000)
    ->Unit(benchmark::kMillisecond);

void BM_LedgerPage(benchmark::State& state) {
  const bool branch_only = state.range(0) != 0;
  const int64_t pages_per_walk = state.range(1);
  Fixture& fixture = LedgerFixture();
  std::mt19937_64 random(42);
  std::uniform_int_distribution<int64_t> until_us(fixture.first_movement_us,
                                                  fixture.last_movement_us);
  LedgerQuery query;
  if (!branch_only) query.barcode = kBarcode;
  query.branch = kBranch;
  query.limit = kLedgerPageLimit;
  Latencies latencies(static_cast<std::size_t>(kLedgerPageIterations));
  int64_t pages_left_in_walk = 0;
  uint64_t items = 0;
  for (auto _ : state) {
    if (pages_left_in_walk == 0) {
      query.until_us = until_us(random);
      query.after.reset();
      pages_left_in_walk = pages_per_walk;
    }
    const auto start = std::chrono::steady_clock::now();
    Result<LedgerPage> page = fixture.store->ListLedger(query);
    latencies.Record(std::chrono::steady_clock::now() - start);
    if (!page.ok()) {
      state.SkipWithError(page.status().ToString().c_str());
      break;
    }
    items += page->items.size();
    --pages_left_in_walk;
    if (!page->next_after.has_value()) pages_left_in_walk = 0;  // reached the oldest movement
    query.after = std::move(page->next_after);
    benchmark::DoNotOptimize(page);
  }
  state.SetItemsProcessed(static_cast<int64_t>(items));
  state.counters["items_per_page"] =
      static_cast<double>(items) / static_cast<double>(std::max<int64_t>(state.iterations(), 1));
  latencies.Report(state);
}
BENCHMARK(BM_LedgerPage)
    ->ArgNames({"branch_only", "pages_per_walk"})
    ->ArgsProduct({{0, 1}, {1, 10}})
    ->Iterations(kLedgerPageIterations)
    ->Unit(benchmark::kMicrosecond);

}  // namespace

void RemoveFixtures() {
  rebase_fixtures.clear();
  ledger_fixture.reset();
}

}  // namespace estoque::store

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  estoque::store::RemoveFixtures();
  benchmark::Shutdown();
  return 0;
}
