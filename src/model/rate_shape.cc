#include "model/rate_shape.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "common/duration.h"

namespace nightjar::model {
namespace {

constexpr double kNsPerS = 1e9;

std::string number(double value) {
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return ec == std::errc() ? std::string(buffer, end) : std::to_string(value);
}

// A rate: a finite number from 0 to max_rps.
Result<double> parse_rate(std::string_view text, double max_rps, const std::string& what) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return Status::invalid_argument(what + ": '" + std::string(text) +
                                    "' is not a rate (requests per second, e.g. 1000)");
  }
  if (value < 0 || value > max_rps) {
    return Status::invalid_argument(what + ": the rate must be from 0 to " + number(max_rps) +
                                    " (got " + std::string(text) + ")");
  }
  return value;
}

std::string_view trim(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

}  // namespace

RateShape::RateShape(std::vector<RateSegment> segments) : segments_(std::move(segments)) {
  pieces_.reserve(segments_.size());
  int64_t start = 0;
  double cumulative = 0;
  for (const RateSegment& s : segments_) {
    pieces_.push_back({start, cumulative});
    cumulative += (s.from_rps + s.to_rps) / 2 * static_cast<double>(s.duration_ns) / kNsPerS;
    start += s.duration_ns;
  }
}

Result<RateShape> RateShape::create(std::vector<RateSegment> segments, double max_rps) {
  if (segments.empty()) return Status::invalid_argument("a rate shape needs at least one stage");
  if (segments.size() > kMaxRateSegments) {
    return Status::invalid_argument("a rate shape may have at most " +
                                    std::to_string(kMaxRateSegments) + " stages (got " +
                                    std::to_string(segments.size()) + ")");
  }
  int64_t total = 0;
  bool some_rate = false;
  for (size_t i = 0; i < segments.size(); ++i) {
    const RateSegment& s = segments[i];
    const std::string what = "stage " + std::to_string(i + 1);
    if (s.duration_ns <= 0) return Status::invalid_argument(what + ": its duration must be above 0");
    if (s.duration_ns > std::numeric_limits<int64_t>::max() - total) {
      return Status::invalid_argument(what + ": the stages together are too long");
    }
    total += s.duration_ns;
    for (const double rate : {s.from_rps, s.to_rps}) {
      if (!std::isfinite(rate) || rate < 0 || rate > max_rps) {
        return Status::invalid_argument(what + ": the rate must be from 0 to " + number(max_rps) +
                                        " (got " + number(rate) + ")");
      }
      some_rate = some_rate || rate > 0;
    }
  }
  if (!some_rate) return Status::invalid_argument("a rate shape needs a rate above 0 somewhere");
  return RateShape(std::move(segments));
}

size_t RateShape::segment_at(int64_t t_ns) const {
  // The last piece starting at or before t.
  const auto after = std::upper_bound(pieces_.begin(), pieces_.end(), t_ns,
                                      [](int64_t t, const Piece& p) { return t < p.start_ns; });
  return after == pieces_.begin() ? 0 : static_cast<size_t>(after - pieces_.begin()) - 1;
}

double RateShape::rate_at(int64_t t_ns) const {
  const size_t i = segment_at(t_ns);
  const RateSegment& s = segments_[i];
  const int64_t into = t_ns - pieces_[i].start_ns;
  if (into >= s.duration_ns) return s.to_rps;
  if (into <= 0) return s.from_rps;
  return s.from_rps + (s.to_rps - s.from_rps) * static_cast<double>(into) / static_cast<double>(s.duration_ns);
}

double RateShape::cumulative(int64_t t_ns) const {
  if (t_ns <= 0) return 0;
  const size_t i = segment_at(t_ns);
  const RateSegment& s = segments_[i];
  const int64_t into = t_ns - pieces_[i].start_ns;
  if (into >= s.duration_ns) {  // past the last segment: its end rate holds
    return pieces_[i].cumulative_at_start +
           (s.from_rps + s.to_rps) / 2 * static_cast<double>(s.duration_ns) / kNsPerS +
           s.to_rps * static_cast<double>(into - s.duration_ns) / kNsPerS;
  }
  const double dt = static_cast<double>(into) / kNsPerS;
  const double slope = (s.to_rps - s.from_rps) / (static_cast<double>(s.duration_ns) / kNsPerS);
  return pieces_[i].cumulative_at_start + s.from_rps * dt + slope * dt * dt / 2;
}

int64_t RateShape::inverse(double x) const {
  if (x <= 0) return 0;
  // The last piece whose cumulative start is below x (a flat segment, rate 0, has the same
  // start as the next: the next one, where arrivals resume, is taken).
  const auto after = std::upper_bound(pieces_.begin(), pieces_.end(), x, [](double v, const Piece& p) {
    return v <= p.cumulative_at_start;
  });
  const size_t i = after == pieces_.begin() ? 0 : static_cast<size_t>(after - pieces_.begin()) - 1;
  const RateSegment& s = segments_[i];
  const double seconds = static_cast<double>(s.duration_ns) / kNsPerS;
  const double y = x - pieces_[i].cumulative_at_start;
  const double in_segment = (s.from_rps + s.to_rps) / 2 * seconds;
  double dt = 0;
  if (y > in_segment) {  // beyond the last segment: its end rate holds
    if (s.to_rps <= 0) return std::numeric_limits<int64_t>::max();
    dt = seconds + (y - in_segment) / s.to_rps;
  } else {
    // Solve from*dt + slope*dt²/2 = y in the form that is stable for a slope of either sign
    // and a start rate of 0.
    const double slope = (s.to_rps - s.from_rps) / seconds;
    const double root = std::sqrt(std::max(0.0, s.from_rps * s.from_rps + 2 * slope * y));
    const double denominator = s.from_rps + root;
    dt = denominator > 0 ? 2 * y / denominator : seconds;
    dt = std::min(dt, seconds);
  }
  const double ns = static_cast<double>(pieces_[i].start_ns) + dt * kNsPerS;
  if (ns >= static_cast<double>(std::numeric_limits<int64_t>::max())) {
    return std::numeric_limits<int64_t>::max();
  }
  return static_cast<int64_t>(std::ceil(ns));
}

double RateShape::mean_rps(int64_t end_ns) const {
  return end_ns > 0 ? cumulative(end_ns) * kNsPerS / static_cast<double>(end_ns) : 0;
}

double RateShape::mean_rps_over(int64_t from_ns, int64_t to_ns) const {
  if (to_ns <= from_ns) return 0;
  return (cumulative(to_ns) - cumulative(from_ns)) * kNsPerS / static_cast<double>(to_ns - from_ns);
}

Result<std::vector<RateSegment>> parse_stages(std::string_view text, double start_rps) {
  std::vector<RateSegment> segments;
  double from = start_rps;
  size_t index = 0;
  while (true) {
    const size_t comma = text.find(',');
    const std::string_view stage = trim(text.substr(0, comma));
    ++index;
    const std::string what = "--stages: stage " + std::to_string(index) + " '" + std::string(stage) + "'";
    const size_t colon = stage.find(':');
    if (colon == std::string_view::npos) {
      return Status::invalid_argument(what + " must be DURATION:RATE, e.g. 30s:1000");
    }
    auto duration = parse_duration_ns(trim(stage.substr(0, colon)));
    if (!duration.ok()) return Status::invalid_argument(what + ": " + duration.status().message());
    if (*duration <= 0) return Status::invalid_argument(what + ": its duration must be above 0");
    auto rate = parse_rate(trim(stage.substr(colon + 1)), std::numeric_limits<double>::max(), what);
    if (!rate.ok()) return rate.status();
    if (segments.size() >= kMaxRateSegments) {
      return Status::invalid_argument("--stages: at most " + std::to_string(kMaxRateSegments) + " stages");
    }
    segments.push_back({*duration, from, *rate});
    from = *rate;
    if (comma == std::string_view::npos) break;
    text = text.substr(comma + 1);
  }
  return segments;
}

Result<std::vector<RateSegment>> parse_pace_file(std::string_view text, const std::string& source,
                                                 int64_t run_end_ns) {
  if (text.size() > kMaxPaceFileBytes) {
    return Status::invalid_argument(source + ": a pace file may have at most " +
                                    std::to_string(kMaxPaceFileBytes) + " bytes");
  }
  struct Step {
    int64_t offset_ns;
    double rps;
  };
  std::vector<Step> steps;
  size_t line_number = 0;
  while (!text.empty()) {
    const size_t newline = text.find('\n');
    const std::string_view line = trim(text.substr(0, newline));
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    ++line_number;
    if (line.empty() || line.front() == '#') continue;
    const std::string where = source + ":" + std::to_string(line_number);
    const size_t comma = line.find(',');
    if (comma == std::string_view::npos) {
      return Status::invalid_argument(where + ": '" + std::string(line) +
                                      "' must be OFFSET,RATE (e.g. 30s,1000)");
    }
    const std::string_view offset_text = trim(line.substr(0, comma));
    const std::string_view rate_text = trim(line.substr(comma + 1));
    if (steps.empty() && offset_text == "offset" && rate_text == "rate") continue;  // a header
    // An offset is a duration, or a plain number of seconds.
    Result<int64_t> offset = parse_duration_ns(offset_text);
    if (!offset.ok()) {
      double seconds = 0;
      const auto [end, ec] = std::from_chars(offset_text.data(), offset_text.data() + offset_text.size(), seconds);
      if (offset_text.empty() || ec != std::errc() || end != offset_text.data() + offset_text.size() ||
          !std::isfinite(seconds) || seconds < 0 || seconds > 1e9) {
        return Status::invalid_argument(where + ": offset '" + std::string(offset_text) +
                                        "' is not a duration (90s, 1m30s) or a number of seconds");
      }
      offset = static_cast<int64_t>(std::llround(seconds * kNsPerS));
    }
    auto rate = parse_rate(rate_text, std::numeric_limits<double>::max(), where);
    if (!rate.ok()) return rate.status();
    if (steps.empty() && *offset != 0) {
      return Status::invalid_argument(where + ": the first step must be at offset 0 (got " +
                                      std::string(offset_text) + ")");
    }
    if (!steps.empty() && *offset <= steps.back().offset_ns) {
      return Status::invalid_argument(where + ": offsets must increase (" + std::string(offset_text) +
                                      " is not after the line before)");
    }
    if (steps.size() >= kMaxRateSegments) {
      return Status::invalid_argument(where + ": a pace file may have at most " +
                                      std::to_string(kMaxRateSegments) + " steps");
    }
    steps.push_back({*offset, *rate});
  }
  if (steps.empty()) return Status::invalid_argument(source + ": the pace file has no steps");
  std::vector<RateSegment> segments;
  for (size_t i = 0; i < steps.size(); ++i) {
    const int64_t end = i + 1 < steps.size() ? steps[i + 1].offset_ns
                                             : std::max(run_end_ns, steps[i].offset_ns + 1);
    segments.push_back({end - steps[i].offset_ns, steps[i].rps, steps[i].rps});
  }
  return segments;
}

}  // namespace nightjar::model
