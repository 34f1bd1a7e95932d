// FreshnessProber: measures how long after a 202 a written position (or sale) becomes readable.
// For each sampled message it polls GET /v1/posicoes/{codigo_barra}/{filial} of the message's last
// item (or sale line) until the returned event time is at or after the one sent (a later write to
// the same key counts too). That time is the stock state's updated time, the newest event time of
// any movement of the product-branch, so an applied sale line moves it like a position does.
// Freshness = first such response - the 202. Runs on its own thread and connections so that
// polling never delays the load itself.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "load/latency_histogram.h"

namespace estoque::load {

class ErrorLog;

struct FreshnessProbe {
  std::string target;      // "/v1/posicoes/{codigo_barra}/{filial}"
  int64_t sent_time_us;    // event time sent (UTC microseconds, as the server will store it)
  int64_t accepted_at_us;  // MonotonicMicros when the 202 arrived
};

// Pause between two GETs of one probe: kProbePollIntervalMicros at first, then growing with the
// time already waited (elapsed / kProbePollResolutionDivisor), so a freshness of 2 ms is measured
// to 0.5 ms and one of 200 ms to about 10 %, without flooding the server with GETs.
inline constexpr int64_t kProbePollIntervalMicros = 500;
inline constexpr int64_t kProbePollResolutionDivisor = 10;
// A probe still not fresh after this is given up and counted as an error.
inline constexpr int64_t kProbeGiveUpMicros = 10'000'000;
// Probes polled at once, each on its own connection. A sample submitted while all are busy is
// skipped (counted, not an error). This bounds the polling load on the server (which would
// otherwise grow with freshness itself); the price is that periods of slow freshness are sampled
// less densely, so the percentiles are over probes, not over all messages.
inline constexpr std::size_t kProbeConnectionsMax = 4;

class ProbeConnection;

// Submit is thread-safe; Start and Finish are called once each, from the owning thread.
class FreshnessProber {
 public:
  // `endpoints`, `host_header` and `errors` must outlive the prober.
  FreshnessProber(boost::asio::ip::tcp::resolver::results_type endpoints, std::string host_header,
                  std::string api_key, ErrorLog* errors);
  ~FreshnessProber();

  // Starts the prober's thread.
  void Start();
  // Starts a probe on a free connection, or skips it when kProbeConnectionsMax are busy.
  void Submit(FreshnessProbe probe);
  // Waits until every submitted probe has finished (each is bounded by kProbeGiveUpMicros), then
  // stops the thread. REQUIRES: no Submit after Finish starts.
  void Finish();

  // Valid after Finish.
  const LatencyHistogram& freshness() const { return freshness_; }
  uint64_t errors() const { return errors_.load(); }
  uint64_t skipped() const { return skipped_.load(); }
  // Updated live (for progress lines).
  uint64_t completed() const { return completed_.load(std::memory_order_relaxed); }

 private:
  friend class ProbeConnection;

  // Prober-thread only.
  void OnProbeDone(ProbeConnection* connection, bool fresh, int64_t freshness_us,
                   const std::string& error);
  void MaybeFinish();

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  const boost::asio::ip::tcp::resolver::results_type endpoints_;
  const std::string host_header_;
  const std::string api_key_;  // x-api-key of every probe ("" = none)
  ErrorLog& error_log_;
  std::thread thread_;

  // Prober-thread only.
  std::vector<std::unique_ptr<ProbeConnection>> connections_;
  std::vector<ProbeConnection*> idle_;
  std::size_t busy_ = 0;
  bool finishing_ = false;
  LatencyHistogram freshness_;

  std::atomic<uint64_t> errors_{0};
  std::atomic<uint64_t> skipped_{0};
  std::atomic<uint64_t> completed_{0};
};

}  // namespace estoque::load
