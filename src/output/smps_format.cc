#include "output/formatters.h"

namespace nightjar::output {

std::string render_smps(const model::RunResult& result) {
  (void)result;
  return "smps output is not implemented yet\n";
}

}  // namespace nightjar::output
