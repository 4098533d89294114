// The YAML, CSV and Prometheus formats: golden files (regenerate with
// NIGHTJAR_UPDATE_GOLDEN=1 build/test/output/output_test, see sample_result.h) and checks
// that read each output back the way its consumers do: YAML with yaml-cpp under both the
// YAML 1.2 core schema and YAML 1.1 resolution (and with PyYAML when installed), CSV with an
// RFC 4180 parser, Prometheus with a strict reader of the 0.0.4 text format.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "output/formatters.h"
#include "support/shell.h"
#include "output/sample_result.h"

namespace nightjar::output {
namespace {

using json = nlohmann::ordered_json;

// A result whose free-text fields are what a YAML, CSV or Prometheus writer must escape
// or quote: words YAML reads as bools/null/numbers/dates, quotes, backslashes, newlines,
// commas, label names Prometheus does not allow.
model::RunResult hostile_result() {
  model::RunResult r = sample_result(true);
  r.options.test_name = "yes, \"quoted\" \\ back\nslash";
  r.options.labels = {{"200", "404"},          {"99.9", "1e3"},       {"mesh-version", "1.22"},
                      {"mesh_version", "~"},   {"quantile", "null"},  {"__meta", "2025-11-26"},
                      {"on", "off"},           {"colon", "a: b # c"}, {"hex", "0x1F"},
                      {"sexagesimal", "1:20"}, {"empty", ""},         {"inf", ".inf"},
                      {"under", "1_000"},      {"bool", "True"},      {"dash", "-"}};
  r.options.urls.push_back("http://[::1]:8080/a?b=c,d");
  return r;
}

// ---------------------------------------------------------------------------------------
// YAML

// How a plain (unquoted) scalar resolves. YAML 1.2 core schema, as yaml-cpp, Go and ruamel
// read it; and YAML 1.1, as PyYAML and SnakeYAML read it (more bools, '_' in numbers,
// sexagesimal, timestamps, a float needs a '.').
std::string resolve_core12(const std::string& s) {
  static const std::regex kNull("null|Null|NULL|~|");
  static const std::regex kBool("true|True|TRUE|false|False|FALSE");
  static const std::regex kInt("[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+");
  static const std::regex kFloat(
      "[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|"
      "NAN)");
  if (std::regex_match(s, kNull)) return "null";
  if (std::regex_match(s, kBool)) return "bool";
  if (std::regex_match(s, kInt)) return "int";
  if (std::regex_match(s, kFloat)) return "float";
  return "str";
}

std::string resolve_yaml11(const std::string& s) {
  static const std::regex kNull("null|Null|NULL|~|");
  static const std::regex kBool(
      "y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF");
  static const std::regex kInt(
      "[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(:["
      "0-5]?[0-9])+");
  static const std::regex kFloat(
      "[-+]?([0-9][0-9_]*)?\\.[0-9.]*([eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\\.[0-9_]*|"
      "[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)");
  static const std::regex kTimestamp("[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ].*)?");
  if (std::regex_match(s, kNull)) return "null";
  if (std::regex_match(s, kBool)) return "bool";
  if (std::regex_match(s, kInt)) return "int";
  if (std::regex_match(s, kFloat)) return "float";
  if (std::regex_match(s, kTimestamp)) return "timestamp";
  if (s == "<<" || s == "=") return "special";
  return "str";
}

// Rebuilds the JSON tree from YAML, typing each scalar the way both schemas agree on;
// records every scalar the two schemas (or quoting) would read differently.
json yaml_to_json(const YAML::Node& node, const std::string& path,
                  std::vector<std::string>& problems) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json obj = json::object();
      for (const auto& kv : node) {
        const YAML::Node& key = kv.first;
        if (key.Tag() == "?" &&
            (resolve_core12(key.Scalar()) != "str" || resolve_yaml11(key.Scalar()) != "str")) {
          problems.push_back(path + ": key '" + key.Scalar() +
                             "' is plain but does not read as a string");
        }
        obj[key.Scalar()] = yaml_to_json(kv.second, path + "." + key.Scalar(), problems);
      }
      return obj;
    }
    case YAML::NodeType::Sequence: {
      json arr = json::array();
      for (size_t i = 0; i < node.size(); ++i) {
        arr.push_back(yaml_to_json(node[i], path + "[" + std::to_string(i) + "]", problems));
      }
      return arr;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      if (node.Tag() == "!") return s;  // quoted: a string under every schema
      const std::string core = resolve_core12(s);
      const std::string v11 = resolve_yaml11(s);
      if (core != v11) {
        problems.push_back(path + ": '" + s + "' reads as " + core + " (YAML 1.2) but " + v11 +
                           " (YAML 1.1)");
      }
      if (core == "int") return std::stoll(s);
      if (core == "float") return std::stod(s);
      if (core == "bool") return s == "true" || s == "True" || s == "TRUE";
      if (core == "null") return nullptr;
      return s;
    }
    default:
      return nullptr;
  }
}

// Equality that also requires the same JSON type (500 is not 500.0) and key order.
bool same_typed(const json& a, const json& b, const std::string& path, std::string& why) {
  const bool a_int = a.is_number_integer();
  const bool b_int = b.is_number_integer();
  if (a.type() != b.type() && !(a_int && b_int)) {
    why = path + ": " + a.type_name() + " vs " + b.type_name() + " (" + a.dump() + " vs " +
          b.dump() + ")";
    return false;
  }
  if (a.is_object()) {
    if (a.size() != b.size()) {
      why = path + ": " + std::to_string(a.size()) + " vs " + std::to_string(b.size()) + " keys";
      return false;
    }
    auto ib = b.begin();
    for (auto ia = a.begin(); ia != a.end(); ++ia, ++ib) {
      if (ia.key() != ib.key()) {
        why = path + ": key '" + ia.key() + "' where '" + ib.key() + "' was expected";
        return false;
      }
      if (!same_typed(ia.value(), ib.value(), path + "." + ia.key(), why)) return false;
    }
    return true;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) {
      why = path + ": array sizes differ";
      return false;
    }
    for (size_t i = 0; i < a.size(); ++i) {
      if (!same_typed(a[i], b[i], path + "[" + std::to_string(i) + "]", why)) return false;
    }
    return true;
  }
  if (a != b) {
    why = path + ": " + a.dump() + " vs " + b.dump();
    return false;
  }
  return true;
}

void expect_yaml_reads_back_as_json(const model::RunResult& r) {
  const json expected = json::parse(render_json(r));
  const std::string yaml = render_yaml(r);
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    FAIL() << "yaml-cpp cannot read the output: " << e.what() << "\n" << yaml;
  }
  std::vector<std::string> problems;
  const json actual = yaml_to_json(root, "", problems);
  for (const std::string& p : problems) ADD_FAILURE() << p;
  std::string why;
  EXPECT_TRUE(same_typed(actual, expected, "", why)) << why;
}

TEST(Yaml, MatchesGolden) { expect_golden("open_loop.yaml", render_yaml(sample_result(true))); }

TEST(Yaml, ReadsBackAsTheJsonFormWithTheSameTypesAndKeyOrder) {
  expect_yaml_reads_back_as_json(sample_result(true));
  expect_yaml_reads_back_as_json(sample_result(false));
  model::RunResult empty = sample_result(false);  // empty maps, sequences and strings
  empty.options.labels.clear();
  empty.options.test_name.clear();
  empty.shards.clear();
  empty.timeline.clear();
  empty.status_codes.clear();
  expect_yaml_reads_back_as_json(empty);
}

TEST(Yaml, StringsThatLookLikeNumbersBoolsOrDatesStayStrings) {
  expect_yaml_reads_back_as_json(hostile_result());
}

TEST(Yaml, NumericKeysAreQuotedAndCountsArePlainIntegers) {
  const std::string yaml = render_yaml(sample_result(true));
  EXPECT_NE(yaml.find("\"200\": 990"), std::string::npos);
  EXPECT_NE(yaml.find("\"99.9\": 999935"), std::string::npos);
  EXPECT_NE(yaml.find("completed: 1000\n"), std::string::npos);
  EXPECT_NE(yaml.find("achieved_rps: 500.0\n"), std::string::npos);
  EXPECT_NE(yaml.find("open_loop: true\n"), std::string::npos);
}

// PyYAML (YAML 1.1, the reader most scripts use) must load the same tree, same types.
TEST(Yaml, PyYamlLoadsTheSameTreeAsJson) {
  const auto python = testing::find_executable("python3");
  if (!python || testing::run_command(*python + " -c 'import yaml'").exit_code != 0)
    GTEST_SKIP() << "python3 with PyYAML not installed";
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("nightjar-yaml-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const char* kScript = R"(import json, sys, yaml
def same(a, b, path):
    if type(a) is not type(b):
        print(path, type(a).__name__, repr(a), type(b).__name__, repr(b)); return False
    if isinstance(a, dict):
        if list(a) != list(b):
            print(path, 'keys', list(a), list(b)); return False
        return all(same(a[k], b[k], path + '.' + k) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y, path + '[]') for x, y in zip(a, b))
    if a != b:
        print(path, repr(a), repr(b)); return False
    return True
with open(sys.argv[1]) as y, open(sys.argv[2]) as j:
    sys.exit(0 if same(yaml.safe_load(y), json.load(j), '') else 1)
)";
  std::ofstream(dir / "check.py") << kScript;
  for (const model::RunResult& r : {sample_result(true), hostile_result()}) {
    std::ofstream(dir / "out.yaml") << render_yaml(r);
    std::ofstream(dir / "out.json") << render_json(r);
    const auto quoted = [&](const char* name) { return testing::shell_quote((dir / name).string()); };
    const testing::CommandResult check =
        testing::run_command(*python + " " + quoted("check.py") + " " + quoted("out.yaml") + " " + quoted("out.json"));
    EXPECT_EQ(check.exit_code, 0) << check.output;
  }
  std::filesystem::remove_all(dir);
}

// ---------------------------------------------------------------------------------------
// CSV

// RFC 4180 reader: records of fields; quoted fields may hold commas, CR/LF and "" quotes.
// Returns nullopt on malformed input (a bare quote inside a field, an unclosed quote).
std::optional<std::vector<std::vector<std::string>>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  size_t i = 0;
  bool at_field_start = true;
  while (i < text.size()) {
    const char c = text[i];
    if (at_field_start && c == '"') {
      ++i;
      for (;;) {
        if (i >= text.size()) return std::nullopt;  // unclosed quote
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field += text[i++];
      }
      if (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r')
        return std::nullopt;
      at_field_start = false;
      continue;
    }
    if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      at_field_start = true;
      ++i;
    } else if (c == '\n' || c == '\r') {
      row.push_back(std::move(field));
      field.clear();
      rows.push_back(std::move(row));
      row.clear();
      at_field_start = true;
      i += (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ? 2 : 1;
    } else {
      if (c == '"') return std::nullopt;  // a quote inside an unquoted field
      field += c;
      at_field_start = false;
      ++i;
    }
  }
  if (!row.empty() || !field.empty()) return std::nullopt;  // no line ending at the end
  return rows;
}

using CsvTable = std::map<std::pair<std::string, std::string>, std::pair<std::string, std::string>>;

// Parses, checks the header and that every row has four fields, a known unit, a value of
// that unit's type and a (section, name) pair no other row has.
CsvTable read_csv_table(const std::string& text) {
  CsvTable table;
  const auto rows = parse_csv(text);
  EXPECT_TRUE(rows.has_value()) << "not RFC 4180 CSV:\n" << text;
  if (!rows) return table;
  EXPECT_EQ(rows->at(0), (std::vector<std::string>{"section", "name", "value", "unit"}));
  static const std::regex kInteger("-?[0-9]+");
  static const std::regex kNumber("-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?");
  for (size_t i = 1; i < rows->size(); ++i) {
    const auto& row = (*rows)[i];
    EXPECT_EQ(row.size(), 4u) << "row " << i;
    if (row.size() != 4) continue;
    const std::string& value = row[2];
    const std::string& unit = row[3];
    if (unit == "count" || unit == "bytes") {
      EXPECT_TRUE(std::regex_match(value, kInteger)) << row[0] << "," << row[1] << ": " << value;
    } else if (unit == "ns" || unit == "per_second") {
      EXPECT_TRUE(std::regex_match(value, kNumber)) << row[0] << "," << row[1] << ": " << value;
    } else if (unit == "bool") {
      EXPECT_TRUE(value == "true" || value == "false") << value;
    } else {
      EXPECT_EQ(unit, "text") << "unknown unit in row " << i;
    }
    EXPECT_TRUE(table.emplace(std::make_pair(row[0], row[1]), std::make_pair(value, unit)).second)
        << "duplicate row " << row[0] << "," << row[1];
  }
  return table;
}

TEST(Csv, MatchesGolden) { expect_golden("open_loop.csv", render_csv(sample_result(true))); }

TEST(Csv, OneRowPerPercentileAndCounterWithItsUnit) {
  const model::RunResult r = sample_result(true);
  const CsvTable t = read_csv_table(render_csv(r));
  using Row = std::pair<std::string, std::string>;
  EXPECT_EQ(t.at({"latency", "p50"}), (Row{"500735", "ns"}));
  EXPECT_EQ(t.at({"latency", "p99.9"}), (Row{"999935", "ns"}));
  EXPECT_EQ(t.at({"latency", "min"}), (Row{std::to_string(r.latency.min()), "ns"}));
  EXPECT_EQ(t.at({"latency", "max"}), (Row{std::to_string(r.latency.max()), "ns"}));
  EXPECT_EQ(std::stod(t.at({"latency", "mean"}).first), r.latency.mean());
  EXPECT_EQ(std::stod(t.at({"latency", "stdev"}).first), r.latency.stddev());
  EXPECT_EQ(t.at({"service_time", "min"}), (Row{"1000", "ns"}));
  EXPECT_EQ(t.at({"schedule_lag", "p99"}),
            (Row{std::to_string(r.schedule_lag.value_at_percentile(99)), "ns"}));
  for (const char* section : {"latency", "service_time", "schedule_lag"}) {
    for (double q : model::kReportPercentiles)
      EXPECT_EQ(t.count({section, "p" + percentile_key(q)}), 1u);
    EXPECT_EQ(t.at({section, "count"}), (Row{"1000", "count"}));
  }
  EXPECT_EQ(t.at({"requests", "completed"}), (Row{"1000", "count"}));
  EXPECT_EQ(t.at({"requests", "non_2xx"}), (Row{"10", "count"}));
  EXPECT_EQ(t.at({"status", "200"}), (Row{"990", "count"}));
  EXPECT_EQ(t.at({"status", "503"}), (Row{"10", "count"}));
  EXPECT_EQ(t.at({"errors", "timeout"}), (Row{"2", "count"}));
  EXPECT_EQ(t.at({"errors", "connect_refused"}), (Row{"0", "count"}));
  EXPECT_EQ(t.at({"rate", "achieved_rps"}), (Row{"500", "per_second"}));
  EXPECT_EQ(t.at({"rate", "requested_rps"}), (Row{"500", "per_second"}));
  EXPECT_EQ(t.at({"run", "test_name"}), (Row{"golden", "text"}));
  EXPECT_EQ(t.at({"label", "mesh"}), (Row{"none", "text"}));
  EXPECT_EQ(t.at({"transfer", "bytes_received"}), (Row{"150000", "bytes"}));
}

TEST(Csv, FreeTextIsQuotedPerRfc4180AndReadsBackExactly) {
  const model::RunResult r = hostile_result();
  const std::string text = render_csv(r);
  EXPECT_NE(text.find("run,test_name,\"yes, \"\"quoted\"\" \\ back\nslash\",text\n"),
            std::string::npos)
      << text;
  const CsvTable t = read_csv_table(text);
  EXPECT_EQ(t.at({"run", "test_name"}).first, r.options.test_name);
  for (const auto& [key, value] : r.options.labels)
    EXPECT_EQ(t.at({"label", key}).first, value) << key;
}

// ---------------------------------------------------------------------------------------
// Prometheus

// A strict reader of the text exposition format 0.0.4. Collects every problem; on success
// `series` maps "name{label="value",...}" (labels sorted, values unescaped) to the value.
struct Exposition {
  std::vector<std::string> problems;
  std::map<std::string, double> series;
  std::map<std::string, std::map<std::string, std::string>> labels_of;  // series key -> labels
};

std::optional<double> parse_go_float(const std::string& s) {
  if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (s == "+Inf" || s == "Inf") return std::numeric_limits<double>::infinity();
  if (s == "-Inf") return -std::numeric_limits<double>::infinity();
  static const std::regex kFloat("[-+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+)?");
  if (!std::regex_match(s, kFloat)) return std::nullopt;
  return std::stod(s);
}

Exposition read_exposition(const std::string& text) {
  Exposition e;
  static const std::regex kMetricName("[a-zA-Z_:][a-zA-Z0-9_:]*");
  static const std::regex kLabelName("[a-zA-Z_][a-zA-Z0-9_]*");
  static const std::set<std::string> kTypes = {"counter", "gauge", "summary", "histogram",
                                               "untyped"};
  std::map<std::string, std::string> type_of;  // family -> type
  std::set<std::string> helped;
  std::set<std::string> finished;  // families whose samples ended (a family is one group)
  std::string current;             // family of the last sample
  std::set<std::string> sampled;   // families with a sample so far
  auto problem = [&](size_t line, const std::string& what) {
    e.problems.push_back("line " + std::to_string(line) + ": " + what);
  };
  if (!text.empty() && text.back() != '\n') e.problems.push_back("the last line has no line feed");
  std::istringstream in(text);
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    if (line[0] == '#') {
      std::istringstream words(line);
      std::string hash, keyword, name;
      words >> hash >> keyword >> name;
      if (hash != "#" || (keyword != "HELP" && keyword != "TYPE")) continue;  // a plain comment
      if (!std::regex_match(name, kMetricName)) problem(n, "bad metric name '" + name + "'");
      if (keyword == "HELP") {
        if (!helped.insert(name).second) problem(n, "second HELP for " + name);
        const std::string help = line.substr(std::min(line.size(), 7 + name.size() + 1));
        for (size_t i = 0; i < help.size(); ++i) {
          if (help[i] == '\\' &&
              (i + 1 >= help.size() || (help[i + 1] != '\\' && help[i + 1] != 'n'))) {
            problem(n, "bad escape in HELP");
          }
          if (help[i] == '\\') ++i;
        }
      } else {
        std::string type, extra;
        words >> type >> extra;
        if (kTypes.count(type) == 0 || !extra.empty()) problem(n, "bad TYPE line");
        if (type_of.count(name) != 0) problem(n, "second TYPE for " + name);
        if (sampled.count(name) != 0) problem(n, "TYPE for " + name + " after its samples");
        type_of[name] = type;
      }
      continue;
    }
    // name [{labels}] value [timestamp]
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    const std::string name = line.substr(0, i);
    if (!std::regex_match(name, kMetricName)) {
      problem(n, "bad metric name '" + name + "'");
      continue;
    }
    std::map<std::string, std::string> labels;
    if (i < line.size() && line[i] == '{') {
      ++i;
      bool ok = true;
      while (ok && i < line.size() && line[i] != '}') {
        size_t eq = line.find('=', i);
        if (eq == std::string::npos) {
          ok = false;
          break;
        }
        const std::string label = line.substr(i, eq - i);
        if (!std::regex_match(label, kLabelName) || label.rfind("__", 0) == 0)
          problem(n, "bad label name '" + label + "'");
        i = eq + 1;
        if (i >= line.size() || line[i] != '"') {
          ok = false;
          break;
        }
        ++i;
        std::string value;
        for (;;) {
          if (i >= line.size()) {
            ok = false;
            break;
          }
          const char c = line[i++];
          if (c == '"') break;
          if (c == '\\') {
            const char x = i < line.size() ? line[i++] : '\0';
            if (x == '\\') {
              value += '\\';
            } else if (x == '"') {
              value += '"';
            } else if (x == 'n') {
              value += '\n';
            } else {
              problem(n, "bad escape in a label value");
            }
          } else {
            value += c;
          }
        }
        if (!ok) break;
        if (!labels.emplace(label, value).second) problem(n, "label " + label + " twice");
        if (i < line.size() && line[i] == ',') ++i;
      }
      if (!ok || i >= line.size()) {
        problem(n, "unterminated label set");
        continue;
      }
      ++i;  // '}'
    }
    if (i >= line.size() || line[i] != ' ') {
      problem(n, "no space before the value");
      continue;
    }
    std::istringstream rest(line.substr(i + 1));
    std::string value_text, timestamp, extra;
    rest >> value_text >> timestamp >> extra;
    const auto value = parse_go_float(value_text);
    if (!value) problem(n, "bad value '" + value_text + "'");
    if (!timestamp.empty() && !std::regex_match(timestamp, std::regex("-?[0-9]+")))
      problem(n, "bad timestamp");
    if (!extra.empty()) problem(n, "trailing text");
    // The family this sample belongs to, and the labels its type requires.
    std::string family = name;
    for (const char* suffix : {"_sum", "_count", "_bucket"}) {
      const std::string s = suffix;
      if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
        const std::string base = name.substr(0, name.size() - s.size());
        if (type_of.count(base) != 0 &&
            (type_of[base] == "summary" || type_of[base] == "histogram"))
          family = base;
      }
    }
    if (type_of.count(family) == 0) problem(n, name + " has no TYPE line before it");
    if (helped.count(family) == 0) problem(n, name + " has no HELP line before it");
    sampled.insert(family);
    if (family != current) {
      if (finished.count(family) != 0) problem(n, family + "'s samples are not one group");
      if (!current.empty()) finished.insert(current);
      current = family;
    }
    const std::string type = type_of.count(family) != 0 ? type_of[family] : "";
    if (type == "summary" && name == family && labels.count("quantile") == 0)
      problem(n, "summary sample without quantile");
    if (type == "summary" && name != family && labels.count("quantile") != 0)
      problem(n, "quantile on _sum/_count");
    if (type == "summary" && labels.count("quantile") != 0) {
      const auto q = parse_go_float(labels["quantile"]);
      if (!q || *q < 0 || *q > 1) problem(n, "quantile outside [0, 1]");
    }
    if (type == "counter" && value && *value < 0) problem(n, "negative counter");
    std::string key = name + "{";
    for (const auto& [k, v] : labels) key += k + "=\"" + v + "\",";
    key += "}";
    if (e.series.count(key) != 0) problem(n, "duplicate series " + key);
    e.series[key] = value.value_or(0);
    e.labels_of[key] = labels;
  }
  return e;
}

// The series key read_exposition builds, for the sample result's labels plus `own`.
std::string key(const std::string& name, std::map<std::string, std::string> own) {
  own.emplace("test_name", "golden");
  own.emplace("mesh", "none");
  std::string k = name + "{";
  for (const auto& [label, value] : own) k += label + "=\"" + value + "\",";
  return k + "}";
}

TEST(Prometheus, MatchesGolden) {
  expect_golden("open_loop.prom", render_prometheus(sample_result(true)));
}

TEST(Prometheus, PassesAStrictReadingOfTheTextFormat) {
  for (const model::RunResult& r :
       {sample_result(true), sample_result(false), sample_count_bound_result()}) {
    const Exposition e = read_exposition(render_prometheus(r));
    for (const std::string& p : e.problems) ADD_FAILURE() << p;
    EXPECT_GT(e.series.size(), 40u);
  }
}

TEST(Prometheus, SummariesAreInSecondsAndCountersMatchTheResult) {
  const model::RunResult r = sample_result(true);
  const Exposition e = read_exposition(render_prometheus(r));
  ASSERT_TRUE(e.problems.empty());
  EXPECT_EQ(e.series.at(key("nightjar_latency_seconds", {{"quantile", "0.99"}})),
            static_cast<double>(r.latency.value_at_percentile(99)) / 1e9);
  EXPECT_EQ(e.series.at(key("nightjar_latency_seconds", {{"quantile", "0.5"}})), 0.000500735);
  EXPECT_EQ(e.series.at(key("nightjar_latency_seconds", {{"quantile", "0.999"}})), 0.000999935);
  EXPECT_EQ(e.series.at(key("nightjar_latency_seconds", {{"quantile", "0.9999"}})),
            static_cast<double>(r.latency.value_at_percentile(99.99)) / 1e9);
  EXPECT_EQ(e.series.at(key("nightjar_latency_seconds", {{"quantile", "1"}})),
            static_cast<double>(r.latency.max()) / 1e9);
  EXPECT_EQ(e.series.at(key("nightjar_latency_seconds_count", {})), 1000);
  EXPECT_NEAR(e.series.at(key("nightjar_latency_seconds_sum", {})), 1000 * 500.5e-6,
              1e-3);  // 1..1000 us
  EXPECT_EQ(e.series.at(key("nightjar_service_time_seconds", {{"quantile", "0.5"}})),
            static_cast<double>(r.service_time.value_at_percentile(50)) / 1e9);
  EXPECT_EQ(e.series.at(key("nightjar_schedule_lag_seconds_count", {})), 1000);
  EXPECT_EQ(e.series.at(key("nightjar_requests_total", {{"outcome", "completed"}})), 1000);
  EXPECT_EQ(e.series.at(key("nightjar_requests_total", {{"outcome", "errors"}})), 3);
  EXPECT_EQ(e.series.at(key("nightjar_requests_sent_total", {})), 1003);
  EXPECT_EQ(e.series.at(key("nightjar_errors_total", {{"kind", "timeout"}})), 2);
  EXPECT_EQ(e.series.at(key("nightjar_errors_total", {{"kind", "reset"}})), 1);
  EXPECT_EQ(e.series.at(key("nightjar_responses_total", {{"code", "200"}})), 990);
  EXPECT_EQ(e.series.at(key("nightjar_responses_total", {{"code", "503"}})), 10);
  EXPECT_EQ(e.series.at(key("nightjar_achieved_rps", {})), 500);
  EXPECT_EQ(e.series.at(key("nightjar_requested_rps", {})), 500);
  EXPECT_EQ(e.series.at(key("nightjar_run_duration_seconds", {})), 2);
  const std::string text = render_prometheus(r);
  EXPECT_NE(
      text.find("nightjar_latency_seconds{test_name=\"golden\",mesh=\"none\",quantile=\"0.99\"} "),
      std::string::npos);
}

TEST(Prometheus, EverySampleCarriesTestNameAndLabels) {
  const Exposition e = read_exposition(render_prometheus(sample_count_bound_result()));
  ASSERT_TRUE(e.problems.empty());
  for (const auto& [series, labels] : e.labels_of) {
    EXPECT_EQ(labels.count("test_name"), 1u) << series;
    EXPECT_EQ(labels.at("mesh"), "istio") << series;
    EXPECT_EQ(labels.at("mesh_version"), "1.22.1") << series;
  }
}

TEST(Prometheus, WithoutATestNameOrLabelsSamplesHaveOnlyTheirOwnLabels) {
  model::RunResult r = sample_result(true);
  r.options.test_name.clear();
  r.options.labels.clear();
  const std::string text = render_prometheus(r);
  const Exposition e = read_exposition(text);
  for (const std::string& p : e.problems) ADD_FAILURE() << p;
  EXPECT_NE(text.find("\nnightjar_requests_sent_total 1003\n"), std::string::npos);
  EXPECT_NE(text.find("\nnightjar_latency_seconds{quantile=\"0.5\"} 0.000500735\n"),
            std::string::npos);
  EXPECT_EQ(text.find("test_name"), std::string::npos);
}

TEST(Prometheus, HostileLabelsAreEscapedOrRenamedAndReadBackExactly) {
  const model::RunResult r = hostile_result();
  const std::string text = render_prometheus(r);
  const Exposition e = read_exposition(text);
  for (const std::string& p : e.problems) ADD_FAILURE() << p;
  auto sent = std::find_if(e.labels_of.begin(), e.labels_of.end(), [](const auto& s) {
    return s.first.rfind("nightjar_requests_sent_total{", 0) == 0;
  });
  ASSERT_NE(sent, e.labels_of.end()) << text;
  const std::map<std::string, std::string>& labels = sent->second;
  EXPECT_EQ(labels.at("test_name"), r.options.test_name);
  EXPECT_EQ(labels.at("mesh_version"), "1.22");    // from mesh-version
  EXPECT_EQ(labels.at("mesh_version_2"), "~");     // mesh_version, renamed on collision
  EXPECT_EQ(labels.at("label_quantile"), "null");  // our own label names are ours
  EXPECT_EQ(labels.at("label___meta"), "2025-11-26");
  EXPECT_EQ(labels.at("label_200"), "404");
  EXPECT_EQ(labels.at("label_99_9"), "1e3");
  EXPECT_EQ(labels.at("colon"), "a: b # c");
  EXPECT_EQ(labels.at("empty"), "");
  EXPECT_EQ(labels.size(), r.options.labels.size() + 1);
  EXPECT_NE(text.find("test_name=\"yes, \\\"quoted\\\" \\\\ back\\nslash\""), std::string::npos);
}

// The reader above must be able to fail, or passing it proves nothing.
TEST(Prometheus, TheStrictReaderRejectsWhatPrometheusRejects) {
  const std::string ok = "# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1\"} 2\n";
  EXPECT_TRUE(read_exposition(ok).problems.empty());
  const char* bad[] = {
      "a_total 1\n",  // no HELP/TYPE
      "# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1\"} 2\na_total{x=\"1\"} 3\n",  // duplicate
                                                                                              // series
      "# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1\",x=\"2\"} 2\n",  // label twice
      "# HELP a_total A.\n# TYPE a_total counter\na_total{1x=\"1\"} 2\n",         // label name
      "# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"a\\tb\"} 2\n",      // escape
      "# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1} 2\n",            // unterminated
      "# HELP a_total A.\n# TYPE a_total counter\na_total 1,5\n",                 // value
      "# HELP a_total A.\n# TYPE a_total counter\na-total 1\n",                   // metric name
      "# HELP a A.\n# TYPE a summary\na 1\n",  // summary without quantile
      "# HELP a A.\n# TYPE a gauge\na 1\n# HELP b B.\n# TYPE b gauge\nb 1\na{x=\"y\"} 2\n",  // not
                                                                                             // one
                                                                                             // group
      "# HELP a_total A.\n# TYPE a_total counter\na_total 1",  // no final line feed
      "# HELP a_total A.\n# TYPE a_total counter\n# TYPE a_total gauge\na_total 1\n",  // two TYPEs
  };
  for (const char* text : bad) EXPECT_FALSE(read_exposition(text).problems.empty()) << text;
}

}  // namespace
}  // namespace nightjar::output
