// The `estoque` command line: subcommands serve, load, import, keys, backup and restore.
#pragma once

namespace estoque::app {

// Parses argv and runs the chosen subcommand. Returns the process exit code.
int RunCli(int argc, char** argv);

}  // namespace estoque::app
