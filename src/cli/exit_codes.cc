#include "cli/exit_codes.h"

#include <iostream>

namespace nightjar::cli {

int usage_error(const std::string& message) {
  std::cerr << "nightjar: error: " << message << "\n";
  return kExitUsage;
}

int error_exit(const Status& status) {
  std::cerr << "nightjar: error: " << status.message() << "\n";
  return status.code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
}

}  // namespace nightjar::cli
