// Overload test: the ingest queue is bounded (messages and bytes). A burst of writes from many
// connections, far larger than the bound, against a server whose worker is slowed by
// --apply-linger-ms (with fewer messages waiting than it takes in one batch, it waits that long
// for more, so it applies at most one bound's worth per linger period): the excess gets 503 + Retry-After
// and the queue_full error instead of memory growth; reads keep being answered quickly; the lag
// is visible on GET /v1/fila; every write that got 202 is applied, and no refused one is.
// Prints the 503 count, the read latencies during the burst and the server's RSS.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "e2e/support/fixture.h"
#include "e2e/support/inventory_support.h"
#include "fault/support/event_time.h"

namespace estoque::fault {
namespace {

namespace json = boost::json;
using e2e::HttpClient;
using e2e::HttpResult;

// The burst lasts kBurstDuration, and longer (up to kBurstMaxDuration) until at least a fifth of
// the requests were refused: on a slow build or a busy machine the writers need longer to offer
// "far more than the bound", and the assertions below are about that, not about the clock.
constexpr std::chrono::seconds kBurstDuration{3};
constexpr std::chrono::seconds kBurstMaxDuration{30};
constexpr std::chrono::milliseconds kReadInterval{5};  // per reader
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ESTOQUE_FAULT_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define ESTOQUE_FAULT_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
// Under ThreadSanitizer (5-15x slower, every access checked) this test is about races and the
// acknowledged-write accounting; the latency bound only says reads were not starved for the
// whole burst. The Release and ASan builds hold it to the real bounds.
constexpr double kReadP99MsMax = 5000;
constexpr bool kCheckRss = false;
#elif defined(ESTOQUE_FAULT_SANITIZED)
// An instrumented server is several times slower, and ASan's quarantine holds freed memory: the
// figures are printed, the latency bound is looser and RSS is not bounded.
constexpr double kReadP99MsMax = 1000;
constexpr bool kCheckRss = false;
#else
constexpr double kReadP99MsMax = 200;  // generous: the machine is shared; the figure is printed
constexpr bool kCheckRss = true;
#endif
// RSS may grow by the engine's memtables and caches as the accepted writes land (64 MiB each at
// most by default), not with the refused load.
constexpr int64_t kRssGrowthKibMax = 96 * 1024;
constexpr const char* kPositionsBranch = "2001";
constexpr const char* kSalesBranch = "2002";
constexpr const char* kSoldBarcode = "7891000315507";
constexpr const char* kReadBarcode = "7891000053508";

struct BurstSettings {
  const char* name = "";
  std::vector<std::string> server_args;
  std::size_t items_per_position_request = 10;
  int64_t apply_linger_ms = 100;
  int writers = 32;
  // A writer refused with 503 tries again after this (not the 1 s Retry-After asks for: the test
  // wants the pressure to stay on).
  std::chrono::milliseconds pause_after_503{10};
};

struct WriterLog {
  std::vector<std::string> accepted_counts;     // position items of 202 answers (CountKey)
  std::vector<std::string> refused_counts;      // position items of 503 answers
  std::vector<std::string> accepted_sales;
  std::vector<std::string> refused_sales;
  uint64_t refused_without_retry_after = 0;
  uint64_t refused_with_other_code = 0;
  std::vector<std::string> errors;
};

struct ReaderLog {
  std::vector<double> latencies_ms;
  uint64_t failures = 0;
  uint64_t depth_messages_max = 0;
  uint64_t depth_bytes_max = 0;
  int64_t oldest_age_ms_max = 0;
};

int64_t RssKib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return -1;
}

double Percentile(std::vector<double> values, double fraction) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t index = std::min(values.size() - 1, static_cast<std::size_t>(fraction * values.size()));
  return values[index];
}

// Position items name one of kBurstProducts products (so the catalog and the product-branches do
// not grow with the burst: the memory that grows is the queue's, if anything) and each has its own
// event time, which identifies it in the ledger.
constexpr int64_t kBurstProducts = 1000;
constexpr int64_t kBurstFirstAt = 946684800;  // 2000-01-01T00:00:00Z

std::string BurstBarcode(int64_t index) { return std::to_string(7'800'000'000'000LL + index % kBurstProducts); }

int64_t BurstAt(int writer, int request, std::size_t item) {
  return kBurstFirstAt + writer * 10'000'000LL + request * 1'000LL + static_cast<int64_t>(item);
}

std::string CountKey(const std::string& barcode, int64_t at_us) { return barcode + "|" + std::to_string(at_us); }

// Answers so far, over all writers (the burst's end condition).
struct BurstTally {
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> refused{0};
  bool Overloaded() const { return refused.load() * 5 >= accepted.load() + refused.load() && refused.load() > 0; }
};

void RunWriter(int writer, uint16_t port, const BurstSettings& settings, const std::atomic<bool>& stop,
               BurstTally& tally, WriterLog& log) {
  HttpClient client(port);
  for (int request = 0; !stop.load(); ++request) {
    const bool sale = request % 2 == 1;
    std::string target;
    std::string body;
    std::vector<std::string> count_keys;
    std::string sale_id;
    if (sale) {
      sale_id = "s" + std::to_string(writer) + "-" + std::to_string(request);
      target = "/v1/vendas";
      body = e2e::inventory::SaleBody(sale_id, kSalesBranch, {{kSoldBarcode, 1}}, "2024-06-01T12:00:00Z");
    } else {
      target = "/v1/posicoes";
      json::array items;
      for (std::size_t i = 0; i < settings.items_per_position_request; ++i) {
        const std::string barcode = BurstBarcode(request * 1000 + static_cast<int64_t>(i));
        const int64_t at_s = BurstAt(writer, request, i);
        count_keys.push_back(CountKey(barcode, at_s * 1'000'000));
        items.push_back(json::object{{"codigo_barra", barcode},
                                     {"nome_produto", "Produto"},
                                     {"filial", kPositionsBranch},
                                     {"qtd_estoque", 5},
                                     {"data_atulizacao_posicao_estoque", Rfc3339Utc(at_s)}});
      }
      body = json::serialize(items);
    }
    HttpResult r = client.Post(target, body);
    if (r.status == 202) {
      ++tally.accepted;
      if (sale) {
        log.accepted_sales.push_back(sale_id);
      } else {
        log.accepted_counts.insert(log.accepted_counts.end(), count_keys.begin(), count_keys.end());
      }
      continue;
    }
    if (r.status != 503) {
      log.errors.push_back(target + " -> " + std::to_string(r.status) + " " + r.body);
      continue;
    }
    ++tally.refused;
    if (sale) {
      log.refused_sales.push_back(sale_id);
    } else {
      log.refused_counts.insert(log.refused_counts.end(), count_keys.begin(), count_keys.end());
    }
    auto retry_after = r.headers.find("retry-after");
    if (retry_after == r.headers.end() || std::atoi(retry_after->second.c_str()) < 1) {
      ++log.refused_without_retry_after;
    }
    const json::value error = r.json();
    if (!error.is_object() || !error.as_object().contains("error") ||
        error.at("error").at("code") != json::value("queue_full")) {
      ++log.refused_with_other_code;
    }
    std::this_thread::sleep_for(settings.pause_after_503);
  }
}

// Reads `target` on a fixed schedule (one every kReadInterval) until `stop`, each latency counted
// from when the read was due, not from when it was sent: a reader stuck behind one slow answer
// would otherwise take fewer samples exactly while the server is slow (coordinated omission).
void RunReader(uint16_t port, const std::string& target, const std::atomic<bool>& stop, ReaderLog& log) {
  HttpClient client(port);
  auto due = std::chrono::steady_clock::now();
  while (!stop.load()) {
    std::this_thread::sleep_until(due);
    HttpResult r = client.Get(target);
    log.latencies_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - due).count());
    due += kReadInterval;
    if (r.status != 200) {
      ++log.failures;
    } else if (target == "/v1/fila") {
      const json::value fila = r.json();
      log.depth_messages_max = std::max(log.depth_messages_max, fila.at("profundidade").to_number<uint64_t>());
      log.depth_bytes_max = std::max(log.depth_bytes_max, fila.at("bytes").to_number<uint64_t>());
      log.oldest_age_ms_max = std::max(log.oldest_age_ms_max, fila.at("idade_mais_antiga_ms").to_number<int64_t>());
    }
  }
}

// The ledger entries of one branch -> occurrences: counts as CountKey, the rest as
// "origem|id|codigo_barra".
std::map<std::string, int> LedgerIds(HttpClient& client, const std::string& branch) {
  using e2e::inventory::Str;
  std::map<std::string, int> ids;
  for (const json::object& entry : e2e::inventory::Ledger(client, "filial=" + branch)) {
    if (entry.at("tipo") == json::value("contagem")) {
      ++ids[CountKey(Str(entry.at("codigo_barra")), e2e::inventory::EventTime(entry))];
    } else {
      ++ids[Str(entry.at("origem")) + "|" + Str(entry.at("id")) + "|" + Str(entry.at("codigo_barra"))];
    }
  }
  return ids;
}

class OverloadTest : public ::testing::Test {
 protected:
  // Runs the burst against a server started with `settings.server_args`, checks everything and
  // prints a summary line. `bound_check` checks the deepest queue seen against the bound.
  void RunBurst(const BurstSettings& settings, const std::function<void(const ReaderLog&)>& bound_check) {
    std::vector<std::string> args = {"--rate-limit-rps", "0", "--apply-linger-ms", std::to_string(settings.apply_linger_ms)};
    args.insert(args.end(), settings.server_args.begin(), settings.server_args.end());
    e2e::ServerProcess server(dir_.path() + "/data", args);
    ASSERT_TRUE(server.Start()) << server.last_error();
    HttpClient client(server.port());
    ASSERT_EQ(client.Post("/v1/posicoes", e2e::Body({e2e::SeedItem(kReadBarcode, kPositionsBranch, 7,
                                                                    "2024-06-01 08:00:00", "Lido")}))
                  .status,
              202);
    ASSERT_TRUE(e2e::Eventually([&] { return client.Get(std::string("/v1/posicoes/") + kReadBarcode + "/" +
                                                        kPositionsBranch).status == 200; }));
    const int64_t rss_baseline_kib = RssKib(server.pid());

    std::vector<WriterLog> writers(settings.writers);
    // One reader of a product-branch's stock, one of the queue's state.
    const std::vector<std::string> read_targets = {
        std::string("/v1/posicoes/") + kReadBarcode + "/" + kPositionsBranch, "/v1/fila"};
    const int readers_count = static_cast<int>(read_targets.size());
    std::vector<ReaderLog> readers(read_targets.size());
    std::atomic<bool> stop_readers{false};
    int64_t rss_max_kib = rss_baseline_kib;
    const auto burst_start = std::chrono::steady_clock::now();
    std::atomic<bool> stop_writers{false};
    BurstTally tally;
    std::vector<std::thread> threads;
    for (int r = 0; r < readers_count; ++r) {
      threads.emplace_back([&, r] { RunReader(server.port(), read_targets[r], stop_readers, readers[r]); });
    }
    for (int w = 0; w < settings.writers; ++w) {
      threads.emplace_back(
          [&, w] { RunWriter(w, server.port(), settings, stop_writers, tally, writers[w]); });
    }
    for (;;) {
      const auto elapsed = std::chrono::steady_clock::now() - burst_start;
      if (elapsed >= kBurstMaxDuration || (elapsed >= kBurstDuration && tally.Overloaded())) break;
      rss_max_kib = std::max(rss_max_kib, RssKib(server.pid()));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    stop_writers = true;
    for (int i = readers_count; i < static_cast<int>(threads.size()); ++i) threads[i].join();
    stop_readers = true;
    for (int r = 0; r < readers_count; ++r) threads[r].join();
    const double burst_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - burst_start).count();

    ASSERT_TRUE(e2e::Eventually(
        [&] { return client.Get("/v1/fila").json().at("profundidade").to_number<int64_t>() == 0; },
        std::chrono::seconds(120)));
    rss_max_kib = std::max(rss_max_kib, RssKib(server.pid()));

    uint64_t accepted = 0, refused = 0;
    std::set<std::string> accepted_counts, refused_counts, accepted_sales, refused_sales;
    for (const WriterLog& log : writers) {
      for (const std::string& error : log.errors) ADD_FAILURE() << "unexpected answer: " << error;
      EXPECT_EQ(log.refused_without_retry_after, 0u);
      EXPECT_EQ(log.refused_with_other_code, 0u);
      accepted += log.accepted_sales.size() + log.accepted_counts.size() / settings.items_per_position_request;
      refused += log.refused_sales.size() + log.refused_counts.size() / settings.items_per_position_request;
      accepted_counts.insert(log.accepted_counts.begin(), log.accepted_counts.end());
      refused_counts.insert(log.refused_counts.begin(), log.refused_counts.end());
      accepted_sales.insert(log.accepted_sales.begin(), log.accepted_sales.end());
      refused_sales.insert(log.refused_sales.begin(), log.refused_sales.end());
    }
    std::vector<double> latencies;
    const std::vector<double>& stock_latencies = readers[0].latencies_ms;
    const std::vector<double>& queue_latencies = readers[1].latencies_ms;
    uint64_t read_failures = 0;
    ReaderLog deepest;
    for (const ReaderLog& log : readers) {
      latencies.insert(latencies.end(), log.latencies_ms.begin(), log.latencies_ms.end());
      read_failures += log.failures;
      deepest.depth_messages_max = std::max(deepest.depth_messages_max, log.depth_messages_max);
      deepest.depth_bytes_max = std::max(deepest.depth_bytes_max, log.depth_bytes_max);
      deepest.oldest_age_ms_max = std::max(deepest.oldest_age_ms_max, log.oldest_age_ms_max);
    }

    // Every 202 applied exactly once; nothing refused applied at all.
    const std::map<std::string, int> counts = LedgerIds(client, kPositionsBranch);
    const std::map<std::string, int> sales = LedgerIds(client, kSalesBranch);
    uint64_t lost = 0, duplicated = 0, refused_but_applied = 0;
    for (const auto& [key, occurrences] : counts) duplicated += occurrences > 1;
    for (const auto& [key, occurrences] : sales) duplicated += occurrences > 1;
    for (const std::string& key : accepted_counts) lost += counts.count(key) == 0;
    for (const std::string& key : refused_counts) refused_but_applied += counts.count(key);
    for (const std::string& id : accepted_sales) lost += sales.count("venda|" + id + "#1|" + kSoldBarcode) == 0;
    for (const std::string& id : refused_sales) refused_but_applied += sales.count("venda|" + id + "#1|" + kSoldBarcode);
    EXPECT_EQ(counts.size(), accepted_counts.size() + 1);  // + the one read during the burst
    EXPECT_EQ(sales.size(), accepted_sales.size());

    const double p50 = Percentile(latencies, 0.50);
    const double p99 = Percentile(latencies, 0.99);
    const double max = Percentile(latencies, 1.0);
    std::printf(
        "overload(%s): burst_s=%.1f writers=%d offered=%llu accepted_202=%llu refused_503=%llu lost=%llu "
        "duplicated=%llu refused_but_applied=%llu queue_depth_max=%llu queue_bytes_max=%llu oldest_age_ms_max=%lld "
        "reads=%zu read_failures=%llu read_p50_ms=%.2f read_p99_ms=%.2f read_max_ms=%.2f rss_baseline_mib=%.1f "
        "rss_max_mib=%.1f stock_read_p99_ms=%.2f stock_read_max_ms=%.2f fila_read_p99_ms=%.2f fila_read_max_ms=%.2f\n",
        settings.name, burst_s, settings.writers, static_cast<unsigned long long>(accepted + refused),
        static_cast<unsigned long long>(accepted), static_cast<unsigned long long>(refused),
        static_cast<unsigned long long>(lost), static_cast<unsigned long long>(duplicated),
        static_cast<unsigned long long>(refused_but_applied),
        static_cast<unsigned long long>(deepest.depth_messages_max),
        static_cast<unsigned long long>(deepest.depth_bytes_max), static_cast<long long>(deepest.oldest_age_ms_max),
        latencies.size(), static_cast<unsigned long long>(read_failures), p50, p99, max,
        static_cast<double>(rss_baseline_kib) / 1024, static_cast<double>(rss_max_kib) / 1024,
        Percentile(stock_latencies, 0.99), Percentile(stock_latencies, 1.0), Percentile(queue_latencies, 0.99),
        Percentile(queue_latencies, 1.0));
    std::fflush(stdout);

    EXPECT_GT(accepted, 0u);
    // The burst was far larger than the bound, and a good part of it was shed.
    EXPECT_GT(accepted + refused, 3 * deepest.depth_messages_max);
    EXPECT_GE(refused * 5, accepted + refused) << "the burst did not overload the queue";
    EXPECT_EQ(lost, 0u);
    EXPECT_EQ(duplicated, 0u);
    EXPECT_EQ(refused_but_applied, 0u);
    EXPECT_EQ(read_failures, 0u);
    EXPECT_GT(latencies.size(), 100u);
    EXPECT_LT(p99, kReadP99MsMax);
    EXPECT_GT(deepest.depth_messages_max, 0u) << "the worker's lag never showed on GET /v1/fila";
    EXPECT_GT(deepest.oldest_age_ms_max, 0);
    bound_check(deepest);
    if (kCheckRss) {
      EXPECT_LT(rss_max_kib - rss_baseline_kib, kRssGrowthKibMax);
    }
    EXPECT_EQ(server.Terminate(), 0) << server.output();
  }

  e2e::TempDir dir_;
};

TEST_F(OverloadTest, MessageBoundShedsTheExcessWith503AndKeepsReadsFast) {
  // A bound of 16 messages (of 10 items); the worker applies at most 16 messages per 100 ms.
  constexpr std::size_t kBound = 16;
  BurstSettings settings;
  settings.name = "messages";
  settings.server_args = {"--queue-max-messages", std::to_string(kBound)};
  RunBurst(settings, [&](const ReaderLog& deepest) { EXPECT_LE(deepest.depth_messages_max, kBound); });
}

TEST_F(OverloadTest, ByteBoundShedsTheExcessWith503AndKeepsReadsFast) {
  // The smallest byte bound the server accepts (the 1 MiB body limit) holds about 350 messages
  // of 200 items (about 3 KB each encoded); with a 1 s linger the worker applies a few hundred
  // per second. Fewer writers than above, pausing longer after a 503: each request here costs the
  // server 20 times the decoding, and the point is the bound, not a CPU-bound server.
  constexpr std::size_t kBoundBytes = 1024 * 1024;
  BurstSettings settings;
  settings.name = "bytes";
  settings.server_args = {"--queue-max-bytes", std::to_string(kBoundBytes)};
  settings.items_per_position_request = 200;
  settings.apply_linger_ms = 1000;
  settings.writers = 16;
  settings.pause_after_503 = std::chrono::milliseconds(50);
  RunBurst(settings, [&](const ReaderLog& deepest) { EXPECT_LE(deepest.depth_bytes_max, kBoundBytes); });
}

}  // namespace
}  // namespace estoque::fault
