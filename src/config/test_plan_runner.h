// Running an SMPS test plan: every client of it at the same time, and their results merged
// into one. No printing and no signal handling: the caller (the CLI, later the REST API)
// stops a run through RunControl::stop and renders what comes back.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/status.h"
#include "config/smps_test.h"
#include "load/runner.h"
#include "model/run_result.h"

namespace nightjar::config {

// Runs one client's load and returns its result: load::run_load by default; a controller
// passes one that runs it on its remote workers. Called from the client's own thread when
// the plan has several clients, so it must be safe to call concurrently.
using ClientRunner =
    std::function<Result<model::RunResult>(const load::LoadOptions&, const load::RunControl&)>;

struct TestPlanResult {
  std::vector<model::RunResult> clients;  // one per client of the plan, in its order
  // One client: its result as it is. Several: merged exactly (model::merge_results), each
  // part named by client_label, with the plan's name and labels.
  model::RunResult combined;
};

// How a client is named in the combined result and in reports: its name and first URL,
// e.g. "client-1 http://127.0.0.1:8080/".
std::string client_label(const TestClient& client);

// Runs every client of `plan` at the same time and combines their results.
// - One client runs on the calling thread with `control` as given (progress, intervals,
//   endpoints, start time), and its error, if any, comes back unchanged.
// - Several clients run on one thread each and share only `control.stop` and `control.end_early`: the other
//   callbacks would be called from several threads, and endpoints and start time belong to
//   one target. The first failing client (in the plan's order) fails the whole with its
//   status, the message prefixed by the client's name ("client-1: ..."); the others'
//   results are then discarded.
// An interrupted run is no error: its results say `interrupted`.
Result<TestPlanResult> run_test_plan(const TestPlan& plan, const load::RunControl& control = {},
                                     const ClientRunner& run_client = load::run_load);

}  // namespace nightjar::config
