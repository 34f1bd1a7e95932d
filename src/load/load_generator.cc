#include "load/load_generator.h"

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <ostream>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <fmt/format.h>

#include "common/clock.h"
#include "common/limits.h"
#include "load/base_url.h"
#include "load/catalog.h"
#include "load/freshness_prober.h"
#include "load/latency_histogram.h"
#include "load/load_connection.h"
#include "load/run_context.h"

namespace estoque::load {

namespace {

using boost::asio::ip::tcp;

// Bounds of the options.
constexpr std::size_t kConnectionsMax = 4096;
constexpr std::size_t kThreadsMax = 64;
constexpr std::size_t kBranchesMax = 100'000;
// The reachability check before the run.
constexpr int kFirstConnectTimeoutSeconds = 5;

Status ValidateOptions(const LoadOptions& options) {
  const auto fail = [](std::string reason) { return Status::InvalidArgument(std::move(reason)); };
  if (options.kind != LoadKind::kPositions && options.kind != LoadKind::kSales) {
    return fail("kind must be posicoes or vendas");
  }
  if (options.kind == LoadKind::kSales && options.sequential_keys) {
    return fail("sequential keys are for posicoes only (a sale's lines share one branch)");
  }
  if (options.batch_items < 1 || options.batch_items > limits::kItemsPerMessageMax) {
    return fail(fmt::format("batch must be 1 to {} items", limits::kItemsPerMessageMax));
  }
  if (options.connections < 1 || options.connections > kConnectionsMax) {
    return fail(fmt::format("connections must be 1 to {}", kConnectionsMax));
  }
  if (options.threads < 1 || options.threads > kThreadsMax) {
    return fail(fmt::format("threads must be 1 to {}", kThreadsMax));
  }
  if (options.branches < 1 || options.branches > kBranchesMax) {
    return fail(fmt::format("branches must be 1 to {}", kBranchesMax));
  }
  if (!std::isfinite(options.duration_s) || options.duration_s < 0 ||
      (options.duration_s == 0 && options.messages_max == 0)) {
    return fail("duration must be > 0 seconds (or 0 with a message count)");
  }
  if (!std::isfinite(options.rate_items_per_s) || options.rate_items_per_s < 0) {
    return fail("rate must be >= 0 items/s");
  }
  if (!std::isfinite(options.progress_interval_s) || options.progress_interval_s < 0) {
    return fail("progress interval must be >= 0 seconds");
  }
  if (options.catalog_path.empty() &&
      (options.generated_products < 1 || options.generated_products > kGeneratedProductsMax)) {
    return fail(fmt::format("products must be 1 to {}", kGeneratedProductsMax));
  }
  return Status::Ok();
}

// One connect attempt with a deadline, so "server down" is a clear error before the run.
Status CheckReachable(const tcp::resolver::results_type& endpoints, const std::string& url) {
  boost::asio::io_context io;
  boost::beast::tcp_stream stream(io);
  boost::system::error_code result = boost::asio::error::timed_out;
  stream.expires_after(std::chrono::seconds(kFirstConnectTimeoutSeconds));
  stream.async_connect(endpoints, [&](boost::system::error_code error, const auto&) { result = error; });
  io.run();
  if (result) return Status::Unavailable("cannot connect to " + url + ": " + result.message());
  return Status::Ok();
}

// Runs one io_context on one thread, with its connections and their latency histogram.
struct IoWorker {
  boost::asio::io_context io{1};
  LatencyHistogram latency;
  std::vector<std::unique_ptr<LoadConnection>> connections;
  std::thread thread;
};

// Counts live connections; the main thread waits on it.
class StopLatch {
 public:
  explicit StopLatch(std::size_t count) : remaining_(count) {}
  void CountDown() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (--remaining_ == 0) done_.notify_all();
  }
  // True when all counted down; false on timeout.
  bool WaitUntil(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mutex_);
    return done_.wait_until(lock, deadline, [&] { return remaining_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable done_;
  std::size_t remaining_;
};

}  // namespace

std::string_view LoadKindName(LoadKind kind) {
  return kind == LoadKind::kSales ? "vendas" : "posicoes";
}

std::optional<LoadKind> ParseLoadKind(std::string_view name) {
  if (name == "posicoes") return LoadKind::kPositions;
  if (name == "vendas") return LoadKind::kSales;
  return std::nullopt;
}

Result<LoadReport> RunLoad(const LoadOptions& options, std::ostream& progress) {
  if (Status s = ValidateOptions(options); !s.ok()) return s;
  Result<BaseUrl> url = ParseBaseUrl(options.url);
  if (!url.ok()) return url.status();

  std::vector<Product> catalog;
  if (options.catalog_path.empty()) {
    catalog = GenerateCatalog(options.generated_products);
  } else {
    Result<std::vector<Product>> loaded = LoadCatalog(options.catalog_path);
    if (!loaded.ok()) return Status::InvalidArgument(loaded.status().message());
    catalog = std::move(loaded).value();
  }
  Result<domain::TimeZone> zone = domain::TimeZone::Locate(domain::kDefaultTimeZoneName);
  if (!zone.ok()) return zone.status();

  tcp::resolver::results_type endpoints;
  {
    boost::asio::io_context io;
    tcp::resolver resolver(io);
    boost::system::error_code error;
    endpoints = resolver.resolve(url->host, url->port, error);
    if (error) return Status::Unavailable("cannot resolve " + url->host + ": " + error.message());
  }
  if (Status s = CheckReachable(endpoints, options.url); !s.ok()) return s;

  RunContext run(options, std::move(catalog), endpoints, url->host_header, url->path_prefix, *zone,
                 progress);
  std::unique_ptr<FreshnessProber> prober;
  if (options.freshness_sample_every != 0) {
    prober = std::make_unique<FreshnessProber>(endpoints, url->host_header, options.api_key,
                                               &run.error_log);
    run.prober = prober.get();
    prober->Start();
  }

  StopLatch all_stopped(options.connections);
  std::vector<std::unique_ptr<IoWorker>> workers;
  for (std::size_t i = 0; i < options.threads; ++i) workers.push_back(std::make_unique<IoWorker>());
  for (std::size_t i = 0; i < options.connections; ++i) {
    IoWorker& worker = *workers[i % workers.size()];
    worker.connections.push_back(std::make_unique<LoadConnection>(
        worker.io, &run, &worker.latency, /*seed=*/0x5EED0000 + i, [&all_stopped] { all_stopped.CountDown(); }));
  }

  const int64_t start_us = MonotonicMicros();
  const auto start = std::chrono::steady_clock::now();
  for (auto& worker : workers) {
    for (auto& connection : worker->connections) connection->Start();
    worker->thread = std::thread([&io = worker->io] { io.run(); });
  }

  const bool timed = options.duration_s > 0;
  const auto deadline = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                    std::chrono::duration<double>(options.duration_s));
  const bool report_progress = options.progress_interval_s > 0;
  const auto progress_period = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(report_progress ? options.progress_interval_s : 1));
  auto next_progress = start + progress_period;
  uint64_t items_at_last_progress = 0;
  auto last_progress = start;
  for (;;) {
    auto wake = std::chrono::steady_clock::time_point::max();
    if (timed && !run.stopping.load()) wake = deadline;
    if (report_progress) wake = std::min(wake, next_progress);
    if (all_stopped.WaitUntil(wake)) break;
    const auto now = std::chrono::steady_clock::now();
    if (timed && now >= deadline) run.stopping.store(true);
    if (report_progress && now >= next_progress) {
      const uint64_t items = run.items_accepted.load(std::memory_order_relaxed);
      const double interval_s = std::chrono::duration<double>(now - last_progress).count();
      run.error_log.Print(fmt::format(
          "[{:7.1f}s] items/s={:.0f} items={} messages={} errors={} freshness_probes={}",
          std::chrono::duration<double>(now - start).count(),
          static_cast<double>(items - items_at_last_progress) / interval_s, items,
          run.messages_accepted.load(std::memory_order_relaxed),
          run.error_responses.load(std::memory_order_relaxed) + (prober ? prober->errors() : 0),
          prober ? prober->completed() : 0));
      items_at_last_progress = items;
      last_progress = now;
      while (next_progress <= now) next_progress += progress_period;
    }
  }
  const int64_t end_us = MonotonicMicros();
  for (auto& worker : workers) worker->thread.join();
  if (prober) prober->Finish();

  LatencyHistogram latency;
  for (const auto& worker : workers) latency.Merge(worker->latency);

  LoadReport report;
  report.messages_accepted = run.messages_accepted.load();
  report.items_accepted = run.items_accepted.load();
  report.error_responses = run.error_responses.load() + (prober ? prober->errors() : 0);
  report.elapsed_s = static_cast<double>(end_us - start_us) / 1e6;
  report.items_per_s = report.elapsed_s > 0 ? static_cast<double>(report.items_accepted) / report.elapsed_s : 0;
  report.latency_ms_p50 = latency.PercentileMs(50);
  report.latency_ms_p90 = latency.PercentileMs(90);
  report.latency_ms_p99 = latency.PercentileMs(99);
  report.latency_ms_max = latency.PercentileMs(100);
  if (prober) {
    const LatencyHistogram& freshness = prober->freshness();
    report.freshness_samples = freshness.count();
    report.freshness_ms_p50 = freshness.PercentileMs(50);
    report.freshness_ms_p99 = freshness.PercentileMs(99);
    report.freshness_ms_max = freshness.PercentileMs(100);
    if (prober->skipped() != 0) {
      run.error_log.Print(fmt::format(
          "note: {} freshness samples skipped while {} probes were already polling",
          prober->skipped(), kProbeConnectionsMax));
    }
  }
  return report;
}

std::string FormatReport(const LoadReport& r) {
  std::string out;
  out += fmt::format("messages accepted: {} ({} items) in {:.2f} s\n", r.messages_accepted,
                     r.items_accepted, r.elapsed_s);
  out += fmt::format("throughput: {:.0f} items/s ({:.0f} messages/s)\n", r.items_per_s,
                     r.elapsed_s > 0 ? static_cast<double>(r.messages_accepted) / r.elapsed_s : 0.0);
  out += fmt::format("request latency ms: p50 {:.3f}  p90 {:.3f}  p99 {:.3f}  max {:.3f}\n",
                     r.latency_ms_p50, r.latency_ms_p90, r.latency_ms_p99, r.latency_ms_max);
  out += fmt::format("freshness ms (202 -> readable, {} samples): p50 {:.3f}  p99 {:.3f}  max {:.3f}\n",
                     r.freshness_samples, r.freshness_ms_p50, r.freshness_ms_p99, r.freshness_ms_max);
  out += fmt::format("errors: {}\n", r.error_responses);
  out += fmt::format(
      "RESULT items_per_s={:.0f} latency_ms_p50={:.3f} latency_ms_p90={:.3f} latency_ms_p99={:.3f} "
      "latency_ms_max={:.3f} freshness_ms_p50={:.3f} freshness_ms_p99={:.3f} errors={}\n",
      r.items_per_s, r.latency_ms_p50, r.latency_ms_p90, r.latency_ms_p99, r.latency_ms_max,
      r.freshness_ms_p50, r.freshness_ms_p99, r.error_responses);
  return out;
}

}  // namespace estoque::load
