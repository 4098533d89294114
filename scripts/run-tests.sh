#!/usr/bin/env bash
# Runs the test suite of a build directory and prints what a reader needs: each failure with
# its output, the tests skipped or not run, and ctest's summary; not a line per passing test.
#   scripts/run-tests.sh BUILD_DIR [CTEST_ARGS...]      e.g. scripts/run-tests.sh build -j 2 -R Runner
# Exit status: ctest's (0 when every test passed).
set -euo pipefail
dir=$1
shift
echo "tests: running the suite in $dir/"
cd "$dir"
ctest --output-on-failure "$@" | awk '
  /^Test project / { next }
  /^ *Start +[0-9]+: / { next }
  /^ *[0-9]+\/[0-9]+ +Test +#[0-9]+: .* Passed +[0-9.]+ sec$/ { next }
  { print; fflush() }'
