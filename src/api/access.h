// Who may call a route: each route of the table has an Access class, and each role a set of them
// (docs/SECURITY.md has the table; tests/e2e/e2e_security_test.cc walks every cell). Branch scope
// is checked apart from this: by the dispatcher for a {filial} in the path, by the handlers for
// branches in bodies and query filters (Caller::covers).
#pragma once

#include <memory>
#include <string_view>

#include "auth/api_key.h"
#include "auth/role.h"

namespace estoque::api {

enum class Access {
  kPublic,     // no key needed (GET /health)
  kRead,       // every role; rows limited to the key's branches
  kIngest,     // PDV data: positions, sales, sale cancellations (admin, pdv)
  kMovements,  // stock operations: movements, transfers, reservations (admin, pdv, integracao)
  kAdmin,      // catalog writes, reorder points, keys, audit, dead-letter queue (admin)
  kMonitoring,  // GET /metrics: the server's counters, no rows of any branch (admin, leitura)
};

bool RoleAllows(auth::Role role, Access access);
std::string_view AccessName(Access access);

// The caller of a request: its key, or none when authentication is off (then it may do anything).
struct Caller {
  std::shared_ptr<const auth::ApiKeyRecord> key;

  bool covers(std::string_view branch) const { return key == nullptr || key->covers(branch); }
  bool all_branches() const { return key == nullptr || key->all_branches(); }
  bool is_admin() const { return key == nullptr || key->role == auth::Role::kAdmin; }
  // The key's id ("" when authentication is off): the origem of movements it records.
  std::string_view id() const { return key == nullptr ? std::string_view() : std::string_view(key->id); }
};

}  // namespace estoque::api
