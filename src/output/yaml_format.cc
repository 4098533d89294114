// The canonical JSON form as YAML: render_json's tree, same keys in the same order, emitted
// with yaml-cpp. Scalars are written so that a YAML 1.1 reader (PyYAML) and a YAML 1.2
// core-schema reader (yaml-cpp, ruamel, Go) both read back the JSON type: a string is
// quoted unless it cannot be mistaken for a number, bool, null or timestamp.
#include <yaml-cpp/yaml.h>

#include <cassert>
#include <nlohmann/json.hpp>

#include "common/yaml_text.h"
#include "output/formatters.h"

namespace nightjar::output {
namespace {

using json = nlohmann::ordered_json;

// JSON's shortest round-trip form, made to match YAML 1.1's float pattern too (which needs a
// '.' and a signed exponent): 1e-05 -> 1.0e-05, 1e+20 -> 1.0e+20. 500.0 stays 500.0.
std::string yaml_float(const json& value) {
  std::string text = value.dump();
  const size_t e = text.find_first_of("eE");
  if (e != std::string::npos) {
    if (text.find('.') == std::string::npos) {
      text.insert(e, ".0");
    }
    const size_t sign = text.find_first_of("eE") + 1;
    if (sign < text.size() && text[sign] != '-' && text[sign] != '+') text.insert(sign, "+");
  }
  return text;
}

void emit(YAML::Emitter& out, const json& value) {
  switch (value.type()) {
    case json::value_t::object:
      out << YAML::BeginMap;
      for (const auto& [key, item] : value.items()) {
        out << YAML::Key;
        emit_yaml_string(out, key);
        out << YAML::Value;
        emit(out, item);
      }
      out << YAML::EndMap;
      break;
    case json::value_t::array:
      out << YAML::BeginSeq;
      for (const json& item : value) emit(out, item);
      out << YAML::EndSeq;
      break;
    case json::value_t::string:
      emit_yaml_string(out, value.get_ref<const std::string&>());
      break;
    case json::value_t::boolean:
      out << value.get<bool>();
      break;
    case json::value_t::number_integer:
      out << value.get<int64_t>();
      break;
    case json::value_t::number_unsigned:
      out << value.get<uint64_t>();
      break;
    case json::value_t::number_float:
      out << yaml_float(value);
      break;  // plain: a float pattern
    case json::value_t::null:
    case json::value_t::discarded:
    case json::value_t::binary:
      out << YAML::Null;
      break;
  }
}

}  // namespace

std::string render_yaml(const model::RunResult& result) {
  // Our own JSON, so it parses; no exceptions either way.
  const json tree = json::parse(render_json(result), nullptr, /*allow_exceptions=*/false);
  assert(!tree.is_discarded());
  YAML::Emitter out;
  out.SetBoolFormat(YAML::TrueFalseBool);
  emit(out, tree);
  assert(out.good());
  return std::string(out.c_str()) + "\n";
}

}  // namespace nightjar::output
