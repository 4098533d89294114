#include "output/hlog_reader.h"

#include <charconv>
#include <cmath>

#include "stats/hdr_encoding.h"

namespace nightjar::output {
namespace {

constexpr std::string_view kStartTimePrefix = "#[StartTime: ";
constexpr std::string_view kBaseTimePrefix = "#[BaseTime: ";
constexpr std::string_view kLegendPrefix = "\"StartTimestamp\"";
constexpr std::string_view kTagPrefix = "Tag=";
// Longest field quoted back in a message.
constexpr size_t kQuoteBytes = 40;

Status line_error(size_t line, const std::string& message) {
  return Status::invalid_argument("line " + std::to_string(line) + ": " + message);
}

std::string quoted(std::string_view text) {
  std::string out = "'";
  out.append(text.substr(0, kQuoteBytes));
  if (text.size() > kQuoteBytes) out += "...";
  return out + "'";
}

// A finite decimal number ("12.345", "-0.5", "1e3"), the whole of `text`.
std::optional<double> parse_number(std::string_view text) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

// The number that starts a header comment's value: "1764172800.123 (seconds since epoch), ...".
std::optional<double> header_number(std::string_view rest) {
  return parse_number(rest.substr(0, rest.find_first_of(" ]")));
}

Status read_interval(size_t line_number, std::string_view line,
                     const std::function<void(const HlogInterval&)>& on_interval) {
  HlogInterval interval;
  interval.line = line_number;
  if (line.substr(0, kTagPrefix.size()) == kTagPrefix) {
    const size_t comma = line.find(',');
    if (comma == std::string_view::npos) return line_error(line_number, "a tag but no interval");
    interval.tag = std::string(line.substr(kTagPrefix.size(), comma - kTagPrefix.size()));
    line.remove_prefix(comma + 1);
  }
  std::string_view fields[4];
  for (size_t i = 0; i < 4; ++i) {
    const size_t comma = i < 3 ? line.find(',') : std::string_view::npos;
    if (i < 3 && comma == std::string_view::npos) {
      return line_error(line_number,
                        "expected 4 comma-separated fields (start, length, max, histogram), got " +
                            std::to_string(i + 1));
    }
    fields[i] = line.substr(0, comma);
    if (comma != std::string_view::npos) line.remove_prefix(comma + 1);
  }
  static constexpr const char* kNames[] = {"start timestamp", "interval length", "interval max"};
  double* const numbers[] = {&interval.start_timestamp_s, &interval.length_s, &interval.max_value};
  for (size_t i = 0; i < 3; ++i) {
    const auto value = parse_number(fields[i]);
    if (!value) {
      return line_error(line_number,
                        std::string(kNames[i]) + " " + quoted(fields[i]) + " is not a number");
    }
    *numbers[i] = *value;
  }
  auto histogram = stats::decode_base64(fields[3]);
  if (!histogram.ok()) return line_error(line_number, "histogram: " + histogram.status().message());
  interval.histogram = std::move(*histogram);
  on_interval(interval);
  return Status::ok_status();
}

}  // namespace

Status read_hlog(std::string_view text, const std::function<void(const HlogInterval&)>& on_interval,
                 HlogHeader* header) {
  if (text.size() > kMaxHlogBytes) {
    return Status::invalid_argument("the log is " + std::to_string(text.size()) +
                                    " bytes, more than the limit of " +
                                    std::to_string(kMaxHlogBytes));
  }
  size_t line_number = 0;
  while (!text.empty()) {
    const size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.substr(0, kLegendPrefix.size()) == kLegendPrefix) continue;
    if (line.front() == '#') {
      for (const auto& [prefix, field] : {std::pair{kStartTimePrefix, &HlogHeader::start_time_s},
                                          std::pair{kBaseTimePrefix, &HlogHeader::base_time_s}}) {
        if (line.substr(0, prefix.size()) != prefix) continue;
        const auto value = header_number(line.substr(prefix.size()));
        if (!value)
          return line_error(line_number, "the time in " + quoted(line) + " is not a number");
        if (header != nullptr) header->*field = value;
      }
      continue;
    }
    if (Status s = read_interval(line_number, line, on_interval); !s.ok()) return s;
  }
  return Status::ok_status();
}

}  // namespace nightjar::output
