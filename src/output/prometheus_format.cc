#include "output/formatters.h"

namespace nightjar::output {

std::string render_prometheus(const model::RunResult& result) {
  (void)result;
  return "prometheus output is not implemented yet\n";
}

}  // namespace nightjar::output
