#include "load/load_connection.h"

#include <algorithm>
#include <charconv>
#include <string>

#include <boost/asio/connect.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "common/clock.h"
#include "load/freshness_prober.h"
#include "load/response_json.h"

namespace estoque::load {

namespace http = boost::beast::http;

namespace {

constexpr std::size_t kErrorBodyCharsPrintedMax = 500;

TimeFormat TimeFormatOf(const LoadOptions& options) {
  return options.seed_time_format ? TimeFormat::kSeedLocal : TimeFormat::kRfc3339Micros;
}

// Retry-After (whole seconds) of a 503, capped; 100 ms when absent or unreadable.
std::chrono::milliseconds RetryAfter(std::string_view header) {
  unsigned seconds = 0;
  const auto [end, error] = std::from_chars(header.data(), header.data() + header.size(), seconds);
  if (error != std::errc() || end != header.data() + header.size()) {
    return std::chrono::milliseconds(kReconnectBackoffMillis);
  }
  return std::chrono::milliseconds(std::min<uint64_t>(uint64_t{seconds} * 1000, kRetryAfterMillisMax));
}

}  // namespace

LoadConnection::LoadConnection(boost::asio::io_context& io, RunContext* run,
                               LatencyHistogram* latency, uint64_t seed,
                               std::function<void()> on_stopped)
    : run_(*run),
      latency_(*latency),
      on_stopped_(std::move(on_stopped)),
      stream_(io),
      timer_(io) {
  const bool sales = run->options.kind == LoadKind::kSales;
  if (sales) {
    sale_builder_.emplace(&run->sale_line_prefixes, run->options.branches,
                          TimeFormatOf(run->options), run->zone, seed, run->sale_id_prefix);
  } else {
    position_builder_.emplace(&run->item_prefixes, run->options.branches,
                              TimeFormatOf(run->options), run->zone, seed,
                              run->options.sequential_keys ? &run->next_sequential_key : nullptr);
  }
  request_.method(http::verb::post);
  request_.target(run_.path_prefix + (sales ? "/v1/vendas" : "/v1/posicoes"));
  request_.version(11);
  request_.set(http::field::host, run_.host_header);
  request_.set(http::field::content_type, "application/json");
  request_.set(http::field::user_agent, "estoque-load");
  if (!run_.options.api_key.empty()) request_.set("x-api-key", run_.options.api_key);
  request_.keep_alive(true);
}

void LoadConnection::Start() { Connect(); }

void LoadConnection::Connect() {
  if (run_.stopping.load(std::memory_order_relaxed)) return Stop();
  buffer_.clear();
  stream_.expires_after(std::chrono::seconds(kRequestTimeoutSeconds));
  stream_.async_connect(run_.endpoints, [this](ErrorCode error, const auto&) { OnConnect(error); });
}

void LoadConnection::OnConnect(ErrorCode error) {
  if (error) return FailTransport("connect", error);
  stream_.socket().set_option(boost::asio::ip::tcp::no_delay(true), error);
  Next();
}

void LoadConnection::Next() {
  if (run_.stopping.load(std::memory_order_relaxed)) return Stop();
  const LoadOptions& options = run_.options;
  const uint64_t message_index = run_.messages_started.fetch_add(1, std::memory_order_relaxed);
  if (options.messages_max != 0 && message_index >= options.messages_max) {
    run_.stopping.store(true, std::memory_order_relaxed);
    return Stop();
  }
  message_index_ = message_index;
  sample_freshness_ = run_.prober != nullptr && options.freshness_sample_every != 0 &&
                      message_index % options.freshness_sample_every == 0;
  const int64_t now_us = MonotonicMicros();
  const int64_t slot_us = run_.pacer.Reserve(options.batch_items, now_us);
  if (slot_us > now_us) return WaitThen(std::chrono::microseconds(slot_us - now_us), &LoadConnection::Send);
  Send();
}

void LoadConnection::Send() {
  const std::size_t items = run_.options.batch_items;
  if (sale_builder_) {
    // A sale has one event time for all its lines.
    last_item_ = sale_builder_->Build(items, run_.event_clock.Reserve(1), message_index_,
                                      &request_.body());
  } else {
    last_item_ =
        position_builder_->Build(items, run_.event_clock.Reserve(items), &request_.body());
  }
  request_.prepare_payload();
  sent_at_us_ = MonotonicMicros();
  stream_.expires_after(std::chrono::seconds(kRequestTimeoutSeconds));
  http::async_write(stream_, request_, [this](ErrorCode error, std::size_t) { OnWrite(error); });
}

void LoadConnection::OnWrite(ErrorCode error) {
  if (error) return FailTransport("write", error);
  parser_.emplace();
  parser_->body_limit(kResponseBodyBytesMax);
  http::async_read(stream_, buffer_, *parser_, [this](ErrorCode error, std::size_t) { OnRead(error); });
}

void LoadConnection::OnRead(ErrorCode error) {
  if (error) return FailTransport("read", error);
  const int64_t received_at_us = MonotonicMicros();
  latency_.Record(static_cast<uint64_t>(received_at_us - sent_at_us_));
  const auto& response = parser_->get();
  const bool keep_alive = response.keep_alive();
  std::chrono::steady_clock::duration pause{0};

  if (response.result() == http::status::accepted) {
    const Result<uint64_t> items = ParseAcceptedItems(response.body());
    if (!items.ok() || *items != run_.options.batch_items) {
      run_.Error("202 with unexpected body: " + response.body().substr(0, kErrorBodyCharsPrintedMax));
    } else {
      run_.messages_accepted.fetch_add(1, std::memory_order_relaxed);
      run_.items_accepted.fetch_add(*items, std::memory_order_relaxed);
      if (sample_freshness_) {
        const Product& product = run_.catalog[last_item_.product];
        run_.prober->Submit(FreshnessProbe{
            run_.path_prefix + "/v1/posicoes/" + product.barcode + "/" +
                BodyBuilder::BranchName(last_item_.branch),
            last_item_.time_us, received_at_us});
      }
    }
  } else {
    run_.Error("HTTP " + std::to_string(response.result_int()) + ": " +
               response.body().substr(0, kErrorBodyCharsPrintedMax));
    if (response.result() == http::status::service_unavailable) {
      pause = RetryAfter(response[http::field::retry_after]);
    }
  }

  if (!keep_alive) {
    ErrorCode ignored;
    stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.close();
    return WaitThen(pause, &LoadConnection::Connect);
  }
  if (pause.count() > 0) return WaitThen(pause, &LoadConnection::Next);
  Next();
}

void LoadConnection::FailTransport(std::string_view operation, ErrorCode error) {
  if (run_.stopping.load(std::memory_order_relaxed) && error == boost::asio::error::operation_aborted) {
    return Stop();
  }
  run_.Error(std::string(operation) + ": " + error.message());
  stream_.close();
  WaitThen(std::chrono::milliseconds(kReconnectBackoffMillis), &LoadConnection::Connect);
}

void LoadConnection::WaitThen(std::chrono::steady_clock::duration delay,
                              void (LoadConnection::*then)()) {
  timer_.expires_after(delay);
  timer_.async_wait([this, then](ErrorCode error) {
    if (error) return Stop();
    (this->*then)();
  });
}

void LoadConnection::Stop() {
  if (stopped_) return;
  stopped_ = true;
  ErrorCode ignored;
  stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.close();
  on_stopped_();
}

}  // namespace estoque::load
