#include "cli/slo_flags.h"

#include <algorithm>

#include "cli/exit_codes.h"
#include "common/duration.h"

namespace nightjar::cli {

void add_slo_flags(CLI::App& cmd, SloFlags& f) {
  cmd.add_option("--slo", f.slos,
                 "An SLO the run must meet, METRIC OP VALUE (repeatable): p99<20ms, service.p50<5ms, mean<10ms, "
                 "max<1s, error_rate<0.1%, non2xx_rate<1%, achieved_rate>=99%, dropped<=0, rps>=5000. A failed SLO "
                 "exits 3 (docs/slo.md)");
  cmd.add_option("--slo-window", f.window,
                 "Also judge every window of this many whole seconds (e.g. 10s); the verdict names the worst");
  cmd.add_flag("--abort-on-slo", f.abort_on_slo,
               "Stop the run when a window (--slo-window, default 1s) fails an SLO; the result is kept, exit 4");
  cmd.add_option("--abort-grace", f.abort_grace,
                 "With --abort-on-slo: judge only windows that start this long after the start of measurement")
      ->capture_default_str();
}

Result<SloOptions> build_slo_options(const SloFlags& f, const std::vector<slo::Slo>& from_file, double requested_rps) {
  SloOptions o;
  o.slos = from_file;
  for (const std::string& text : f.slos) {
    auto parsed = slo::parse_slo(text);
    if (!parsed.ok()) return Status::invalid_argument("--slo: " + parsed.status().message());
    o.slos.push_back(std::move(*parsed));
  }
  if (Status s = slo::check_applicable(o.slos, requested_rps); !s.ok()) return s;
  if (!f.window.empty()) {
    auto window = parse_duration_ns(f.window);
    if (!window.ok()) return Status::invalid_argument("--slo-window: " + window.status().message());
    if (*window < kNanosPerSecond || *window % kNanosPerSecond != 0) {
      return Status::invalid_argument("--slo-window must be a whole number of seconds (the timeline's resolution), at least 1s");
    }
    o.window_s = *window / kNanosPerSecond;
  }
  auto grace = parse_duration_ns(f.abort_grace);
  if (!grace.ok()) return Status::invalid_argument("--abort-grace: " + grace.status().message());
  o.grace_s = static_cast<double>(*grace) / 1e9;
  o.abort = f.abort_on_slo;
  if (o.abort && o.slos.empty()) return Status::invalid_argument("--abort-on-slo needs at least one --slo");
  if (!o.abort && *grace != 0) return Status::invalid_argument("--abort-grace applies with --abort-on-slo");
  if (o.abort && o.window_s == 0) o.window_s = 1;
  if (o.slos.empty() && o.window_s > 0) return Status::invalid_argument("--slo-window needs at least one --slo");
  return o;
}

void SloRun::watch(load::RunControl& control, double requested_rps) {
  if (!options_.abort) return;
  live_.emplace(options_.slos, options_.window_s, options_.grace_s, requested_rps);
  control.end_early = &end_early_;
  auto previous = control.on_interval;
  control.on_interval = [this, previous](const model::TimelineEntry& second) {
    if (previous) previous(second);
    if (live_->add(second)) end_early_.store(true);
  };
}

void SloRun::judge(model::RunResult& result) const {
  if (options_.slos.empty()) return;
  result.slos = slo::judge(result, options_.slos, options_.window_s);
  if (live_ && live_->abort().aborted) result.slo_abort = live_->abort();
}

int slo_exit_code(const model::RunResult& result) {
  if (result.slo_abort.aborted) return kExitSloAborted;
  const bool failed =
      std::any_of(result.slos.begin(), result.slos.end(), [](const model::SloVerdict& v) { return !v.pass; });
  return failed ? kExitGateFailed : kExitOk;
}

}  // namespace nightjar::cli
