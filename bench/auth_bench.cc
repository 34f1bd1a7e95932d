// What authentication and throttling add to every request, measured apart from the network:
// KeyStore::Authenticate (SHA-256 of the token, a shared-lock hash lookup, a constant-time compare)
// and RateLimiter::Take (one token bucket under a sharded mutex), alone and together, with 1,000
// keys stored. Compare with the server CPU per point GET (docs/BENCHMARKS.md: about 25 us on this
// machine). Command: build/auth_bench
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "auth/key_store.h"
#include "auth/rate_limiter.h"
#include "common/clock.h"
#include "store/rocksdb_engine.h"

namespace estoque::auth {
namespace {

constexpr int kKeys = 1000;

struct Fixture {
  Fixture() {
    dir = std::filesystem::temp_directory_path() / ("estoque-auth-bench-" + std::to_string(::getpid()));
    store::EngineOptions options;
    options.data_dir = dir.string();
    options.sync_writes = false;
    engine = std::move(store::RocksEngine::Open(options).value());
    keys = std::move(RocksKeyStore::Open(engine.get()).value());
    for (int i = 0; i < kKeys; ++i) {
      NewKey key;
      key.role = Role::kPdv;
      key.branches = {std::to_string(1001 + i % 50)};
      key.name = "PDV " + std::to_string(i);
      tokens.push_back(keys->Create(std::move(key)).value().token);
    }
  }
  ~Fixture() {
    keys.reset();
    engine.reset();
    std::filesystem::remove_all(dir);
  }
  std::filesystem::path dir;
  std::unique_ptr<store::RocksEngine> engine;
  std::unique_ptr<RocksKeyStore> keys;
  std::vector<std::string> tokens;
};

Fixture& Shared() {
  static Fixture fixture;
  return fixture;
}

void BM_Authenticate(benchmark::State& state) {
  Fixture& f = Shared();
  std::size_t i = 0;
  for (auto _ : state) {
    auto key = f.keys->Authenticate(f.tokens[i++ % f.tokens.size()]);
    benchmark::DoNotOptimize(key);
  }
}
BENCHMARK(BM_Authenticate)->Threads(1)->Threads(2);

void BM_AuthenticateUnknownToken(benchmark::State& state) {
  Fixture& f = Shared();
  const std::string unknown = "estq_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  for (auto _ : state) benchmark::DoNotOptimize(f.keys->Authenticate(unknown));
}
BENCHMARK(BM_AuthenticateUnknownToken);

void BM_AuthenticateAndThrottle(benchmark::State& state) {
  Fixture& f = Shared();
  static RateLimiter limiter(RateLimits{});
  std::size_t i = 0;
  for (auto _ : state) {
    auto key = f.keys->Authenticate(f.tokens[i++ % f.tokens.size()]);
    benchmark::DoNotOptimize(limiter.Take(*key, MonotonicMicros()));
  }
}
BENCHMARK(BM_AuthenticateAndThrottle)->Threads(1)->Threads(2);

}  // namespace
}  // namespace estoque::auth
