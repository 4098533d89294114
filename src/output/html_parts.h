// Parts of the HTML pages that the run report (html_format.cc) and the comparison of runs
// (compare_html.cc) share: the page frame, panels, warnings, the embedded JSON, and the
// charts built from results (the percentile spectrum, the per-second frame).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/run_result.h"
#include "output/html_chart.h"
#include "stats/hdr_histogram.h"

namespace nightjar::output::html {

// "4.56 ms", "12.3 µs", "850 ns"; compound forms ("2m5s") stay as they are.
std::string duration_text(int64_t ns);
// "1,000" from 100 up, else two decimals: "12.50".
std::string rate_text(double rps);
double ms(int64_t ns);

// From <!DOCTYPE html> to the opening <main class=MAIN_CLASS>: the report's stylesheet, then
// `extra_css`, inline.
std::string page_start(const std::string& title, std::string_view extra_css = "",
                       std::string_view main_class = "page");
// <section class="panel EXTRA"> with an <h2>, an optional note (HTML) and the body (HTML).
std::string panel(std::string_view title, const std::string& note_html, const std::string& body,
                  std::string_view extra_class = "");
// The warnings section; "" when there are none.
std::string warnings_html(const std::vector<std::string>& warnings);
// <script type="application/json" id=ID> holding `json`, with < > & escaped so that no text
// inside can end the element.
std::string json_island(std::string_view id, const std::string& json);

// One line of a percentile spectrum chart.
struct SpectrumLine {
  std::string name;       // legend text, and the start of each marker's tooltip
  std::string css_class;  // its colour class
  const stats::HdrHistogram* histogram = nullptr;
  bool dashed = false;
};

// The percentile spectrum: each histogram's value (ms) by percentile, along x on the
// 1/(1-p) log axis (0%, 90%, 99%, ... each step ten times rarer), with markers at p50, p90,
// p99, ... and the max. The y axis turns logarithmic when the tail reaches far above the
// first line's median.
std::string spectrum_chart(std::string id, std::string description, int width, int height,
                           const std::vector<SpectrumLine>& lines);

// Seconds covered by a run's timeline (its last entry's end).
double timeline_end(const model::RunResult& r);
// A chart frame for per-second charts: seconds since start along x, from 0 to `end_s` (at
// least 1).
LineChart timeline_frame(std::string id, std::string description, int width, double end_s);
double per_second(int64_t n, double duration_s);
// From 10,000 up, tick labels in thousands ("250k"), so they stay inside the margin.
void abbreviate_thousands(Axis& axis);

}  // namespace nightjar::output::html
