// JSON pointers as the readers name fields in their errors, for tests that break a file one
// field at a time and check that the error names that field.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace nightjar::output {

// The readers' name for a JSON pointer: "/timeline/0/latency_ns/p50" ->
// "timeline[0].latency_ns.p50"; "/0/runner_results" -> "[0].runner_results".
inline std::string reader_path(nlohmann::json::json_pointer pointer) {
  std::vector<std::string> tokens;
  for (; !pointer.empty(); pointer.pop_back()) tokens.insert(tokens.begin(), pointer.back());
  std::string out;
  for (const std::string& token : tokens) {
    if (!token.empty() && token.find_first_not_of("0123456789") == std::string::npos) {
      out += "[" + token + "]";
    } else {
      out += (out.empty() ? "" : ".") + token;
    }
  }
  return out;
}

// True when `message` names `path` or one of its ancestors ("labels" for "labels.mesh").
inline bool names_field_or_parent(const std::string& message, std::string path) {
  while (!path.empty()) {
    if (message.find(path) != std::string::npos) return true;
    const size_t cut = path.find_last_of(".[");
    if (cut == std::string::npos || cut == 0) break;
    path.resize(cut);
  }
  return false;
}

}  // namespace nightjar::output
