// The responders every handler uses, GET /health and GET /v1/fila.
#include <cassert>
#include <string>

#include "api/handlers.h"
#include "api/http_util.h"
#include "api/json_writer.h"

namespace estoque::api::handlers {

store::StorageCondition WriteStorage(const store::PositionStore& store, const ApiConfig& config) {
  const store::StorageCondition condition = store.Storage();
  if (condition != store::StorageCondition::kOk || !config.queue_storage) return condition;
  return config.queue_storage();
}

void Respond(Responder& respond, HttpResponse&& response) {
  assert(respond);
  Responder taken = std::move(respond);
  respond = nullptr;
  taken(std::move(response));
}

void RespondJson(Responder& respond, const HttpRequest& request, std::string body,
                 boost::beast::http::status status) {
  Respond(respond, MakeJsonResponse(status, std::move(body), request.version(),
                                    request.keep_alive()));
}

void RespondError(Responder& respond, const HttpRequest& request, const ApiError& error) {
  Respond(respond, MakeErrorResponse(error, request.version(), request.keep_alive()));
}

void Health(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  // 200 either way: the process serves reads; "degradado" says writes are refused and why.
  const store::StorageCondition storage = WriteStorage(context);
  std::string body;
  JsonWriter writer(&body);
  writer.BeginObject();
  writer.Key("status");
  writer.String(storage == store::StorageCondition::kOk ? "ok" : "degradado");
  writer.Key("armazenamento");
  writer.String(StorageWireName(storage));
  writer.EndObject();
  RespondJson(respond, request.http, std::move(body));
}

void QueueStatus(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  const queue::QueueStats stats = context.queue->Stats();
  Result<store::ApplyCounters> counters = context.store->Counters();
  if (!counters.ok()) {
    RespondError(respond, request.http, ApiErrorFromStatus(counters.status()));
    return;
  }
  std::string body;
  JsonWriter writer(&body);
  writer.BeginObject();
  writer.Key("profundidade");
  writer.Uint(stats.depth_messages);
  writer.Key("idade_mais_antiga_ms");
  writer.Int(stats.oldest_age_ms);
  writer.Key("aplicadas");
  writer.Uint(counters->applied_items_total);
  writer.Key("descartadas_mais_antigas");
  writer.Uint(counters->dropped_older_items_total);
  writer.Key("mensagens_aplicadas");
  writer.Uint(counters->applied_messages_total);
  writer.Key("bytes");
  writer.Uint(stats.depth_bytes);
  writer.Key("dlq");
  writer.Uint(context.dead_letters != nullptr ? context.dead_letters->Depth() : 0);
  writer.Key("armazenamento");
  writer.String(StorageWireName(WriteStorage(context)));
  writer.EndObject();
  RespondJson(respond, request.http, std::move(body));
}

}  // namespace estoque::api::handlers
