#include "api/catalog_json.h"

#include <array>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <boost/beast/http/status.hpp>
#include <simdjson.h>

#include "api/json_reading.h"
#include "catalog/validation.h"
#include "common/limits.h"
#include "domain/quantity.h"
#include "domain/unit.h"

namespace estoque::api {

namespace ondemand = simdjson::ondemand;
namespace http = boost::beast::http;

namespace {

using catalog::FieldProblem;

// Details listed in one error; further problems are counted in its message only (as for
// POST /v1/posicoes).
constexpr std::size_t kErrorDetailsMax = 1000;

constexpr std::array kProductMembers = {
    catalog::kFieldBarcode,  catalog::kFieldProductName, catalog::kFieldUnit,
    catalog::kFieldCategory, catalog::kFieldMinStock,    catalog::kFieldActive,
};
constexpr std::array kBranchMembers = {
    catalog::kFieldBranch,   catalog::kFieldBranchName, catalog::kFieldCity,
    catalog::kFieldState,    catalog::kFieldTimeZone,   catalog::kFieldActive,
    catalog::kFieldAllowNegativeStock,
};

// Problems found in one body, capped at kErrorDetailsMax listed.
class Problems {
 public:
  void Add(std::optional<std::size_t> index, std::string_view field, std::string reason) {
    ++total_;
    if (details_.size() < kErrorDetailsMax) {
      details_.push_back(ErrorDetail{index, std::string(field), std::move(reason)});
    }
  }
  std::size_t total() const { return total_; }

  // "invalid_items" (a list body) or "invalid_fields" (one record).
  ApiError ToError(bool items) && {
    std::string message = items ? std::to_string(total_) +
                                      " problem(s) in the items; nothing was written"
                                : "invalid field '" + details_.front().field +
                                      "': " + details_.front().reason;
    if (total_ > details_.size()) {
      message += " (the first " + std::to_string(details_.size()) + " are listed)";
    }
    ApiError error = MakeApiError(http::status::bad_request,
                                  items ? "invalid_items" : "invalid_fields", std::move(message));
    error.details = std::move(details_);
    return error;
  }

 private:
  std::vector<ErrorDetail> details_;
  std::size_t total_ = 0;
};

// One known member of a record object, as sent.
struct Member {
  ondemand::json_type type = ondemand::json_type::null;
  std::string text;  // a string's value, or a number's exact text
  bool boolean = false;
};

// The known members of one record object (by position in its member list), read once, then taken
// by type. A member with a problem is "flagged", so the domain checks that follow do not report
// it twice.
class Record {
 public:
  Record(std::span<const std::string_view> known, std::optional<std::size_t> index,
         Problems* problems)
      : known_(known), members_(known.size()), index_(index), problems_(*problems) {}

  // Reads every member of `object` (at nesting `depth`). Returns simdjson errors (broken JSON);
  // record problems (duplicates) are collected.
  simdjson::error_code Read(ondemand::object& object, std::size_t depth) {
    return json::ForEachMember(object, [&](std::string_view key, ondemand::value value) {
      const std::optional<std::size_t> slot = Slot(key);
      if (slot && members_[*slot]) Problem(known_[*slot], "duplicate key");
      if (!slot || members_[*slot]) {
        return json::ValidateValue(value, depth + 1);
      }
      Member member;
      if (auto error = value.type().get(member.type)) return error;
      switch (member.type) {
        case ondemand::json_type::string: {
          std::string_view text;
          if (auto error = json::ReadString(value, &text)) return error;
          member.text.assign(text);
          break;
        }
        case ondemand::json_type::number: {
          std::string_view text;
          if (auto error = json::ReadNumberText(value, &text)) return error;
          member.text.assign(text);
          break;
        }
        case ondemand::json_type::boolean:
          if (auto error = value.get_bool().get(member.boolean)) return error;
          break;
        default:
          if (auto error = json::ValidateValue(value, depth + 1)) return error;
      }
      members_[*slot] = std::move(member);
      return simdjson::SUCCESS;
    });
  }

  void Problem(std::string_view field, std::string reason) {
    flagged_.insert(field);
    problems_.Add(index_, field, std::move(reason));
  }
  bool flagged(std::string_view field) const { return flagged_.contains(field); }

  // The member's string, nullptr if absent; records "must be a string" for another type.
  const std::string* String(std::string_view field) {
    const Member* member = Find(field, ondemand::json_type::string, "must be a string");
    return member ? &member->text : nullptr;
  }
  // The member's boolean, nullopt if absent; records "must be a boolean" for another type.
  std::optional<bool> Bool(std::string_view field) {
    const Member* member = Find(field, ondemand::json_type::boolean, "must be a boolean");
    return member ? std::optional<bool>(member->boolean) : std::nullopt;
  }
  // The member's exact number text, nullptr if absent; records "must be a number" otherwise.
  const std::string* Number(std::string_view field) {
    const Member* member = Find(field, ondemand::json_type::number, "must be a number");
    return member ? &member->text : nullptr;
  }
  bool has(std::string_view field) const {
    const std::optional<std::size_t> slot = Slot(field);
    return slot && members_[*slot].has_value();
  }

  // Adds the domain's problems of fields not flagged yet.
  void AddDomainProblems(const std::vector<FieldProblem>& problems) {
    for (const FieldProblem& problem : problems) {
      if (!flagged(problem.field)) Problem(problem.field, problem.reason);
    }
  }

 private:
  std::optional<std::size_t> Slot(std::string_view key) const {
    for (std::size_t i = 0; i < known_.size(); ++i) {
      if (known_[i] == key) return i;
    }
    return std::nullopt;
  }

  const Member* Find(std::string_view field, ondemand::json_type type, const char* reason) {
    const std::optional<std::size_t> slot = Slot(field);
    if (!slot || !members_[*slot] || flagged(field)) return nullptr;
    if (members_[*slot]->type != type) {
      Problem(field, reason);
      return nullptr;
    }
    return &*members_[*slot];
  }

  std::span<const std::string_view> known_;
  std::vector<std::optional<Member>> members_;
  std::unordered_set<std::string_view> flagged_;
  std::optional<std::size_t> index_;
  Problems& problems_;
};

// Fills `product` from a read record. `path_barcode`: the barcode from the path (the body's
// codigo_barra is then optional and must equal it); nullopt in a batch (required).
void ProductFromRecord(Record& record, std::optional<std::string_view> path_barcode,
                       bool require_gtin_check_digit, catalog::Product* product) {
  using namespace catalog;
  if (const std::string* barcode = record.String(kFieldBarcode)) {
    if (path_barcode && *barcode != *path_barcode) {
      record.Problem(kFieldBarcode, "must match the path");
    }
    product->barcode = *barcode;
  } else if (path_barcode) {
    if (!record.flagged(kFieldBarcode)) product->barcode = *path_barcode;
  } else if (!record.has(kFieldBarcode)) {
    record.Problem(kFieldBarcode, "required");
  }
  if (const std::string* name = record.String(kFieldProductName)) {
    product->name = *name;
  } else if (!record.has(kFieldProductName)) {
    record.Problem(kFieldProductName, "required");
  }
  if (const std::string* unit = record.String(kFieldUnit)) {
    if (std::optional<domain::Unit> parsed = domain::ParseUnit(*unit)) {
      product->unit = *parsed;
    } else {
      record.Problem(kFieldUnit, "must be one of UN, KG, L, M");
    }
  }
  if (const std::string* category = record.String(kFieldCategory)) product->category = *category;
  if (const std::string* min_stock = record.Number(kFieldMinStock)) {
    Result<int64_t> milli = domain::ParseQuantityMilli(*min_stock);
    if (milli.ok()) {
      product->min_stock_milli = *milli;
    } else {
      record.Problem(kFieldMinStock, milli.status().message());
    }
  }
  if (std::optional<bool> active = record.Bool(kFieldActive)) product->active = *active;
  std::vector<FieldProblem> problems = ProductProblems(*product, require_gtin_check_digit);
  if (record.flagged(kFieldUnit)) {  // estoque_minimo was checked against the default unit
    std::erase_if(problems, [](const FieldProblem& p) { return p.field == kFieldMinStock; });
  }
  record.AddDomainProblems(problems);
}

void BranchFromRecord(Record& record, std::string_view path_branch, catalog::Branch* branch) {
  using namespace catalog;
  branch->branch = path_branch;
  if (const std::string* body_branch = record.String(kFieldBranch)) {
    if (*body_branch != path_branch) record.Problem(kFieldBranch, "must match the path");
  }
  if (const std::string* name = record.String(kFieldBranchName)) branch->name = *name;
  if (const std::string* city = record.String(kFieldCity)) branch->city = *city;
  if (const std::string* state = record.String(kFieldState)) branch->state = *state;
  if (const std::string* zone = record.String(kFieldTimeZone)) branch->time_zone = *zone;
  if (std::optional<bool> active = record.Bool(kFieldActive)) branch->active = *active;
  if (std::optional<bool> allow = record.Bool(kFieldAllowNegativeStock)) {
    branch->allow_negative_stock = *allow;
  }
  record.AddDomainProblems(BranchProblems(*branch));
}

// Parses `body` as one JSON object and hands its record to `fill`. The root must be an object.
template <typename T, typename Fill>
ApiResult<T> DecodeOneRecord(std::string_view body, std::span<const std::string_view> known,
                             Fill fill) {
  const simdjson::padded_string padded(body);
  ondemand::document document;
  if (auto error = json::ThreadParser().iterate(padded).get(document)) return json::InvalidJson(error);
  ondemand::json_type root_type;
  if (auto error = document.type().get(root_type)) return json::InvalidJson(error);
  if (root_type != ondemand::json_type::object) {
    return MakeApiError(http::status::bad_request, "invalid_json",
                        "request body must be a JSON object");
  }
  ondemand::object object;
  if (auto error = document.get_object().get(object)) return json::InvalidJson(error);
  Problems problems;
  Record record(known, std::nullopt, &problems);
  if (auto error = record.Read(object, 1)) return json::InvalidJson(error);
  if (auto error = json::CheckDocumentEnd(document)) return json::InvalidJson(error);
  T value;
  fill(record, &value);
  if (problems.total() > 0) return std::move(problems).ToError(/*items=*/false);
  return value;
}

}  // namespace

ApiResult<catalog::Product> DecodeProductBody(std::string_view body, std::string_view barcode,
                                              bool require_gtin_check_digit) {
  return DecodeOneRecord<catalog::Product>(
      body, kProductMembers, [&](Record& record, catalog::Product* product) {
        ProductFromRecord(record, barcode, require_gtin_check_digit, product);
      });
}

ApiResult<catalog::Branch> DecodeBranchBody(std::string_view body, std::string_view branch) {
  return DecodeOneRecord<catalog::Branch>(
      body, kBranchMembers,
      [&](Record& record, catalog::Branch* out) { BranchFromRecord(record, branch, out); });
}

ApiResult<std::vector<catalog::Product>> DecodeProductBatchBody(std::string_view body,
                                                                bool require_gtin_check_digit) {
  return DecodeProductList(body, require_gtin_check_digit, limits::kCatalogBatchItemsMax);
}

ApiResult<std::vector<catalog::Product>> DecodeProductList(std::string_view body,
                                                           bool require_gtin_check_digit,
                                                           std::size_t items_max) {
  const simdjson::padded_string padded(body);
  ondemand::document document;
  if (auto error = json::ThreadParser().iterate(padded).get(document)) return json::InvalidJson(error);
  ondemand::json_type root_type;
  if (auto error = document.type().get(root_type)) return json::InvalidJson(error);
  if (root_type != ondemand::json_type::array) {
    return MakeApiError(http::status::bad_request, "invalid_json",
                        "request body must be a JSON array of products");
  }
  ondemand::array items;
  if (auto error = document.get_array().get(items)) return json::InvalidJson(error);
  Problems problems;
  std::vector<catalog::Product> products;
  std::unordered_map<std::string, std::size_t> first_index;  // of each barcode
  std::size_t count = 0;
  for (auto element_result : items) {
    ondemand::value element;
    if (auto error = std::move(element_result).get(element)) return json::InvalidJson(error);
    if (count == items_max) {
      return MakeApiError(http::status::bad_request, "too_many_items",
                          "a batch carries at most " + std::to_string(items_max) + " products");
    }
    const std::size_t index = count++;
    ondemand::json_type type;
    if (auto error = element.type().get(type)) return json::InvalidJson(error);
    if (type != ondemand::json_type::object) {
      problems.Add(index, "", "must be an object");
      if (auto error = json::ValidateValue(element, 2)) return json::InvalidJson(error);
      continue;
    }
    ondemand::object object;
    if (auto error = element.get_object().get(object)) return json::InvalidJson(error);
    const std::size_t problems_before = problems.total();
    Record record(kProductMembers, index, &problems);
    if (auto error = record.Read(object, 2)) return json::InvalidJson(error);
    catalog::Product product;
    ProductFromRecord(record, std::nullopt, require_gtin_check_digit, &product);
    if (!record.flagged(catalog::kFieldBarcode)) {
      const auto [first, inserted] = first_index.emplace(product.barcode, index);
      if (!inserted) {
        record.Problem(catalog::kFieldBarcode,
                       "duplicate of item " + std::to_string(first->second));
      }
    }
    if (problems.total() == problems_before) products.push_back(std::move(product));
  }
  if (auto error = json::CheckDocumentEnd(document)) return json::InvalidJson(error);
  if (problems.total() > 0) return std::move(problems).ToError(/*items=*/true);
  if (count == 0) return MakeApiError(http::status::bad_request, "empty", "the batch has no items");
  return products;
}

void WriteProduct(JsonWriter& writer, const catalog::Product& product,
                  const domain::TimeZone& zone) {
  using namespace catalog;
  writer.BeginObject();
  writer.Key(kFieldBarcode);
  writer.String(product.barcode);
  writer.Key(kFieldProductName);
  writer.String(product.name);
  writer.Key(kFieldUnit);
  writer.String(domain::UnitName(product.unit));
  writer.Key(kFieldCategory);
  writer.String(product.category);
  writer.Key(kFieldMinStock);
  writer.RawNumber(domain::FormatQuantityMilli(product.min_stock_milli));
  writer.Key(kFieldActive);
  writer.Bool(product.active);
  writer.Key(kFieldCreatedAt);
  writer.String(domain::FormatRfc3339(product.created_at_us, zone));
  writer.Key(kFieldUpdatedAt);
  writer.String(domain::FormatRfc3339(product.updated_at_us, zone));
  writer.EndObject();
}

void WriteProductInput(JsonWriter& writer, const catalog::Product& product) {
  using namespace catalog;
  writer.BeginObject();
  writer.Key(kFieldBarcode);
  writer.String(product.barcode);
  writer.Key(kFieldProductName);
  writer.String(product.name);
  writer.Key(kFieldUnit);
  writer.String(domain::UnitName(product.unit));
  writer.Key(kFieldCategory);
  writer.String(product.category);
  writer.Key(kFieldMinStock);
  writer.RawNumber(domain::FormatQuantityMilli(product.min_stock_milli));
  writer.Key(kFieldActive);
  writer.Bool(product.active);
  writer.EndObject();
}

void WriteBranch(JsonWriter& writer, const catalog::Branch& branch, const domain::TimeZone& zone) {
  using namespace catalog;
  writer.BeginObject();
  writer.Key(kFieldBranch);
  writer.String(branch.branch);
  writer.Key(kFieldBranchName);
  writer.String(branch.name);
  writer.Key(kFieldCity);
  writer.String(branch.city);
  writer.Key(kFieldState);
  writer.String(branch.state);
  writer.Key(kFieldTimeZone);
  writer.String(branch.time_zone);
  writer.Key(kFieldActive);
  writer.Bool(branch.active);
  writer.Key(kFieldAllowNegativeStock);
  writer.Bool(branch.allow_negative_stock);
  writer.Key(kFieldCreatedAt);
  writer.String(domain::FormatRfc3339(branch.created_at_us, zone));
  writer.Key(kFieldUpdatedAt);
  writer.String(domain::FormatRfc3339(branch.updated_at_us, zone));
  writer.EndObject();
}

}  // namespace estoque::api
