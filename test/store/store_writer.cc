// Test helper: saves runs into a results database in a loop, printing "<id> <n>" on stdout
// after each save commits (flushed), so a test that kills it knows what must have been kept.
//   store_writer DB [COUNT]   COUNT 0 or absent: until killed
#include <cstdio>
#include <cstdlib>
#include <string>

#include "output/sample_result.h"
#include "store/store.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: store_writer DB [COUNT]\n");
    return 2;
  }
  const long count = argc > 2 ? std::strtol(argv[2], nullptr, 10) : 0;
  auto store = nightjar::store::Store::open(argv[1]);
  if (!store.ok()) {
    std::fprintf(stderr, "store_writer: %s\n", store.status().message().c_str());
    return 1;
  }
  nightjar::model::RunResult result = nightjar::output::sample_result(true);
  for (long n = 0; count == 0 || n < count; ++n) {
    result.options.test_name = "writer-" + std::to_string(n);
    auto id = (*store)->save(result);
    if (!id.ok()) {
      std::fprintf(stderr, "store_writer: %s\n", id.status().message().c_str());
      return 1;
    }
    std::printf("%s %ld\n", id->c_str(), n);
    std::fflush(stdout);
  }
  return 0;
}
