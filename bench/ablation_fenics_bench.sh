#!/bin/sh
# Time and accuracy of our coupled RF ablation against FEniCSx on the same problem in the same
# run (issue #17 item 7; docs/benchmarks.md, "Thermal ablation: RF solver speed and FEniCSx").
# Runs slow/ablation_fenics_rf_slow_test (our solver, then tests/slow/ablation_fenics_rf.py with
# /usr/bin/python3 and python3-dolfinx) and prints its figures as Markdown with the machine and
# load.
#
# Usage: bench/ablation_fenics_bench.sh [BUILD_DIR]   (default build; needs the test built:
#        cmake --build build --target slow_ablation_fenics_rf_slow_test)
set -eu
build=${1:-build}
test_binary="$build/tests/slow_ablation_fenics_rf_slow_test"
if [ ! -x "$test_binary" ]; then
  echo "$test_binary not found: build it with" \
    "cmake --build $build --target slow_ablation_fenics_rf_slow_test" >&2
  exit 2
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
"$test_binary" >"$log" 2>&1 || status=$?
echo "## Coupled RF ablation: ours vs FEniCSx ($(date -u +%Y-%m-%d\ %H:%M) UTC)"
echo
echo "Machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores;" \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo '```'
sed -n '/^final temperatures/,/^largest difference 3 mm/p' "$log"
echo '```'
if [ "$status" -ne 0 ]; then
  echo
  echo "**The test failed (exit $status)**; its output:"
  cat "$log"
fi
exit "$status"
