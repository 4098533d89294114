#include "cli/files.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <utility>

#include "output/formatters.h"
#include "output/hlog.h"

namespace nightjar::cli {

Result<std::string> read_file(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::not_found("cannot read '" + path + "': " + std::strerror(errno));
  // Read in pieces up to the cap (the file may be a pipe, whose size is not known).
  std::string data;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    data.append(buffer, static_cast<size_t>(in.gcount()));
    if (data.size() > max_bytes) {
      return Status::invalid_argument("'" + path + "' is larger than " +
                                      std::to_string(max_bytes >> 20) +
                                      " MiB, the most nightjar reads");
    }
  }
  if (in.bad()) return Status::io_error("error while reading '" + path + "'");
  return data;
}

Result<std::string> read_secret(const std::string& flag, const std::string& path) {
  auto text = read_file(path);
  if (!text.ok()) return Status::invalid_argument(flag + ": " + text.status().message());
  while (!text->empty() && (text->back() == '\n' || text->back() == '\r' || text->back() == ' '))
    text->pop_back();
  if (text->empty()) return Status::invalid_argument(flag + ": '" + path + "' is empty");
  return std::move(*text);
}

Status read_flag_file(const std::string& flag, const std::string& path, std::string& into) {
  if (path.empty()) return {};
  auto text = read_file(path);
  if (!text.ok()) return Status::invalid_argument(flag + ": " + text.status().message());
  into = std::move(*text);
  return {};
}

Status write_output(const std::string& text, const std::string& path) {
  if (path.empty() || path == "-") {
    std::cout << text << std::flush;
    return {};
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Status::io_error("cannot write '" + path + "': " + std::strerror(errno));
  return {};
}

Status check_output_paths(const std::string& output_file, const std::string& hlog_file) {
  if (hlog_file == "-") return Status::invalid_argument("--hlog needs a file name, not '-'");
  for (const auto& [flag, path] :
       {std::pair{"-o", &output_file}, std::pair{"--hlog", &hlog_file}}) {
    if (path->empty() || *path == "-") continue;
    std::error_code ec;
    const std::filesystem::path target(*path);
    if (std::filesystem::is_directory(target, ec)) {
      return Status::invalid_argument(std::string(flag) + ": '" + *path + "' is a directory");
    }
    const std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : ".";
    if (!std::filesystem::is_directory(dir, ec)) {
      return Status::invalid_argument(std::string(flag) + ": the folder '" + dir.string() +
                                      "' does not exist");
    }
    const bool exists = std::filesystem::exists(target, ec);
    if (access(exists ? path->c_str() : dir.c_str(), W_OK) != 0) {
      return Status::invalid_argument(std::string(flag) + ": cannot write '" + *path +
                                      "': " + std::strerror(errno));
    }
  }
  return {};
}

bool write_reports(const model::RunResult& result, const std::string& text,
                   const std::string& output_file, const std::string& hlog_file) {
  Status status = write_output(text, output_file);
  if (status.ok() && !hlog_file.empty()) {
    status = hlog_file == "-" ? Status::invalid_argument("--hlog needs a file name, not '-'")
                              : write_output(output::render_hlog(result), hlog_file);
  }
  if (status.ok()) return true;
  std::cerr << "nightjar: error: " << status.message() << "\n";
  if (output_file.empty() || output_file == "-") return false;
  std::cout << output::render_human(result);
  return false;
}

}  // namespace nightjar::cli
