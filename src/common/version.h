// The version of estoque: `estoque --version`, and what a backup records as the server that made
// it. Keep equal to the VERSION of project() in CMakeLists.txt.
#pragma once

#include <string_view>

namespace estoque {

inline constexpr std::string_view kEstoqueVersion = "0.1.0";

}  // namespace estoque
