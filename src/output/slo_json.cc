#include "output/slo_json.h"

#include <cmath>
#include <optional>

#include "slo/slo.h"

namespace nightjar::output {
namespace {

using json = nlohmann::ordered_json;

std::string_view unit_name(slo::Unit unit) {
  switch (unit) {
    case slo::Unit::kNanoseconds: return "ns";
    case slo::Unit::kFraction: return "fraction";
    case slo::Unit::kCount: return "count";
    case slo::Unit::kPerSecond: return "per_second";
  }
  return "";
}

json value_or_null(bool has, double value) { return has ? json(value) : json(nullptr); }

json window_json(double start_s, double end_s, bool has_measured, double measured) {
  return {{"start_s", start_s}, {"end_s", end_s}, {"measured", value_or_null(has_measured, measured)}};
}

// Reads the fields of one object, keeping the first problem.
class Fields {
 public:
  Fields(const nlohmann::json& object, std::string path, std::string& error)
      : object_(object), path_(std::move(path)), error_(error) {}

  const nlohmann::json* find(const char* key) const {
    if (!object_.is_object()) return nullptr;
    auto it = object_.find(key);
    return it == object_.end() || it->is_null() ? nullptr : &*it;
  }
  std::string text(const char* key) {
    const nlohmann::json* v = find(key);
    if (v == nullptr) return "";
    if (!v->is_string()) return fail(key, "is not a string"), "";
    return v->get<std::string>();
  }
  // nullopt when absent or null (a measurement that had nothing to measure).
  std::optional<double> number(const char* key) {
    const nlohmann::json* v = find(key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_number() || !std::isfinite(v->get<double>())) return fail(key, "is not a finite number"), std::nullopt;
    return v->get<double>();
  }
  bool boolean(const char* key) {
    const nlohmann::json* v = find(key);
    if (v == nullptr) return false;
    if (!v->is_boolean()) return fail(key, "is not true or false"), false;
    return v->get<bool>();
  }
  void fail(const char* key, const std::string& what) {
    if (error_.empty()) error_ = path_ + key + " " + what;
  }

 private:
  const nlohmann::json& object_;
  const std::string path_;
  std::string& error_;
};

}  // namespace

void append_slos_json(json& j, const model::RunResult& r) {
  if (!r.slos.empty()) {
    json slos = json::array();
    for (const model::SloVerdict& v : r.slos) {
      json e = {{"expr", v.expr},
                {"metric", v.metric},
                {"op", v.op},
                {"threshold", v.threshold},
                {"unit", unit_name(slo::unit_of_name(v.metric))},
                {"measured", value_or_null(v.has_measured, v.measured)},
                {"pass", v.pass},
                {"window_s", v.window_s},
                {"windows", v.windows},
                {"failed_windows", v.failed_windows}};
      e["worst_window"] = v.has_worst_window
                              ? window_json(v.worst_start_s, v.worst_end_s, v.worst_has_measured, v.worst_measured)
                              : json(nullptr);
      slos.push_back(std::move(e));
    }
    j["slos"] = std::move(slos);
  }
  if (r.slo_abort.aborted) {
    const model::SloAbort& a = r.slo_abort;
    j["aborted_by_slo"] = {{"expr", a.expr},
                           {"window", window_json(a.window_start_s, a.window_end_s, a.has_measured, a.measured)}};
  }
}

std::string read_slos_json(const nlohmann::json& root, model::RunResult& r) {
  std::string error;
  const auto slos = root.find("slos");
  if (slos != root.end() && !slos->is_null()) {
    if (!slos->is_array()) return "slos is not an array";
    for (size_t i = 0; i < slos->size(); ++i) {
      const std::string path = "slos[" + std::to_string(i) + "].";
      const nlohmann::json& e = (*slos)[i];
      if (!e.is_object()) return "slos[" + std::to_string(i) + "] is not an object";
      Fields f(e, path, error);
      model::SloVerdict v;
      v.expr = f.text("expr");
      v.metric = f.text("metric");
      v.op = f.text("op");
      v.threshold = f.number("threshold").value_or(0);
      const std::optional<double> measured = f.number("measured");
      v.has_measured = measured.has_value();
      v.measured = measured.value_or(0);
      v.pass = f.boolean("pass");
      v.window_s = f.number("window_s").value_or(0);
      v.windows = static_cast<int64_t>(f.number("windows").value_or(0));
      v.failed_windows = static_cast<int64_t>(f.number("failed_windows").value_or(0));
      if (const nlohmann::json* w = f.find("worst_window")) {
        Fields wf(*w, path + "worst_window.", error);
        v.has_worst_window = true;
        v.worst_start_s = wf.number("start_s").value_or(0);
        v.worst_end_s = wf.number("end_s").value_or(0);
        const std::optional<double> worst = wf.number("measured");
        v.worst_has_measured = worst.has_value();
        v.worst_measured = worst.value_or(0);
      }
      r.slos.push_back(std::move(v));
    }
  }
  const auto aborted = root.find("aborted_by_slo");
  if (aborted != root.end() && !aborted->is_null()) {
    Fields f(*aborted, "aborted_by_slo.", error);
    r.slo_abort.aborted = true;
    r.slo_abort.expr = f.text("expr");
    if (const nlohmann::json* w = f.find("window")) {
      Fields wf(*w, "aborted_by_slo.window.", error);
      r.slo_abort.window_start_s = wf.number("start_s").value_or(0);
      r.slo_abort.window_end_s = wf.number("end_s").value_or(0);
      const std::optional<double> measured = wf.number("measured");
      r.slo_abort.has_measured = measured.has_value();
      r.slo_abort.measured = measured.value_or(0);
    }
  }
  return error;
}

}  // namespace nightjar::output
