#include "domain/branch.h"

#include "common/limits.h"

namespace estoque::domain {

namespace {

bool IsBranchChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

}  // namespace

Status ValidateBranch(std::string_view branch) {
  bool ok = branch.size() >= limits::kBranchCharsMin && branch.size() <= limits::kBranchCharsMax;
  for (std::size_t i = 0; ok && i < branch.size(); ++i) ok = IsBranchChar(branch[i]);
  if (!ok) return Status::InvalidArgument("must be 1 to 32 characters of A-Z a-z 0-9 _ -");
  return Status::Ok();
}

}  // namespace estoque::domain
