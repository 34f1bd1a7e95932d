// RunCommand: runs the real `estoque` binary with other subcommands than serve (e.g. `import`)
// for end-to-end tests, and collects its exit code and output.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace estoque::e2e {

struct CommandResult {
  int exit_code = -1;  // 128+signal if killed; -1 if it could not run or timed out
  std::string out;     // stdout
  std::string err;     // stderr
};

// Runs `estoque <args...>` with a clean ESTOQUE_* environment (but ESTOQUE_API_KEY set to
// kTestAdminKey) and stdin closed, waiting up to `timeout` (then SIGKILL). A sanitizer report on
// its stderr (instrumented builds) fails the current test (ADD_FAILURE).
CommandResult RunEstoque(const std::vector<std::string>& args,
                         std::chrono::milliseconds timeout = std::chrono::seconds(120));

}  // namespace estoque::e2e
