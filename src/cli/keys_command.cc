#include "cli/keys_command.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <memory>
#include <utility>

#include <boost/json.hpp>

#include "auth/audit_log.h"
#include "auth/key_store.h"
#include "cli/http_client.h"
#include "cli/server_reply.h"
#include "common/clock.h"
#include "domain/timestamp.h"
#include "load/base_url.h"
#include "store/rocksdb_engine.h"

namespace estoque::cli {
namespace {

namespace json = boost::json;

constexpr std::string_view kKeysTarget = "/v1/admin/keys";
// Branches listed in a table cell before "+N".
constexpr std::size_t kBranchesShownMax = 4;
// Name the audit log gives changes made with --data (there is no key behind them).
constexpr std::string_view kLocalAuditName = "estoque keys --data";

// A key as the command shows it, from either mode.
struct KeyView {
  std::string id;
  std::string role;
  std::vector<std::string> branches;  // empty = every branch
  std::string name;
  bool active = true;
  std::string created;  // RFC 3339, or "" if unknown
  std::string token;    // create and rotate only
};

struct Failure {
  int code = kKeysExitError;
  std::string message;
};

int Fail(std::ostream& err, const Failure& failure) {
  err << "estoque keys: " << failure.message << "\n" << std::flush;
  return failure.code;
}

// Display width of UTF-8 text: its code points (enough for a table of names and ids).
std::size_t DisplayWidth(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string BranchesCell(const std::vector<std::string>& branches) {
  if (branches.empty()) return "all";
  std::string cell;
  for (std::size_t i = 0; i < branches.size() && i < kBranchesShownMax; ++i) {
    if (i > 0) cell += ",";
    cell += branches[i];
  }
  if (branches.size() > kBranchesShownMax) {
    cell += " +" + std::to_string(branches.size() - kBranchesShownMax);
  }
  return cell;
}

std::string Describe(const KeyView& key) {
  return key.id + " (role " + key.role + ", filiais " + BranchesCell(key.branches) + ", nome \"" +
         Printable(key.name) + "\")";
}

void PrintToken(std::ostream& out, const KeyView& key, std::string_view what) {
  out << what << " API key " << Describe(key) << ".\n"
      << "Its token is shown ONLY NOW and cannot be recovered (only its hash is stored); keep it "
         "safe:\n\n"
      << "    " << key.token << "\n\n"
      << "Send it as the x-api-key header (or in ESTOQUE_API_KEY for estoque load/import).\n"
      << std::flush;
}

// "2024-05-27T21:16:31.123456-03:00" -> "2024-05-27T21:16:31-03:00" (a table needs no microseconds).
std::string WholeSeconds(const std::string& time) {
  const std::size_t dot = time.find('.');
  if (dot == std::string::npos) return time;
  std::size_t end = dot + 1;
  while (end < time.size() && std::isdigit(static_cast<unsigned char>(time[end]))) ++end;
  return time.substr(0, dot) + time.substr(end);
}

void PrintTable(std::ostream& out, const std::vector<KeyView>& keys) {
  const std::vector<std::string> header = {"ID", "ROLE", "FILIAIS", "NOME", "ACTIVE", "CREATED"};
  std::vector<std::vector<std::string>> rows;
  for (const KeyView& key : keys) {
    rows.push_back({key.id, key.role, BranchesCell(key.branches), Printable(key.name),
                    key.active ? "yes" : "no", key.created.empty() ? "-" : WholeSeconds(key.created)});
  }
  std::vector<std::size_t> widths(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) widths[c] = DisplayWidth(header[c]);
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], DisplayWidth(row[c]));
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(widths[c] - DisplayWidth(row[c]) + 2, ' ');
    }
    out << line << "\n";
  };
  print_row(header);
  for (const auto& row : rows) print_row(row);
  const std::size_t active = static_cast<std::size_t>(
      std::count_if(keys.begin(), keys.end(), [](const KeyView& key) { return key.active; }));
  out << keys.size() << (keys.size() == 1 ? " key" : " keys") << ", " << active << " active\n"
      << std::flush;
}

// ---- --server: the admin endpoints --------------------------------------------------------------

// Percent-encodes everything but RFC 3986's unreserved characters (an id in a path).
std::string PathSegment(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    }
  }
  return out;
}

const json::string* StringMember(const json::object& object, std::string_view name) {
  const json::value* value = object.if_contains(name);
  return value != nullptr ? value->if_string() : nullptr;
}

// A key object of the admin API ({"id","role","filiais","nome","ativa","criada_em",["key"]}).
std::optional<KeyView> KeyFromJson(const json::value& value) {
  const json::object* object = value.if_object();
  if (object == nullptr) return std::nullopt;
  const json::string* id = StringMember(*object, "id");
  const json::string* role = StringMember(*object, "role");
  const json::string* name = StringMember(*object, "nome");
  const json::value* active = object->if_contains("ativa");
  const json::value* branches = object->if_contains("filiais");
  if (id == nullptr || role == nullptr || name == nullptr || active == nullptr ||
      !active->is_bool() || branches == nullptr || !branches->is_array()) {
    return std::nullopt;
  }
  KeyView key;
  key.id = std::string(*id);
  key.role = std::string(*role);
  key.name = std::string(*name);
  key.active = active->as_bool();
  for (const json::value& branch : branches->as_array()) {
    if (!branch.is_string()) return std::nullopt;
    key.branches.emplace_back(branch.as_string());
  }
  if (const json::string* created = StringMember(*object, "criada_em")) key.created = std::string(*created);
  if (const json::string* token = StringMember(*object, "key")) key.token = std::string(*token);
  return key;
}

class ServerKeys {
 public:
  ServerKeys(load::BaseUrl url, const KeysOptions& options) : server_(options.server) {
    HttpClientOptions client_options;
    client_options.url = std::move(url);
    client_options.headers.emplace_back("x-api-key", options.api_key);
    client_options.timeout = std::chrono::seconds(30);
    client_ = std::make_unique<BlockingHttpClient>(std::move(client_options));
  }

  // Sends the request and returns the body parsed as JSON if the status is `expected`.
  Result<json::value> Call(std::string_view method, const std::string& target, std::string body,
                           unsigned expected, std::string* failure) {
    Result<HttpReply> reply = client_->Send(method, target, std::move(body));
    if (!reply.ok()) {
      *failure = "cannot reach " + server_ + ": " + reply.status().message();
      return reply.status();
    }
    if (reply->status != expected) {
      *failure = DescribeReply(*reply, "key management needs an admin key");
      return Status::Unavailable(*failure);
    }
    json::error_code error;
    json::value parsed = json::parse(reply->body, error);
    if (error) {
      *failure = "unexpected answer from the server: " +
                 Printable(reply->body.substr(0, kBodyCharsQuotedMax));
      return Status::Internal(*failure);
    }
    return parsed;
  }

  int Run(KeysAction action, const KeysOptions& options, std::ostream& out, std::ostream& err) {
    std::string failure;
    switch (action) {
      case KeysAction::kCreate: {
        json::object body;
        body["role"] = options.role;
        body["nome"] = options.name;
        json::array branches;
        for (const std::string& branch : options.branches) branches.emplace_back(branch);
        body["filiais"] = std::move(branches);
        if (options.per_second.has_value() && options.burst.has_value()) {
          body["limite"] = json::object{{"rps", Number(*options.per_second)},
                                        {"rajada", Number(*options.burst)}};
        }
        Result<json::value> answer =
            Call("POST", std::string(kKeysTarget), json::serialize(body), 201, &failure);
        if (!answer.ok()) return Fail(err, {kKeysExitError, failure});
        std::optional<KeyView> key = KeyFromJson(*answer);
        if (!key || key->token.empty()) return Unexpected(err, *answer);
        PrintToken(out, *key, "Created");
        return kKeysExitOk;
      }
      case KeysAction::kList: {
        Result<json::value> answer = Call("GET", std::string(kKeysTarget), "", 200, &failure);
        if (!answer.ok()) return Fail(err, {kKeysExitError, failure});
        const json::object* root = answer->if_object();
        const json::value* items = root != nullptr ? root->if_contains("itens") : nullptr;
        if (items == nullptr || !items->is_array()) return Unexpected(err, *answer);
        std::vector<KeyView> keys;
        for (const json::value& item : items->as_array()) {
          std::optional<KeyView> key = KeyFromJson(item);
          if (!key) return Unexpected(err, item);
          key->token.clear();  // never printed by list (the server sends none anyway)
          keys.push_back(std::move(*key));
        }
        PrintTable(out, keys);
        return kKeysExitOk;
      }
      case KeysAction::kRevoke: {
        Result<json::value> answer = Call(
            "DELETE", std::string(kKeysTarget) + "/" + PathSegment(options.id), "", 200, &failure);
        if (!answer.ok()) return Fail(err, {kKeysExitError, failure});
        std::optional<KeyView> key = KeyFromJson(*answer);
        if (!key) return Unexpected(err, *answer);
        out << "Revoked API key " << Describe(*key) << ": its token no longer works.\n" << std::flush;
        return kKeysExitOk;
      }
      case KeysAction::kRotate: {
        Result<json::value> answer =
            Call("POST", std::string(kKeysTarget) + "/" + PathSegment(options.id) + "/rotate", "",
                 200, &failure);
        if (!answer.ok()) return Fail(err, {kKeysExitError, failure});
        std::optional<KeyView> key = KeyFromJson(*answer);
        if (!key || key->token.empty()) return Unexpected(err, *answer);
        PrintToken(out, *key, "Rotated (the old token no longer works)");
        return kKeysExitOk;
      }
    }
    return kKeysExitError;
  }

 private:
  // Whole numbers as integers ("5", not "5E0").
  static json::value Number(double value) {
    if (std::floor(value) == value && std::fabs(value) < 1e15) return static_cast<int64_t>(value);
    return value;
  }
  static int Unexpected(std::ostream& err, const json::value& value) {
    return Fail(err, {kKeysExitError, "unexpected answer from the server: " +
                                          Printable(json::serialize(value).substr(0, kBodyCharsQuotedMax))});
  }

  std::string server_;
  std::unique_ptr<BlockingHttpClient> client_;
};

// ---- --data: the data directory of a stopped server --------------------------------------------

KeyView KeyFromRecord(const auth::ApiKeyRecord& record, const domain::TimeZone& zone) {
  KeyView key;
  key.id = record.id;
  key.role = std::string(auth::RoleName(record.role));
  key.branches = record.branches;
  key.name = record.name;
  key.active = record.active();
  if (record.created_at_us > 0) key.created = domain::FormatRfc3339(record.created_at_us, zone);
  return key;
}

bool MentionsLock(std::string_view message) {
  std::string lower(message);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower.find("lock") != std::string::npos;
}

int RunLocal(KeysAction action, const KeysOptions& options, std::ostream& out, std::ostream& err) {
  const std::string& dir = options.data_dir;
  std::error_code ignored;
  // Never create a directory here: a mistyped --data must not become a new, empty key store.
  if (!std::filesystem::is_regular_file(std::filesystem::path(dir) / "CURRENT", ignored)) {
    return Fail(err, {kKeysExitError,
                      "no estoque data directory at " + dir +
                          " (pass the server's --data DIR, or use --server URL for a running "
                          "server)"});
  }
  auto zone = domain::TimeZone::Locate("UTC");
  if (!zone.ok()) return Fail(err, {kKeysExitError, "time zone UTC: " + zone.status().message()});
  store::EngineOptions engine_options;
  engine_options.data_dir = dir;
  engine_options.block_cache_bytes = 8ull << 20;
  engine_options.row_cache_bytes = 0;
  auto engine = store::RocksEngine::Open(engine_options);
  if (!engine.ok()) {
    if (MentionsLock(engine.status().message())) {
      return Fail(err, {kKeysExitError,
                        "the data directory " + dir +
                            " is locked: a running server holds it. Manage its keys through the "
                            "server instead: estoque keys ... --server http://HOST:PORT --key "
                            "ADMIN_KEY (or ESTOQUE_API_KEY)"});
    }
    return Fail(err, {kKeysExitError, "opening " + dir + ": " + engine.status().message()});
  }
  auto keys = auth::RocksKeyStore::Open(engine->get());
  if (!keys.ok()) return Fail(err, {kKeysExitError, "loading the API keys: " + keys.status().message()});
  auto audit = auth::RocksAuditLog::Open(engine->get());
  if (!audit.ok()) return Fail(err, {kKeysExitError, "opening the audit log: " + audit.status().message()});
  // What was done goes to the audit log as the same request would through the API.
  auto record_audit = [&](std::string method, std::string path, int status) {
    auth::AuditEntry entry;
    entry.at_us = NowUnixMicros();
    entry.key_name = std::string(kLocalAuditName);
    entry.method = std::move(method);
    entry.path = std::move(path);
    entry.status = status;
    (*audit)->Record(std::move(entry));
  };
  const std::string key_path = std::string(kKeysTarget) + "/" + options.id;

  switch (action) {
    case KeysAction::kCreate: {
      auth::NewKey key;
      std::optional<auth::Role> role = auth::ParseRole(options.role);
      if (!role) return Fail(err, {kKeysExitUsage, "--role must be admin, pdv, leitura or integracao"});
      key.role = *role;
      key.branches = options.branches;
      key.name = options.name;
      if (options.per_second && options.burst) key.rate = auth::RateOverride{*options.per_second, *options.burst};
      const bool first_key = (*keys)->size() == 0;
      Result<auth::IssuedKey> issued = (*keys)->Create(std::move(key));
      if (!issued.ok()) return Fail(err, {kKeysExitError, issued.status().message()});
      record_audit("POST", std::string(kKeysTarget), 201);
      KeyView view = KeyFromRecord(issued->record, *zone);
      view.token = issued->token;
      PrintToken(out, view, "Created");
      if (first_key && issued->record.role != auth::Role::kAdmin) {
        err << "estoque keys: note: this was the directory's first key, so the server will not "
               "create an admin key at its next start; create one with --role admin.\n";
      }
      return kKeysExitOk;
    }
    case KeysAction::kList: {
      std::vector<KeyView> views;
      for (const auth::ApiKeyRecord& record : (*keys)->List()) views.push_back(KeyFromRecord(record, *zone));
      PrintTable(out, views);
      return kKeysExitOk;
    }
    case KeysAction::kRevoke: {
      Result<auth::ApiKeyRecord> revoked = (*keys)->Revoke(options.id);
      if (!revoked.ok()) return Fail(err, {kKeysExitError, revoked.status().message()});
      record_audit("DELETE", key_path, 200);
      out << "Revoked API key " << Describe(KeyFromRecord(*revoked, *zone))
          << ": its token no longer works.\n"
          << std::flush;
      return kKeysExitOk;
    }
    case KeysAction::kRotate: {
      Result<auth::IssuedKey> issued = (*keys)->Rotate(options.id);
      if (!issued.ok()) return Fail(err, {kKeysExitError, issued.status().message()});
      record_audit("POST", key_path + "/rotate", 200);
      KeyView view = KeyFromRecord(issued->record, *zone);
      view.token = issued->token;
      PrintToken(out, view, "Rotated (the old token no longer works)");
      return kKeysExitOk;
    }
  }
  return kKeysExitError;
}

}  // namespace

int RunKeysCommand(KeysAction action, const KeysOptions& options, std::ostream& out,
                   std::ostream& err) {
  if (options.per_second.has_value() != options.burst.has_value()) {
    return Fail(err, {kKeysExitUsage, "--rps and --rajada go together"});
  }
  if ((action == KeysAction::kRevoke || action == KeysAction::kRotate) && options.id.empty()) {
    return Fail(err, {kKeysExitUsage, "the key's ID is required"});
  }
  if (options.server.empty()) return RunLocal(action, options, out, err);
  if (options.data_dir_given) {
    return Fail(err, {kKeysExitUsage, "--server and --data exclude each other"});
  }
  Result<load::BaseUrl> url = load::ParseBaseUrl(options.server);
  if (!url.ok()) return Fail(err, {kKeysExitUsage, "--server: " + url.status().message()});
  if (options.api_key.empty()) {
    return Fail(err, {kKeysExitUsage,
                      "--server needs an admin API key: --key KEY or the ESTOQUE_API_KEY variable"});
  }
  ServerKeys server(std::move(*url), options);
  return server.Run(action, options, out, err);
}

}  // namespace estoque::cli
