// Roles of API keys (docs/SECURITY.md has what each may do).
#pragma once

#include <optional>
#include <string_view>

namespace estoque::auth {

enum class Role : uint8_t {
  kAdmin = 1,       // everything, key management, audit
  kPdv = 2,         // a register: write positions, sales and movements of its branches; read them
  kLeitura = 3,     // read all branches, or a listed set
  kIntegracao = 4,  // an integration: read all (or a listed set), write movements
};

// "admin", "pdv", "leitura", "integracao".
std::string_view RoleName(Role role);
std::optional<Role> ParseRole(std::string_view name);

}  // namespace estoque::auth
