// The rules a catalog record must follow, in one place: the API checks request bodies with them
// (reporting every problem), RocksCatalog refuses records that break them, and `estoque import`
// checks files with them before sending anything. The rules themselves are the domain's.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "common/status.h"

namespace estoque::catalog {

// Wire names of the records' fields (the API's JSON, the import file's columns).
inline constexpr std::string_view kFieldBarcode = "codigo_barra";
inline constexpr std::string_view kFieldProductName = "nome_produto";
inline constexpr std::string_view kFieldUnit = "unidade";
inline constexpr std::string_view kFieldCategory = "categoria";
inline constexpr std::string_view kFieldMinStock = "estoque_minimo";
inline constexpr std::string_view kFieldActive = "ativo";
inline constexpr std::string_view kFieldBranch = "filial";
inline constexpr std::string_view kFieldBranchName = "nome";
inline constexpr std::string_view kFieldCity = "cidade";
inline constexpr std::string_view kFieldState = "uf";
inline constexpr std::string_view kFieldTimeZone = "fuso";
inline constexpr std::string_view kFieldAllowNegativeStock = "permite_estoque_negativo";
inline constexpr std::string_view kFieldCreatedAt = "criado_em";
inline constexpr std::string_view kFieldUpdatedAt = "atualizado_em";

// One broken rule: the field's wire name and the domain's reason.
struct FieldProblem {
  std::string_view field;
  std::string reason;

  friend bool operator==(const FieldProblem&, const FieldProblem&) = default;
};

// Every problem of `product` as written through the API, in field order: codigo_barra
// (domain::ValidateBarcode), nome_produto (domain::ValidateProductName: required, 1..200),
// categoria (at most limits::kCategoryCodePointsMax), estoque_minimo (>= 0, whole for UN).
// Empty when it is valid. Times and edited_by_api are not checked.
std::vector<FieldProblem> ProductProblems(const Product& product, bool require_gtin_check_digit);

// Every problem of `branch`: filial (domain::ValidateBranch), nome and cidade (bounded text),
// uf (two upper-case letters or empty), fuso (empty, or an IANA zone TimeZone::Locate finds).
std::vector<FieldProblem> BranchProblems(const Branch& branch);

// The check of Catalog::RegisterMentioned's input: each barcode (domain::ValidateBarcode, without
// the check digit rule) and each non-empty name (domain::ValidateProductName). InvalidArgument
// "mention <i>: <field>: <reason>" for the first broken rule.
Status ValidateMentions(const std::vector<Catalog::Mention>& mentions);

// Ok if `problems` is empty, else InvalidArgument "<field>: <reason>" of the first.
Status ProblemsToStatus(const std::vector<FieldProblem>& problems);

}  // namespace estoque::catalog
