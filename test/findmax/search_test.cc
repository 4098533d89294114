// find-max's search against synthetic services (a function from rate to pass or fail) in
// simulated time: it finds the knee within the precision, respects the maximum rate and
// the time budget, and judges each step by the majority of its trials.
#include "findmax/search.h"

#include <gtest/gtest.h>

#include <functional>
#include <vector>

namespace nightjar::findmax {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

struct Outcome {
  std::optional<double> max_rps;
  std::optional<double> first_failing_rps;
  bool complete = false;
  std::vector<Trial> trials;  // as run
  int64_t elapsed_ns = 0;
};

// Runs the search to its end, each trial taking options.trial_ns of fake time; `passes`
// decides a trial from its rate and its number among all trials run (from 0).
Outcome search(const SearchOptions& options, const std::function<bool(double, int)>& passes) {
  EXPECT_TRUE(validate(options).ok());
  Search s(options);
  Outcome out;
  while (auto trial = s.next(out.elapsed_ns)) {
    out.trials.push_back(*trial);
    out.elapsed_ns += options.trial_ns;
    s.record(passes(trial->rps, static_cast<int>(out.trials.size()) - 1));
    EXPECT_LT(out.trials.size(), 1000u) << "the search does not end";
    if (out.trials.size() >= 1000) break;
  }
  out.max_rps = s.max_rps();
  out.first_failing_rps = s.first_failing_rps();
  out.complete = s.complete();
  return out;
}

std::function<bool(double, int)> knee_at(double knee_rps) {
  return [knee_rps](double rps, int) { return rps <= knee_rps; };
}

TEST(Search, FindsTheKneeWithinThePrecision) {
  for (const double knee : {150.0, 400.0, 1234.5, 99'000.0}) {
    for (const double precision : {0.1, 0.02, 0.005}) {
      const Outcome o =
          search({.start_rps = 100, .max_rps = 1e6, .precision = precision, .trials = 1},
                 knee_at(knee));
      ASSERT_TRUE(o.complete) << knee;
      ASSERT_TRUE(o.max_rps && o.first_failing_rps) << knee;
      EXPECT_LE(*o.max_rps, knee);
      EXPECT_GT(*o.first_failing_rps, knee);
      EXPECT_LE((*o.first_failing_rps - *o.max_rps) / *o.max_rps, precision) << knee;
    }
  }
}

TEST(Search, DoublesFromTheStartRateThenBisects) {
  const Outcome o =
      search({.start_rps = 100, .max_rps = 1e6, .precision = 0.1, .trials = 1}, knee_at(500));
  std::vector<double> rates;
  for (const Trial& t : o.trials) rates.push_back(t.rps);
  EXPECT_EQ(rates, (std::vector<double>{100, 200, 400, 800, 600, 500, 550}));
  EXPECT_EQ(o.max_rps, 500);
  EXPECT_EQ(o.first_failing_rps, 550);
}

TEST(Search, AStartRateThatFailsEndsTheSearchWithNoMaximum) {
  const Outcome o = search({.start_rps = 100, .trials = 1}, knee_at(50));
  EXPECT_TRUE(o.complete);
  EXPECT_FALSE(o.max_rps);
  EXPECT_EQ(o.first_failing_rps, 100);
  EXPECT_EQ(o.trials.size(), 1u);
}

TEST(Search, NeverGoesAboveTheMaximumRateAndStopsWhenItPasses) {
  const Outcome o = search({.start_rps = 100, .max_rps = 1000, .trials = 1}, knee_at(1e9));
  EXPECT_TRUE(o.complete);
  EXPECT_EQ(o.max_rps, 1000);
  EXPECT_FALSE(o.first_failing_rps);
  for (const Trial& t : o.trials) EXPECT_LE(t.rps, 1000);
  EXPECT_EQ(o.trials.back().rps, 1000);  // 100, 200, 400, 800, then the maximum itself
  EXPECT_EQ(o.trials.size(), 5u);
}

TEST(Search, AStepPassesOnAStrictMajorityOfItsTrials) {
  EXPECT_TRUE(majority_passes(2, 3));
  EXPECT_FALSE(majority_passes(1, 3));
  EXPECT_FALSE(majority_passes(1, 2));  // a tie fails
  EXPECT_TRUE(majority_passes(1, 1));
  // Every rate's first trial is noisy (fails), the others show the truth (knee at 400):
  // the majority of three still finds the knee.
  // Every third trial (whatever its step) fails by noise; the others show the truth (knee
  // at 400). No step has two noisy trials, so the majority of three still finds the knee.
  const Outcome o = search({.start_rps = 100, .precision = 0.05, .trials = 3},
                           [](double rps, int index) { return rps <= 400 && index % 3 != 0; });
  ASSERT_TRUE(o.max_rps && o.first_failing_rps);
  EXPECT_LE(*o.max_rps, 400);
  EXPECT_GT(*o.first_failing_rps, 400);
}

TEST(Search, AStepStopsOnceItsMajorityIsDecided) {
  // Three trials: two passes decide a passing step, two failures a failing one.
  const Outcome o = search({.start_rps = 100, .max_rps = 200, .trials = 3}, knee_at(150));
  std::vector<double> rates;
  for (const Trial& t : o.trials) rates.push_back(t.rps);
  // 100 passes twice; 200 fails twice; then bisection from 100..200 at the default 2%.
  ASSERT_GE(rates.size(), 4u);
  EXPECT_EQ(std::vector<double>(rates.begin(), rates.begin() + 4),
            (std::vector<double>{100, 100, 200, 200}));
  EXPECT_EQ(o.trials[1].trial, 2);
}

TEST(Search, StopsIncompleteWhenTheNextTrialWouldOverrunTheBudget) {
  const Outcome o = search({.start_rps = 100,
                            .precision = 0.01,
                            .trials = 1,
                            .trial_ns = 10 * kSecond,
                            .max_time_ns = 45 * kSecond},
                           knee_at(1000));
  EXPECT_FALSE(o.complete);
  EXPECT_EQ(o.trials.size(), 4u);  // 100, 200, 400, 800: a fifth would end at 50 s
  EXPECT_LE(o.elapsed_ns, 45 * kSecond);
  EXPECT_EQ(o.max_rps, 800);  // what is known so far
  EXPECT_FALSE(o.first_failing_rps);
}

TEST(Search, ValidatesItsOptionsNamingTheFlag) {
  EXPECT_NE(validate({.start_rps = 0}).message().find("--start-rps"), std::string::npos);
  EXPECT_NE(validate({.start_rps = 200, .max_rps = 100}).message().find("--max-rps"),
            std::string::npos);
  EXPECT_NE(validate({.precision = 0}).message().find("--precision"), std::string::npos);
  EXPECT_NE(validate({.precision = 1}).message().find("--precision"), std::string::npos);
  EXPECT_NE(validate({.trials = 0}).message().find("--trials"), std::string::npos);
  EXPECT_NE(validate({.trial_ns = 10 * kSecond, .max_time_ns = 5 * kSecond}).message().find("--max-time"),
            std::string::npos);
  EXPECT_TRUE(validate({}).ok());
}

}  // namespace
}  // namespace nightjar::findmax
