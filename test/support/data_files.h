// Files for tests: the repository's test data (test/data/, NIGHTJAR_TEST_DATA_DIR) and files a
// test writes for itself in the temporary folder.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace nightjar::testing {

// The path of `relative` under test/data/.
inline std::string test_data_path(const std::string& relative) {
  return std::string(NIGHTJAR_TEST_DATA_DIR) + "/" + relative;
}

// Test-only TLS material (test/data/tls/).
inline std::string tls_file(const std::string& name) { return test_data_path("tls/" + name); }

// The whole of test/data/`relative`; "" when it cannot be read.
inline std::string read_test_data(const std::string& relative) {
  std::ifstream in(test_data_path(relative), std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A file in the temporary folder holding `bytes`, named by the process and `name`.
inline std::string temp_file(const std::string& name, const std::string& bytes) {
  const std::string path =
      ::testing::TempDir() + "/nightjar_" + std::to_string(::getpid()) + "_" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

}  // namespace nightjar::testing
