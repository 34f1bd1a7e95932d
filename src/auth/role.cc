#include "auth/role.h"

namespace estoque::auth {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAdmin: return "admin";
    case Role::kPdv: return "pdv";
    case Role::kLeitura: return "leitura";
    case Role::kIntegracao: return "integracao";
  }
  return "?";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (Role role : {Role::kAdmin, Role::kPdv, Role::kLeitura, Role::kIntegracao}) {
    if (name == RoleName(role)) return role;
  }
  return std::nullopt;
}

}  // namespace estoque::auth
