#include "catalog/validation.h"

#include "common/limits.h"
#include "domain/barcode.h"
#include "domain/branch.h"
#include "domain/catalog_fields.h"
#include "domain/product_name.h"
#include "domain/timestamp.h"

namespace estoque::catalog {

namespace {

void Check(std::vector<FieldProblem>* problems, std::string_view field, const Status& status) {
  if (!status.ok()) problems->push_back(FieldProblem{field, status.message()});
}

}  // namespace

std::vector<FieldProblem> ProductProblems(const Product& product, bool require_gtin_check_digit) {
  std::vector<FieldProblem> problems;
  Check(&problems, kFieldBarcode,
        domain::ValidateBarcode(product.barcode, require_gtin_check_digit));
  Check(&problems, kFieldProductName, domain::ValidateProductName(product.name));
  Check(&problems, kFieldCategory,
        domain::ValidateCatalogText(product.category, limits::kCategoryCodePointsMax));
  Check(&problems, kFieldMinStock, domain::ValidateMinStock(product.min_stock_milli, product.unit));
  return problems;
}

std::vector<FieldProblem> BranchProblems(const Branch& branch) {
  std::vector<FieldProblem> problems;
  Check(&problems, kFieldBranch, domain::ValidateBranch(branch.branch));
  Check(&problems, kFieldBranchName,
        domain::ValidateCatalogText(branch.name, limits::kBranchNameCodePointsMax));
  Check(&problems, kFieldCity, domain::ValidateCatalogText(branch.city, limits::kCityCodePointsMax));
  Check(&problems, kFieldState, domain::ValidateState(branch.state));
  if (branch.time_zone.size() > limits::kTimeZoneNameBytesMax) {
    problems.push_back(FieldProblem{kFieldTimeZone, "must be an IANA time zone name"});
  } else if (!branch.time_zone.empty() && !domain::TimeZone::Locate(branch.time_zone).ok()) {
    problems.push_back(
        FieldProblem{kFieldTimeZone, "unknown IANA time zone (e.g. America/Sao_Paulo)"});
  }
  return problems;
}

Status ProblemsToStatus(const std::vector<FieldProblem>& problems) {
  if (problems.empty()) return Status::Ok();
  return Status::InvalidArgument(std::string(problems.front().field) + ": " +
                                 problems.front().reason);
}

Status ValidateMentions(const std::vector<Catalog::Mention>& mentions) {
  for (std::size_t i = 0; i < mentions.size(); ++i) {
    if (Status valid = domain::ValidateBarcode(mentions[i].barcode, false); !valid.ok()) {
      return Status::InvalidArgument("mention " + std::to_string(i) + ": codigo_barra: " +
                                     valid.message());
    }
    if (mentions[i].name.empty()) continue;
    if (Status valid = domain::ValidateProductName(mentions[i].name); !valid.ok()) {
      return Status::InvalidArgument("mention " + std::to_string(i) + ": nome_produto: " +
                                     valid.message());
    }
  }
  return Status::Ok();
}

}  // namespace estoque::catalog
