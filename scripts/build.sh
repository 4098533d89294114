#!/usr/bin/env bash
# Builds a configured build directory and prints the build's progress ("[ 42%] Building ..."
# and "Linking ..." lines), warnings and errors, then one line with the outcome; not a line
# per target already up to date, nor CMake's status lines when it re-runs its configure step.
#   scripts/build.sh BUILD_DIR [CMAKE_BUILD_ARGS...]      e.g. scripts/build.sh build -j 2
# Exit status: the build's.
set -uo pipefail
dir=$1
shift
cmake --build "$dir" "$@" 2>&1 | awk '
  /^\[ *[0-9]+%\] Built target / { next }
  /^-- / || /^Re-running CMake/ { next }
  { print; fflush(); built = 1 }
  END { exit built ? 0 : 10 }'
codes=("${PIPESTATUS[@]}")
if [ "${codes[0]}" -ne 0 ]; then
  echo "build: $dir/ failed (see the errors above)"
  exit "${codes[0]}"
fi
[ "${codes[1]}" -eq 10 ] && echo "build: $dir/ up to date" || echo "build: $dir/ done"
