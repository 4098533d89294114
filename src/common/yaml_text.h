// Strings written with yaml-cpp so that every YAML reader reads back a string: a YAML 1.1
// reader (PyYAML, Go's yaml.v2) and a YAML 1.2 core-schema reader (yaml-cpp, ruamel) alike.
// Shared by the YAML report (output/yaml_format.cc) and SMPS test files
// (config/smps_writer.cc). Header-only: its users link yaml-cpp.
#pragma once

#include <yaml-cpp/emitter.h>
#include <yaml-cpp/emittermanip.h>

#include <cctype>
#include <string>
#include <string_view>

namespace nightjar {

// Words YAML 1.1 resolves to bools or null when plain (YAML 1.2 core's are a subset).
inline bool is_yaml_keyword(std::string_view s) {
  static constexpr std::string_view kWords[] = {"y",   "n",    "yes",   "no",  "on",
                                                "off", "true", "false", "null"};
  std::string lower(s);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view w : kWords) {
    if (lower == w) return true;
  }
  return false;
}

// A string safe to write plain: an identifier-like word ([A-Za-z_][A-Za-z0-9_./-]*) that is not
// a YAML keyword. Everything else (numbers such as "200" or "99.9", URLs, base64, dates, "")
// is double-quoted; being stricter than YAML needs costs only a few quotes.
inline bool yaml_plain_is_safe(std::string_view s) {
  if (s.empty() || is_yaml_keyword(s)) return false;
  const auto c0 = static_cast<unsigned char>(s[0]);
  if (!std::isalpha(c0) && s[0] != '_') return false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (!std::isalnum(u) && c != '_' && c != '.' && c != '/' && c != '-') return false;
  }
  return true;
}

// Emits `s` (a key or a value) plain when that is safe, else double-quoted (yaml-cpp escapes
// line breaks and control characters there).
inline void emit_yaml_string(YAML::Emitter& out, const std::string& s) {
  if (yaml_plain_is_safe(s)) {
    out << s;
  } else {
    out << YAML::DoubleQuoted << s;
  }
}

}  // namespace nightjar
