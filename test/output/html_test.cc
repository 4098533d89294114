// The HTML report: self-contained (nothing fetched), every chart drawn, every string from
// the result escaped, and the embedded JSON result reads back. The golden file is
// regenerated like the others: NIGHTJAR_UPDATE_GOLDEN=1 build/test/output/output_test
// (browser rendering is checked by html_browser_test.sh). It holds a placeholder where the
// page inlines its stylesheet, html_style.h's kReportCss, which is checked on its own.
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "output/formatters.h"
#include "output/html_chart.h"
#include "output/html_style.h"
#include "output/html_checks.h"
#include "output/sample_result.h"

namespace nightjar::output {
namespace {

constexpr std::string_view kIslandOpen =
    "<script type=\"application/json\" id=\"nightjar-result\">";

struct Xy {
  double x;
  double y;
};

// The d attribute of every <path class="series ..."> in `svg`, as points.
std::vector<std::vector<Xy>> series_paths(const std::string& svg) {
  std::vector<std::vector<Xy>> paths;
  static const std::regex kPath(R"re(<path class="series[^"]*" d="([^"]*)")re");
  static const std::regex kPoint(R"re([ML](-?[0-9.]+),(-?[0-9.]+))re");
  for (std::sregex_iterator it(svg.begin(), svg.end(), kPath), end; it != end; ++it) {
    const std::string d = (*it)[1];
    std::vector<Xy> points;
    for (std::sregex_iterator p(d.begin(), d.end(), kPoint); p != end; ++p) {
      points.push_back({std::stod((*p)[1]), std::stod((*p)[2])});
    }
    paths.push_back(std::move(points));
  }
  return paths;
}

std::string json_island(const std::string& page) {
  const size_t open = page.find(kIslandOpen);
  if (open == std::string::npos) return "";
  const size_t start = open + kIslandOpen.size();
  const size_t end = page.find("</script>", start);
  return end == std::string::npos ? "" : page.substr(start, end - start);
}

// A result whose every free-text field tries to break out of the page.
model::RunResult hostile_result() {
  model::RunResult r = sample_result(true);
  r.options.test_name = "<script>alert(1)</script>";
  r.options.urls = {"http://target.example/?a=1&b=<x>&c=\"q\"", "https://other.example/'single'"};
  r.options.labels = {{"mesh", "\"quoted\" & <b>bold</b>"}};
  r.options.headers = {{"X-Evil", "</script><script>alert(2)</script>"},
                       {"Referer", "https://cdn.example/x.js"}};
  r.shards[0].name = "<img src=x onerror=alert(3)>";
  return r;
}

constexpr std::string_view kStylesheetPlaceholder = "/* src/output/html_style.h: kReportCss */\n";

// Where the page inlines kReportCss, whole, as the only text of its <style> element;
// npos when it does not.
size_t stylesheet_at(const std::string& page) {
  const std::string inlined = "<style>\n" + std::string(html::kReportCss) + "</style>";
  const size_t at = page.find(inlined);
  if (at == std::string::npos || count_of(page, "<style") != 1) return std::string::npos;
  return at + std::string_view("<style>\n").size();
}

TEST(HtmlReport, InlinesTheStylesheetOnce) {
  EXPECT_NE(stylesheet_at(render_html(sample_result(true))), std::string::npos);
}

TEST(HtmlReport, MatchesGolden) {
  std::string page = render_html(sample_result(true));
  const size_t css = stylesheet_at(page);
  ASSERT_NE(css, std::string::npos) << "the page does not inline html_style.h's kReportCss";
  page.replace(css, html::kReportCss.size(), kStylesheetPlaceholder);
  expect_golden("report.html", page);
}

TEST(HtmlReport, FetchesNothingOverTheNetwork) {
  for (const model::RunResult& r : {sample_result(true), hostile_result()}) {
    const std::string page = render_html(r);
    static const std::regex kAttributeUrl(
        R"re((src|href|srcset|action|poster|data|background)\s*=\s*["']?\s*(https?:)?//)re",
        std::regex::icase);
    static const std::regex kCssUrl(R"re(url\(\s*["']?\s*(https?:)?//)re", std::regex::icase);
    EXPECT_FALSE(std::regex_search(page, kAttributeUrl));
    EXPECT_FALSE(std::regex_search(page, kCssUrl));
    EXPECT_EQ(page.find("@import"), std::string::npos);
    for (const char* tag :
         {"<link", "<img", "<iframe", "<object", "<embed", "<image", "<use", "<video", "<audio"}) {
      EXPECT_EQ(page.find(tag), std::string::npos) << tag;
    }
    // The only script is the inert JSON island.
    EXPECT_EQ(count_of(page, "<script"), 1u);
    EXPECT_EQ(count_of(page, std::string(kIslandOpen)), 1u);
    EXPECT_EQ(count_of(page, "</script>"), 1u);
  }
}

TEST(HtmlReport, TargetUrlsAppearOnlyAsEscapedText) {
  const std::string page = render_html(hostile_result());
  EXPECT_NE(
      page.find(
          "<code "
          "class=\"url\">http://target.example/?a=1&amp;b=&lt;x&gt;&amp;c=&quot;q&quot;</code>"),
      std::string::npos);
  EXPECT_NE(page.find("https://other.example/&#39;single&#39;"), std::string::npos);
  EXPECT_EQ(page.find("b=<x>"), std::string::npos);
}

TEST(HtmlReport, EscapesEveryStringFromTheResult) {
  const std::string page = render_html(hostile_result());
  EXPECT_EQ(page.find("<script>alert(1)</script>"), std::string::npos);
  EXPECT_NE(page.find("<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>"), std::string::npos);
  EXPECT_NE(page.find("<title>nightjar report: &lt;script&gt;alert(1)&lt;/script&gt;</title>"),
            std::string::npos);
  EXPECT_EQ(page.find("<b>bold</b>"), std::string::npos);
  EXPECT_NE(page.find("&quot;quoted&quot; &amp; &lt;b&gt;bold&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(page.find("X-Evil: &lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;"),
            std::string::npos);
  EXPECT_NE(page.find("&lt;img src=x onerror=alert(3)&gt;"), std::string::npos);
  EXPECT_EQ(page.find("onerror=alert(3)>"), std::string::npos);
}

TEST(HtmlReport, EscapeCoversTheFiveHtmlSpecials) {
  EXPECT_EQ(html::escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");
  EXPECT_EQ(html::escape("plain µs"), "plain µs");
}

TEST(HtmlReport, JsonIslandReadsBackAsTheSameResult) {
  for (const model::RunResult& r : {sample_result(true), sample_result(false), hostile_result()}) {
    const std::string page = render_html(r);
    const std::string island = json_island(page);
    ASSERT_FALSE(island.empty());
    EXPECT_EQ(island.find('<'), std::string::npos)
        << "a '<' inside the island could close the script";
    auto parsed = parse_result_json(island);
    ASSERT_TRUE(parsed.ok()) << parsed.status().message();
    EXPECT_EQ(render_json(*parsed), render_json(r));
    EXPECT_EQ(parsed->options.test_name, r.options.test_name);
  }
}

TEST(HtmlReport, DrawsEveryChartWithItsSeries) {
  const std::string page = render_html(sample_result(true));
  const std::string spectrum = svg_by_id(page, "chart-spectrum");
  ASSERT_FALSE(spectrum.empty());
  auto paths = series_paths(spectrum);
  ASSERT_EQ(paths.size(), 2u) << "latency and service time";
  for (const auto& points : paths) {
    // 1000 values: ten points per halving of the distance to 100% up to 99.9% is > 90 points.
    EXPECT_GE(points.size(), 90u);
    for (size_t i = 1; i < points.size(); ++i) {
      EXPECT_GE(points[i].x, points[i - 1].x) << "percentiles only increase";
      EXPECT_LE(points[i].y, points[i - 1].y) << "values only increase (svg y grows downwards)";
    }
    for (const Xy& p : points) {
      EXPECT_GE(p.x, 0);
      EXPECT_LE(p.x, 1120);
      EXPECT_GE(p.y, 0);
      EXPECT_LE(p.y, 420);
    }
  }
  EXPECT_NE(spectrum.find(">latency</text>"), std::string::npos) << "legend";
  EXPECT_NE(spectrum.find(">service time</text>"), std::string::npos) << "legend";
  for (const char* tick : {">0%<", ">90%<", ">99%<", ">99.9%<", ">99.99%<", ">99.999%<"}) {
    EXPECT_NE(spectrum.find(tick), std::string::npos) << tick;
  }
  EXPECT_NE(spectrum.find("milliseconds"), std::string::npos);

  for (const char* id : {"chart-throughput", "chart-latency-time"}) {
    const std::string svg = svg_by_id(page, id);
    ASSERT_FALSE(svg.empty()) << id;
    const auto time_paths = series_paths(svg);
    ASSERT_EQ(time_paths.size(), 2u) << id;
    for (const auto& points : time_paths) EXPECT_GE(points.size(), 2u) << id;
  }
  // Throughput is drawn per second as steps: 2 seconds -> 4 points, the second at 1.5 errors/s.
  EXPECT_EQ(series_paths(svg_by_id(page, "chart-throughput"))[0].size(), 4u);
  EXPECT_NE(svg_by_id(page, "chart-throughput").find("requested 500 / s"), std::string::npos);

  const std::string status = svg_by_id(page, "chart-status");
  ASSERT_FALSE(status.empty());
  EXPECT_EQ(count_of(status, "<rect class=\"series bar"), 4u) << "200, 503, reset, timeout";
  EXPECT_NE(status.find(">503 Service Unavailable</text>"), std::string::npos);
  EXPECT_NE(status.find(">timeout</text>"), std::string::npos);
}

TEST(HtmlReport, HeaderSummaryAndTablesShowTheRun) {
  const std::string page = render_html(sample_result(true));
  EXPECT_NE(page.find("<h1>golden</h1>"), std::string::npos);
  EXPECT_NE(page.find("open loop at 500 req/s"), std::string::npos);
  EXPECT_NE(page.find("2025-11-26T16:00:00.123456Z"), std::string::npos);
  EXPECT_NE(page.find("<dt>Connections</dt><dd>10</dd>"), std::string::npos);
  EXPECT_NE(page.find("<dt>Threads</dt><dd>1</dd>"), std::string::npos);
  EXPECT_NE(page.find("100% of 500 requested"), std::string::npos);
  EXPECT_NE(page.find("<div class=\"card-label\">p99.9 latency</div>"), std::string::npos);
  // The schedule warning is shown prominently, before the key figures.
  const size_t warning = page.find("<div class=\"warning\">");
  ASSERT_NE(warning, std::string::npos);
  EXPECT_NE(page.find("sends fell behind schedule", warning), std::string::npos);
  EXPECT_LT(warning, page.find("<section class=\"summary\""));
  EXPECT_NE(page.find("<th>thread-0</th>"), std::string::npos) << "shards table";
  EXPECT_NE(page.find("<code>X-Test: 1</code>"), std::string::npos) << "options table";
  EXPECT_EQ(render_html(sample_result(false)).find("<div class=\"warning\">"), std::string::npos);
  EXPECT_NE(render_html(sample_result(false)).find("closed loop (maximum rate)"),
            std::string::npos);
}

TEST(HtmlReport, ARunWithoutResponsesStillHasEveryChart) {
  model::RunResult r;
  r.options.urls = {"http://127.0.0.1:1/"};
  r.counters.error_counts[static_cast<size_t>(model::ErrorKind::kConnectRefused)] = 5;
  const std::string page = render_html(r);
  for (const char* id :
       {"chart-spectrum", "chart-throughput", "chart-latency-time", "chart-status"}) {
    EXPECT_FALSE(svg_by_id(page, id).empty()) << id;
  }
  EXPECT_NE(svg_by_id(page, "chart-spectrum").find("no responses were recorded"),
            std::string::npos);
  EXPECT_NE(svg_by_id(page, "chart-status").find(">connect_refused</text>"), std::string::npos);
  EXPECT_NE(page.find("no request succeeded"), std::string::npos) << "the warning";
  EXPECT_TRUE(parse_result_json(json_island(page)).ok());
}

TEST(HtmlReport, HeavyTailGetsALogarithmicAxisAndLongRunsAFinerTail) {
  model::RunResult r = sample_result(true);
  r.latency.reset();
  r.latency.record_n(1'000'000, 2'000'000);  // 2 million at 1 ms
  r.latency.record(1'000'000'000);           // one stall of 1 s
  const std::string spectrum = svg_by_id(render_html(r), "chart-spectrum");
  EXPECT_NE(spectrum.find("milliseconds (log scale)"), std::string::npos);
  EXPECT_NE(spectrum.find(">99.9999%<"), std::string::npos) << "2 million values resolve 99.9999%";
  const auto paths = series_paths(spectrum);
  ASSERT_EQ(paths.size(), 2u);
  // The stall is the max: the latency line ends at the top of the plot.
  EXPECT_LT(paths[0].back().y, paths[0].front().y - 100);
}

}  // namespace
}  // namespace nightjar::output
