#include "common/clock.h"

namespace nightjar {

const SystemClock& system_clock() {
  static const SystemClock clock;
  return clock;
}

}  // namespace nightjar
