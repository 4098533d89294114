#include "output/html_chart.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace nightjar::output::html {
namespace {

// Plot area margins inside a line chart's viewBox (user units = CSS pixels at 100%).
constexpr double kMarginLeft = 64;
constexpr double kMarginRight = 20;
constexpr double kMarginTop = 36;
constexpr double kMarginBottom = 48;
constexpr double kTickLength = 5;
// The legend's first row (its text's middle), and the height of each further row.
constexpr double kLegendY = 16;
constexpr double kLegendRow = 18;
// Average advance of the charts' 12px sans-serif text, to place text without measuring it.
constexpr double kCharWidth = 7;

std::string num(double v) {
  std::string s = fmt::format("{:.1f}", v);
  if (s == "-0.0") s = "0.0";
  return s;
}

// Whole numbers as integers ("300"), others with one decimal: sizes that are usually whole.
std::string num_or_int(double v) {
  return v == std::floor(v) ? fmt::format("{:.0f}", v) : num(v);
}

struct Frame {
  double x0, x1, y0, y1;  // plot area: x0 left, x1 right, y0 top, y1 bottom
  const Axis& x;
  const Axis& y;
  double sx(double v) const {
    const double span = x.max - x.min;
    return x0 + (span > 0 ? (v - x.min) / span : 0) * (x1 - x0);
  }
  double sy(double v) const {
    const double span = y.max - y.min;
    return y1 - (span > 0 ? (v - y.min) / span : 0) * (y1 - y0);
  }
};

}  // namespace

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string group_digits(int64_t n) {
  const std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string trim_number(double value, int max_decimals) {
  std::string s = fmt::format("{:.{}f}", value, std::max(max_decimals, 0));
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  if (max_decimals <= 0 || s.find('.') == std::string::npos) {
    const double rounded = std::round(value);
    if (std::fabs(rounded) >= 10000 && std::fabs(rounded) < 9e18)
      return group_digits(static_cast<int64_t>(rounded));
  }
  return s;
}

Axis nice_linear_axis(double min, double max, int target_ticks, bool include_zero,
                      std::string title) {
  if (!std::isfinite(min) || !std::isfinite(max)) min = max = 0;
  if (include_zero) {
    min = std::min(min, 0.0);
    max = std::max(max, 0.0);
  }
  if (max <= min) max = min + (min == 0 ? 1 : std::fabs(min) * 0.1);
  const double raw_step = (max - min) / std::max(target_ticks, 1);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw_step)));
  const double normalized = raw_step / magnitude;
  double factor = 10;
  for (double f : {1.0, 2.0, 2.5, 5.0}) {
    if (normalized <= f * (1 + 1e-9)) {
      factor = f;
      break;
    }
  }
  const double step = factor * magnitude;
  const double lo = std::floor(min / step + 1e-9) * step;
  const double hi = std::ceil(max / step - 1e-9) * step;
  int decimals = static_cast<int>(-std::floor(std::log10(step) + 1e-9));
  if (factor == 2.5) ++decimals;
  Axis axis;
  axis.min = lo;
  axis.max = hi;
  axis.title = std::move(title);
  const int count = static_cast<int>(std::lround((hi - lo) / step));
  for (int i = 0; i <= count; ++i) {
    const double v = lo + step * i;
    axis.ticks.push_back({v, trim_number(v, decimals)});
  }
  return axis;
}

Axis log10_axis(double log_min, double log_max, std::string title) {
  // Ends snap to 1, 2 or 5 times a power of ten. Values within 1% beyond a mark snap to it,
  // so a bucket's top (1.0005 s) does not open a whole new decade.
  constexpr double kSlack = 0.0043;  // log10(1.01)
  const double marks[] = {0.0, std::log10(2.0), std::log10(5.0), 1.0};
  double lo = std::floor(log_min + kSlack);
  for (double m : marks) {
    if (std::floor(log_min + kSlack) + m <= log_min + kSlack) lo = std::floor(log_min + kSlack) + m;
  }
  double hi = std::floor(log_max - kSlack) + 1;
  for (double m : marks) {
    if (std::floor(log_max - kSlack) + m >= log_max - kSlack) {
      hi = std::floor(log_max - kSlack) + m;
      break;
    }
  }
  if (hi <= lo) hi = lo + 1;
  Axis axis;
  axis.min = lo;
  axis.max = hi;
  axis.title = std::move(title);
  const bool minor = hi - lo <= 2.01;
  auto label = [](double k) {
    const double decade = std::floor(k + 1e-9);
    return trim_number(std::pow(10.0, k), std::max(0, static_cast<int>(-decade) + 1));
  };
  for (double k = std::floor(lo); k <= hi + 1e-9; k += 1) {
    for (double m : {0.0, std::log10(2.0), std::log10(5.0)}) {
      const double v = k + m;
      const bool is_end = std::fabs(v - lo) < 1e-9 || std::fabs(v - hi) < 1e-9;
      if (v < lo - 1e-9 || v > hi + 1e-9 || (m > 0 && !minor && !is_end)) continue;
      axis.ticks.push_back({v, label(v)});
    }
  }
  return axis;
}

std::string render_line_chart(const LineChart& chart) {
  // The legend runs left to right above the plot, wrapping to more rows when the series do
  // not fit on one; the chart grows by the rows added, so the plot keeps its size.
  struct LegendEntry {
    double x;
    double y;
  };
  std::vector<LegendEntry> legend;
  double lx = kMarginLeft;
  double ly = kLegendY;
  for (const Series& series : chart.series) {
    const double entry_width = 28 + kCharWidth * static_cast<double>(series.name.size());
    if (lx > kMarginLeft && lx + entry_width > chart.width - kMarginRight) {
      lx = kMarginLeft;
      ly += kLegendRow;
    }
    legend.push_back({lx, ly});
    lx += entry_width + 22;
  }
  const double extra_rows = ly - kLegendY;
  const double w = chart.width;
  const double h = chart.height + extra_rows;
  const Frame f{kMarginLeft, w - kMarginRight, kMarginTop + extra_rows, h - kMarginBottom, chart.x,
                chart.y};
  std::string s = fmt::format(
      "<svg id=\"{}\" class=\"chart line-chart\" viewBox=\"0 0 {} {}\" width=\"{}\" height=\"{}\" "
      "role=\"img\" "
      "aria-label=\"{}\">\n<title>{}</title>\n",
      escape(chart.id), chart.width, num_or_int(h), chart.width, num_or_int(h),
      escape(chart.description), escape(chart.description));

  // Grid and ticks.
  s += "<g class=\"grid\">";
  for (const Tick& t : chart.y.ticks) {
    s += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>", num(f.x0),
                     num(f.sy(t.value)), num(f.x1), num(f.sy(t.value)));
  }
  for (const Tick& t : chart.x.ticks) {
    s += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>", num(f.sx(t.value)),
                     num(f.y0), num(f.sx(t.value)), num(f.y1));
  }
  s += "</g>\n<g class=\"axis\">";
  s += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>", num(f.x0), num(f.y1),
                   num(f.x1), num(f.y1));
  s += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>", num(f.x0), num(f.y0),
                   num(f.x0), num(f.y1));
  for (const Tick& t : chart.y.ticks) {
    const double y = f.sy(t.value);
    s += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>", num(f.x0 - kTickLength),
                     num(y), num(f.x0), num(y));
  }
  for (const Tick& t : chart.x.ticks) {
    const double x = f.sx(t.value);
    s += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>", num(x), num(f.y1), num(x),
                     num(f.y1 + kTickLength));
  }
  s += "</g>\n<g class=\"tick-labels\">";
  for (const Tick& t : chart.y.ticks) {
    s += fmt::format(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" dominant-baseline=\"middle\">{}</text>",
        num(f.x0 - kTickLength - 4), num(f.sy(t.value)), escape(t.label));
  }
  for (const Tick& t : chart.x.ticks) {
    s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>", num(f.sx(t.value)),
                     num(f.y1 + kTickLength + 14), escape(t.label));
  }
  s += "</g>\n";
  s +=
      fmt::format("<text class=\"axis-title\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                  num((f.x0 + f.x1) / 2), num(h - 8), escape(chart.x.title));
  const double y_title_x = 16;
  const double y_title_y = (f.y0 + f.y1) / 2;
  s += fmt::format(
      "<text class=\"axis-title\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" transform=\"rotate(-90 "
      "{} {})\">{}</text>\n",
      num(y_title_x), num(y_title_y), num(y_title_x), num(y_title_y), escape(chart.y.title));

  s += "<g class=\"legend\">";
  for (size_t i = 0; i < chart.series.size(); ++i) {
    const Series& series = chart.series[i];
    const std::string y = num_or_int(legend[i].y);
    s += fmt::format("<line class=\"swatch {}{}\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>",
                     escape(series.css_class), series.dashed ? " dashed" : "", num(legend[i].x), y,
                     num(legend[i].x + 22), y);
    s += fmt::format("<text x=\"{}\" y=\"{}\" dominant-baseline=\"middle\">{}</text>",
                     num(legend[i].x + 28), y, escape(series.name));
  }
  s += "</g>\n";

  bool any_point = false;
  for (const Series& series : chart.series) any_point = any_point || !series.points.empty();
  if (!any_point) {
    s += fmt::format("<text class=\"empty\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                     num((f.x0 + f.x1) / 2), num((f.y0 + f.y1) / 2), escape(chart.empty_text));
    return s + "</svg>\n";
  }

  for (const ReferenceLine& ref : chart.references) {
    const double y = f.sy(ref.y);
    s += fmt::format("<line class=\"reference\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>",
                     num(f.x0), num(y), num(f.x1), num(y));
    s += fmt::format(
        "<text class=\"reference-label\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
        num(f.x1 - 4), num(y - 5), escape(ref.label));
  }
  for (const Series& series : chart.series) {
    if (series.points.empty()) continue;
    std::string d;
    for (size_t i = 0; i < series.points.size(); ++i) {
      d += fmt::format("{}{},{}", i == 0 ? "M" : "L", num(f.sx(series.points[i].x)),
                       num(f.sy(series.points[i].y)));
    }
    if (series.points.size() == 1) d += "h0.1";  // a lone point still draws a (round-capped) dot
    s += fmt::format("<path class=\"series {}{}\" d=\"{}\"><title>{}</title></path>\n",
                     escape(series.css_class), series.dashed ? " dashed" : "", d,
                     escape(series.name));
  }
  for (const Marker& m : chart.markers) {
    s += fmt::format(
        "<circle class=\"marker {}\" cx=\"{}\" cy=\"{}\" r=\"3.5\"><title>{}</title></circle>\n",
        escape(m.css_class), num(f.sx(m.at.x)), num(f.sy(m.at.y)), escape(m.tip));
  }
  return s + "</svg>\n";
}

std::string render_bar_chart(const BarChart& chart) {
  constexpr double kRow = 26;
  constexpr double kBar = 16;
  constexpr double kCaption = 24;
  constexpr double kValueColumn = 120;
  size_t longest_label = 0;
  int64_t largest = 0;
  int rows = 0;
  int groups = 0;
  for (const BarGroup& g : chart.groups) {
    if (g.bars.empty()) continue;
    ++groups;
    for (const Bar& b : g.bars) {
      longest_label = std::max(longest_label, b.label.size());
      largest = std::max(largest, b.value);
      ++rows;
    }
  }
  const double w = chart.width;
  const double label_width =
      std::clamp(kCharWidth * static_cast<double>(longest_label) + 16, 60.0, w / 2.5);
  const double bar_x = label_width;
  const double bar_span = std::max(w - label_width - kValueColumn, 40.0);
  const double h = rows == 0 ? 60 : 4 + groups * kCaption + rows * kRow + 4;
  std::string s = fmt::format(
      "<svg id=\"{}\" class=\"chart bar-chart\" viewBox=\"0 0 {} {}\" width=\"{}\" height=\"{}\" "
      "role=\"img\" "
      "aria-label=\"{}\">\n<title>{}</title>\n",
      escape(chart.id), chart.width, num(h), chart.width, num(h), escape(chart.description),
      escape(chart.description));
  if (rows == 0) {
    s += fmt::format("<text class=\"empty\" x=\"{}\" y=\"34\" text-anchor=\"middle\">{}</text>\n",
                     num(w / 2), escape(chart.empty_text));
    return s + "</svg>\n";
  }
  double y = 4;
  for (const BarGroup& g : chart.groups) {
    if (g.bars.empty()) continue;
    s += fmt::format("<text class=\"bar-caption\" x=\"0\" y=\"{}\">{}</text>\n", num(y + 16),
                     escape(g.caption));
    y += kCaption;
    for (const Bar& b : g.bars) {
      const double mid = y + kRow / 2;
      const double length = largest > 0 && b.value > 0
                                ? std::max(2.0, bar_span * static_cast<double>(b.value) /
                                                    static_cast<double>(largest))
                                : 0;
      s += fmt::format(
          "<text class=\"bar-label\" x=\"{}\" y=\"{}\" text-anchor=\"end\" "
          "dominant-baseline=\"middle\">{}</text>",
          num(label_width - 10), num(mid), escape(b.label));
      s += fmt::format(
          "<rect class=\"bar-track\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"3\"/>",
          num(bar_x), num(mid - kBar / 2), num(bar_span), num(kBar));
      s += fmt::format(
          "<rect class=\"series bar {}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" "
          "rx=\"3\"><title>{}: {}</title></rect>",
          escape(b.css_class), num(bar_x), num(mid - kBar / 2), num(length), num(kBar),
          escape(b.label), group_digits(b.value));
      s +=
          fmt::format("<text class=\"bar-value\" x=\"{}\" y=\"{}\" dominant-baseline=\"middle\">{}",
                      num(bar_x + bar_span + 10), num(mid), group_digits(b.value));
      if (!b.note.empty()) s += fmt::format(" <tspan class=\"muted\">{}</tspan>", escape(b.note));
      s += "</text>\n";
      y += kRow;
    }
  }
  return s + "</svg>\n";
}

}  // namespace nightjar::output::html
