// POST /v1/consulta: the seed's query Lambda, with its payloads and response envelope.
//   {"query_type":"query","codigo_barra":"...","filial":"..."}
//       -> {"status_code":200,"Message":"SUCCESS","Item":{seed item}}
//   {"query_type":"scan","quantidade_itens":N}   (N an integer, 1..kPageLimitMax)
//       -> {"status_code":200,"Message":"SUCCESS","Itens":[seed items, in key order]}
// A key scoped to some branches may query only them (403 FORBIDDEN otherwise) and scans only them.
// Errors keep the envelope and nest the standard error object:
//       {"status_code":404,"Message":"NOT_FOUND","error":{"code":..,"message":..,"details":[..]}}
#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/http/status.hpp>
#include <simdjson.h>

#include "api/handlers.h"
#include "api/http_util.h"
#include "api/json_reading.h"
#include "api/json_writer.h"
#include "api/position_json.h"
#include "api/request_checks.h"
#include "api/scoped_page.h"
#include "common/limits.h"
#include "domain/barcode.h"
#include "domain/branch.h"

namespace estoque::api::handlers {

namespace http = boost::beast::http;
namespace ondemand = simdjson::ondemand;

namespace {

constexpr std::string_view kFieldQueryType = "query_type";
constexpr std::string_view kFieldScanCount = "quantidade_itens";

// The envelope's "Message" for an HTTP status, in the seed's style.
std::string_view EnvelopeMessage(http::status status) {
  switch (status) {
    case http::status::ok: return "SUCCESS";
    case http::status::bad_request: return "BAD_REQUEST";
    case http::status::forbidden: return "FORBIDDEN";
    case http::status::not_found: return "NOT_FOUND";
    case http::status::conflict: return "CONFLICT";
    case http::status::service_unavailable: return "SERVICE_UNAVAILABLE";
    default: return "INTERNAL_ERROR";
  }
}

void RespondConsultaError(Responder& respond, const HttpRequest& request, const ApiError& error) {
  std::string body;
  JsonWriter writer(&body);
  writer.BeginObject();
  writer.Key("status_code");
  writer.Uint(static_cast<unsigned>(error.http_status));
  writer.Key("Message");
  writer.String(EnvelopeMessage(error.http_status));
  writer.Key("error");
  WriteErrorObject(writer, error);
  writer.EndObject();
  Respond(respond,
          MakeErrorResponse(error, request.version(), request.keep_alive(), std::move(body)));
}

// The members of a consulta payload, as sent.
struct ConsultaPayload {
  std::optional<std::string> query_type;
  std::optional<std::string> barcode;
  std::optional<std::string> branch;
  std::optional<std::string> scan_count_text;  // exact number text
  std::vector<ErrorDetail> problems;           // wrong types, duplicates
};

// Reads a string member into `*out`, or records a problem.
simdjson::error_code ReadStringMember(ondemand::value value, std::string_view key,
                                      std::optional<std::string>* out, ConsultaPayload* payload) {
  ondemand::json_type type;
  if (auto error = value.type().get(type)) return error;
  if (type != ondemand::json_type::string) {
    payload->problems.push_back({std::nullopt, std::string(key), "must be a string"});
    return json::ValidateValue(value, 2);
  }
  std::string_view text;
  if (auto error = json::ReadString(value, &text)) return error;
  *out = std::string(text);
  return simdjson::SUCCESS;
}

std::string ScanCountReason() {
  return "must be an integer from 1 to " + std::to_string(limits::kPageLimitMax);
}

ApiResult<ConsultaPayload> ParseConsulta(std::string_view body) {
  auto invalid_json = [](simdjson::error_code error) {
    return MakeApiError(http::status::bad_request, "invalid_json",
                        "request body is not valid JSON: " + json::ErrorReason(error));
  };
  const simdjson::padded_string padded(body);
  ondemand::document document;
  if (auto error = json::ThreadParser().iterate(padded).get(document)) return invalid_json(error);
  ondemand::json_type root_type;
  if (auto error = document.type().get(root_type)) return invalid_json(error);
  if (root_type != ondemand::json_type::object) {
    return MakeApiError(http::status::bad_request, "invalid_json",
                        "request body must be a JSON object");
  }
  ondemand::object root;
  if (auto error = document.get_object().get(root)) return invalid_json(error);
  ConsultaPayload payload;
  for (auto field_result : root) {
    ondemand::field field;
    if (auto error = std::move(field_result).get(field)) return invalid_json(error);
    std::string_view key;
    if (auto error = json::ReadKey(field, &key)) return invalid_json(error);
    ondemand::value value = field.value();
    std::optional<std::string>* target = nullptr;
    if (key == kFieldQueryType) target = &payload.query_type;
    if (key == kFieldBarcode) target = &payload.barcode;
    if (key == kFieldBranch) target = &payload.branch;
    if (key == kFieldScanCount) target = &payload.scan_count_text;
    if (target == nullptr) {
      if (auto error = json::ValidateValue(value, 2)) return invalid_json(error);
      continue;
    }
    if (target->has_value()) {
      payload.problems.push_back({std::nullopt, std::string(key), "duplicate key"});
      if (auto error = json::ValidateValue(value, 2)) return invalid_json(error);
      continue;
    }
    if (target != &payload.scan_count_text) {
      if (auto error = ReadStringMember(value, key, target, &payload)) return invalid_json(error);
      continue;
    }
    ondemand::json_type type;
    if (auto error = value.type().get(type)) return invalid_json(error);
    if (type != ondemand::json_type::number) {
      payload.problems.push_back({std::nullopt, std::string(kFieldScanCount), ScanCountReason()});
      payload.scan_count_text = "";  // present, and already reported
      if (auto error = json::ValidateValue(value, 2)) return invalid_json(error);
      continue;
    }
    std::string_view text;
    if (auto error = json::ReadNumberText(value, &text)) return invalid_json(error);
    payload.scan_count_text = std::string(text);
  }
  if (auto error = json::CheckDocumentEnd(document)) return invalid_json(error);
  return payload;
}


// The first `count` positions in key order that `caller` may see: a key of one branch reads that
// branch's index; a key of several reads the whole listing filtered, up to kScopedScanRowsMax
// positions (beyond that a scan returns fewer than `count`: the seed's scan has no cursor).
Result<store::PositionPage> ScanPositions(const ServiceContext& context, const Caller& caller,
                                          std::size_t count) {
  if (caller.all_branches()) return context.store->List(std::nullopt, std::nullopt, count);
  if (caller.key->branches.size() == 1) {
    return context.store->List(caller.key->branches.front(), std::nullopt, count);
  }
  return ReadFilteredPage<store::PositionPage>(
      [&](std::optional<std::string_view> after, std::size_t limit) {
        return context.store->List(std::nullopt, after, limit);
      },
      [&](const domain::Position& position) { return caller.covers(position.branch); },
      std::nullopt, count);
}

void BeginSuccess(JsonWriter& writer) {
  writer.BeginObject();
  writer.Key("status_code");
  writer.Uint(200);
  writer.Key("Message");
  writer.String(EnvelopeMessage(http::status::ok));
}

}  // namespace

void Consulta(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  ApiResult<ConsultaPayload> parsed = ParseConsulta(request.http.body());
  if (!parsed.ok()) {
    RespondConsultaError(respond, request.http, parsed.error());
    return;
  }
  ConsultaPayload& payload = parsed.value();
  std::vector<ErrorDetail>& problems = payload.problems;
  const bool is_query = payload.query_type == "query";
  const bool is_scan = payload.query_type == "scan";
  if (!payload.query_type) {
    problems.push_back({std::nullopt, std::string(kFieldQueryType), "required"});
  } else if (!is_query && !is_scan) {
    problems.push_back({std::nullopt, std::string(kFieldQueryType), R"(must be "query" or "scan")"});
  }
  std::optional<std::size_t> scan_count;
  if (is_query) {
    if (!payload.barcode) {
      problems.push_back({std::nullopt, std::string(kFieldBarcode), "required"});
    } else if (Status status = domain::ValidateBarcode(
                   *payload.barcode, context.config->require_gtin_check_digit);
               !status.ok()) {
      problems.push_back({std::nullopt, std::string(kFieldBarcode), status.message()});
    }
    if (!payload.branch) {
      problems.push_back({std::nullopt, std::string(kFieldBranch), "required"});
    } else if (Status status = domain::ValidateBranch(*payload.branch); !status.ok()) {
      problems.push_back({std::nullopt, std::string(kFieldBranch), status.message()});
    }
  } else if (is_scan) {
    if (!payload.scan_count_text) {
      problems.push_back({std::nullopt, std::string(kFieldScanCount), "required"});
    } else if (!payload.scan_count_text->empty()) {
      scan_count = ParsePageSize(*payload.scan_count_text);
      if (!scan_count) {
        problems.push_back({std::nullopt, std::string(kFieldScanCount), ScanCountReason()});
      }
    }
  }
  if (!problems.empty()) {
    ApiError error = MakeApiError(
        http::status::bad_request, "invalid_parameter",
        "invalid parameter '" + problems.front().field + "': " + problems.front().reason);
    error.details = std::move(problems);
    RespondConsultaError(respond, request.http, error);
    return;
  }

  std::string body;
  JsonWriter writer(&body);
  if (is_query) {
    if (!request.caller.covers(*payload.branch)) {
      RespondConsultaError(respond, request.http, ForbiddenBranch(kFieldBranch, *payload.branch));
      return;
    }
    Result<domain::Position> position = context.store->Get(*payload.barcode, *payload.branch);
    if (!position.ok()) {
      RespondConsultaError(
          respond, request.http,
          position.status().code() == StatusCode::kNotFound
              ? MakeApiError(http::status::not_found, "not_found",
                             "no position for codigo_barra " + *payload.barcode + " at filial " +
                                 *payload.branch)
              : ApiErrorFromStatus(position.status()));
      return;
    }
    BeginSuccess(writer);
    writer.Key("Item");
    WriteSeedItem(writer, *position, context.config->time_zone);
    writer.EndObject();
  } else {
    Result<store::PositionPage> page = ScanPositions(context, request.caller, *scan_count);
    if (!page.ok()) {
      RespondConsultaError(respond, request.http, ApiErrorFromStatus(page.status()));
      return;
    }
    body.reserve(64 + page->items.size() * 160);
    BeginSuccess(writer);
    writer.Key("Itens");
    writer.BeginArray();
    for (const domain::Position& position : page->items) {
      WriteSeedItem(writer, position, context.config->time_zone);
    }
    writer.EndArray();
    writer.EndObject();
  }
  RespondJson(respond, request.http, std::move(body));
}

}  // namespace estoque::api::handlers
