// RocksInventoryStore costs on the ingest and query paths:
//   BM_Apply/<existing keys>/<items per call>: newer-wins Apply of random items over a store that
//     already holds that many positions (35 = one seed message; 35 x 512 = one full worker batch).
//     Every item is newer than what is stored. 2,000 keys is the seed's load test (1,000 products
//     x 2 branches): a worker batch then holds each key many times and writes it once.
//     items_per_second is the apply throughput of one core.
//   BM_Get/<existing keys>: point lookup latency of a random stored key.
// Each store lives in a fresh directory under /tmp, built once per key count, removed at exit.
// Has its own main() (the one of benchmark_main is then not linked in).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "store/rocksdb_engine.h"
#include "store/rocks_inventory_store.h"

namespace estoque::store {
namespace {

constexpr int kItemsPerMessage = 35;
constexpr int kWorkerBatchMessages = 512;
constexpr int kPreloadItemsPerCall = 10'000;
const char* const kBranches[] = {"1001", "1002"};

domain::Position MakePosition(int64_t key, int64_t updated_at_us, int64_t quantity_milli) {
  domain::Position position;
  position.barcode = std::to_string(7890000000000ll + key / 2);  // 13 digits
  position.branch = kBranches[key % 2];
  position.product_name = "Produto de supermercado " + std::to_string(key % 1000);
  position.quantity_milli = quantity_milli;
  position.updated_at_us = updated_at_us;
  return position;
}

struct Fixture {
  std::string dir;
  std::unique_ptr<RocksEngine> engine;
  std::unique_ptr<RocksInventoryStore> store;
  int64_t clock_us = 1;  // event times only grow, so every benchmarked item is applied

  ~Fixture() {
    store.reset();
    engine.reset();
    std::filesystem::remove_all(dir);
  }
};

// One store per key count, built on first use. Emptied by main() before exit: RocksDB's own
// statics must still exist when the stores close.
std::map<int64_t, std::unique_ptr<Fixture>> fixtures;

// The store preloaded with `keys` positions.
Fixture& StoreWithKeys(int64_t keys) {
  std::unique_ptr<Fixture>& fixture = fixtures[keys];
  if (fixture) return *fixture;
  fixture = std::make_unique<Fixture>();
  char pattern[] = "/tmp/estoque_store_bench_XXXXXX";
  const char* dir = mkdtemp(pattern);
  if (dir == nullptr) std::abort();
  fixture->dir = dir;
  EngineOptions options;
  options.data_dir = fixture->dir + "/db";
  Result<std::unique_ptr<RocksEngine>> engine = RocksEngine::Open(options);
  if (!engine.ok()) {
    std::fprintf(stderr, "open: %s\n", engine.status().ToString().c_str());
    std::abort();
  }
  fixture->engine = std::move(*engine);
  fixture->store = std::make_unique<RocksInventoryStore>(fixture->engine.get());
  std::vector<domain::Position> items;
  for (int64_t key = 0; key < keys; key += kPreloadItemsPerCall) {
    items.clear();
    for (int64_t k = key; k < std::min(keys, key + kPreloadItemsPerCall); ++k) {
      items.push_back(MakePosition(k, fixture->clock_us, k));
    }
    if (!fixture->store->Apply(items, {}).ok()) std::abort();
  }
  ++fixture->clock_us;
  return *fixture;
}

void BM_Apply(benchmark::State& state) {
  const int64_t keys = state.range(0);
  const int64_t items_per_call = state.range(1);
  Fixture& fixture = StoreWithKeys(keys);
  std::mt19937_64 random(42);
  std::vector<domain::Position> items(items_per_call);
  uint64_t applied = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (domain::Position& item : items) {
      item = MakePosition(static_cast<int64_t>(random() % keys), ++fixture.clock_us,
                          static_cast<int64_t>(random() % 10'000'000));
    }
    state.ResumeTiming();
    Result<ApplyOutcome> outcome = fixture.store->Apply(items, {});
    if (!outcome.ok()) state.SkipWithError(outcome.status().ToString().c_str());
    applied += outcome.ok() ? outcome->applied_items : 0;
  }
  state.SetItemsProcessed(state.iterations() * items_per_call);
  state.counters["applied_ratio"] =
      static_cast<double>(applied) / static_cast<double>(state.iterations() * items_per_call);
}
BENCHMARK(BM_Apply)
    ->ArgsProduct({{2'000, 1'000'000}, {kItemsPerMessage, kItemsPerMessage * kWorkerBatchMessages}})
    ->Unit(benchmark::kMicrosecond);

// The same work as BM_Apply's full worker batch, as sales: 512 sales of 35 lines (one branch each,
// random products of the 2,000-key store, quantities 1..5) per ApplyBatch. Compare with
// BM_Apply/2000/17920: both apply 17,920 stock changes per call.
void BM_ApplySales(benchmark::State& state) {
  const int64_t keys = 2'000;
  Fixture& fixture = StoreWithKeys(keys);
  std::mt19937_64 random(43);
  std::vector<domain::Sale> sales(kWorkerBatchMessages);
  static int64_t next_sale = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (domain::Sale& sale : sales) {
      sale.id = "load-1716855391000000-" + std::to_string(++next_sale);
      sale.branch = kBranches[random() % 2];
      sale.event_at_us = ++fixture.clock_us;
      sale.origin = "pdv";
      sale.lines.resize(kItemsPerMessage);
      for (domain::SaleLine& line : sale.lines) {
        line.barcode = std::to_string(7890000000000ll + static_cast<int64_t>(random() % (keys / 2)));
        line.quantity_milli = static_cast<int64_t>(1 + random() % 5) * 1000;
      }
    }
    IngestBatch batch;
    batch.sales = sales;
    state.ResumeTiming();
    Result<ApplyOutcome> outcome = fixture.store->ApplyBatch(batch);
    if (!outcome.ok()) state.SkipWithError(outcome.status().ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations() * kWorkerBatchMessages * kItemsPerMessage);
}
BENCHMARK(BM_ApplySales)->Unit(benchmark::kMicrosecond);

void BM_Get(benchmark::State& state) {
  const int64_t keys = state.range(0);
  Fixture& fixture = StoreWithKeys(keys);
  std::mt19937_64 random(7);
  std::vector<std::pair<std::string, std::string>> lookups;
  for (int i = 0; i < 4096; ++i) {
    domain::Position p = MakePosition(static_cast<int64_t>(random() % keys), 0, 0);
    lookups.emplace_back(p.barcode, p.branch);
  }
  std::size_t next = 0;
  for (auto _ : state) {
    const auto& [barcode, branch] = lookups[next++ % lookups.size()];
    Result<domain::Position> got = fixture.store->Get(barcode, branch);
    if (!got.ok()) state.SkipWithError(got.status().ToString().c_str());
    benchmark::DoNotOptimize(got);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Get)->Arg(2'000)->Arg(1'000'000)->Unit(benchmark::kNanosecond);

}  // namespace

void RemoveFixtures() { fixtures.clear(); }

}  // namespace estoque::store

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  estoque::store::RemoveFixtures();
  benchmark::Shutdown();
  return 0;
}
