// The handlers behind ApiService's route table, one function per operation. Internal to the api
// module: only api_service.cc routes to them. Each handler calls `respond` exactly once, through
// Respond() (which empties it), either before returning or later from another thread.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "api/access.h"
#include "api/api_error.h"
#include "api/api_service.h"
#include "api/http_types.h"
#include "catalog/catalog.h"

namespace estoque::api::handlers {

// What every handler may use; all pointers outlive the request.
struct ServiceContext {
  store::InventoryStore* store;
  queue::MessageQueue* queue;
  catalog::Catalog* catalog;
  const ApiConfig* config;
  const std::atomic<bool>* shutting_down;
  const ApiSecurity* security;
  backup::Snapshotter* backups;  // null: no backups (GET /v1/admin/backup answers 404)
  queue::DeadLetterQueue* dead_letters;  // null: the backend keeps none
  std::chrono::steady_clock::time_point started;  // when the service was made (uptime)
};

// Whether writes are accepted now: the store's storage condition, else the embedded queue's
// database's (ApiConfig::queue_storage), the first that is not kOk. Lock-free.
store::StorageCondition WriteStorage(const store::PositionStore& store, const ApiConfig& config);
inline store::StorageCondition WriteStorage(const ServiceContext& context) {
  return WriteStorage(*context.store, *context.config);
}

// One routed request.
struct RouteRequest {
  HttpRequest& http;                     // handlers may take its body
  std::vector<std::string> path_params;  // percent-decoded, in the route pattern's order
  std::string_view query;                // raw query string (points into http.target())
  const Caller& caller;                  // who asks (branch scope: caller.covers)
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
// GET /v1/posicoes?limit=&cursor=&filial=
void ListPositions(const ServiceContext& context, RouteRequest& request, Responder& respond);
// POST /v1/consulta (the seed's query Lambda)
void Consulta(const ServiceContext& context, RouteRequest& request, Responder& respond);
// GET /v1/fila
void QueueStatus(const ServiceContext& context, RouteRequest& request, Responder& respond);
// GET /metrics: Prometheus text (metrics_text.h), admin and leitura keys.
void Metrics(const ServiceContext& context, RouteRequest& request, Responder& respond);

// The dead-letter queue (dlq_handlers.cc; admin only).
// GET /v1/fila/dlq?limit=&cursor=: dead letters in id order, with why and a summary of each.
void ListDeadLetters(const ServiceContext& context, RouteRequest& request, Responder& respond);
// POST /v1/fila/dlq/reprocessar {"ids":[...]} | {"todas":true}: back into the queue; 200
// {"reprocessadas":[ids],"restantes":n}; 404 naming unknown ids (then nothing is done).
void ReplayDeadLetters(const ServiceContext& context, RouteRequest& request, Responder& respond);
// DELETE /v1/fila/dlq, same body: dropped for good; 200 {"removidas":[ids],"restantes":n}.
void DropDeadLetters(const ServiceContext& context, RouteRequest& request, Responder& respond);

// Inventory (inventory_handlers.cc, transfer_handlers.cc).
// POST /v1/vendas: queued; 202 {"message_id","venda_id","itens"}.
void IngestSale(const ServiceContext& context, RouteRequest& request, Responder& respond);
// POST /v1/vendas/{filial}/{venda_id}/cancelamento: queued; 202.
void CancelSale(const ServiceContext& context, RouteRequest& request, Responder& respond);
// POST /v1/movimentos: 201 (something recorded) or 200 (all repeats) {"movimentos":[...]}.
void PostMovements(const ServiceContext& context, RouteRequest& request, Responder& respond);
// GET /v1/movimentos?codigo_barra=&filial=&desde=&ate=&limit=&cursor= (newest first).
void ListMovements(const ServiceContext& context, RouteRequest& request, Responder& respond);
// GET /v1/posicoes/{codigo_barra}/{filial}[?em=TIME]
void GetStock(const ServiceContext& context, RouteRequest& request, Responder& respond);
// GET /v1/posicoes/{codigo_barra}: every branch and the chain's totals.
void GetProductStock(const ServiceContext& context, RouteRequest& request, Responder& respond);
// PUT /v1/posicoes/{codigo_barra}/{filial}/estoque_minimo
void PutMinStock(const ServiceContext& context, RouteRequest& request, Responder& respond);
// GET /v1/alertas?filial=&tipo=&limit=&cursor=
void ListAlerts(const ServiceContext& context, RouteRequest& request, Responder& respond);
// GET /v1/filiais/{filial}/resumo
void GetBranchSummary(const ServiceContext& context, RouteRequest& request, Responder& respond);
// POST /v1/transferencias; POST /v1/transferencias/{id}/envio|recebimento|cancelamento;
// GET /v1/transferencias/{id}; GET /v1/transferencias?filial=&status=&limit=&cursor=
void CreateTransfer(const ServiceContext& context, RouteRequest& request, Responder& respond);
void ShipTransfer(const ServiceContext& context, RouteRequest& request, Responder& respond);
void ReceiveTransfer(const ServiceContext& context, RouteRequest& request, Responder& respond);
void CancelTransfer(const ServiceContext& context, RouteRequest& request, Responder& respond);
void GetTransfer(const ServiceContext& context, RouteRequest& request, Responder& respond);
void ListTransfers(const ServiceContext& context, RouteRequest& request, Responder& respond);
// POST /v1/reservas; POST /v1/reservas/{id}/confirmacao|liberacao; GET /v1/reservas/{id};
// GET /v1/reservas?filial=&status=&limit=&cursor=
void CreateReservation(const ServiceContext& context, RouteRequest& request, Responder& respond);
void ConfirmReservation(const ServiceContext& context, RouteRequest& request, Responder& respond);
void ReleaseReservation(const ServiceContext& context, RouteRequest& request, Responder& respond);
void GetReservation(const ServiceContext& context, RouteRequest& request, Responder& respond);
void ListReservations(const ServiceContext& context, RouteRequest& request, Responder& respond);

// The catalog (catalog_handlers.cc).
// PUT /v1/produtos/{codigo_barra}: 201 created, 200 replaced; the stored product.
void PutCatalogProduct(const ServiceContext& context, RouteRequest& request, Responder& respond);
// GET /v1/produtos/{codigo_barra}
void GetCatalogProduct(const ServiceContext& context, RouteRequest& request, Responder& respond);
// DELETE /v1/produtos/{codigo_barra}: 204, or 404.
void DeleteCatalogProduct(const ServiceContext& context, RouteRequest& request, Responder& respond);
// GET /v1/produtos?q=&limit=&cursor=
void SearchCatalogProducts(const ServiceContext& context, RouteRequest& request, Responder& respond);
// POST /v1/produtos/lote: all or nothing; {"criados","atualizados"}.
void PutCatalogProductBatch(const ServiceContext& context, RouteRequest& request, Responder& respond);
// PUT /v1/filiais/{filial}: 201 created, 200 replaced; the stored branch.
void PutCatalogBranch(const ServiceContext& context, RouteRequest& request, Responder& respond);
// GET /v1/filiais/{filial}
void GetCatalogBranch(const ServiceContext& context, RouteRequest& request, Responder& respond);
// GET /v1/filiais
void ListCatalogBranches(const ServiceContext& context, RouteRequest& request, Responder& respond);

// Key management and audit (admin_handlers.cc).
// POST /v1/admin/keys {"role","filiais","nome","limite"?}: 201 {"id","key",...} (the only time
// the token is shown).
void CreateKey(const ServiceContext& context, RouteRequest& request, Responder& respond);
// GET /v1/admin/keys: every key, without tokens.
void ListKeys(const ServiceContext& context, RouteRequest& request, Responder& respond);
// GET /v1/admin/keys/{id}
void GetKey(const ServiceContext& context, RouteRequest& request, Responder& respond);
// DELETE /v1/admin/keys/{id}: revoked at once.
void RevokeKey(const ServiceContext& context, RouteRequest& request, Responder& respond);
// POST /v1/admin/keys/{id}/rotate: 200 {"id","key",...}: a new token; the old one stops.
void RotateKey(const ServiceContext& context, RouteRequest& request, Responder& respond);
// GET /v1/admin/audit?chave=&desde=&ate=&limit=&cursor= (newest first).
void ListAudit(const ServiceContext& context, RouteRequest& request, Responder& respond);

// Online backup (backup_handler.cc).
// GET /v1/admin/backup: 200 with the backup stream (backup/backup_stream.h) as
// application/octet-stream, taken while the server keeps serving; 409 backup_in_progress while
// another backup is being sent; 503 while shutting down.
void Backup(const ServiceContext& context, RouteRequest& request, Responder& respond);

}  // namespace estoque::api::handlers
