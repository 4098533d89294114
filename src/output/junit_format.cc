// JUnit XML (docs/output.md#junit): one test case per SLO, so CI systems show each
// objective as a passed or failed test. Valid XML whatever the input: text is escaped,
// control characters and invalid UTF-8 are replaced.
#include <fmt/format.h>

#include <algorithm>

#include "output/formatters.h"

namespace nightjar::output {
namespace {

// The length of the valid UTF-8 sequence at text[i], 0 when it is not one.
size_t utf8_length(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = byte(i);
  size_t n = 0;
  uint32_t cp = 0;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  const uint32_t min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF) return 0;
  return n;
}

// Text for XML content and attribute values.
std::string xml(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    const char c = text[i];
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      case '\n': out += "&#10;"; break;
      case '\t': out += "&#9;"; break;
      default: {
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\xEF\xBF\xBD";  // not allowed in XML 1.0, even escaped
          break;
        }
        const size_t n = utf8_length(text, i);
        if (n == 0) {
          out += "\xEF\xBF\xBD";
          ++i;
          continue;
        }
        out.append(text.substr(i, n));
        i += n;
        continue;
      }
    }
    ++i;
  }
  return out;
}

}  // namespace

std::string render_junit(const model::RunResult& r) {
  const auto failures = std::count_if(r.slos.begin(), r.slos.end(), [](const model::SloVerdict& v) { return !v.pass; });
  const std::string suite = "nightjar SLOs: " + (!r.options.test_name.empty() ? r.options.test_name
                                                 : !r.options.urls.empty()    ? r.options.urls.front()
                                                                              : std::string("run"));
  const double seconds = static_cast<double>(r.measured_ns) / 1e9;
  std::string s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  s += fmt::format("<testsuites name=\"nightjar\" tests=\"{}\" failures=\"{}\" errors=\"0\" time=\"{:.3f}\">\n",
                   r.slos.size(), failures, seconds);
  s += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\" time=\"{:.3f}\" "
                   "timestamp=\"{}\">\n",
                   xml(suite), r.slos.size(), failures, seconds, xml(rfc3339(r.start_unix_ns)));
  for (const model::SloVerdict& v : r.slos) {
    s += fmt::format("    <testcase classname=\"nightjar.slo\" name=\"{}\" time=\"{:.3f}\"", xml(v.expr), seconds);
    if (v.pass) {
      s += "/>\n";
      continue;
    }
    const std::string message = slo_verdict_text(v);
    s += fmt::format(">\n      <failure type=\"slo\" message=\"{}\">{}</failure>\n    </testcase>\n", xml(message),
                     xml(message));
  }
  std::string out_text;
  if (r.slo_abort.aborted) out_text += slo_abort_text(r.slo_abort) + "\n";
  if (r.interrupted) out_text += "the run was interrupted\n";
  if (!out_text.empty()) s += "    <system-out>" + xml(out_text) + "</system-out>\n";
  s += "  </testsuite>\n</testsuites>\n";
  return s;
}

}  // namespace nightjar::output
