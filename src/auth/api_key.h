// An API key as stored: who it is, what it may do, and the hash of its token (never the token).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/role.h"

namespace estoque::auth {

// Per-key throttling override (requests per second and burst), else the role's or the default.
struct RateOverride {
  double per_second = 0;
  double burst = 0;
  friend bool operator==(const RateOverride&, const RateOverride&) = default;
};

struct ApiKeyRecord {
  std::string id;                     // public, e.g. "k_3f9a0c1d2e4b5a69"; in audit and ledger
  Role role = Role::kLeitura;
  std::vector<std::string> branches;  // sorted, unique; empty = every branch (not for pdv)
  std::string name;                   // nome: a label for people
  std::string token_hash;             // SHA-256 of the token, 32 bytes
  int64_t created_at_us = 0;
  int64_t rotated_at_us = 0;          // 0 = never
  int64_t revoked_at_us = 0;          // 0 = active
  std::string created_by;             // id of the key that created it ("" = CLI or bootstrap)
  std::optional<RateOverride> rate;

  bool active() const { return revoked_at_us == 0; }
  bool all_branches() const { return branches.empty(); }
  // True if this key may see / act on `branch`.
  bool covers(std::string_view branch) const {
    return branches.empty() || std::binary_search(branches.begin(), branches.end(), branch);
  }
  friend bool operator==(const ApiKeyRecord&, const ApiKeyRecord&) = default;
};

}  // namespace estoque::auth
