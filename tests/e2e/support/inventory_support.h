// Helpers of the inventory end-to-end suites (sales, movements, ledger, transfers, reservations):
// body builders with fixed event times, the error shape, the ledger read page by page, and the
// counting rule recomputed from the ledger.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "e2e/support/fixture.h"

namespace estoque::e2e::inventory {

namespace json = boost::json;

// A fixed event time on 2024-06-`day` in Sao Paulo (UTC-3 all year since 2019), as the server
// writes it back: "2024-06-01T10:00:00-03:00".
inline std::string At(int hour, int minute = 0, int second = 0, int day = 1) {
  char text[40];
  std::snprintf(text, sizeof text, "2024-06-%02dT%02d:%02d:%02d-03:00", day, hour, minute, second);
  return text;
}

// Now + `ahead` as RFC 3339 UTC with whole seconds rounded up (for expira_em).
inline std::string FromNow(std::chrono::milliseconds ahead) {
  const auto at = std::chrono::system_clock::now() + ahead + std::chrono::milliseconds(999);
  const std::time_t seconds = std::chrono::system_clock::to_time_t(at);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// "YYYY-MM-DDTHH:MM:SS[.ffffff](Z|+HH:MM|-HH:MM)" to Unix microseconds; nullopt if malformed.
inline std::optional<int64_t> ParseRfc3339(const std::string& text) {
  int y, mo, d, h, mi, s;
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &consumed) != 6) {
    return std::nullopt;
  }
  std::size_t i = static_cast<std::size_t>(consumed);
  int64_t micros = 0;
  if (i < text.size() && text[i] == '.') {
    int digits = 0;
    for (++i; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++digits) {
      micros = micros * 10 + (text[i] - '0');
    }
    for (; digits < 6; ++digits) micros *= 10;
  }
  int64_t offset_s = 0;
  if (i < text.size() && text[i] == 'Z') {
    ++i;
  } else if (i + 6 <= text.size() && (text[i] == '+' || text[i] == '-')) {
    int oh = 0, om = 0;
    if (std::sscanf(text.c_str() + i + 1, "%2d:%2d", &oh, &om) != 2) return std::nullopt;
    offset_s = (oh * 3600 + om * 60) * (text[i] == '-' ? -1 : 1);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != text.size()) return std::nullopt;
  // Days from civil (Howard Hinnant's algorithm).
  y -= mo <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const int64_t days = era * 146097 + doe - 719468;
  return (days * 86400 + h * 3600 + mi * 60 + s - offset_s) * 1'000'000 + micros;
}

struct Line {
  std::string barcode;
  int64_t quantity;
};

inline json::array Lines(const std::vector<Line>& lines) {
  json::array items;
  for (const Line& line : lines) items.push_back(json::object{{"codigo_barra", line.barcode}, {"quantidade", line.quantity}});
  return items;
}

inline std::string Serialize(const json::value& value) { return json::serialize(value); }

// POST /v1/vendas body.
inline std::string SaleBody(const std::string& sale_id, const std::string& branch, const std::vector<Line>& lines,
                            const std::string& data) {
  return Serialize(json::object{{"venda_id", sale_id}, {"filial", branch}, {"itens", Lines(lines)}, {"data", data}});
}

// One POST /v1/movimentos object (motivo only when not empty).
inline json::object Movement(const std::string& id, const std::string& kind, const std::string& branch,
                             const std::string& barcode, int64_t quantity, const std::string& data,
                             const std::string& reason = "") {
  json::object movement{{"id", id},         {"tipo", kind},         {"filial", branch},
                        {"codigo_barra", barcode}, {"quantidade", quantity}, {"data", data}};
  if (!reason.empty()) movement["motivo"] = reason;
  return movement;
}

inline std::string MovementsBody(std::initializer_list<json::object> movements) {
  json::array array;
  for (const auto& m : movements) array.push_back(m);
  return Serialize(array);
}

// POST /v1/transferencias body.
inline std::string TransferBody(const std::string& id, const std::string& source, const std::string& destination,
                                const std::vector<Line>& lines) {
  return Serialize(json::object{{"id", id}, {"origem", source}, {"destino", destination}, {"itens", Lines(lines)}});
}

// POST /v1/reservas body.
inline std::string ReservationBody(const std::string& id, const std::string& branch, const std::vector<Line>& lines,
                                   const std::string& expires) {
  return Serialize(json::object{{"id", id}, {"filial", branch}, {"itens", Lines(lines)}, {"expira_em", expires}});
}

inline std::string DataBody(const std::string& data) { return Serialize(json::object{{"data", data}}); }

// A JSON string's text, to compare with a std::string ("<not a string: ...>" otherwise).
inline std::string Str(const json::value& value) {
  if (!value.is_string()) return "<not a string: " + json::serialize(value) + ">";
  return std::string(value.as_string());
}

// An integral JSON number (quantities of these suites are whole units).
inline int64_t Int(const json::value& value) { return value.to_number<int64_t>(); }

// Asserts the standard error shape {"error":{"code","message","details":[...]}} and returns its code.
inline std::string ErrorCode(const HttpResult& r) {
  auto v = r.json();
  EXPECT_TRUE(v.is_object()) << r.body;
  if (!v.is_object() || !v.as_object().contains("error")) return "<no error object: " + r.body + ">";
  const auto& e = v.at("error").as_object();
  EXPECT_TRUE(e.contains("code") && e.at("code").is_string()) << r.body;
  EXPECT_TRUE(e.contains("message") && e.at("message").is_string()) << r.body;
  EXPECT_TRUE(e.contains("details") && e.at("details").is_array()) << r.body;
  if (!e.contains("code") || !e.at("code").is_string()) return "<no code: " + r.body + ">";
  return std::string(e.at("code").as_string());
}

// The (index, field) pairs of error.details (index -1 when the detail has none).
inline std::set<std::pair<int64_t, std::string>> ErrorFields(const HttpResult& r) {
  std::set<std::pair<int64_t, std::string>> fields;
  auto v = r.json();
  if (!v.is_object() || !v.as_object().contains("error")) return fields;
  const auto& e = v.at("error").as_object();
  if (!e.contains("details") || !e.at("details").is_array()) return fields;
  for (const auto& d : e.at("details").as_array()) {
    const auto& detail = d.as_object();
    const int64_t index = detail.contains("index") ? detail.at("index").to_number<int64_t>() : -1;
    fields.insert({index, detail.contains("field") ? std::string(detail.at("field").as_string()) : "<none>"});
  }
  return fields;
}

// The fields named by error.details, without indexes.
inline std::set<std::string> ErrorFieldNames(const HttpResult& r) {
  std::set<std::string> names;
  for (const auto& [index, field] : ErrorFields(r)) names.insert(field);
  return names;
}

// Every ledger entry GET /v1/movimentos?<query> returns, following proximo_cursor; newest first.
// Fails the test (and returns what it read) if a page is not 200 or the pages do not end.
inline std::vector<json::object> Ledger(HttpClient& client, const std::string& query, int page_limit = 1000) {
  std::vector<json::object> entries;
  std::string cursor;
  for (int page = 0; page < 10000; ++page) {
    std::string target = "/v1/movimentos?limit=" + std::to_string(page_limit);
    if (!query.empty()) target += "&" + query;
    if (!cursor.empty()) target += "&cursor=" + cursor;
    auto r = client.Get(target);
    EXPECT_EQ(r.status, 200) << target << " -> " << r.body;
    if (r.status != 200) return entries;
    const auto v = r.json();
    for (const auto& item : v.at("itens").as_array()) entries.push_back(item.as_object());
    const auto& next = v.at("proximo_cursor");
    if (next.is_null()) return entries;
    cursor = std::string(next.as_string());
  }
  ADD_FAILURE() << "ledger paging did not end for " << query;
  return entries;
}

// The identity of a ledger entry: "codigo_barra/filial/origem/id".
inline std::string EntryKey(const json::object& entry) {
  return Str(entry.at("codigo_barra")) + "/" + Str(entry.at("filial")) + "/" + Str(entry.at("origem")) + "/" +
         Str(entry.at("id"));
}

inline int64_t EventTime(const json::object& entry) {
  auto at = ParseRfc3339(std::string(entry.at("data").as_string()));
  EXPECT_TRUE(at.has_value()) << json::serialize(entry);
  return at.value_or(0);
}

// The counting rule over one product-branch's ledger entries: the newest contagem (greatest event
// time, then quantity, then origem and id) plus every other movement's signed quantity with an
// event time after it; with no count, the sum of every movement.
inline int64_t OnHandByRule(const std::vector<json::object>& entries) {
  std::optional<std::tuple<int64_t, int64_t, std::string, std::string>> newest;
  for (const auto& e : entries) {
    if (e.at("tipo") != "contagem") continue;
    auto key = std::make_tuple(EventTime(e), Int(e.at("quantidade")), std::string(e.at("origem").as_string()),
                               std::string(e.at("id").as_string()));
    if (!newest || key > *newest) newest = key;
  }
  int64_t on_hand = newest ? std::get<1>(*newest) : 0;
  for (const auto& e : entries) {
    if (e.at("tipo") == "contagem") continue;
    if (!newest || EventTime(e) > std::get<0>(*newest)) on_hand += Int(e.at("quantidade"));
  }
  return on_hand;
}

// Sum of the signed quantities of the non-count entries that satisfy `keep`.
template <typename Keep>
int64_t SumWhere(const std::vector<json::object>& entries, Keep keep) {
  int64_t sum = 0;
  for (const auto& e : entries) {
    if (e.at("tipo") != "contagem" && keep(e)) sum += Int(e.at("quantidade"));
  }
  return sum;
}

// Server fixture plus shortcuts for the inventory endpoints.
class InventoryServerTest : public ServerTest {
 protected:
  // GET /v1/posicoes/{cb}/{filial}; an empty object (and a test failure) unless 200.
  json::object Stock(const std::string& barcode, const std::string& branch) {
    auto r = client_->Get("/v1/posicoes/" + barcode + "/" + branch);
    EXPECT_EQ(r.status, 200) << barcode << "/" << branch << " -> " << r.body;
    if (r.status != 200) return {};
    return r.json().as_object();
  }
  int64_t OnHand(const std::string& barcode, const std::string& branch) {
    auto s = Stock(barcode, branch);
    return s.contains("em_estoque") ? Int(s.at("em_estoque")) : INT64_MIN;
  }
  // Seeds counts through POST /v1/posicoes and waits until they are applied.
  void SeedCounts(std::initializer_list<boost::json::object> items) {
    auto r = client_->Post("/v1/posicoes", Body(items));
    ASSERT_EQ(r.status, 202) << r.body;
    ASSERT_TRUE(WaitDrained());
  }
  // POST /v1/vendas; asserts 202.
  void Sell(const std::string& sale_id, const std::string& branch, const std::vector<Line>& lines,
            const std::string& data) {
    auto r = client_->Post("/v1/vendas", SaleBody(sale_id, branch, lines, data));
    ASSERT_EQ(r.status, 202) << r.body;
  }
  HttpResult Put(const std::string& target, const std::string& body) { return client_->Request("PUT", target, body); }
  std::vector<json::object> LedgerOf(const std::string& barcode, const std::string& branch) {
    return Ledger(*client_, "codigo_barra=" + barcode + "&filial=" + branch);
  }
};

}  // namespace estoque::e2e::inventory
