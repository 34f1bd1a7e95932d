// The dead-letter queue: GET /v1/fila/dlq, POST /v1/fila/dlq/reprocessar, DELETE /v1/fila/dlq
// (admin only, and audited with every admin call, by the route table and dispatcher).
//
// Replay and drop take the same body, a selection of dead letters:
//   {"ids": ["17", 18, ...]}   those (1..1000 distinct message ids, as strings or integers), or
//   {"todas": true}            the oldest 1000 ("restantes" in the answer says how many are left).
// It is all or nothing: if any id is not a dead letter, 404 lists each such id and nothing is done.
#include <algorithm>
#include <charconv>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "api/cursor.h"
#include "api/handlers.h"
#include "api/inventory_json.h"
#include "api/json_tree.h"
#include "api/json_writer.h"
#include "api/request_checks.h"
#include "common/limits.h"
#include "domain/product_name.h"
#include "queue/message_codec.h"
#include "store/rocksdb_engine.h"

namespace estoque::api::handlers {
namespace {

namespace http = boost::beast::http;

bool CheckDeadLettersKept(const ServiceContext& context, RouteRequest& request,
                          Responder& respond) {
  if (context.dead_letters != nullptr) return true;
  RespondError(respond, request.http,
               MakeApiError(http::status::not_found, "dlq_off",
                            "this server keeps no dead-letter queue"));
  return false;
}

// A message id given as a JSON string of digits or a non-negative JSON integer.
std::optional<uint64_t> ParseMessageId(const JsonNode& node) {
  if (node.kind != JsonNode::Kind::kString && node.kind != JsonNode::Kind::kNumber) {
    return std::nullopt;
  }
  const std::string& text = node.text;
  if (text.empty() || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  uint64_t id = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (error != std::errc() || end != text.data() + text.size() || id == 0) return std::nullopt;
  return id;
}

constexpr std::string_view kSelectionShape = R"(send {"ids":[...]} or {"todas":true})";

ApiResult<queue::DeadLetterSelection> DecodeSelection(std::string_view body) {
  ApiResult<JsonNode> root = ParseJsonTree(body);
  if (!root.ok()) return std::move(root).error();
  const JsonNode& object = root.value();
  if (object.kind != JsonNode::Kind::kObject) {
    return FieldsError("invalid_fields",
                       {{std::nullopt, "", "the body must be a JSON object: " + std::string(kSelectionShape)}});
  }
  std::vector<ErrorDetail> details;
  FieldReader reader(object, &details);
  reader.CheckDuplicates();
  for (const JsonNode::Member& member : object.members) {
    if (member.key != "ids" && member.key != "todas") {
      details.push_back({std::nullopt, member.key, "unknown field"});
    }
  }
  queue::DeadLetterSelection selection;
  const JsonNode* ids = object.Find("ids");
  const JsonNode* all = object.Find("todas");
  if ((ids == nullptr) == (all == nullptr)) {
    details.push_back({std::nullopt, ids == nullptr ? "ids" : "todas",
                       ids == nullptr ? "required: " + std::string(kSelectionShape)
                                      : "give either ids or todas, not both"});
  } else if (all != nullptr) {
    if (all->kind != JsonNode::Kind::kBool || !all->boolean) {
      details.push_back({std::nullopt, "todas", "must be true"});
    }
    selection.all = true;
  } else if (ids->kind != JsonNode::Kind::kArray) {
    details.push_back({std::nullopt, "ids", "must be an array of message ids"});
  } else if (ids->items.empty() || ids->items.size() > limits::kDeadLetterSelectionMax) {
    details.push_back({std::nullopt, "ids", "must hold 1.." +
                                                std::to_string(limits::kDeadLetterSelectionMax) +
                                                " message ids"});
  } else {
    std::set<uint64_t> seen;
    for (std::size_t i = 0; i < ids->items.size(); ++i) {
      std::optional<uint64_t> id = ParseMessageId(ids->items[i]);
      if (!id.has_value()) {
        details.push_back({i, "ids", "must be a message id (a positive integer, or its digits as a string)"});
      } else if (!seen.insert(*id).second) {
        details.push_back({i, "ids", "repeated"});
      } else {
        selection.ids.push_back(*id);
      }
    }
  }
  if (!details.empty()) return FieldsError("invalid_fields", std::move(details));
  return selection;
}

// The 404 of a selection naming ids that are not dead letters: one detail per such id, with its
// index in the request's "ids".
ApiError UnknownIds(const queue::DeadLetterSelection& selection,
                    const std::vector<uint64_t>& unknown) {
  ApiError error = MakeApiError(http::status::not_found, "not_found",
                                "not dead letters (nothing was done): " +
                                    std::to_string(unknown.size()) + " of the ids");
  for (const uint64_t id : unknown) {
    const auto at = std::find(selection.ids.begin(), selection.ids.end(), id);
    error.details.push_back({static_cast<std::size_t>(at - selection.ids.begin()), "ids",
                             "no dead letter " + std::to_string(id)});
  }
  return error;
}

// The selection of the request's body, or nullopt after responding with the error.
std::optional<queue::DeadLetterSelection> ReadSelection(const ServiceContext& context,
                                                        RouteRequest& request, Responder& respond) {
  if (!CheckDeadLettersKept(context, request, respond) || !CheckJsonMediaType(request, respond) ||
      !CheckAcceptingWrites(context, request, respond)) {
    return std::nullopt;
  }
  ApiResult<queue::DeadLetterSelection> selection = DecodeSelection(request.http.body());
  if (!selection.ok()) {
    RespondError(respond, request.http, selection.error());
    return std::nullopt;
  }
  return std::move(selection).value();
}

// {"<done_key>":["17",...],"restantes":n}; logs what was done and by whom.
void RespondOutcome(RouteRequest& request, Responder& respond, std::string_view done_key,
                    const queue::DeadLetterOutcome& outcome) {
  std::string ids;
  std::string body;
  JsonWriter writer(&body);
  writer.BeginObject();
  writer.Key(done_key);
  writer.BeginArray();
  for (const uint64_t id : outcome.done) {
    writer.String(std::to_string(id));
    if (!ids.empty()) ids += ",";
    ids += std::to_string(id);
  }
  writer.EndArray();
  writer.Key("restantes");
  writer.Uint(outcome.remaining);
  writer.EndObject();
  spdlog::info("dead letters {} by key {}: [{}]", done_key,
               request.caller.id().empty() ? std::string_view("(auth off)") : request.caller.id(),
               ids);
  RespondJson(respond, request.http, std::move(body));
}

// "mensagem": what the dead message holds, when its bytes decode (null otherwise).
void WriteMessageSummary(JsonWriter& writer, std::string_view message_bytes) {
  Result<queue::Message> message = queue::DecodeMessage(message_bytes);
  if (!message.ok()) {
    writer.Null();
    return;
  }
  std::set<std::string> branches;
  for (const domain::Position& item : message->items) branches.insert(item.branch);
  for (const domain::Sale& sale : message->sales) branches.insert(sale.branch);
  for (const domain::SaleCancel& cancel : message->cancels) branches.insert(cancel.branch);
  writer.BeginObject();
  writer.Key("itens");
  writer.Uint(message->items.size());
  writer.Key("vendas");
  writer.Uint(message->sales.size());
  writer.Key("cancelamentos");
  writer.Uint(message->cancels.size());
  writer.Key("filiais");
  writer.BeginArray();
  for (const std::string& branch : branches) writer.String(branch);
  writer.EndArray();
  writer.EndObject();
}

void WriteDeadLetter(JsonWriter& writer, const queue::DeadLetter& letter,
                     const domain::TimeZone& zone) {
  writer.BeginObject();
  writer.Key("id");
  writer.String(std::to_string(letter.id));
  writer.Key("motivo");
  writer.String(domain::Utf8OrMasked(letter.reason));
  writer.Key("tentativas");
  writer.Uint(letter.attempts);
  writer.Key("enfileirada_em");
  WriteOptionalTime(writer, letter.enqueued_at_us, zone);
  writer.Key("primeira_falha_em");
  WriteOptionalTime(writer, letter.first_failure_at_us, zone);
  writer.Key("ultima_falha_em");
  WriteOptionalTime(writer, letter.last_failure_at_us, zone);
  writer.Key("movida_em");
  WriteOptionalTime(writer, letter.dead_lettered_at_us, zone);
  writer.Key("bytes");
  writer.Uint(letter.message_bytes.size());
  writer.Key("mensagem");
  WriteMessageSummary(writer, letter.message_bytes);
  writer.EndObject();
}

}  // namespace

void ListDeadLetters(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  if (!CheckDeadLettersKept(context, request, respond)) return;
  auto limit = ReadPageLimit(request, respond);
  if (!limit) return;
  auto cursor = ReadPageCursor(request, respond);
  if (!cursor) return;
  std::optional<uint64_t> after_id;
  if (cursor->has_value()) {
    // The cursor carries the last id listed as its queue key (8 bytes, big-endian).
    if ((*cursor)->size() != 8) {
      RespondError(respond, request.http, InvalidParameter("cursor", "not a cursor of this listing"));
      return;
    }
    after_id = store::DecodeQueueKey(**cursor);
  }
  Result<queue::DeadLetterPage> page = context.dead_letters->List(after_id, *limit);
  if (!page.ok()) {
    RespondError(respond, request.http, ApiErrorFromStatus(page.status()));
    return;
  }
  std::string body;
  JsonWriter writer(&body);
  writer.BeginObject();
  writer.Key("itens");
  writer.BeginArray();
  for (const queue::DeadLetter& letter : page->items) {
    WriteDeadLetter(writer, letter, context.config->time_zone);
  }
  writer.EndArray();
  writer.Key("total");
  writer.Uint(context.dead_letters->Depth());
  std::optional<std::string> next_after;
  if (page->next_after_id.has_value()) next_after = store::QueueKey(*page->next_after_id);
  WriteNextCursor(writer, next_after);
  writer.EndObject();
  RespondJson(respond, request.http, std::move(body));
}

namespace {

// POST .../reprocessar and DELETE share everything but the operation and the answer's key.
using DeadLetterAction =
    Result<queue::DeadLetterOutcome> (queue::DeadLetterQueue::*)(const queue::DeadLetterSelection&);

void ActOnDeadLetters(const ServiceContext& context, RouteRequest& request, Responder& respond,
                      DeadLetterAction action, std::string_view done_key) {
  std::optional<queue::DeadLetterSelection> selection = ReadSelection(context, request, respond);
  if (!selection) return;
  Result<queue::DeadLetterOutcome> outcome = (context.dead_letters->*action)(*selection);
  if (!outcome.ok()) {
    RespondError(respond, request.http, ApiErrorFromStatus(outcome.status()));
    return;
  }
  if (!outcome->unknown.empty()) {
    RespondError(respond, request.http, UnknownIds(*selection, outcome->unknown));
    return;
  }
  RespondOutcome(request, respond, done_key, *outcome);
}

}  // namespace

void ReplayDeadLetters(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  ActOnDeadLetters(context, request, respond, &queue::DeadLetterQueue::Replay, "reprocessadas");
}

void DropDeadLetters(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  ActOnDeadLetters(context, request, respond, &queue::DeadLetterQueue::Drop, "removidas");
}

}  // namespace estoque::api::handlers
