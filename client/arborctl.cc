// arborctl: admin and data command-line tool for an Arbor server. See client/arborctl_app.h for
// the exit codes and `arborctl --help` for the commands.

#include <unistd.h>

#include <iostream>

#include "client/arborctl_app.h"

int main(int argc, char** argv) {
  bool err_is_terminal = isatty(STDERR_FILENO) == 1;
  return arbor::client::RunArborctl(argc, argv, std::cout, std::cerr, err_is_terminal);
}
