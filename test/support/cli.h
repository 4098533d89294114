// Running the nightjar binary (NIGHTJAR_BINARY, defined for the CLI tests) as a user
// would: arguments in; exit code, standard output and standard error out.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/subprocess.h"

namespace nightjar::testing {

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

inline Outcome run_nightjar(std::vector<std::string> args) {
  args.insert(args.begin(), NIGHTJAR_BINARY);
  Subprocess p(args);
  EXPECT_TRUE(p.started());
  const int code = p.wait();
  return {code, p.all_out(), p.err()};
}

}  // namespace nightjar::testing
