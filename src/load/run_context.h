// State shared by every part of one load run: options, catalog, server address, pacing, the
// event clock, stop flag and counters. Created by RunLoad, outlives every connection.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "common/clock.h"
#include "domain/timestamp.h"
#include "load/body_builder.h"
#include "load/catalog.h"
#include "load/load_generator.h"
#include "load/pacer.h"
#include "load/sale_body_builder.h"

namespace estoque::load {

class FreshnessProber;

// Prints the first few error details (a non-202 body, a transport error) to the progress stream;
// later ones are only counted. Thread-safe.
class ErrorLog {
 public:
  static constexpr uint64_t kErrorsPrintedMax = 5;
  explicit ErrorLog(std::ostream& out) : out_(out) {}
  void Report(std::string_view what);
  // Writes `line` (plus a newline) to the stream under the same lock.
  void Print(std::string_view line);

 private:
  std::mutex mutex_;
  std::ostream& out_;
  uint64_t printed_ = 0;
};

struct RunContext {
  RunContext(const LoadOptions& options_in, std::vector<Product> catalog_in,
             boost::asio::ip::tcp::resolver::results_type endpoints_in, std::string host_header_in,
             std::string path_prefix_in, domain::TimeZone zone_in, std::ostream& progress)
      : options(options_in),
        catalog(std::move(catalog_in)),
        item_prefixes(options_in.kind == LoadKind::kPositions ? PrepareItemPrefixes(catalog)
                                                               : std::vector<std::string>()),
        sale_line_prefixes(options_in.kind == LoadKind::kSales ? PrepareSaleLinePrefixes(catalog)
                                                               : std::vector<std::string>()),
        sale_id_prefix(SaleIdPrefixForRun(NowUnixMicros())),
        endpoints(std::move(endpoints_in)),
        host_header(std::move(host_header_in)),
        path_prefix(std::move(path_prefix_in)),
        zone(zone_in),
        pacer(options_in.rate_items_per_s),
        error_log(progress) {}

  const LoadOptions& options;
  const std::vector<Product> catalog;
  // The prefixes of the kind posted (the other is empty).
  const std::vector<std::string> item_prefixes;       // PrepareItemPrefixes(catalog)
  const std::vector<std::string> sale_line_prefixes;  // PrepareSaleLinePrefixes(catalog)
  const std::string sale_id_prefix;  // sale i of the run is sale_id_prefix + i (i = message index)
  const boost::asio::ip::tcp::resolver::results_type endpoints;
  const std::string host_header;
  const std::string path_prefix;  // "" or "/prefix"
  const domain::TimeZone zone;    // for the seed time format
  Pacer pacer;
  EventClock event_clock;
  std::atomic<uint64_t> next_sequential_key{0};  // with options.sequential_keys
  ErrorLog error_log;
  FreshnessProber* prober = nullptr;  // null when freshness is not sampled

  std::atomic<bool> stopping{false};
  std::atomic<uint64_t> messages_started{0};
  std::atomic<uint64_t> messages_accepted{0};
  std::atomic<uint64_t> items_accepted{0};
  std::atomic<uint64_t> error_responses{0};

  // Counts one error and reports its detail.
  void Error(std::string_view what) {
    error_responses.fetch_add(1, std::memory_order_relaxed);
    error_log.Report(what);
  }
};

}  // namespace estoque::load
