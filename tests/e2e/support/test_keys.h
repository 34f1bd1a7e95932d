// The admin API key every end-to-end server starts with (ServerProcess sets it as
// ESTOQUE_BOOTSTRAP_ADMIN_KEY unless a test sets its own), and that HttpClient sends by default.
#pragma once

namespace estoque::e2e {

inline constexpr const char* kTestAdminKey = "estq_e2e-admin-key-0123456789abcdefghijklmnopqrstuv";

}  // namespace estoque::e2e
