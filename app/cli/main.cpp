// twinplan-cli: a thin main over the library (see `twinplan-cli --help`).
#include <CLI/CLI.hpp>
#include <iostream>

int main(int argc, char** argv) {
  CLI::App app{"TwinPlan command-line interface"};
  CLI11_PARSE(app, argc, argv);
  return 0;
}
