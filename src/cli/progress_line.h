// The live progress line of a run on a terminal (standard error): elapsed/remaining, rate,
// p50/p99, completions and errors, redrawn in place.
#pragma once

#include "load/runner.h"

namespace nightjar::cli {

class ProgressLine {
 public:
  // A disabled line draws nothing (standard error is no terminal, or --no-progress).
  explicit ProgressLine(bool enabled) : enabled_(enabled) {}
  // Redraws the line with `p`.
  void update(const load::Progress& p);
  // Erases the line, if drawn, so the report starts on a clean line.
  void clear();

 private:
  const bool enabled_;
  bool drawn_ = false;
};

}  // namespace nightjar::cli
