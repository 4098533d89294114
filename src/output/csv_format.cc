#include "output/formatters.h"

namespace nightjar::output {

std::string render_csv(const model::RunResult& result) {
  (void)result;
  return "csv output is not implemented yet\n";
}

}  // namespace nightjar::output
