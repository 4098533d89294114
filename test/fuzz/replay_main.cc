// The main of every fuzz target in a normal (non-libFuzzer) build: feeds each file of the
// corpus directories (or files) given on the command line to LLVMFuzzerTestOneInput once, in
// name order, so `make test` replays every corpus as a smoke test. Fails when a target crashes
// (the process dies) or when no input was found (a corpus that went missing proves nothing).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::vector<std::filesystem::path> inputs_of(const std::filesystem::path& arg) {
  std::vector<std::filesystem::path> out;
  if (std::filesystem::is_directory(arg)) {
    for (const auto& entry : std::filesystem::directory_iterator(arg)) {
      if (entry.is_regular_file()) out.push_back(entry.path());
    }
    std::sort(out.begin(), out.end());
  } else if (std::filesystem::is_regular_file(arg)) {
    out.push_back(arg);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  size_t replayed = 0;
  for (int i = 1; i < argc; ++i) {
    for (const std::filesystem::path& path : inputs_of(argv[i])) {
      std::ifstream in(path, std::ios::binary);
      const std::vector<char> bytes{std::istreambuf_iterator<char>(in),
                                    std::istreambuf_iterator<char>()};
      if (!in.good() && !in.eof()) {
        std::fprintf(stderr, "cannot read %s\n", path.c_str());
        return 1;
      }
      // A copy of exactly the input's size, so reading past its end is caught under ASan as it
      // would be under libFuzzer.
      std::vector<uint8_t> data(bytes.begin(), bytes.end());
      static const uint8_t kEmpty = 0;  // libFuzzer passes a valid pointer even for no bytes
      LLVMFuzzerTestOneInput(data.empty() ? &kEmpty : data.data(), data.size());
      ++replayed;
    }
  }
  if (replayed == 0) {
    std::fprintf(stderr, "no corpus input found in the arguments\n");
    return 1;
  }
  std::printf("replayed %zu inputs\n", replayed);
  return 0;
}
