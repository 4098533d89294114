#include <exception>
#include <iostream>
#include <new>

#include "cli/commands.h"

// The last line of defence: every component returns errors as values and every thread body
// catches its own, so reaching a catch here is a bug; it still ends with a message and a
// documented exit code instead of an abort.
int main(int argc, char** argv) {
  try {
    return nightjar::cli::run_cli(argc, argv);
  } catch (const std::bad_alloc&) {
    std::cerr << "nightjar: error: out of memory\n";
  } catch (const std::exception& e) {
    std::cerr << "nightjar: internal error: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "nightjar: internal error: unknown exception\n";
  }
  return nightjar::cli::kExitFailure;
}
