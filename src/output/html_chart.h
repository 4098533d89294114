// Inline SVG charts for the HTML report, drawn in C++.
//
// The SVG carries no colours or fonts of its own: every element has a class that the
// report's stylesheet colours, so one chart follows the page's light, dark and print
// themes. Nothing here fetches anything or needs a script; hover tooltips are SVG <title>s.
// Output is deterministic (coordinates with one decimal), so golden files stay stable.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nightjar::output::html {

// Escapes text for HTML element content and (quoted) attribute values: & < > " '.
std::string escape(std::string_view text);

// 1234567 -> "1,234,567".
std::string group_digits(int64_t n);

// A number for an axis or a cell, without trailing zeros: 0.25, 12.5, 1000, 0.002.
std::string trim_number(double value, int max_decimals);

struct Tick {
  double value = 0;  // in axis units (what the points use)
  std::string label;
};

// A linear axis over [min, max] in the units the points use.
struct Axis {
  double min = 0;
  double max = 1;
  std::vector<Tick> ticks;
  std::string title;  // with its unit, e.g. "latency (ms)"
};

// Ticks at 1, 2, 2.5 or 5 times a power of ten; the domain is widened to whole ticks.
// When include_zero, the domain starts at 0 (for counts, rates and durations).
Axis nice_linear_axis(double min, double max, int target_ticks, bool include_zero,
                      std::string title);

// For values already transformed with log10: ticks at every power of ten (and at 2x, 5x
// when the span is at most two decades), domain widened to whole decades. Labels show
// the untransformed value.
Axis log10_axis(double log_min, double log_max, std::string title);

struct Point {
  double x = 0;
  double y = 0;
};

struct Series {
  std::string name;       // legend text
  std::string css_class;  // colour class, e.g. "s-latency"; the path also gets class "series"
  std::vector<Point> points;
  bool dashed = false;
};

// A dot with a hover tooltip (an SVG <title>).
struct Marker {
  Point at;
  std::string css_class;
  std::string tip;
};

// A horizontal dashed line across the plot with a label at its right end.
struct ReferenceLine {
  double y = 0;
  std::string label;
};

struct LineChart {
  std::string id;           // the <svg> id, e.g. "chart-spectrum"
  std::string description;  // aria-label / <title> of the whole chart
  int width = 560;
  int height = 300;
  Axis x;
  Axis y;
  std::vector<Series> series;
  std::vector<Marker> markers;
  std::vector<ReferenceLine> references;
  std::string empty_text;  // shown instead of the plot when no series has a point
};

// One <svg class="chart" id=...>: grid, axes with ticks and titles, a legend on top,
// one <path class="series ..."> per series with at least one point.
std::string render_line_chart(const LineChart& chart);

struct Bar {
  std::string label;
  int64_t value = 0;
  std::string css_class;  // e.g. "b-2xx"
  std::string note;       // shown after the count, e.g. "99.0%"
};

// A group of bars under a caption ("HTTP status", "Errors").
struct BarGroup {
  std::string caption;
  std::vector<Bar> bars;
};

struct BarChart {
  std::string id;
  std::string description;
  int width = 560;
  std::vector<BarGroup> groups;  // empty groups are left out
  std::string empty_text;        // shown when no group has a bar
};

// Horizontal bars, one row per bar, lengths proportional to the largest value.
// Each bar is a <rect class="series bar ...">.
std::string render_bar_chart(const BarChart& chart);

}  // namespace nightjar::output::html
