// Transfers between branches and reservations: each request is one synchronous, durable step of
// the store (409 when stock or status does not allow it). Branch scope (403, nothing changed): a
// transfer is created from, shipped and cancelled by its origem, received by its destino, and
// seen by either; a reservation is made, confirmed, released and seen by its filial. Records of
// an {id} are read first (404 before 403). Listings show only the caller's rows.
#include <optional>
#include <string>
#include <utility>

#include "api/cursor.h"
#include "api/handlers.h"
#include "api/inventory_json.h"
#include "api/json_writer.h"
#include "api/request_checks.h"
#include "api/scoped_page.h"
#include "common/clock.h"

namespace estoque::api::handlers {

InventoryDecodeContext MakeDecodeContext(const ServiceContext& context);  // inventory_handlers.cc

namespace {

namespace http = boost::beast::http;

void RespondTransfer(const ServiceContext& context, RouteRequest& request, Responder& respond,
                     const domain::Transfer& transfer, http::status status = http::status::ok) {
  std::string body;
  JsonWriter writer(&body);
  WriteTransfer(writer, transfer, context.config->time_zone);
  RespondJson(respond, request.http, std::move(body), status);
}

void RespondReservation(const ServiceContext& context, RouteRequest& request, Responder& respond,
                        const domain::Reservation& reservation,
                        http::status status = http::status::ok) {
  std::string body;
  JsonWriter writer(&body);
  WriteReservation(writer, reservation, context.config->time_zone);
  RespondJson(respond, request.http, std::move(body), status);
}

std::string Missing(std::string_view what, std::string_view id) {
  return "no " + std::string(what) + " with id " + std::string(id);
}

// Shared shape of the list endpoints: {"itens": [...], "proximo_cursor"}.
template <typename Page, typename Write>
void RespondPage(const ServiceContext& context, RouteRequest& request, Responder& respond,
                 const Page& page, Write write) {
  std::string body;
  JsonWriter writer(&body);
  writer.BeginObject();
  writer.Key("itens");
  writer.BeginArray();
  for (const auto& item : page.items) write(writer, item, context.config->time_zone);
  writer.EndArray();
  WriteNextCursor(writer, page.next_after);
  writer.EndObject();
  RespondJson(respond, request.http, std::move(body));
}

// Reads ?filial=&status=&limit=&cursor= of a list endpoint; `parse_status` maps a status name.
// `branch` is the branch to list for the caller (ResolveListBranch: 403 for a foreign filial).
template <typename StatusType, typename Parse>
bool ReadListQuery(RouteRequest& request, Responder& respond, Parse parse_status,
                   std::string_view statuses, std::optional<std::string>* branch,
                   std::optional<StatusType>* status, std::size_t* limit,
                   std::optional<std::string>* after) {
  auto branch_text = ReadQueryParameter(request, respond, "filial");
  if (!branch_text) return false;
  if (branch_text->has_value() && !CheckBranch(request, respond, "filial", **branch_text)) {
    return false;
  }
  std::optional<std::optional<std::string>> scope =
      ResolveListBranch(request, respond, *branch_text);
  if (!scope) return false;
  *branch = std::move(*scope);
  auto status_text = ReadQueryParameter(request, respond, "status");
  if (!status_text) return false;
  if (status_text->has_value()) {
    *status = parse_status(**status_text);
    if (!status->has_value()) {
      RespondError(respond, request.http,
                   InvalidParameter("status", "must be one of " + std::string(statuses)));
      return false;
    }
  }
  auto page_limit = ReadPageLimit(request, respond);
  if (!page_limit) return false;
  *limit = *page_limit;
  auto cursor = ReadPageCursor(request, respond);
  if (!cursor) return false;
  *after = *cursor;
  return true;
}

// Which branch of a transfer a step acts for: the caller must cover it.
enum class TransferSide { kSource, kDestination };

// The common start of a step on /v1/transferencias/{id}/...: the id checked, the body's media
// type checked, writes accepted, the transfer read (for the zone of its branches), and its
// `side` covered by the caller (403 otherwise; nothing changed).
std::optional<domain::Transfer> BeginTransferStep(const ServiceContext& context,
                                                  RouteRequest& request, Responder& respond,
                                                  TransferSide side) {
  const std::string& id = request.path_params.at(0);
  if (!CheckId(request, respond, "id", id)) return std::nullopt;
  if (!CheckJsonMediaType(request, respond)) return std::nullopt;
  if (!CheckAcceptingWrites(context, request, respond)) return std::nullopt;
  Result<domain::Transfer> transfer = context.store->GetTransfer(id);
  if (!transfer.ok()) {
    RespondStoreError(request, respond, transfer.status(), Missing("transfer", id));
    return std::nullopt;
  }
  const bool source = side == TransferSide::kSource;
  if (!CheckBranchAccess(request, respond, source ? "origem" : "destino",
                         source ? transfer->source : transfer->destination)) {
    return std::nullopt;
  }
  return std::move(*transfer);
}

// Visible to the caller: a transfer from or to one of its branches.
bool SeesTransfer(const Caller& caller, const domain::Transfer& transfer) {
  return caller.covers(transfer.source) || caller.covers(transfer.destination);
}

// The created_by of records made through the API: the key's id ("api" when auth is off).
std::string CreatedBy(const Caller& caller) {
  return caller.id().empty() ? std::string("api") : std::string(caller.id());
}

}  // namespace

void CreateTransfer(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  if (!CheckJsonMediaType(request, respond)) return;
  ApiResult<domain::Transfer> transfer =
      DecodeTransferBody(request.http.body(), MakeDecodeContext(context));
  if (!transfer.ok()) {
    RespondError(respond, request.http, transfer.error());
    return;
  }
  // Goods leave from one of the caller's branches (to any branch).
  if (!CheckBranchAccess(request, respond, "origem", transfer.value().source)) return;
  if (!CheckAcceptingWrites(context, request, respond)) return;
  transfer.value().created_by = CreatedBy(request.caller);
  auto created = context.store->CreateTransfer(std::move(transfer).value());
  if (!created.ok()) {
    RespondStoreError(request, respond, created.status(), "");
    return;
  }
  RespondTransfer(context, request, respond, created->first,
                  created->second ? http::status::created : http::status::ok);
}

void ShipTransfer(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  std::optional<domain::Transfer> transfer =
      BeginTransferStep(context, request, respond, TransferSide::kSource);
  if (!transfer) return;
  ApiResult<int64_t> at = DecodeEventTimeBody(
      request.http.body(), context.catalog->TimeZoneOf(transfer->source, context.config->time_zone),
      NowUnixMicros());
  if (!at.ok()) {
    RespondError(respond, request.http, at.error());
    return;
  }
  Result<domain::Transfer> shipped = context.store->ShipTransfer(transfer->id, at.value());
  if (!shipped.ok()) {
    RespondStoreError(request, respond, shipped.status(), Missing("transfer", transfer->id));
    return;
  }
  RespondTransfer(context, request, respond, *shipped);
}

void ReceiveTransfer(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  std::optional<domain::Transfer> transfer =
      BeginTransferStep(context, request, respond, TransferSide::kDestination);
  if (!transfer) return;
  ApiResult<ReceiveRequest> receive =
      DecodeReceiveBody(request.http.body(), *transfer, MakeDecodeContext(context));
  if (!receive.ok()) {
    RespondError(respond, request.http, receive.error());
    return;
  }
  Result<domain::Transfer> received = context.store->ReceiveTransfer(
      transfer->id, std::move(receive.value().received), receive.value().at_us);
  if (!received.ok()) {
    RespondStoreError(request, respond, received.status(), Missing("transfer", transfer->id));
    return;
  }
  RespondTransfer(context, request, respond, *received);
}

void CancelTransfer(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  std::optional<domain::Transfer> transfer =
      BeginTransferStep(context, request, respond, TransferSide::kSource);
  if (!transfer) return;
  ApiResult<int64_t> at = DecodeEventTimeBody(
      request.http.body(), context.catalog->TimeZoneOf(transfer->source, context.config->time_zone),
      NowUnixMicros());
  if (!at.ok()) {
    RespondError(respond, request.http, at.error());
    return;
  }
  Result<domain::Transfer> cancelled = context.store->CancelTransfer(transfer->id, at.value());
  if (!cancelled.ok()) {
    RespondStoreError(request, respond, cancelled.status(), Missing("transfer", transfer->id));
    return;
  }
  RespondTransfer(context, request, respond, *cancelled);
}

void GetTransfer(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  const std::string& id = request.path_params.at(0);
  if (!CheckId(request, respond, "id", id)) return;
  Result<domain::Transfer> transfer = context.store->GetTransfer(id);
  if (!transfer.ok()) {
    RespondStoreError(request, respond, transfer.status(), Missing("transfer", id));
    return;
  }
  if (!SeesTransfer(request.caller, *transfer)) {
    RespondError(respond, request.http, ForbiddenBranch("origem", transfer->source));
    return;
  }
  RespondTransfer(context, request, respond, *transfer);
}

void ListTransfers(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  std::optional<std::string> branch;
  std::optional<domain::TransferStatus> status;
  std::size_t limit = 0;
  std::optional<std::string> after;
  if (!ReadListQuery<domain::TransferStatus>(request, respond, domain::ParseTransferStatus,
                                             "criada, em_transito, recebida, cancelada", &branch,
                                             &status, &limit, &after)) {
    return;
  }
  auto fetch = [&](std::optional<std::string_view> from, std::size_t count) {
    return context.store->ListTransfers(
        branch ? std::optional<std::string_view>(*branch) : std::nullopt, status, from, count);
  };
  Result<store::TransferPage> page =
      branch || request.caller.all_branches()
          ? fetch(after ? std::optional<std::string_view>(*after) : std::nullopt, limit)
          : ReadFilteredPage<store::TransferPage>(
                fetch,
                [&](const domain::Transfer& transfer) {
                  return SeesTransfer(request.caller, transfer);
                },
                std::move(after), limit);
  if (!page.ok()) {
    RespondStoreError(request, respond, page.status(), "");
    return;
  }
  RespondPage(context, request, respond, *page, WriteTransfer);
}

void CreateReservation(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  if (!CheckJsonMediaType(request, respond)) return;
  InventoryDecodeContext decode = MakeDecodeContext(context);
  ApiResult<domain::Reservation> reservation = DecodeReservationBody(request.http.body(), decode);
  if (!reservation.ok()) {
    RespondError(respond, request.http, reservation.error());
    return;
  }
  if (!CheckBranchAccess(request, respond, "filial", reservation.value().branch)) return;
  if (!CheckAcceptingWrites(context, request, respond)) return;
  reservation.value().created_by = CreatedBy(request.caller);
  auto created = context.store->CreateReservation(std::move(reservation).value(), decode.now_us);
  if (!created.ok()) {
    RespondStoreError(request, respond, created.status(), "");
    return;
  }
  RespondReservation(context, request, respond, created->first,
                     created->second ? http::status::created : http::status::ok);
}

namespace {

// POST /v1/reservas/{id}/confirmacao | liberacao.
template <typename Step>
void ReservationStep(const ServiceContext& context, RouteRequest& request, Responder& respond,
                     Step step) {
  const std::string& id = request.path_params.at(0);
  if (!CheckId(request, respond, "id", id)) return;
  if (!CheckJsonMediaType(request, respond)) return;
  if (!CheckAcceptingWrites(context, request, respond)) return;
  // The reservation's filial must be the caller's (read first: 404 before 403).
  Result<domain::Reservation> stored = context.store->GetReservation(id);
  if (!stored.ok()) {
    RespondStoreError(request, respond, stored.status(), Missing("reservation", id));
    return;
  }
  if (!CheckBranchAccess(request, respond, "filial", stored->branch)) return;
  Result<domain::Reservation> reservation = step(id, NowUnixMicros());
  if (!reservation.ok()) {
    RespondStoreError(request, respond, reservation.status(), Missing("reservation", id));
    return;
  }
  RespondReservation(context, request, respond, *reservation);
}

}  // namespace

void ConfirmReservation(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  ReservationStep(context, request, respond, [&](std::string_view id, int64_t now) {
    return context.store->ConfirmReservation(id, now);
  });
}

void ReleaseReservation(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  ReservationStep(context, request, respond, [&](std::string_view id, int64_t now) {
    return context.store->ReleaseReservation(id, now);
  });
}

void GetReservation(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  const std::string& id = request.path_params.at(0);
  if (!CheckId(request, respond, "id", id)) return;
  Result<domain::Reservation> reservation = context.store->GetReservation(id);
  if (!reservation.ok()) {
    RespondStoreError(request, respond, reservation.status(), Missing("reservation", id));
    return;
  }
  if (!CheckBranchAccess(request, respond, "filial", reservation->branch)) return;
  RespondReservation(context, request, respond, *reservation);
}

void ListReservations(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  std::optional<std::string> branch;
  std::optional<domain::ReservationStatus> status;
  std::size_t limit = 0;
  std::optional<std::string> after;
  if (!ReadListQuery<domain::ReservationStatus>(request, respond, domain::ParseReservationStatus,
                                                "ativa, confirmada, liberada, expirada", &branch,
                                                &status, &limit, &after)) {
    return;
  }
  auto fetch = [&](std::optional<std::string_view> from, std::size_t count) {
    return context.store->ListReservations(
        branch ? std::optional<std::string_view>(*branch) : std::nullopt, status, from, count);
  };
  Result<store::ReservationPage> page =
      branch || request.caller.all_branches()
          ? fetch(after ? std::optional<std::string_view>(*after) : std::nullopt, limit)
          : ReadFilteredPage<store::ReservationPage>(
                fetch,
                [&](const domain::Reservation& reservation) {
                  return request.caller.covers(reservation.branch);
                },
                std::move(after), limit);
  if (!page.ok()) {
    RespondStoreError(request, respond, page.status(), "");
    return;
  }
  RespondPage(context, request, respond, *page, WriteReservation);
}

}  // namespace estoque::api::handlers
