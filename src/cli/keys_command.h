// `estoque keys create|list|revoke|rotate`: API key management from the command line, in one of
// two modes:
//   --server URL  through the admin endpoints of a running server (/v1/admin/keys), with an admin
//                 key (--key or ESTOQUE_API_KEY). A revocation or rotation takes effect at once.
//   --data DIR    directly on the data directory of a STOPPED server (default ./data). RocksDB
//                 locks a directory a server holds, so this mode then fails, telling the user to
//                 use --server.
// Tokens are printed only by create and rotate (the one time they exist outside the client);
// list never shows them.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace estoque::cli {

enum class KeysAction { kCreate, kList, kRevoke, kRotate };

struct KeysOptions {
  std::string server;               // base URL; empty = the --data mode
  std::string api_key;              // admin key for --server (the caller fills in ESTOQUE_API_KEY)
  std::string data_dir = "./data";  // the --data mode's directory
  bool data_dir_given = false;      // --data was on the command line (conflicts with --server)
  // create
  std::string role;                  // admin, pdv, leitura, integracao
  std::vector<std::string> branches; // filiais (pdv: required; admin: none)
  std::string name;                  // nome
  std::optional<double> per_second;  // --rps   } the key's own throttling (both or neither)
  std::optional<double> burst;       // --rajada}
  // revoke, rotate
  std::string id;
};

// Process exit codes of `estoque keys`.
inline constexpr int kKeysExitOk = 0;
inline constexpr int kKeysExitError = 1;  // the operation failed (message on `err`)
inline constexpr int kKeysExitUsage = 2;  // bad options

// Runs `action`; results on `out`, errors ("estoque keys: ...") on `err`. Returns the exit code.
int RunKeysCommand(KeysAction action, const KeysOptions& options, std::ostream& out,
                   std::ostream& err);

}  // namespace estoque::cli
