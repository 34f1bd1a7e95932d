#include "api/access.h"

namespace estoque::api {

bool RoleAllows(auth::Role role, Access access) {
  switch (access) {
    case Access::kPublic:
    case Access::kRead:
      return true;
    case Access::kIngest:
      return role == auth::Role::kAdmin || role == auth::Role::kPdv;
    case Access::kMovements:
      return role == auth::Role::kAdmin || role == auth::Role::kPdv ||
             role == auth::Role::kIntegracao;
    case Access::kAdmin:
      return role == auth::Role::kAdmin;
    case Access::kMonitoring:
      return role == auth::Role::kAdmin || role == auth::Role::kLeitura;
  }
  return false;
}

std::string_view AccessName(Access access) {
  switch (access) {
    case Access::kPublic: return "public";
    case Access::kRead: return "read";
    case Access::kIngest: return "ingest";
    case Access::kMovements: return "movements";
    case Access::kAdmin: return "admin";
    case Access::kMonitoring: return "monitoring";
  }
  return "?";
}

}  // namespace estoque::api
