// Key management and the audit log (admin only; the route table enforces the role).
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "api/cursor.h"
#include "api/handlers.h"
#include "api/inventory_json.h"
#include "api/json_tree.h"
#include "api/json_writer.h"
#include "api/request_checks.h"
#include "auth/audit_log.h"
#include "auth/key_store.h"
#include "domain/product_name.h"

namespace estoque::api::handlers {
namespace {

namespace http = boost::beast::http;

// Key ids are "k_" + hex; anything else in {id} cannot name a key. Checked before the store so an
// error message never echoes arbitrary path bytes (which need not be UTF-8) into JSON.
constexpr std::size_t kKeyIdCharsMax = 64;
bool IsKeyIdText(std::string_view id) {
  return !id.empty() && id.size() <= kKeyIdCharsMax &&
         std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-';
         });
}

bool CheckKeyId(RouteRequest& request, Responder& respond) {
  if (IsKeyIdText(request.path_params[0])) return true;
  RespondError(respond, request.http,
               MakeApiError(http::status::not_found, "not_found", "no such API key"));
  return false;
}

// A request path as stored in the audit log, made safe for JSON: bytes outside printable ASCII
// (raw non-ASCII, which need not be valid UTF-8, and control characters) are percent-encoded, as
// they would be in a well-formed URI.
std::string AuditPath(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(path.size());
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

// The key as listed (never its token or hash).
void WriteKey(JsonWriter& writer, const auth::ApiKeyRecord& key, const domain::TimeZone& zone,
              const std::string* token) {
  writer.BeginObject();
  writer.Key("id");
  writer.String(key.id);
  if (token != nullptr) {
    writer.Key("key");
    writer.String(*token);
  }
  writer.Key("role");
  writer.String(auth::RoleName(key.role));
  writer.Key("filiais");
  writer.BeginArray();
  for (const std::string& branch : key.branches) writer.String(branch);
  writer.EndArray();
  writer.Key("nome");
  writer.String(domain::Utf8OrMasked(key.name));
  writer.Key("ativa");
  writer.Bool(key.active());
  writer.Key("criada_em");
  WriteOptionalTime(writer, key.created_at_us, zone);
  writer.Key("rotacionada_em");
  WriteOptionalTime(writer, key.rotated_at_us, zone);
  writer.Key("revogada_em");
  WriteOptionalTime(writer, key.revoked_at_us, zone);
  writer.Key("criada_por");
  if (key.created_by.empty()) writer.Null(); else writer.String(key.created_by);
  writer.Key("limite");
  if (key.rate.has_value()) {
    writer.BeginObject();
    writer.Key("rps");
    writer.RawNumber(std::to_string(key.rate->per_second));
    writer.Key("rajada");
    writer.RawNumber(std::to_string(key.rate->burst));
    writer.EndObject();
  } else {
    writer.Null();
  }
  writer.EndObject();
}

std::string KeyBody(const auth::ApiKeyRecord& key, const domain::TimeZone& zone,
                    const std::string* token) {
  std::string body;
  JsonWriter writer(&body);
  WriteKey(writer, key, zone, token);
  return body;
}

// A positive JSON number member of `object` as a double; adds a detail if bad.
std::optional<double> PositiveNumber(const JsonNode& object, std::string_view name,
                                     std::vector<ErrorDetail>* details) {
  const JsonNode* node = object.Find(name);
  if (node == nullptr) {
    details->push_back({std::nullopt, "limite." + std::string(name), "required"});
    return std::nullopt;
  }
  if (node->kind != JsonNode::Kind::kNumber) {
    details->push_back({std::nullopt, "limite." + std::string(name), "must be a number"});
    return std::nullopt;
  }
  char* end = nullptr;
  const double value = std::strtod(node->text.c_str(), &end);
  if (end != node->text.c_str() + node->text.size() || !std::isfinite(value) || value <= 0 ||
      value > 1e9) {
    details->push_back({std::nullopt, "limite." + std::string(name), "must be > 0 and <= 1e9"});
    return std::nullopt;
  }
  return value;
}

ApiResult<auth::NewKey> DecodeNewKey(std::string_view body) {
  ApiResult<JsonNode> root = ParseJsonTree(body);
  if (!root.ok()) return std::move(root).error();
  if (root.value().kind != JsonNode::Kind::kObject) {
    return FieldsError("invalid_fields", {{std::nullopt, "", "the body must be a JSON object"}});
  }
  const JsonNode& object = root.value();
  std::vector<ErrorDetail> details;
  FieldReader reader(object, &details);
  reader.CheckDuplicates();
  auth::NewKey key;
  std::optional<std::string> role = reader.String("role", true);
  if (role.has_value()) {
    std::optional<auth::Role> parsed = auth::ParseRole(*role);
    if (parsed.has_value()) {
      key.role = *parsed;
    } else {
      reader.Fail("role", "must be admin, pdv, leitura or integracao");
    }
  }
  if (std::optional<std::string> name = reader.String("nome", true)) key.name = std::move(*name);
  if (const JsonNode* branches = reader.Array("filiais", false)) {
    for (std::size_t i = 0; i < branches->items.size(); ++i) {
      const JsonNode& item = branches->items[i];
      if (item.kind != JsonNode::Kind::kString) {
        details.push_back({i, "filiais", "must be a string"});
        continue;
      }
      key.branches.push_back(item.text);
    }
  }
  if (const JsonNode* rate = object.Find("limite"); rate != nullptr && rate->kind != JsonNode::Kind::kNull) {
    if (rate->kind != JsonNode::Kind::kObject) {
      reader.Fail("limite", "must be an object {\"rps\", \"rajada\"}");
    } else {
      std::optional<double> per_second = PositiveNumber(*rate, "rps", &details);
      std::optional<double> burst = PositiveNumber(*rate, "rajada", &details);
      if (per_second && burst) key.rate = auth::RateOverride{*per_second, *burst};
    }
  }
  for (const auto& [name, unused] : object.members) {
    if (name != "role" && name != "nome" && name != "filiais" && name != "limite") {
      details.push_back({std::nullopt, name, "unknown field"});
    }
  }
  if (!details.empty()) return FieldsError("invalid_fields", std::move(details));
  return key;
}

// 400 naming the field of a KeyStore InvalidArgument ("filiais: ..."), else the usual mapping.
ApiError KeyStoreError(const Status& status) {
  if (status.code() == StatusCode::kInvalidArgument) {
    const std::string& message = status.message();
    const std::size_t colon = message.find(':');
    std::string field = colon == std::string::npos ? "" : message.substr(0, colon);
    std::string reason = colon == std::string::npos ? message : message.substr(colon + 2);
    return FieldsError("invalid_fields", {{std::nullopt, std::move(field), std::move(reason)}});
  }
  if (status.code() == StatusCode::kNotFound) {
    return MakeApiError(http::status::not_found, "not_found", status.message());
  }
  return ApiErrorFromStatus(status);
}

bool CheckKeysEnabled(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  if (context.security->keys != nullptr) return true;
  RespondError(respond, request.http,
               MakeApiError(http::status::not_found, "auth_off",
                            "authentication is off on this server (--auth off): no keys"));
  return false;
}

}  // namespace

void CreateKey(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  if (!CheckKeysEnabled(context, request, respond) || !CheckJsonMediaType(request, respond) ||
      !CheckAcceptingWrites(context, request, respond)) {
    return;
  }
  ApiResult<auth::NewKey> key = DecodeNewKey(request.http.body());
  if (!key.ok()) {
    RespondError(respond, request.http, key.error());
    return;
  }
  key.value().created_by = std::string(request.caller.id());
  Result<auth::IssuedKey> issued = context.security->keys->Create(std::move(key).value());
  if (!issued.ok()) {
    RespondError(respond, request.http, KeyStoreError(issued.status()));
    return;
  }
  RespondJson(respond, request.http, KeyBody(issued->record, context.config->time_zone, &issued->token),
              http::status::created);
}

void ListKeys(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  if (!CheckKeysEnabled(context, request, respond)) return;
  std::string body;
  JsonWriter writer(&body);
  writer.BeginObject();
  writer.Key("itens");
  writer.BeginArray();
  for (const auth::ApiKeyRecord& key : context.security->keys->List()) {
    WriteKey(writer, key, context.config->time_zone, nullptr);
  }
  writer.EndArray();
  writer.EndObject();
  RespondJson(respond, request.http, std::move(body));
}

void GetKey(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  if (!CheckKeysEnabled(context, request, respond) || !CheckKeyId(request, respond)) return;
  Result<auth::ApiKeyRecord> key = context.security->keys->Get(request.path_params[0]);
  if (!key.ok()) {
    RespondError(respond, request.http, KeyStoreError(key.status()));
    return;
  }
  RespondJson(respond, request.http, KeyBody(*key, context.config->time_zone, nullptr));
}

void RevokeKey(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  if (!CheckKeysEnabled(context, request, respond) || !CheckKeyId(request, respond) ||
      !CheckAcceptingWrites(context, request, respond)) {
    return;
  }
  Result<auth::ApiKeyRecord> key = context.security->keys->Revoke(request.path_params[0]);
  if (!key.ok()) {
    RespondError(respond, request.http, KeyStoreError(key.status()));
    return;
  }
  RespondJson(respond, request.http, KeyBody(*key, context.config->time_zone, nullptr));
}

void RotateKey(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  if (!CheckKeysEnabled(context, request, respond) || !CheckKeyId(request, respond) ||
      !CheckAcceptingWrites(context, request, respond)) {
    return;
  }
  Result<auth::IssuedKey> issued = context.security->keys->Rotate(request.path_params[0]);
  if (!issued.ok()) {
    RespondError(respond, request.http, KeyStoreError(issued.status()));
    return;
  }
  RespondJson(respond, request.http, KeyBody(issued->record, context.config->time_zone, &issued->token));
}

void ListAudit(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  if (context.security->audit == nullptr) {
    RespondError(respond, request.http,
                 MakeApiError(http::status::not_found, "audit_off", "this server keeps no audit log"));
    return;
  }
  const domain::TimeZone& zone = context.config->time_zone;
  auth::AuditQuery query;
  auto key_id = ReadQueryParameter(request, respond, "chave");
  if (!key_id) return;
  query.key_id = *key_id;
  auto since = ReadTimeParameter(request, respond, "desde", zone);
  if (!since) return;
  query.since_us = *since;
  auto until = ReadTimeParameter(request, respond, "ate", zone);
  if (!until) return;
  query.until_us = *until;
  auto limit = ReadPageLimit(request, respond);
  if (!limit) return;
  query.limit = *limit;
  auto cursor = ReadPageCursor(request, respond);
  if (!cursor) return;
  query.after = *cursor;
  Result<auth::AuditPage> page = context.security->audit->List(query);
  if (!page.ok()) {
    RespondError(respond, request.http,
                 page.status().code() == StatusCode::kInvalidArgument
                     ? InvalidParameter("cursor", page.status().message())
                     : ApiErrorFromStatus(page.status()));
    return;
  }
  std::string body;
  JsonWriter writer(&body);
  writer.BeginObject();
  writer.Key("itens");
  writer.BeginArray();
  for (const auth::AuditEntry& entry : page->items) {
    writer.BeginObject();
    writer.Key("em");
    WriteOptionalTime(writer, entry.at_us, zone);
    writer.Key("chave");
    writer.String(entry.key_id);
    writer.Key("nome");
    writer.String(domain::Utf8OrMasked(entry.key_name));
    writer.Key("metodo");
    writer.String(AuditPath(entry.method));
    writer.Key("caminho");
    writer.String(AuditPath(entry.path));
    writer.Key("status");
    writer.Int(entry.status);
    writer.EndObject();
  }
  writer.EndArray();
  WriteNextCursor(writer, page->next_after);
  writer.EndObject();
  RespondJson(respond, request.http, std::move(body));
}

}  // namespace estoque::api::handlers
