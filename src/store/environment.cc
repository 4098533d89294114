#include "store/environment.h"

#include <sys/utsname.h>

#include <fstream>
#include <string_view>
#include <thread>

#include "common/version.h"

namespace nightjar::store {
namespace {

// The first "model name" line of /proc/cpuinfo (x86), else "Model" or "cpu model" (Arm, MIPS).
std::string read_cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  std::string fallback;
  while (std::getline(in, line)) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string_view key(line.data(), colon);
    while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.remove_suffix(1);
    std::string_view value(line);
    value.remove_prefix(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (key == "model name") return std::string(value);
    if ((key == "Model" || key == "cpu model") && fallback.empty()) fallback = value;
  }
  return fallback;
}

}  // namespace

Environment current_environment() {
  Environment env;
  utsname names{};
  if (uname(&names) == 0) {
    env.host_name = names.nodename;
    env.kernel_release = names.release;
  }
  env.cpu_model = read_cpu_model();
  env.cpu_count = static_cast<int>(std::thread::hardware_concurrency());
  env.nightjar_version = kVersion;
  return env;
}

}  // namespace nightjar::store
