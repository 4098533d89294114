// SLO verdicts in every output: the binary form the store keeps and the JSON form read back
// (round trips), the human lines, and JUnit XML that stays well-formed whatever the text.
#include <gtest/gtest.h>

#include "model/result_proto.h"
#include "output/formatters.h"
#include "slo/slo.h"

namespace nightjar {
namespace {

model::RunResult judged_result() {
  model::RunResult r;
  r.options.urls = {"http://127.0.0.1:1/"};
  r.options.requested_rps = 10;
  r.open_loop = true;
  r.latency.record(1500);
  r.service_time.record(1200);
  r.counters.completed = 1;
  r.counters.sent = 1;
  r.status_codes[200] = 1;
  r.measured_ns = 1'000'000'000;
  model::SloVerdict pass;
  pass.expr = "p99<20ms";
  pass.metric = "latency.p99";
  pass.op = "<";
  pass.threshold = 20e6;
  pass.has_measured = true;
  pass.measured = 1500;
  pass.pass = true;
  pass.window_s = 1;
  pass.windows = 1;
  pass.has_worst_window = true;
  pass.worst_start_s = 0;
  pass.worst_end_s = 1;
  pass.worst_has_measured = true;
  pass.worst_measured = 1500;
  model::SloVerdict fail;
  fail.expr = "error_rate<0.1% & \"<odd>\" \x01 \xff";
  fail.metric = "error_rate";
  fail.op = "<";
  fail.threshold = 0.001;
  fail.pass = false;  // nothing measured
  r.slos = {pass, fail};
  r.slo_abort.aborted = true;
  r.slo_abort.expr = "p99<20ms";
  r.slo_abort.window_start_s = 3;
  r.slo_abort.window_end_s = 4;
  r.slo_abort.has_measured = true;
  r.slo_abort.measured = 25e6;
  return r;
}

void expect_same_slos(const model::RunResult& a, const model::RunResult& b) {
  ASSERT_EQ(a.slos.size(), b.slos.size());
  for (size_t i = 0; i < a.slos.size(); ++i) {
    const model::SloVerdict& x = a.slos[i];
    const model::SloVerdict& y = b.slos[i];
    EXPECT_EQ(x.expr, y.expr);
    EXPECT_EQ(x.metric, y.metric);
    EXPECT_EQ(x.op, y.op);
    EXPECT_EQ(x.threshold, y.threshold);
    EXPECT_EQ(x.has_measured, y.has_measured);
    EXPECT_EQ(x.measured, y.measured);
    EXPECT_EQ(x.pass, y.pass);
    EXPECT_EQ(x.window_s, y.window_s);
    EXPECT_EQ(x.windows, y.windows);
    EXPECT_EQ(x.failed_windows, y.failed_windows);
    EXPECT_EQ(x.has_worst_window, y.has_worst_window);
    EXPECT_EQ(x.worst_start_s, y.worst_start_s);
    EXPECT_EQ(x.worst_end_s, y.worst_end_s);
    EXPECT_EQ(x.worst_has_measured, y.worst_has_measured);
    EXPECT_EQ(x.worst_measured, y.worst_measured);
  }
  EXPECT_EQ(a.slo_abort.aborted, b.slo_abort.aborted);
  EXPECT_EQ(a.slo_abort.expr, b.slo_abort.expr);
  EXPECT_EQ(a.slo_abort.window_start_s, b.slo_abort.window_start_s);
  EXPECT_EQ(a.slo_abort.window_end_s, b.slo_abort.window_end_s);
  EXPECT_EQ(a.slo_abort.measured, b.slo_abort.measured);
}

TEST(SloOutputs, VerdictsTravelInTheStoredProto) {
  model::RunResult r = judged_result();
  r.slos[1].expr = "error_rate<0.1%";  // the proto's strings are UTF-8
  auto back = model::from_proto(model::to_proto(r));
  ASSERT_TRUE(back.ok()) << back.status().message();
  expect_same_slos(r, *back);
  auto none = model::from_proto(model::to_proto(model::RunResult{}));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->slos.empty());
  EXPECT_FALSE(none->slo_abort.aborted);
}

TEST(SloOutputs, VerdictsSurviveTheJsonForm) {
  model::RunResult r = judged_result();
  r.slos[1].expr = "error_rate<0.1%";
  auto back = output::parse_result_json(output::render_json(r));
  ASSERT_TRUE(back.ok()) << back.status().message();
  expect_same_slos(r, *back);
  // Without SLOs the JSON has neither key.
  const std::string plain = output::render_json(model::RunResult{});
  EXPECT_EQ(plain.find("\"slos\""), std::string::npos);
  EXPECT_EQ(plain.find("aborted_by_slo"), std::string::npos);
}

TEST(SloOutputs, TheJsonReaderNamesABadVerdictField) {
  std::string text = output::render_json(judged_result());
  const std::string from = "\"pass\": true";
  text.replace(text.find(from), from.size(), "\"pass\": \"yes\"");
  auto back = output::parse_result_json(text);
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.status().message().find("slos[0].pass"), std::string::npos) << back.status().message();
}

TEST(SloOutputs, HumanShowsOneLinePerSloWithMeasuredAndThreshold) {
  const std::string human = output::render_human(judged_result());
  EXPECT_NE(human.find("    PASS  p99<20ms: latency.p99 1.5us (must be < 20ms); 0 of 1 1s windows failed, worst "
                       "1.5us at 0s-1s\n"),
            std::string::npos)
      << human;
  EXPECT_NE(human.find("    FAIL  error_rate<0.1% "), std::string::npos) << human;
  EXPECT_NE(human.find("error_rate nothing measured (must be < 0.1%)"), std::string::npos) << human;
  EXPECT_NE(human.find("    ABORTED  stopped early by SLO 'p99<20ms': the window 3s-4s measured 25ms\n"),
            std::string::npos)
      << human;
}

TEST(SloOutputs, JunitIsOneEscapedTestCasePerSlo) {
  const std::string xml = output::render(judged_result(), output::Format::kJunit);
  EXPECT_EQ(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 0), 0u);
  EXPECT_NE(xml.find("tests=\"2\" failures=\"1\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("<testcase classname=\"nightjar.slo\" name=\"p99&lt;20ms\" time=\"1.000\"/>"), std::string::npos)
      << xml;
  // & < > " escaped; a control character and a byte that is not UTF-8 replaced.
  EXPECT_NE(xml.find("name=\"error_rate&lt;0.1% &amp; &quot;&lt;odd&gt;&quot; \xEF\xBF\xBD \xEF\xBF\xBD\""),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<failure type=\"slo\" message=\""), std::string::npos);
  EXPECT_NE(xml.find("<system-out>stopped early by SLO"), std::string::npos);
  EXPECT_EQ(xml.find('\x01'), std::string::npos);
  EXPECT_EQ(xml.find('\xff'), std::string::npos);
  // Without SLOs: an empty suite, still valid.
  const std::string empty = output::render_junit(model::RunResult{});
  EXPECT_NE(empty.find("tests=\"0\" failures=\"0\""), std::string::npos);
}

TEST(SloOutputs, HtmlHasAVerdictTable) {
  const std::string html = output::render_html(judged_result());
  EXPECT_NE(html.find("<h2>Service-level objectives</h2>"), std::string::npos);
  EXPECT_NE(html.find("<tr class=\"pass\"><th><code>p99&lt;20ms</code></th><td><strong>PASS</strong></td>"),
            std::string::npos);
  EXPECT_NE(html.find("<strong>FAIL</strong>"), std::string::npos);
  EXPECT_EQ(output::render_html(model::RunResult{}).find("Service-level objectives"), std::string::npos);
}

}  // namespace
}  // namespace nightjar
