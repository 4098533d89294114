#include "output/formatters.h"

namespace nightjar::output {

std::string render_html(const model::RunResult& result) {
  (void)result;
  return "html output is not implemented yet\n";
}

}  // namespace nightjar::output
