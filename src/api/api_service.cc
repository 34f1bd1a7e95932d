#include "api/api_service.h"

#include <array>
#include <cassert>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <spdlog/spdlog.h>

#include "api/handlers.h"
#include "api/http_util.h"

namespace estoque::api {

namespace http = boost::beast::http;

namespace {

// The route table: every operation of the API, in one place. A pattern segment in braces is a
// path parameter, named as the field reported when it is malformed.
struct Route {
  http::verb method;
  std::string_view pattern;
  handlers::RouteHandler handler;
};

constexpr std::array kRoutes = {
    Route{http::verb::get, "/health", handlers::Health},
    Route{http::verb::post, "/v1/posicoes", handlers::IngestPositions},
    Route{http::verb::get, "/v1/posicoes", handlers::ListPositions},
    Route{http::verb::get, "/v1/posicoes/{codigo_barra}", handlers::GetProductStock},
    Route{http::verb::get, "/v1/posicoes/{codigo_barra}/{filial}", handlers::GetStock},
    Route{http::verb::put, "/v1/posicoes/{codigo_barra}/{filial}/estoque_minimo",
          handlers::PutMinStock},
    Route{http::verb::post, "/v1/vendas", handlers::IngestSale},
    Route{http::verb::post, "/v1/vendas/{filial}/{venda_id}/cancelamento", handlers::CancelSale},
    Route{http::verb::post, "/v1/movimentos", handlers::PostMovements},
    Route{http::verb::get, "/v1/movimentos", handlers::ListMovements},
    Route{http::verb::post, "/v1/transferencias", handlers::CreateTransfer},
    Route{http::verb::get, "/v1/transferencias", handlers::ListTransfers},
    Route{http::verb::get, "/v1/transferencias/{id}", handlers::GetTransfer},
    Route{http::verb::post, "/v1/transferencias/{id}/envio", handlers::ShipTransfer},
    Route{http::verb::post, "/v1/transferencias/{id}/recebimento", handlers::ReceiveTransfer},
    Route{http::verb::post, "/v1/transferencias/{id}/cancelamento", handlers::CancelTransfer},
    Route{http::verb::post, "/v1/reservas", handlers::CreateReservation},
    Route{http::verb::get, "/v1/reservas", handlers::ListReservations},
    Route{http::verb::get, "/v1/reservas/{id}", handlers::GetReservation},
    Route{http::verb::post, "/v1/reservas/{id}/confirmacao", handlers::ConfirmReservation},
    Route{http::verb::post, "/v1/reservas/{id}/liberacao", handlers::ReleaseReservation},
    Route{http::verb::get, "/v1/alertas", handlers::ListAlerts},
    Route{http::verb::get, "/v1/filiais/{filial}/resumo", handlers::GetBranchSummary},
    Route{http::verb::post, "/v1/consulta", handlers::Consulta},
    Route{http::verb::get, "/v1/fila", handlers::QueueStatus},
    Route{http::verb::get, "/v1/produtos", handlers::SearchCatalogProducts},
    Route{http::verb::post, "/v1/produtos/lote", handlers::PutCatalogProductBatch},
    Route{http::verb::put, "/v1/produtos/{codigo_barra}", handlers::PutCatalogProduct},
    Route{http::verb::get, "/v1/produtos/{codigo_barra}", handlers::GetCatalogProduct},
    Route{http::verb::delete_, "/v1/produtos/{codigo_barra}", handlers::DeleteCatalogProduct},
    Route{http::verb::get, "/v1/filiais", handlers::ListCatalogBranches},
    Route{http::verb::put, "/v1/filiais/{filial}", handlers::PutCatalogBranch},
    Route{http::verb::get, "/v1/filiais/{filial}", handlers::GetCatalogBranch},
};

bool IsParameter(std::string_view segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

// A route with its pattern split into segments once.
struct CompiledRoute {
  const Route* route;
  PathSegments pattern;
};

const std::vector<CompiledRoute>& CompiledRoutes() {
  static const std::vector<CompiledRoute> compiled = [] {
    std::vector<CompiledRoute> routes;
    for (const Route& route : kRoutes) routes.push_back({&route, *SplitPath(route.pattern)});
    return routes;
  }();
  return compiled;
}

// True if the raw `segments` fit `pattern` (same count; literal segments equal; parameters
// non-empty).
bool PathMatches(const PathSegments& pattern, const PathSegments& segments) {
  if (pattern.size() != segments.size()) return false;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (IsParameter(pattern[i]) ? segments[i].empty() : segments[i] != pattern[i]) return false;
  }
  return true;
}

// The percent-decoded parameters of `segments` matched by `pattern`, or the error naming the first
// malformed one.
ApiResult<std::vector<std::string>> DecodePathParameters(const PathSegments& pattern,
                                                         const PathSegments& segments) {
  std::vector<std::string> parameters;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (!IsParameter(pattern[i])) continue;
    std::optional<std::string> decoded = PercentDecode(segments[i], /*plus_is_space=*/false);
    if (!decoded) {
      const std::string_view name = pattern[i].substr(1, pattern[i].size() - 2);
      return InvalidParameter(std::string(name), "malformed percent-encoding");
    }
    parameters.push_back(std::move(*decoded));
  }
  return parameters;
}

void DispatchRequest(const handlers::ServiceContext& context, HttpRequest& request, Responder& respond) {
  const SplitTarget target = SplitRequestTarget(request.target());
  const std::optional<PathSegments> segments = SplitPath(target.path);
  std::string allowed;  // methods of routes whose path matched
  if (segments) {
    for (const CompiledRoute& compiled : CompiledRoutes()) {
      const Route& route = *compiled.route;
      if (!PathMatches(compiled.pattern, *segments)) continue;
      if (route.method != request.method()) {
        if (!allowed.empty()) allowed += ", ";
        allowed += http::to_string(route.method);
        continue;
      }
      ApiResult<std::vector<std::string>> parameters =
          DecodePathParameters(compiled.pattern, *segments);
      if (!parameters.ok()) {
        handlers::RespondError(respond, request, parameters.error());
        return;
      }
      handlers::RouteRequest route_request{request, std::move(parameters).value(), target.query};
      route.handler(context, route_request, respond);
      return;
    }
  }
  if (allowed.empty()) {
    handlers::RespondError(respond, request,
                           MakeApiError(http::status::not_found, "route_not_found",
                                        "no such route: " + std::string(target.path)));
    return;
  }
  HttpResponse response = MakeErrorResponse(
      MakeApiError(http::status::method_not_allowed, "method_not_allowed",
                   std::string(request.method_string()) + " is not allowed here; allowed: " +
                       allowed),
      request.version(), request.keep_alive());
  response.set(http::field::allow, allowed);
  handlers::Respond(respond, std::move(response));
}

}  // namespace

ApiService::ApiService(store::InventoryStore* store, queue::MessageQueue* queue,
                       catalog::Catalog* catalog, ApiConfig config)
    : store_(store), queue_(queue), catalog_(catalog), config_(std::move(config)) {
  assert(store_ != nullptr && queue_ != nullptr && catalog_ != nullptr);
}

void ApiService::Handle(HttpRequest&& request, Responder respond) {
  const handlers::ServiceContext context{store_, queue_, catalog_, &config_, &shutting_down_};
  try {
    DispatchRequest(context, request, respond);
  } catch (const std::exception& exception) {
    // Only allocation failures can get here; the request fails, the server goes on.
    spdlog::error("request {} {} failed: {}", request.method_string(), request.target(),
                  exception.what());
    if (respond) {
      handlers::RespondError(respond, request,
                             MakeApiError(http::status::internal_server_error, "internal",
                                          "internal error"));
    }
  }
}

void ApiService::BeginShutdown() { shutting_down_.store(true, std::memory_order_release); }

}  // namespace estoque::api
