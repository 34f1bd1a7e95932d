// The load generator behind `estoque load`: the seed's load-test app done properly. It posts
// stock-position messages (the seed's JSON array of items) or sales to a running estoque over C
// keep-alive connections and reports throughput, request latency and freshness (202 -> readable).
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace estoque::load {

// What each request posts.
enum class LoadKind {
  kPositions,  // "posicoes": POST /v1/posicoes, a JSON array of batch_items stock positions
  kSales,      // "vendas": POST /v1/vendas, one sale of batch_items lines of one branch
};
// "posicoes" / "vendas", the CLI's names (--kind).
std::string_view LoadKindName(LoadKind kind);
// The kind named `name`; nullopt for any other text.
std::optional<LoadKind> ParseLoadKind(std::string_view name);

struct LoadOptions {
  LoadKind kind = LoadKind::kPositions;
  std::string url = "http://127.0.0.1:8080";  // base URL of the server (http only)
  std::string catalog_path;          // JSON array of {codigo_barra, nome_produto}; empty: generate
  std::size_t generated_products = 1000;  // products in the generated catalog
  std::size_t branches = 2;          // branches "1001", "1002", ... (1001 + i)
  std::size_t batch_items = 35;      // items per POST (the seed's batch size): positions, or
                                     // the lines of the one sale
  std::size_t connections = 16;      // concurrent keep-alive connections
  double duration_s = 10;            // stop after this long (0 = no time limit, needs messages_max)
  uint64_t messages_max = 0;         // ... or after this many messages (0 = no count limit)
  double rate_items_per_s = 0;       // target offered load; 0 = as fast as the server answers
  std::size_t freshness_sample_every = 20;  // probe freshness of 1 message in N (0 = never); at
                                            // most 4 probes poll at once, others are skipped
  bool seed_time_format = false;     // send "YYYY-MM-DD HH:MM:SS" (seed) instead of RFC 3339 µs;
                                     // freshness then only has 1 s resolution (optimistic)
  std::size_t threads = 1;           // client I/O threads
  double progress_interval_s = 1;    // progress line period; 0 = none
  // Walk the keys (product, branch) in order instead of picking them at random, so that
  // products x branches items write every key once (to preload a store for read benchmarks).
  // Positions only.
  bool sequential_keys = false;
  std::string api_key;               // sent as x-api-key on every request ("" = none)
};

struct LoadReport {
  uint64_t messages_accepted = 0;  // 202s
  uint64_t items_accepted = 0;      // positions, or sale lines
  uint64_t error_responses = 0;    // any non-202 (counted, run continues), plus transport errors
                                   // and freshness probes that failed or gave up after 10 s
  double elapsed_s = 0;
  double items_per_s = 0;
  double latency_ms_p50 = 0, latency_ms_p90 = 0, latency_ms_p99 = 0, latency_ms_max = 0;
  uint64_t freshness_samples = 0;
  double freshness_ms_p50 = 0, freshness_ms_p99 = 0, freshness_ms_max = 0;
};

// Runs the load described by `options`, writing progress lines (and the first few error bodies)
// to `progress`. InvalidArgument for bad options or an unreadable catalog; Unavailable if the
// server cannot be resolved or connected to before the run starts. Blocks for the run's duration
// (plus up to 10 s for freshness probes still polling). Uses options.threads I/O threads plus one
// prober thread; `progress` is written from them under a lock.
Result<LoadReport> RunLoad(const LoadOptions& options, std::ostream& progress);

// The final report as human-readable lines (and one machine-readable "RESULT key=value ..." line).
std::string FormatReport(const LoadReport& report);

}  // namespace estoque::load
