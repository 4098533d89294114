#include "output/formatters.h"

namespace nightjar::output {

std::string render_fortio(const model::RunResult& result) {
  (void)result;
  return "fortio output is not implemented yet\n";
}

}  // namespace nightjar::output
