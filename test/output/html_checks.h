// Looking into an HTML page the output tests rendered: a chart by its id, and how often a
// piece of text occurs.
#pragma once

#include <cstddef>
#include <string>

namespace nightjar::output {

// The <svg ...>...</svg> element with this id, or "" when absent.
inline std::string svg_by_id(const std::string& page, const std::string& id) {
  const size_t start = page.find("<svg id=\"" + id + "\"");
  if (start == std::string::npos) return "";
  const size_t end = page.find("</svg>", start);
  return end == std::string::npos ? "" : page.substr(start, end + 6 - start);
}

// Occurrences of `needle` in `text` that do not overlap.
inline size_t count_of(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + needle.size()))
    ++n;
  return n;
}

}  // namespace nightjar::output
