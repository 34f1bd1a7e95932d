#include "domain/sale.h"

namespace estoque::domain {

bool IsValidId(std::string_view id) {
  if (id.empty() || id.size() > kIdCharsMax) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

}  // namespace estoque::domain
