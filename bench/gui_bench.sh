#!/usr/bin/env bash
# GUI responsiveness benchmark (docs/benchmarks-gui.md): builds twinplan-gui-bench and runs it
# in a real X session (Xvfb, Mesa llvmpipe unless the machine has a GPU driver for GLX).
#
#   bench/gui_bench.sh [BUILD_DIR] [-- twinplan-gui-bench options]
#     BUILD_DIR   default build-guibench; configured here (Release) when missing
#     options     --work DIR (default /tmp/twinplan-guibench: the generated 512x512x600 CT
#                 series, ~315 MB, and the saved case), --slices N, --size N, --frames N
#
# Results: a report on stdout and JSON in $WORK/gui-bench-<date>.json. Runs with `nice`: on a
# shared machine the figures say how loaded it was (other processes' CPU, load average).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
build="$repo/build-guibench"
if [[ $# -gt 0 && "$1" != -* ]]; then
  build="$1"
  shift
fi
if [[ "${1:-}" == "--" ]]; then shift; fi
work=/tmp/twinplan-guibench
args=("$@")
for ((i = 0; i < ${#args[@]}; ++i)); do
  [[ "${args[$i]}" == "--work" ]] && work="${args[$((i + 1))]}"
done
mkdir -p "$work"

if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
nice ninja -C "$build" twinplan-gui-bench

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(free -g | awk '/^Mem/ {print $2}') GiB"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
json="$work/gui-bench-$(date -u +%Y%m%dT%H%M%SZ).json"
QT_QPA_PLATFORM=xcb LIBGL_ALWAYS_SOFTWARE="${LIBGL_ALWAYS_SOFTWARE:-1}" \
  nice xvfb-run -a -s "-screen 0 1920x1200x24" \
  "$build/bench/gui/twinplan-gui-bench" --json "$json" "$@"
echo "JSON: $json"
