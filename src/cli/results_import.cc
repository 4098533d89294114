// `nightjar results import FILE...`: runs that nightjar, fortio or Meshery wrote, saved into the
// results store (docs/results.md#importing). Each file is imported whole or not at all; the
// others go on when one fails, and the exit code says whether any did.
#include "cli/results_subcommands.h"

#include <iostream>
#include <utility>
#include <vector>

#include "cli/exit_codes.h"
#include "cli/files.h"
#include "output/import.h"
#include "store/store.h"

namespace nightjar::cli {
namespace {

constexpr const char* kFooter =
    "Formats, told from the content: nightjar JSON (one result, or the array `results export A B`\n"
    "writes), fortio's HTTP result JSON, and Meshery's stored results (fortio's result under\n"
    "runner_results). A fortio result keeps only latency buckets: its percentiles, mean and stdev\n"
    "are rebuilt from them as upper bounds, and the run says so (docs/results.md#importing).\n"
    "Each file is imported whole or not at all. Importing a file again adds new runs.\n"
    "Exit codes: 0 every file imported; 1 a file could not be read or imported, or the database\n"
    "failed (the other files are still imported); 2 bad usage.";

// Saves every run of `file`, all or none; prints one line per run saved.
Status import_file(store::Store& store, const std::string& file) {
  auto text = read_file(file, output::kMaxImportBytes);
  if (!text.ok()) return text.status();
  auto runs = output::parse_import(*text, file);
  if (!runs.ok()) return runs.status();
  std::vector<std::string> ids;
  for (const output::ImportedRun& run : *runs) {
    store::SaveInfo info;
    info.source = "import:" + std::string(output::import_format_name(run.format));
    info.environment = store::Environment{};  // the machine it ran on is not known
    auto id = store.save(run.result, info);
    if (!id.ok()) {
      const Status undone = ids.empty() ? Status() : store.remove(ids);
      return Status(id.status().code(),
                    file + ": " + id.status().message() +
                        (undone.ok() ? "; nothing of the file was kept"
                                     : "; the runs saved before could not be removed: " + undone.message()));
    }
    ids.push_back(std::move(*id));
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    const output::ImportedRun& run = (*runs)[i];
    std::cout << "imported " << file << run.where << " as run " << ids[i] << " ("
              << output::import_format_name(run.format) << ")\n";
  }
  return {};
}

int import_files(const std::vector<std::string>& files, const ResultsContext& context) {
  auto store = open_store_for_writing(context);
  if (!store.ok()) return error_exit(store.status());
  int code = kExitOk;
  for (const std::string& file : files) {
    if (Status s = import_file(**store, file); !s.ok()) {
      std::cerr << "nightjar: error: " << s.message() << "\n";
      code = kExitFailure;
    }
  }
  return code;
}

}  // namespace

Command add_results_import(CLI::App& results, std::shared_ptr<ResultsContext> context) {
  auto files = std::make_shared<std::vector<std::string>>();
  CLI::App* import = results.add_subcommand(
      "import", "Import runs from nightjar JSON, fortio JSON or Meshery's stored results");
  import->add_option("file", *files, "Files to import")->required();
  add_db_option(*import, *context);
  import->footer(kFooter);
  return {import, [files, context] { return import_files(*files, *context); }};
}

}  // namespace nightjar::cli
