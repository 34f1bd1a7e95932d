// filial: the branch identifier, 1..32 characters of [A-Za-z0-9_-].
#pragma once

#include <string_view>

#include "common/status.h"

namespace estoque::domain {

// Ok if `branch` is 1..32 characters of [A-Za-z0-9_-]; otherwise InvalidArgument with the reason.
Status ValidateBranch(std::string_view branch);

}  // namespace estoque::domain
