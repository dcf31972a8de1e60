#!/usr/bin/env bash
# RTSTRUCT rasterisation: `twinplan-cli convert RS.dcm --reference CT --split --out x.nrrd`
# against `plastimatch convert --input RS.dcm --referenced-ct CT --output-prefix DIR
# --prefix-format nrrd` (one NRRD per structure from both), same files, same run, same
# machine. Both read the CT series, rasterise every ROI and write the masks. Wall and CPU time
# are medians of N runs after one warm-up; the ratio is plastimatch / ours (> 1: we are
# faster). Results: Markdown on stdout (copy into docs/benchmarks.md).
#
#   bench/rtstruct_bench.sh        Environment: BUILD (default build), BENCH_RUNS (default 5),
#                                  DATA (default ../shared/data), BENCH_TMP (/tmp/twinplan-rs-bench)
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD:-$here/build}"
data="${DATA:-$here/../shared/data}"
tmp="${BENCH_TMP:-/tmp/twinplan-rs-bench}"
runs="${BENCH_RUNS:-5}"
cli="$build/app/twinplan-cli"
[[ -x "$cli" ]] || { echo "bench: $cli is not built" >&2; exit 1; }
command -v plastimatch >/dev/null || { echo "bench: plastimatch is not installed" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "bench: /usr/bin/time is not installed" >&2; exit 1; }
mkdir -p "$tmp"

median() { sort -n | awk '{a[NR] = $1} END {m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.3f", m}'; }
# measure RUNS CMD... -> sets WALL_S and CPU_S (medians); output goes to a fresh $tmp/out.
measure() {
  local n="$1"
  shift
  local walls=() cpus=()
  for ((i = 0; i <= n; i++)); do
    rm -rf "$tmp/out" && mkdir -p "$tmp/out"
    /usr/bin/time -f "%e %U %S" -o "$tmp/time" "$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; exit 1; }
    ((i == 0)) && continue
    read -r wall user sys <"$tmp/time"
    walls+=("$wall")
    cpus+=("$(echo "$user + $sys" | bc -l)")
  done
  WALL_S=$(printf '%s\n' "${walls[@]}" | median)
  CPU_S=$(printf '%s\n' "${cpus[@]}" | median)
}

echo "| structure set | grid | ROIs | TwinPlan wall s (CPU s) | plastimatch wall s (CPU s) | ratio wall (CPU) |"
echo "|---|---|---|---|---|---|"
row() {
  local label="$1" rs="$2" ct="$3" grid="$4" rois="$5"
  measure "$runs" "$cli" convert "$rs" --reference "$ct" --split --out "$tmp/out/labels.nrrd"
  local ow="$WALL_S" oc="$CPU_S"
  measure "$runs" plastimatch convert --input "$rs" --referenced-ct "$ct" --output-prefix "$tmp/out/pm" --prefix-format nrrd
  local pw="$WALL_S" pc="$CPU_S"
  echo "| $label | $grid | $rois | $ow ($oc) | $pw ($pc) | $(echo "scale=2; $pw / $ow" | bc -l) ($(echo "scale=2; $pc / $oc" | bc -l)) |"
}
row "DCPT head phantom RS (Varian ARIA)" "$data/ct-head-phantom-dcpt/RS.dcm" "$data/ct-head-phantom-dcpt/CT" "512x512x39" 11
row "IBSI STS_001 CT RS (MIM)" "$data/sarcoma-ct-mr-pet/dicom/STS_001/CT/mask/RS.dcm" "$data/sarcoma-ct-mr-pet/dicom/STS_001/CT/image" "198x202x59" 1
echo
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%F), $runs runs (median) after a warm-up."
