#include "output/formatters.h"

namespace nightjar::output {

std::string render_yaml(const model::RunResult& result) {
  (void)result;
  return "yaml output is not implemented yet\n";
}

}  // namespace nightjar::output
