#include "output/html_parts.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "output/formatters.h"
#include "output/html_style.h"

namespace nightjar::output::html {
namespace {

// Spectrum y axis turns logarithmic when the maximum is this many times the median.
constexpr double kLogScaleTailRatio = 4;

// x position of percentile p on the 1/(1-p) log axis: 0% -> 0, 90% -> 1, 99% -> 2, ...
double spectrum_x(double percentile) {
  return -std::log10(std::max(1.0 - percentile / 100.0, 1e-12));
}

}  // namespace

std::string duration_text(int64_t ns) {
  std::string s = output::duration_text(ns);
  if (s.size() > 3 && s.compare(s.size() - 3, 3, " us") == 0) s.replace(s.size() - 2, 2, "µs");
  return s;
}

std::string rate_text(double rps) {
  return rps >= 100 ? group_digits(std::llround(rps)) : fmt::format("{:.2f}", rps);
}

double ms(int64_t ns) { return static_cast<double>(ns) / 1e6; }

std::string page_start(const std::string& title, std::string_view extra_css,
                       std::string_view main_class) {
  std::string s =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"color-scheme\" content=\"light dark\">\n<meta name=\"generator\" "
      "content=\"nightjar\">\n";
  s += "<title>" + escape(title) + "</title>\n<style>\n" + std::string(kReportCss) +
       std::string(extra_css) + "</style>\n</head>\n<body>\n";
  return s + fmt::format("<main class=\"{}\">\n", main_class);
}

std::string panel(std::string_view title, const std::string& note_html, const std::string& body,
                  std::string_view extra_class) {
  std::string s = fmt::format("<section class=\"panel{}{}\">\n<h2>{}</h2>\n",
                              extra_class.empty() ? "" : " ", extra_class, title);
  if (!note_html.empty()) s += "<p class=\"note\">" + note_html + "</p>\n";
  return s + body + "</section>\n";
}

std::string warnings_html(const std::vector<std::string>& warnings) {
  if (warnings.empty()) return "";
  std::string s = "<section class=\"warnings\" aria-label=\"warnings\">\n";
  for (const std::string& w : warnings) {
    s += fmt::format(
        "<div class=\"warning\"><span class=\"warning-icon\" aria-hidden=\"true\">!</span>"
        "<div><strong>Warning:</strong> {}</div></div>\n",
        escape(w));
  }
  return s + "</section>\n";
}

// '<', '>' and '&' only occur inside JSON strings, where \u escapes mean the same characters,
// so "</script>" or "<!--" cannot end the island.
std::string json_island(std::string_view id, const std::string& json) {
  std::string out;
  out.reserve(json.size());
  for (char c : json) {
    switch (c) {
      case '<':
        out += "\\u003c";
        break;
      case '>':
        out += "\\u003e";
        break;
      case '&':
        out += "\\u0026";
        break;
      default:
        out += c;
    }
  }
  return fmt::format("<script type=\"application/json\" id=\"{}\">\n", escape(id)) + out +
         "</script>\n";
}

std::string spectrum_chart(std::string id, std::string description, int width, int height,
                           const std::vector<SpectrumLine>& lines) {
  int64_t count = 0;
  int64_t top = 0;
  for (const SpectrumLine& line : lines) {
    count = std::max(count, line.histogram->total_count());
    top = std::max(top, line.histogram->max());
  }
  const double count_x = count > 0 ? std::log10(static_cast<double>(count)) : 0;
  const double x_max = std::clamp(std::ceil(count_x - 1e-9), 5.0, 7.0);
  const int64_t median =
      std::max<int64_t>(lines.empty() ? 0 : lines.front().histogram->value_at_percentile(50), 1);
  const bool log_y = static_cast<double>(top) / static_cast<double>(median) > kLogScaleTailRatio;
  auto y_of = [&](int64_t ns) { return log_y ? std::log10(std::max(ms(ns), 1e-6)) : ms(ns); };

  LineChart chart;
  chart.id = std::move(id);
  chart.description = std::move(description);
  chart.width = width;
  chart.height = height;
  chart.empty_text = "no responses were recorded";
  chart.x.min = 0;
  chart.x.max = x_max;
  chart.x.title = "percentile (spaced by 1/(1\u2212p), log scale)";
  for (int k = 0; k <= static_cast<int>(x_max); ++k) {
    chart.x.ticks.push_back(
        {static_cast<double>(k), k == 0 ? "0%" : trim_number(100 - std::pow(10.0, 2 - k), k) + "%"});
  }

  int64_t lowest = INT64_MAX;
  for (const SpectrumLine& line : lines) {
    const stats::HdrHistogram& h = *line.histogram;
    Series series{line.name, line.css_class, {}, line.dashed};
    if (h.total_count() == 0) {
      chart.series.push_back(std::move(series));
      continue;
    }
    const std::vector<stats::PercentilePoint> points = h.percentile_spectrum(10);
    double last_x = 0;
    for (const stats::PercentilePoint& p : points) {
      double x = p.percentile >= 100
                     ? std::max(last_x, std::log10(static_cast<double>(h.total_count())))
                     : spectrum_x(p.percentile);
      const bool clipped = x >= x_max;
      x = std::min(x, x_max);
      series.points.push_back({x, y_of(p.value)});
      lowest = std::min(lowest, std::max<int64_t>(p.value, 1));
      last_x = x;
      if (clipped) break;
    }
    for (double q : {50.0, 90.0, 99.0, 99.9, 99.99, 99.999}) {
      const double x = spectrum_x(q);
      if (x > std::log10(static_cast<double>(h.total_count())) + 1e-9 || x > x_max) break;
      const int64_t v = h.value_at_percentile(q);
      chart.markers.push_back(
          {{x, y_of(v)},
           line.css_class,
           fmt::format("{} p{}: {}", series.name, percentile_key(q), duration_text(v))});
    }
    chart.markers.push_back({{last_x, y_of(h.max())},
                             line.css_class,
                             fmt::format("{} max: {}", series.name, duration_text(h.max()))});
    chart.series.push_back(std::move(series));
  }

  if (log_y) {
    chart.y = log10_axis(std::log10(ms(lowest)), std::log10(std::max(ms(top), ms(lowest) * 10)),
                         "milliseconds (log scale)");
  } else {
    chart.y = nice_linear_axis(0, ms(top), 6, true, "milliseconds");
  }
  return render_line_chart(chart);
}

double timeline_end(const model::RunResult& r) {
  double end = 0;
  for (const model::TimelineEntry& e : r.timeline)
    end = std::max(end, static_cast<double>(e.second) + e.duration_s);
  return end;
}

LineChart timeline_frame(std::string id, std::string description, int width, double end_s) {
  LineChart chart;
  chart.id = std::move(id);
  chart.description = std::move(description);
  chart.width = width;
  chart.height = 300;
  chart.empty_text = "no per-second data";
  // Ending where the data ends rather than at the next whole tick.
  const double end = std::max(end_s, 1.0);
  chart.x = nice_linear_axis(0, end, 8, true, "seconds since start");
  chart.x.max = end;
  while (!chart.x.ticks.empty() && chart.x.ticks.back().value > end + 1e-9) chart.x.ticks.pop_back();
  return chart;
}

double per_second(int64_t n, double duration_s) {
  return duration_s > 0 ? static_cast<double>(n) / duration_s : 0;
}

void abbreviate_thousands(Axis& axis) {
  if (axis.max < 10000) return;
  for (Tick& t : axis.ticks) t.label = trim_number(t.value / 1000, 1) + "k";
}

}  // namespace nightjar::output::html
