#include "cli/commands.h"

int main(int argc, char** argv) { return nightjar::cli::run_cli(argc, argv); }
