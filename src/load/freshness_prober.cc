#include "load/freshness_prober.h"

#include <algorithm>
#include <optional>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "common/clock.h"
#include "load/response_json.h"
#include "load/run_context.h"

namespace estoque::load {

namespace http = boost::beast::http;
using ErrorCode = boost::system::error_code;

namespace {
constexpr int kProbeRequestTimeoutSeconds = 10;
constexpr uint64_t kProbeResponseBodyBytesMax = 64 * 1024;
}  // namespace

// One keep-alive connection running one probe at a time. Prober-thread only.
class ProbeConnection {
 public:
  explicit ProbeConnection(FreshnessProber* prober)
      : prober_(*prober), stream_(prober->io_), timer_(prober->io_) {
    request_.method(http::verb::get);
    request_.version(11);
    request_.set(http::field::host, prober_.host_header_);
    request_.set(http::field::user_agent, "estoque-load-probe");
    if (!prober_.api_key_.empty()) request_.set("x-api-key", prober_.api_key_);
    request_.keep_alive(true);
  }

  void Run(FreshnessProbe probe) {
    probe_ = std::move(probe);
    request_.target(probe_.target);
    if (!connected_) return Connect();
    Poll();
  }

  void Close() {
    ErrorCode ignored;
    stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.close();
    connected_ = false;
  }

 private:
  void Connect() {
    buffer_.clear();
    stream_.expires_after(std::chrono::seconds(kProbeRequestTimeoutSeconds));
    stream_.async_connect(prober_.endpoints_, [this](ErrorCode error, const auto&) {
      if (error) return Done(false, "probe connect: " + error.message());
      connected_ = true;
      stream_.socket().set_option(boost::asio::ip::tcp::no_delay(true), error);
      Poll();
    });
  }

  void Poll() {
    stream_.expires_after(std::chrono::seconds(kProbeRequestTimeoutSeconds));
    http::async_write(stream_, request_, [this](ErrorCode error, std::size_t) {
      if (error) return Done(false, "probe write: " + error.message());
      parser_.emplace();
      parser_->body_limit(kProbeResponseBodyBytesMax);
      http::async_read(stream_, buffer_, *parser_, [this](ErrorCode error, std::size_t) {
        if (error) return Done(false, "probe read: " + error.message());
        OnResponse();
      });
    });
  }

  void OnResponse() {
    const int64_t now_us = MonotonicMicros();
    const auto& response = parser_->get();
    if (!response.keep_alive()) Close();
    if (response.result() == http::status::ok) {
      const Result<int64_t> stored_time = ParsePositionTimeMicros(response.body());
      if (!stored_time.ok()) return Done(false, "probe GET: " + stored_time.status().message());
      if (*stored_time >= probe_.sent_time_us) return Done(true, "", now_us - probe_.accepted_at_us);
    } else if (response.result() != http::status::not_found) {
      return Done(false, "probe GET HTTP " + std::to_string(response.result_int()) + ": " +
                             response.body().substr(0, 200));
    }
    if (now_us - probe_.accepted_at_us > kProbeGiveUpMicros) {
      return Done(false, "position " + probe_.target + " not readable 10 s after its 202");
    }
    const int64_t waited_us = now_us - probe_.accepted_at_us;
    timer_.expires_after(std::chrono::microseconds(
        std::max(kProbePollIntervalMicros, waited_us / kProbePollResolutionDivisor)));
    timer_.async_wait([this](ErrorCode) {
      if (!connected_) return Connect();
      Poll();
    });
  }

  void Done(bool fresh, const std::string& error, int64_t freshness_us = 0) {
    if (!fresh) Close();
    prober_.OnProbeDone(this, fresh, freshness_us, error);
  }

  FreshnessProber& prober_;
  boost::beast::tcp_stream stream_;
  boost::asio::steady_timer timer_;
  boost::beast::flat_buffer buffer_;
  http::request<http::empty_body> request_;
  std::optional<http::response_parser<http::string_body>> parser_;
  FreshnessProbe probe_;
  bool connected_ = false;
};

FreshnessProber::FreshnessProber(boost::asio::ip::tcp::resolver::results_type endpoints,
                                 std::string host_header, std::string api_key, ErrorLog* errors)
    : work_(boost::asio::make_work_guard(io_)),
      endpoints_(std::move(endpoints)),
      host_header_(std::move(host_header)),
      api_key_(std::move(api_key)),
      error_log_(*errors) {}

FreshnessProber::~FreshnessProber() {
  if (thread_.joinable()) {
    work_.reset();
    io_.stop();
    thread_.join();
  }
}

void FreshnessProber::Start() {
  thread_ = std::thread([this] { io_.run(); });
}

void FreshnessProber::Submit(FreshnessProbe probe) {
  boost::asio::post(io_, [this, probe = std::move(probe)]() mutable {
    ProbeConnection* connection;
    if (!idle_.empty()) {
      connection = idle_.back();
      idle_.pop_back();
    } else if (connections_.size() < kProbeConnectionsMax) {
      connections_.push_back(std::make_unique<ProbeConnection>(this));
      connection = connections_.back().get();
    } else {
      skipped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    ++busy_;
    connection->Run(std::move(probe));
  });
}

void FreshnessProber::OnProbeDone(ProbeConnection* connection, bool fresh, int64_t freshness_us,
                                  const std::string& error) {
  --busy_;
  idle_.push_back(connection);
  completed_.fetch_add(1, std::memory_order_relaxed);
  if (fresh) {
    freshness_.Record(static_cast<uint64_t>(freshness_us));
  } else {
    errors_.fetch_add(1, std::memory_order_relaxed);
    error_log_.Report(error);
  }
  MaybeFinish();
}

void FreshnessProber::MaybeFinish() {
  if (!finishing_ || busy_ != 0) return;
  for (auto& connection : connections_) connection->Close();
  work_.reset();
}

void FreshnessProber::Finish() {
  boost::asio::post(io_, [this] {
    finishing_ = true;
    MaybeFinish();
  });
  thread_.join();
}

}  // namespace estoque::load
