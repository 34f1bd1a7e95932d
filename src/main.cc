// estoque: one binary, subcommands in src/app/cli.cc.
#include "app/cli.h"
#include "app/serve.h"

int main(int argc, char** argv) {
  estoque::app::BlockTerminationSignals();  // before any thread starts
  return estoque::app::RunCli(argc, argv);
}
