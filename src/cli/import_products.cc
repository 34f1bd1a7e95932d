#include "cli/import_products.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include "api/catalog_json.h"
#include "api/json_writer.h"
#include "cli/http_client.h"
#include "cli/product_file.h"
#include "cli/progress_bar.h"
#include "common/clock.h"

namespace estoque::cli {

namespace {

constexpr std::string_view kBatchTarget = "/v1/produtos/lote";
// Room left under the server's body limit for the brackets and commas.
constexpr std::size_t kBodyBytesMargin = 64;
// Longest wait honoured from a 503's Retry-After.
constexpr int kRetryAfterSecondsMax = 10;
// Characters of an unexpected response body quoted in an error.
constexpr std::size_t kErrorBodyCharsPrintedMax = 500;

// The rows [begin, end) as one POST /v1/produtos/lote body.
std::string BatchBody(const std::vector<ProductRow>& rows, std::size_t begin, std::size_t end) {
  std::string body;
  api::JsonWriter writer(&body);
  writer.BeginArray();
  for (std::size_t i = begin; i < end; ++i) api::WriteProductInput(writer, rows[i].product);
  writer.EndArray();
  return body;
}

// The end of the batch starting at `begin`: at most `items_max` rows, and a body under the
// server's limit.
std::size_t BatchEnd(const std::vector<ProductRow>& rows, std::size_t begin,
                     std::size_t items_max) {
  std::size_t bytes = 2;
  std::size_t end = begin;
  std::string item;
  while (end < rows.size() && end - begin < items_max) {
    item.clear();
    api::JsonWriter writer(&item);
    api::WriteProductInput(writer, rows[end].product);
    if (end > begin && bytes + item.size() + 1 > limits::kRequestBodyBytesMax - kBodyBytesMargin) {
      break;
    }
    bytes += item.size() + 1;
    ++end;
  }
  return end;
}

int RetryAfterSeconds(std::string_view header) {
  int seconds = 1;
  const auto [end, error] = std::from_chars(header.data(), header.data() + header.size(), seconds);
  if (error != std::errc() || end != header.data() + header.size() || seconds < 0) return 1;
  return std::min(seconds, kRetryAfterSecondsMax);
}

// The message for a response other than 200: the server's error, with each detail mapped back
// to the file's row.
std::string DescribeFailure(const HttpReply& reply, const std::vector<ProductRow>& rows,
                            std::size_t batch_begin) {
  std::string message = "the server answered HTTP " + std::to_string(reply.status);
  boost::system::error_code ignored;
  const boost::json::value body = boost::json::parse(reply.body, ignored);
  const boost::json::object* error =
      body.is_object() && body.as_object().contains("error") ? body.at("error").if_object()
                                                             : nullptr;
  if (error == nullptr) {
    return message + ": " + reply.body.substr(0, kErrorBodyCharsPrintedMax);
  }
  if (const auto* text = error->contains("message") ? error->at("message").if_string() : nullptr) {
    message += ": " + std::string(*text);
  }
  const boost::json::array* details =
      error->contains("details") ? error->at("details").if_array() : nullptr;
  std::size_t listed = 0;
  for (const boost::json::value& detail : details ? *details : boost::json::array()) {
    if (!detail.is_object() || ++listed > kImportProblemsListedMax) continue;
    const boost::json::object& fields = detail.as_object();
    std::string where = "request";
    if (const auto* index = fields.if_contains("index");
        index && index->is_int64() && index->as_int64() >= 0) {
      const std::size_t row = batch_begin + static_cast<std::size_t>(index->as_int64());
      where = row < rows.size() ? rows[row].where : "item " + std::to_string(row);
    }
    const auto text_of = [&](const char* key) {
      const boost::json::value* value = fields.if_contains(key);
      return value && value->is_string() ? std::string(value->as_string()) : std::string();
    };
    const std::string field = text_of("field");
    message += "\n  " + where + ": " + (field.empty() ? "" : field + ": ") + text_of("reason");
  }
  return message;
}

int Fail(std::ostream& err, const std::string& message) {
  err << "estoque import: " << message << "\n" << std::flush;
  return 1;
}

}  // namespace

int RunImportProducts(const ImportProductsOptions& options, std::ostream& out,
                      std::ostream& progress, bool progress_is_terminal) {
  if (options.batch_items < 1 || options.batch_items > limits::kCatalogBatchItemsMax) {
    return Fail(progress, "--batch must be from 1 to " +
                              std::to_string(limits::kCatalogBatchItemsMax));
  }
  Result<load::BaseUrl> url = load::ParseBaseUrl(options.server);
  if (!url.ok()) return Fail(progress, url.status().message());
  Result<std::vector<ProductRow>> rows = ReadProductFile(options.file);
  if (!rows.ok()) return Fail(progress, rows.status().message());

  const int64_t started_us = MonotonicMicros();
  HttpClientOptions client_options;
  client_options.url = *url;
  if (!options.api_key.empty()) client_options.headers.emplace_back("x-api-key", options.api_key);
  BlockingHttpClient client(std::move(client_options));
  ProgressBar bar(progress, progress_is_terminal, rows->size(), "products");
  bar.Update(0);
  uint64_t created = 0, updated = 0, requests = 0;
  for (std::size_t begin = 0; begin < rows->size();) {
    const std::size_t end = BatchEnd(*rows, begin, options.batch_items);
    const std::string body = BatchBody(*rows, begin, end);
    Result<HttpReply> reply = Status::Unavailable("not sent");
    for (int attempt = 0;; ++attempt) {
      reply = client.Send("POST", kBatchTarget, body);
      ++requests;
      if (!reply.ok() || reply->status != 503 || attempt == options.unavailable_retries_max) break;
      std::this_thread::sleep_for(std::chrono::seconds(RetryAfterSeconds(reply->retry_after)));
    }
    const std::string rows_text =
        end - begin == 1 ? (*rows)[begin].where
                         : "the batch " + (*rows)[begin].where + " to " + (*rows)[end - 1].where;
    if (!reply.ok()) {
      bar.Finish();
      return Fail(progress, "sending " + rows_text + " to " + options.server + ": " +
                                reply.status().message());
    }
    if (reply->status != 200) {
      bar.Finish();
      return Fail(progress, "sending " + rows_text + ": " + DescribeFailure(*reply, *rows, begin));
    }
    boost::system::error_code parse_error;
    const boost::json::value answer = boost::json::parse(reply->body, parse_error);
    const boost::json::object* counts = parse_error ? nullptr : answer.if_object();
    const boost::json::value* batch_created = counts ? counts->if_contains("criados") : nullptr;
    const boost::json::value* batch_updated = counts ? counts->if_contains("atualizados") : nullptr;
    const auto is_count = [](const boost::json::value* value) {
      return value != nullptr && value->is_int64() && value->as_int64() >= 0;
    };
    if (!is_count(batch_created) || !is_count(batch_updated)) {
      bar.Finish();
      return Fail(progress, "sending " + rows_text + ": unexpected answer: " +
                                reply->body.substr(0, kErrorBodyCharsPrintedMax));
    }
    created += static_cast<uint64_t>(batch_created->as_int64());
    updated += static_cast<uint64_t>(batch_updated->as_int64());
    begin = end;
    bar.Update(begin);
  }
  bar.Finish();
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.1f",
                static_cast<double>(MonotonicMicros() - started_us) / 1e6);
  out << "imported " << rows->size() << " products from " << options.file << ": " << created
      << " created, " << updated << " updated in " << requests << " request(s), " << seconds
      << " s\n"
      << std::flush;
  return 0;
}

}  // namespace estoque::cli
