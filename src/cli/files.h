// Files named on the command line: inputs read whole with a size bound, and the reports a
// command writes (to a file or standard output).
#pragma once

#include <cstddef>
#include <string>

#include "common/status.h"
#include "model/run_result.h"

namespace nightjar::cli {

// Files named on the command line are read whole; none may be larger than this (a body or
// gRPC message is limited further by load::validate).
inline constexpr size_t kMaxInputFileBytes = 256u << 20;

// The whole of `path` (a file or a pipe). Errors: kNotFound when it cannot be opened,
// kInvalidArgument beyond `max_bytes`, kIoError on a read error; each names the path.
Result<std::string> read_file(const std::string& path, size_t max_bytes = kMaxInputFileBytes);

// A secret (a token) from `path`, without its trailing line break or spaces. Errors are
// kInvalidArgument naming `flag`: unreadable or empty.
Result<std::string> read_secret(const std::string& flag, const std::string& path);

// When `path` is not empty, reads it into `into`. Errors are kInvalidArgument, the
// message prefixed by the `flag` that named the file ("--tls-cert: cannot read ...").
Status read_flag_file(const std::string& flag, const std::string& path, std::string& into);

// Writes `text` to `path`, or to standard output when `path` is empty or "-".
Status write_output(const std::string& text, const std::string& path);

// Checked before a run starts, so a report that cannot be written is a usage error up front
// instead of a surprise after the test (a full disk is still only found at the end).
// kInvalidArgument naming -o or --hlog.
Status check_output_paths(const std::string& output_file, const std::string& hlog_file);

// Writes the report `text` of `result` (and the .hlog when asked). On failure it says why on
// standard error, and the human report still goes to standard output (when the report was
// meant for a file), so the statistics are not lost; returns false then.
bool write_reports(const model::RunResult& result, const std::string& text,
                   const std::string& output_file, const std::string& hlog_file);

}  // namespace nightjar::cli
