#include "api/api_service.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cassert>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <spdlog/spdlog.h>

#include "api/access.h"
#include "api/handlers.h"
#include "auth/audit_log.h"
#include "auth/key_store.h"
#include "auth/rate_limiter.h"
#include "common/clock.h"
#include "api/http_util.h"

namespace estoque::api {

namespace http = boost::beast::http;

namespace {

// The route table: every operation of the API, in one place, with who may call it (access.h). A
// pattern segment in braces is a path parameter, named as the field reported when it is
// malformed; a {filial} parameter is checked against the caller's branches before the handler runs.
struct Route {
  http::verb method;
  std::string_view pattern;
  Access access;
  handlers::RouteHandler handler;
};

using enum Access;
constexpr std::array kRoutes = {
    Route{http::verb::get, "/health", kPublic, handlers::Health},
    Route{http::verb::post, "/v1/posicoes", kIngest, handlers::IngestPositions},
    Route{http::verb::get, "/v1/posicoes", kRead, handlers::ListPositions},
    Route{http::verb::get, "/v1/posicoes/{codigo_barra}", kRead, handlers::GetProductStock},
    Route{http::verb::get, "/v1/posicoes/{codigo_barra}/{filial}", kRead, handlers::GetStock},
    Route{http::verb::put, "/v1/posicoes/{codigo_barra}/{filial}/estoque_minimo", kAdmin,
          handlers::PutMinStock},
    Route{http::verb::post, "/v1/vendas", kIngest, handlers::IngestSale},
    Route{http::verb::post, "/v1/vendas/{filial}/{venda_id}/cancelamento", kIngest,
          handlers::CancelSale},
    Route{http::verb::post, "/v1/movimentos", kMovements, handlers::PostMovements},
    Route{http::verb::get, "/v1/movimentos", kRead, handlers::ListMovements},
    Route{http::verb::post, "/v1/transferencias", kMovements, handlers::CreateTransfer},
    Route{http::verb::get, "/v1/transferencias", kRead, handlers::ListTransfers},
    Route{http::verb::get, "/v1/transferencias/{id}", kRead, handlers::GetTransfer},
    Route{http::verb::post, "/v1/transferencias/{id}/envio", kMovements, handlers::ShipTransfer},
    Route{http::verb::post, "/v1/transferencias/{id}/recebimento", kMovements,
          handlers::ReceiveTransfer},
    Route{http::verb::post, "/v1/transferencias/{id}/cancelamento", kMovements,
          handlers::CancelTransfer},
    Route{http::verb::post, "/v1/reservas", kMovements, handlers::CreateReservation},
    Route{http::verb::get, "/v1/reservas", kRead, handlers::ListReservations},
    Route{http::verb::get, "/v1/reservas/{id}", kRead, handlers::GetReservation},
    Route{http::verb::post, "/v1/reservas/{id}/confirmacao", kMovements,
          handlers::ConfirmReservation},
    Route{http::verb::post, "/v1/reservas/{id}/liberacao", kMovements,
          handlers::ReleaseReservation},
    Route{http::verb::get, "/v1/alertas", kRead, handlers::ListAlerts},
    Route{http::verb::get, "/v1/filiais/{filial}/resumo", kRead, handlers::GetBranchSummary},
    Route{http::verb::post, "/v1/consulta", kRead, handlers::Consulta},
    Route{http::verb::get, "/v1/fila", kRead, handlers::QueueStatus},
    Route{http::verb::get, "/v1/fila/dlq", kAdmin, handlers::ListDeadLetters},
    Route{http::verb::post, "/v1/fila/dlq/reprocessar", kAdmin, handlers::ReplayDeadLetters},
    Route{http::verb::delete_, "/v1/fila/dlq", kAdmin, handlers::DropDeadLetters},
    Route{http::verb::get, "/v1/produtos", kRead, handlers::SearchCatalogProducts},
    Route{http::verb::post, "/v1/produtos/lote", kAdmin, handlers::PutCatalogProductBatch},
    Route{http::verb::put, "/v1/produtos/{codigo_barra}", kAdmin, handlers::PutCatalogProduct},
    Route{http::verb::get, "/v1/produtos/{codigo_barra}", kRead, handlers::GetCatalogProduct},
    Route{http::verb::delete_, "/v1/produtos/{codigo_barra}", kAdmin,
          handlers::DeleteCatalogProduct},
    Route{http::verb::get, "/v1/filiais", kRead, handlers::ListCatalogBranches},
    Route{http::verb::put, "/v1/filiais/{filial}", kAdmin, handlers::PutCatalogBranch},
    Route{http::verb::get, "/v1/filiais/{filial}", kRead, handlers::GetCatalogBranch},
    Route{http::verb::post, "/v1/admin/keys", kAdmin, handlers::CreateKey},
    Route{http::verb::get, "/v1/admin/keys", kAdmin, handlers::ListKeys},
    Route{http::verb::get, "/v1/admin/keys/{id}", kAdmin, handlers::GetKey},
    Route{http::verb::delete_, "/v1/admin/keys/{id}", kAdmin, handlers::RevokeKey},
    Route{http::verb::post, "/v1/admin/keys/{id}/rotate", kAdmin, handlers::RotateKey},
    Route{http::verb::get, "/v1/admin/audit", kAdmin, handlers::ListAudit},
    Route{http::verb::get, "/v1/admin/backup", kAdmin, handlers::Backup},
    Route{http::verb::get, "/metrics", kMonitoring, handlers::Metrics},
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

// The token of `request`: the x-api-key header (API Gateway's), else "Authorization: Bearer".
std::string_view RequestToken(const HttpRequest& request) {
  auto api_key = request.find("x-api-key");
  if (api_key != request.end()) return api_key->value();
  auto authorization = request.find(http::field::authorization);
  if (authorization == request.end()) return {};
  std::string_view value = authorization->value();
  constexpr std::string_view kBearer = "Bearer ";
  if (value.size() <= kBearer.size()) return {};
  for (std::size_t i = 0; i < kBearer.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(value[i])) !=
        std::tolower(static_cast<unsigned char>(kBearer[i]))) {
      return {};
    }
  }
  return value.substr(kBearer.size());
}

// `path` with bytes outside printable ASCII percent-encoded: safe to echo in a JSON message
// (a raw path need not be valid UTF-8).
std::string PrintablePath(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : path) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte > 0x20 && byte < 0x7f) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    }
  }
  return out;
}

// Wraps `respond` so the response's status is written to the audit log with who asked.
Responder Audited(Responder respond, auth::AuditLog* audit, const Caller& caller,
                  const HttpRequest& request, std::string_view path) {
  auth::AuditEntry entry;
  entry.at_us = NowUnixMicros();
  if (caller.key != nullptr) {
    entry.key_id = caller.key->id;
    entry.key_name = caller.key->name;
  }
  entry.method = std::string(request.method_string());
  entry.path = PrintablePath(path);
  // A streamed response (a backup) is recorded with the status of its head, when it starts.
  return Responder::Streaming([respond = std::move(respond), audit, entry = std::move(entry)](
                                  HttpResponse response, std::unique_ptr<BodySource> body) mutable {
    entry.status = static_cast<int>(response.result_int());
    audit->Record(std::move(entry));
    respond(std::move(response), std::move(body));
  });
}

// Routes that write (everything but reads, including POST /v1/consulta, which only reads).
bool IsWrite(const Route& route) {
  return route.method != http::verb::get && route.access != kRead && route.access != kPublic;
}

// Wraps the responder of a write: a 503 answered while the storage refuses writes becomes the
// storage's own error (507 or 503 storage_unavailable), so a write that raced the disk running out
// learns why, whichever layer noticed first (the queue's committer, a store write).
// `store` and `config` outlive the service (the context itself is the caller's local).
Responder StorageAware(Responder respond, const store::PositionStore* store, const ApiConfig* config) {
  return [respond = std::move(respond), store, config](HttpResponse response) mutable {
    if (response.result() == http::status::service_unavailable) {
      const store::StorageCondition storage = handlers::WriteStorage(*store, *config);
      if (storage != store::StorageCondition::kOk) {
        response = MakeErrorResponse(StorageError(storage), response.version(),
                                     response.keep_alive());
      }
    }
    respond(std::move(response));
  };
}

ApiError Unauthorized() {
  return MakeApiError(http::status::unauthorized, "unauthorized", "missing or invalid API key");
}

ApiError Forbidden(std::string field, std::string reason) {
  ApiError error = MakeApiError(http::status::forbidden, "forbidden", "this key may not do this");
  error.details.push_back({std::nullopt, std::move(field), std::move(reason)});
  return error;
}

void DispatchRequest(const handlers::ServiceContext& context, HttpRequest& request, Responder& respond) {
  const ApiSecurity& security = *context.security;
  const SplitTarget target = SplitRequestTarget(request.target());
  const std::optional<PathSegments> segments = SplitPath(target.path);
  // Authenticates once, when a route needs it (or to answer 404/405 to a known caller only).
  Caller caller;
  bool authenticated = security.keys == nullptr;
  auto authenticate = [&]() -> bool {
    if (authenticated) return true;
    caller.key = security.keys->Authenticate(RequestToken(request));
    authenticated = caller.key != nullptr;
    return authenticated;
  };

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
      if (route.access != kPublic) {
        if (!authenticate()) {
          handlers::RespondError(respond, request, Unauthorized());
          return;
        }
        if (caller.key != nullptr && !RoleAllows(caller.key->role, route.access)) {
          handlers::RespondError(
              respond, request,
              Forbidden("role", "a " + std::string(auth::RoleName(caller.key->role)) +
                                    " key may not call " + std::string(request.method_string()) +
                                    " " + std::string(compiled.route->pattern)));
          return;
        }
        if (caller.key != nullptr && security.limiter != nullptr) {
          const auth::RateLimiter::Decision decision =
              security.limiter->Take(*caller.key, MonotonicMicros());
          if (!decision.allowed) {
            ApiError error = MakeApiError(http::status::too_many_requests, "rate_limited",
                                          "too many requests for this key; retry later");
            error.retry_after_s = std::max(1, static_cast<int>(std::ceil(decision.retry_after_s)));
            handlers::RespondError(respond, request, error);
            return;
          }
        }
      }
      ApiResult<std::vector<std::string>> parameters =
          DecodePathParameters(compiled.pattern, *segments);
      if (!parameters.ok()) {
        handlers::RespondError(respond, request, parameters.error());
        return;
      }
      // A {filial} in the path must be one of the caller's branches.
      for (std::size_t i = 0, p = 0; i < compiled.pattern.size(); ++i) {
        if (!IsParameter(compiled.pattern[i])) continue;
        if (compiled.pattern[i] == "{filial}" && !caller.covers(parameters.value()[p])) {
          handlers::RespondError(respond, request,
                                 Forbidden("filial", "not one of this key's branches"));
          return;
        }
        ++p;
      }
      if (security.audit != nullptr &&
          (request.method() != http::verb::get || route.access == kAdmin)) {
        respond = Audited(std::move(respond), security.audit, caller, request, target.path);
      }
      if (IsWrite(route)) {
        // While the storage refuses writes, refuse them here, before any work (and log nothing:
        // the storage monitor logged the change once).
        const store::StorageCondition storage = handlers::WriteStorage(context);
        if (storage != store::StorageCondition::kOk) {
          handlers::RespondError(respond, request, StorageError(storage));
          return;
        }
        respond = StorageAware(std::move(respond), context.store, context.config);
      }
      handlers::RouteRequest route_request{request, std::move(parameters).value(), target.query,
                                           caller};
      route.handler(context, route_request, respond);
      return;
    }
  }
  if (!authenticate()) {
    handlers::RespondError(respond, request, Unauthorized());
    return;
  }
  if (allowed.empty()) {
    handlers::RespondError(respond, request,
                           MakeApiError(http::status::not_found, "route_not_found",
                                        "no such route: " + PrintablePath(target.path)));
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
                       catalog::Catalog* catalog, ApiConfig config, ApiSecurity security,
                       backup::Snapshotter* backups, queue::DeadLetterQueue* dead_letters)
    : store_(store),
      queue_(queue),
      catalog_(catalog),
      dead_letters_(dead_letters),
      config_(std::move(config)),
      security_(security),
      backups_(backups) {
  assert(store_ != nullptr && queue_ != nullptr && catalog_ != nullptr);
}

void ApiService::Handle(HttpRequest&& request, Responder respond) {
  const handlers::ServiceContext context{store_,          queue_,     catalog_,      &config_,
                                        &shutting_down_, &security_, backups_,       dead_letters_,
                                        started_};
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
