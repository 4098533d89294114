#include "output/json_reader.h"

#include <charconv>
#include <fmt/format.h>

namespace nightjar::output {

Result<nlohmann::json> parse_bounded_json(std::string_view text, size_t max_bytes, int max_depth,
                                          std::string_view depth_hint) {
  if (text.size() > max_bytes) {
    return Status::invalid_argument("the file is " + std::to_string(text.size()) + " bytes, more than the limit of " +
                                    std::to_string(max_bytes));
  }
  struct TooDeep {};
  try {
    return nlohmann::json::parse(text, [max_depth](int depth, nlohmann::json::parse_event_t event, nlohmann::json&) {
      if ((event == nlohmann::json::parse_event_t::object_start ||
           event == nlohmann::json::parse_event_t::array_start) &&
          depth >= max_depth) {
        throw TooDeep{};
      }
      return true;
    });
  } catch (const nlohmann::json::exception& e) {
    return Status::invalid_argument(std::string("not valid JSON: ") + e.what());
  } catch (const TooDeep&) {
    return Status::invalid_argument("arrays and objects nest deeper than " + std::to_string(max_depth) + " levels (" +
                                    std::string(depth_hint) + ")");
  }
}

const nlohmann::json* JsonReader::find(const nlohmann::json& obj, const std::string& key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

int64_t JsonReader::count(const nlohmann::json& obj, const std::string& path, const std::string& key, bool required) {
  const int64_t n = get<int64_t>(obj, path, key, 0, required);
  if (n >= 0) return n;
  fail(fmt::format("{}{} must not be negative (it is {})", path, key, n));
  return 0;
}

double JsonReader::number_in(const nlohmann::json& obj, const std::string& path, const std::string& key, double min,
                             double max, std::string_view unit, bool required) {
  const double v = get<double>(obj, path, key, min, required);
  if (v >= min && v <= max) return v;
  fail(fmt::format("{}{} is {}, outside {} to {}{}", path, key, v, min, max, unit));
  return min;
}

const nlohmann::json& JsonReader::container(const nlohmann::json& obj, const std::string& path,
                                            const std::string& key, bool array, bool required) {
  static const nlohmann::json kEmptyObject = nlohmann::json::object();
  static const nlohmann::json kEmptyArray = nlohmann::json::array();
  const nlohmann::json& empty = array ? kEmptyArray : kEmptyObject;
  const nlohmann::json* v = find(obj, key);
  if (v == nullptr || v->is_null()) {
    if (required) fail(path + key + " is missing");
    return empty;
  }
  if (array ? !v->is_array() : !v->is_object()) {
    fail(path + key + wrong_type(*v));
    return empty;
  }
  return *v;
}

const nlohmann::json& JsonReader::bounded_array(const nlohmann::json& obj, const std::string& path,
                                                const std::string& key, size_t max_size) {
  static const nlohmann::json kEmptyArray = nlohmann::json::array();
  const nlohmann::json& a = array(obj, path, key);
  if (a.size() <= max_size) return a;
  fail(fmt::format("{}{} has {} entries, more than the limit of {}", path, key, a.size(), max_size));
  return kEmptyArray;
}

const nlohmann::json& JsonReader::element(const nlohmann::json& array, size_t i, const std::string& path) {
  static const nlohmann::json kEmptyObject = nlohmann::json::object();
  const nlohmann::json& e = array[i];
  if (e.is_object()) return e;
  fail(path + wrong_type(e));
  return kEmptyObject;
}

std::optional<int64_t> JsonReader::integer(const nlohmann::json& v) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<int64_t>();
  if (!v.is_string()) return std::nullopt;
  const auto& text = v.get_ref<const std::string&>();
  int64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return n;
}

std::string JsonReader::wrong_type(const nlohmann::json& v) {
  return " has the wrong type (" + std::string(v.type_name()) + ")";
}

stats::HdrHistogram JsonReader::histogram(const nlohmann::json& obj, const std::string& path,
                                          const std::string& key) {
  auto h = budget_.decode_base64(get<std::string>(obj, path, key, "", false));
  if (!h.ok()) {
    fail(path + key + ": " + h.status().message());
    return {};
  }
  return std::move(*h);
}

}  // namespace nightjar::output
