#include "app/serve_config.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <charconv>

#include "aws/endpoint.h"
#include "domain/timestamp.h"

namespace estoque::app {

Status SplitHostPort(const std::string& listen, std::string* host, uint16_t* port) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) {
    return Status::InvalidArgument("listen: expected HOST:PORT, got '" + listen + "'");
  }
  std::string h = listen.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  unsigned value = 0;
  const char* begin = listen.data() + colon + 1;
  const char* end = listen.data() + listen.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || value > 65535) {
    return Status::InvalidArgument("listen: port must be 0..65535, got '" + listen + "'");
  }
  *host = std::move(h);
  *port = static_cast<uint16_t>(value);
  return Status::Ok();
}

namespace {

bool IsHttpUrl(const std::string& url) {
  return url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0;
}

Status ValidateQueueSettings(const ServeConfig& config) {
  if (config.queue != "embedded" && config.queue != "sqs") {
    return Status::InvalidArgument("queue: must be 'embedded' or 'sqs'");
  }
  if (config.queue == "embedded") {
    if (!config.sqs_queue_url.empty()) {
      return Status::InvalidArgument("sqs-queue-url: only with --queue sqs");
    }
    if (!config.sqs_dlq_url.empty()) return Status::InvalidArgument("sqs-dlq-url: only with --queue sqs");
    return Status::Ok();
  }
  if (config.sqs_queue_url.empty()) {
    return Status::InvalidArgument("sqs-queue-url: required with --queue sqs");
  }
  if (!IsHttpUrl(config.sqs_queue_url)) {
    return Status::InvalidArgument("sqs-queue-url: must be the queue's URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME)");
  }
  if (!config.sqs_dlq_url.empty() && !IsHttpUrl(config.sqs_dlq_url)) {
    return Status::InvalidArgument("sqs-dlq-url: must be the dead-letter queue's URL");
  }
  if (config.sqs_dlq_url == config.sqs_queue_url) {
    return Status::InvalidArgument("sqs-dlq-url: must not be the queue itself");
  }
  if (config.sqs_visibility_timeout_s < 2 || config.sqs_visibility_timeout_s > 43200) {
    return Status::InvalidArgument("sqs-visibility-timeout-s: must be 2..43200");
  }
  return Status::Ok();
}

}  // namespace

Status ValidateServeConfig(const ServeConfig& config) {
  std::string host;
  uint16_t port = 0;
  if (Status s = SplitHostPort(config.listen, &host, &port); !s.ok()) return s;
  if (config.data_dir.empty()) return Status::InvalidArgument("data: must not be empty");
  if (auto zone = domain::TimeZone::Locate(config.time_zone); !zone.ok()) {
    return Status::InvalidArgument("timezone: unknown IANA zone '" + config.time_zone + "'");
  }
  if (config.durability != "sync" && config.durability != "os") {
    return Status::InvalidArgument("durability: must be 'sync' or 'os'");
  }
  if (config.queue_max_messages == 0) return Status::InvalidArgument("queue-max-messages: must be > 0");
  if (config.queue_max_bytes < limits::kRequestBodyBytesMax) {
    return Status::InvalidArgument("queue-max-bytes: must be at least the 1 MiB body limit");
  }
  if (config.apply_batch_messages == 0 || config.apply_batch_messages > limits::kApplyBatchMessagesMax) {
    return Status::InvalidArgument("apply-batch-messages: must be 1.." +
                                   std::to_string(limits::kApplyBatchMessagesMax));
  }
  if (config.apply_linger_ms < 0 || config.apply_linger_ms > 1000) {
    return Status::InvalidArgument("apply-linger-ms: must be 0..1000");
  }
  if (config.apply_workers < 0 || config.apply_workers > 32) {
    return Status::InvalidArgument("apply-workers: must be 0..32 (0: 1 on rocksdb, 4 on dynamodb)");
  }
  if (config.dlq_max_attempts == 0 || config.dlq_max_attempts > limits::kDeadLetterAttemptsMax) {
    return Status::InvalidArgument("dlq-max-attempts: must be 1.." +
                                   std::to_string(limits::kDeadLetterAttemptsMax));
  }
  if (config.log_level != "trace" && config.log_level != "debug" && config.log_level != "info" &&
      config.log_level != "warn" && config.log_level != "error" && config.log_level != "off") {
    return Status::InvalidArgument("log-level: must be trace, debug, info, warn, error or off");
  }
  if (config.block_cache_mb == 0) return Status::InvalidArgument("block-cache-mb: must be > 0");
  if (config.min_free_disk_mb > (std::size_t{1} << 30)) {
    return Status::InvalidArgument("min-free-disk-mb: must be 0..1073741824");
  }
  if (config.shutdown_drain_ms < 0) return Status::InvalidArgument("shutdown-drain-ms: must be >= 0");
  if (config.auth != "on" && config.auth != "off") return Status::InvalidArgument("auth: must be on or off");
  if (config.auth == "off") {
    std::string host;
    uint16_t port = 0;
    if (SplitHostPort(config.listen, &host, &port).ok() && host != "127.0.0.1" && host != "::1") {
      return Status::InvalidArgument(
          "auth: off is only allowed on a loopback address (listen 127.0.0.1:PORT)");
    }
  }
  if (!(config.rate_limit_rps >= 0 && config.rate_limit_rps <= 1e9)) {
    return Status::InvalidArgument("rate-limit-rps: must be 0 (no throttling) .. 1e9");
  }
  if (!(config.rate_limit_burst >= 1 && config.rate_limit_burst <= 1e9)) {
    return Status::InvalidArgument("rate-limit-burst: must be 1 .. 1e9");
  }
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    return Status::InvalidArgument(config.tls_cert.empty()
                                       ? "tls-key: given without tls-cert (HTTPS needs both)"
                                       : "tls-cert: given without tls-key (HTTPS needs both)");
  }
  if (Status s = ValidateQueueSettings(config); !s.ok()) return s;
  if (Status store = ValidateStoreOptions(config); !store.ok()) return store;
  std::vector<std::pair<std::string, std::pair<double, double>>> roles;
  return ParseRoleRateLimits(config.rate_limit_roles, &roles);
}

Status ValidateStoreOptions(const ServeConfig& config) {
  if (config.store != "rocksdb" && config.store != "dynamodb") {
    return Status::InvalidArgument("store: must be rocksdb or dynamodb, got '" + config.store + "'");
  }
  if (!config.dynamodb_endpoint.empty()) {
    if (auto endpoint = aws::ParseEndpointUrl(config.dynamodb_endpoint); !endpoint.ok()) {
      return Status::InvalidArgument("dynamodb-endpoint: " + endpoint.status().message());
    }
  }
  const auto is_region_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; };
  if (!std::all_of(config.aws_region.begin(), config.aws_region.end(), is_region_char)) {
    return Status::InvalidArgument("aws-region: letters, digits and '-' only (e.g. sa-east-1), got '" +
                                   config.aws_region + "'");
  }
  // DynamoDB table names: 3..255 of [A-Za-z0-9_.-]; the longest name estoque adds is 14 bytes.
  const auto is_table_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  };
  if (config.dynamodb_table_prefix.size() > kTablePrefixBytesMax ||
      !std::all_of(config.dynamodb_table_prefix.begin(), config.dynamodb_table_prefix.end(),
                   is_table_char)) {
    return Status::InvalidArgument(
        "dynamodb-table-prefix: at most " + std::to_string(kTablePrefixBytesMax) +
        " of A-Z a-z 0-9 _ - . (DynamoDB's table name characters), got '" +
        config.dynamodb_table_prefix + "'");
  }
  if (config.dynamodb_billing_mode != "on-demand" && config.dynamodb_billing_mode != "provisioned") {
    return Status::InvalidArgument("dynamodb-billing-mode: must be on-demand or provisioned, got '" +
                                   config.dynamodb_billing_mode + "'");
  }
  for (auto [name, units] : {std::pair{"dynamodb-rcu", config.dynamodb_rcu},
                             std::pair{"dynamodb-wcu", config.dynamodb_wcu}}) {
    if (units < 1 || units > kCapacityUnitsMax) {
      return Status::InvalidArgument(std::string(name) + ": must be 1.." +
                                     std::to_string(kCapacityUnitsMax) + " (capacity units per " +
                                     "table and per index, provisioned mode)");
    }
  }
  return Status::Ok();
}

Status ParseRoleRateLimits(const std::string& text,
                           std::vector<std::pair<std::string, std::pair<double, double>>>* out) {
  out->clear();
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string part = text.substr(start, end - start);
    start = end + 1;
    if (part.empty()) continue;
    const std::size_t equals = part.find('=');
    const std::size_t colon = part.find(':', equals == std::string::npos ? 0 : equals);
    auto fail = [&part] {
      return Status::InvalidArgument("rate-limit-roles: '" + part +
                                     "' must be ROLE=RPS:BURST (e.g. pdv=50:100)");
    };
    if (equals == std::string::npos || colon == std::string::npos) return fail();
    const std::string role = part.substr(0, equals);
    if (role != "admin" && role != "pdv" && role != "leitura" && role != "integracao") return fail();
    char* rest = nullptr;
    const std::string rps_text = part.substr(equals + 1, colon - equals - 1);
    const std::string burst_text = part.substr(colon + 1);
    const double rps = std::strtod(rps_text.c_str(), &rest);
    if (rps_text.empty() || *rest != '\0' || !(rps > 0 && rps <= 1e9)) return fail();
    const double burst = std::strtod(burst_text.c_str(), &rest);
    if (burst_text.empty() || *rest != '\0' || !(burst >= 1 && burst <= 1e9)) return fail();
    out->emplace_back(role, std::make_pair(rps, burst));
  }
  return Status::Ok();
}

}  // namespace estoque::app
