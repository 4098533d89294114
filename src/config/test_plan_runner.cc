#include "config/test_plan_runner.h"

#include <exception>
#include <thread>

#include "model/merge.h"

namespace nightjar::config {

std::string client_label(const TestClient& client) {
  return client.name + " " + client.options.run.urls.front();
}

Result<TestPlanResult> run_test_plan(const TestPlan& plan, const load::RunControl& control,
                                     const ClientRunner& run_client) {
  if (plan.clients.empty()) return Status::invalid_argument("the test plan has no client");
  TestPlanResult out;
  if (plan.clients.size() == 1) {
    auto result = run_client(plan.clients.front().options, control);
    if (!result.ok()) return result.status();
    out.combined = *result;
    out.clients.push_back(std::move(*result));
    return out;
  }

  std::vector<Result<model::RunResult>> results(plan.clients.size(), Status::internal("not run"));
  {
    load::RunControl shared;
    shared.stop = control.stop;
    shared.end_early = control.end_early;
    std::vector<std::thread> threads;
    threads.reserve(plan.clients.size());
    for (size_t i = 0; i < plan.clients.size(); ++i) {
      threads.emplace_back([&, i] {
        try {
          results[i] = run_client(plan.clients[i].options, shared);
        } catch (const std::exception& e) {  // run_load returns its errors; this is the last guard
          results[i] = Status::internal(std::string("the client's thread failed: ") + e.what());
        }
      });
    }
    for (std::thread& t : threads) t.join();
  }

  std::vector<std::string> names;
  for (size_t i = 0; i < results.size(); ++i) {
    const TestClient& client = plan.clients[i];
    if (!results[i].ok()) {
      return Status(results[i].status().code(), client.name + ": " + results[i].status().message());
    }
    names.push_back(client_label(client));
    out.clients.push_back(std::move(*results[i]));
  }
  out.combined = model::merge_results(out.clients, names);
  out.combined.options.test_name = plan.name;
  out.combined.options.labels = plan.labels;
  return out;
}

}  // namespace nightjar::config
