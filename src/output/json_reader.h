// Reading JSON files from outside (results, imports) without trusting them: the text parsed
// within a size and a nesting limit, and every field read through one JsonReader that checks
// its type and range and names its path in the first error ("requests.completed has the wrong
// type (string)"). Internal to the output library: parse_result_json (formatters.h) and
// parse_import (import.h) are the public readers built on it.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "common/status.h"
#include "model/run_result.h"
#include "stats/hdr_encoding.h"

namespace nightjar::output {

// `text` as JSON, or an error: larger than `max_bytes`, nested deeper than `max_depth` (the
// message adds `depth_hint`, e.g. "a nightjar result nests 4"), or not JSON at all (with
// nlohmann-json's description of where). Never throws.
Result<nlohmann::json> parse_bounded_json(std::string_view text, size_t max_bytes, int max_depth,
                                          std::string_view depth_hint);

// Reads fields of a parsed document. Each accessor takes the object, the path of that object
// ("" at the top, "options." or "[1].runner_results[0]." below) and the key; what it cannot use
// it reports with fail() and replaces with the fallback, so reading goes on and the first error
// is kept. Histograms are decoded within `budget`, shared by every histogram of one input.
class JsonReader {
 public:
  explicit JsonReader(stats::DecodeBudget& budget) : budget_(budget) {}

  static const nlohmann::json* find(const nlohmann::json& obj, const std::string& key);

  // obj[key] as T: integers (also from strings of digits, as protobuf writes 64-bit ones)
  // within T's range, finite numbers, strings, bools, or what nlohmann converts to T. Absent or
  // null: `fallback`, and an error when `required`.
  template <typename T>
  T get(const nlohmann::json& obj, const std::string& path, const std::string& key, T fallback, bool required) {
    const nlohmann::json* v = find(obj, key);
    if (v == nullptr || v->is_null()) {
      if (required) fail(path + key + " is missing");
      return fallback;
    }
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      auto n = integer(*v);
      if (!n || *n < std::numeric_limits<T>::min() || *n > std::numeric_limits<T>::max()) {
        fail(path + key + (n || v->is_number() || v->is_string() ? " is out of range or not a whole number"
                                                                 : wrong_type(*v)));
        return fallback;
      }
      return static_cast<T>(*n);
    } else if constexpr (std::is_floating_point_v<T>) {
      if (!v->is_number() || !std::isfinite(v->get<double>())) {
        fail(path + key + (v->is_number() ? " is not a finite number" : wrong_type(*v)));
        return fallback;
      }
      return v->get<T>();
    } else {
      try {
        return v->get<T>();
      } catch (const nlohmann::json::exception&) {
        fail(path + key + wrong_type(*v));
        return fallback;
      }
    }
  }
  // A count: a whole number, 0 or more.
  int64_t count(const nlohmann::json& obj, const std::string& path, const std::string& key, bool required);
  // A finite number within [min, max]; the error says the range in `unit`.
  double number_in(const nlohmann::json& obj, const std::string& path, const std::string& key, double min,
                   double max, std::string_view unit, bool required);

  // obj[key] when it is an object (or, with `array`, an array); the empty object or array when
  // it is absent or null (an error when `required`), and an error when it is of another type.
  const nlohmann::json& container(const nlohmann::json& obj, const std::string& path, const std::string& key,
                                  bool array, bool required);
  const nlohmann::json& object(const nlohmann::json& obj, const std::string& path, const std::string& key,
                               bool required = false) {
    return container(obj, path, key, false, required);
  }
  const nlohmann::json& array(const nlohmann::json& obj, const std::string& path, const std::string& key) {
    return container(obj, path, key, true, false);
  }
  // array[key] when it has at most `max_size` elements; else an error naming the limit.
  const nlohmann::json& bounded_array(const nlohmann::json& obj, const std::string& path, const std::string& key,
                                      size_t max_size);
  // Element i of an array of objects; the empty object (and an error) when it is not one.
  const nlohmann::json& element(const nlohmann::json& array, size_t i, const std::string& path);

  // An integer from a JSON number without a fraction, or from a string of digits.
  static std::optional<int64_t> integer(const nlohmann::json& v);
  static std::string wrong_type(const nlohmann::json& v);

  // Decodes an encoded histogram within what is left of the budget.
  stats::HdrHistogram histogram(const nlohmann::json& obj, const std::string& path, const std::string& key);

  void fail(const std::string& message) {
    if (error_.empty()) error_ = message;
  }
  const std::string& error() const { return error_; }
  bool failed() const { return !error_.empty(); }

 private:
  stats::DecodeBudget& budget_;
  std::string error_;
};

// A nightjar result (what render_json writes) from its parsed JSON, its histograms decoded
// within `budget`. Errors as parse_result_json's.
Result<model::RunResult> read_result_json(const nlohmann::json& root, stats::DecodeBudget& budget);

}  // namespace nightjar::output
