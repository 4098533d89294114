// `nightjar report RESULT.json`: a saved JSON result rendered again, in any format.
#include "cli/command.h"
#include "cli/exit_codes.h"
#include "cli/files.h"
#include "output/formatters.h"

namespace nightjar::cli {
namespace {

struct ReportFlags {
  std::string input;
  std::string output_format = "human";
  std::string output_file;
  std::string hlog_file;
};

void add_report_flags(CLI::App& report, ReportFlags& f) {
  report.add_option("result", f.input, "A result written with --output-format json")->required();
  report.add_option("--output-format", f.output_format, "One of: " + output::format_names())
      ->capture_default_str();
  report.add_option("-o,--output", f.output_file, "Write to this file instead of standard output");
  report.add_option("--hlog", f.hlog_file, "Also write an HdrHistogram interval log (.hlog)");
}

int run_report_command(const ReportFlags& f) {
  auto format = output::parse_format(f.output_format);
  if (!format.ok()) return usage_error("--output-format: " + format.status().message());
  auto text = read_file(f.input);
  if (!text.ok()) return usage_error(text.status().message());
  auto result = output::parse_result_json(*text);
  if (!result.ok()) return usage_error("'" + f.input + "': " + result.status().message());
  return write_reports(*result, output::render(*result, *format), f.output_file, f.hlog_file)
             ? kExitOk
             : kExitFailure;
}

}  // namespace

Command add_report_command(CLI::App& app) {
  return make_command<ReportFlags>(app, "report",
                                   "Re-render a saved JSON result in any output format",
                                   add_report_flags, run_report_command);
}

}  // namespace nightjar::cli
