// The handlers behind ApiService's route table, one function per operation. Internal to the api
// module: only api_service.cc routes to them. Each handler calls `respond` exactly once, through
// Respond() (which empties it), either before returning or later from another thread.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "api/api_error.h"
#include "api/api_service.h"
#include "api/http_types.h"

namespace estoque::api::handlers {

// What every handler may use; all pointers outlive the request.
struct ServiceContext {
  store::PositionStore* store;
  queue::MessageQueue* queue;
  const ApiConfig* config;
  const std::atomic<bool>* shutting_down;
};

// One routed request.
struct RouteRequest {
  HttpRequest& http;                     // handlers may take its body
  std::vector<std::string> path_params;  // percent-decoded, in the route pattern's order
  std::string_view query;                // raw query string (points into http.target())
};

using RouteHandler = void (*)(const ServiceContext& context, RouteRequest& request,
                              Responder& respond);

// Calls `respond` with `response` and leaves it empty, so a second call is caught as a bug.
// REQUIRES: respond is not empty.
void Respond(Responder& respond, HttpResponse&& response);

// 200 (or `status`) with `body` as JSON, keep-alive as the request asked.
void RespondJson(Responder& respond, const HttpRequest& request, std::string body,
                 boost::beast::http::status status = boost::beast::http::status::ok);

// The error response of `error` (standard {"error":{...}} body) for `request`.
void RespondError(Responder& respond, const HttpRequest& request, const ApiError& error);

// GET /health
void Health(const ServiceContext& context, RouteRequest& request, Responder& respond);
// POST /v1/posicoes
void IngestPositions(const ServiceContext& context, RouteRequest& request, Responder& respond);
// GET /v1/posicoes/{codigo_barra}/{filial}
void GetPosition(const ServiceContext& context, RouteRequest& request, Responder& respond);
// GET /v1/posicoes/{codigo_barra}
void GetProduct(const ServiceContext& context, RouteRequest& request, Responder& respond);
// GET /v1/posicoes?limit=&cursor=&filial=
void ListPositions(const ServiceContext& context, RouteRequest& request, Responder& respond);
// POST /v1/consulta (the seed's query Lambda)
void Consulta(const ServiceContext& context, RouteRequest& request, Responder& respond);
// GET /v1/fila
void QueueStatus(const ServiceContext& context, RouteRequest& request, Responder& respond);

}  // namespace estoque::api::handlers
