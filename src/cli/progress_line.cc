#include "cli/progress_line.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "common/duration.h"

namespace nightjar::cli {

void ProgressLine::update(const load::Progress& p) {
  if (!enabled_) return;
  const int64_t elapsed = std::max<int64_t>(p.elapsed_ns, 0);
  std::string when = p.elapsed_ns < 0
                         ? fmt::format("warm-up {}", format_duration_ns(-p.elapsed_ns))
                         : format_duration_ns(elapsed / kNanosPerMilli * kNanosPerMilli);
  if (p.total_ns > 0 && p.elapsed_ns >= 0) {
    const int64_t left_s =
        (std::max<int64_t>(p.total_ns - elapsed, 0) + kNanosPerSecond - 1) / kNanosPerSecond;
    when += fmt::format(" of {}, {}s left", format_duration_ns(p.total_ns), left_s);
  }
  std::fprintf(stderr, "\r\033[K[%s] %.0f req/s  p50 %s  p99 %s  done %lld  errors %lld",
               when.c_str(), p.current_rps, format_duration_ns(p.last_p50_ns).c_str(),
               format_duration_ns(p.last_p99_ns).c_str(), static_cast<long long>(p.completed),
               static_cast<long long>(p.errors));
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressLine::clear() {
  if (drawn_) std::fprintf(stderr, "\r\033[K");
  drawn_ = false;
}

}  // namespace nightjar::cli
