#!/usr/bin/env bash
# `twinplan-cli model` end to end on the abdomen CT phantom at 512x512x600 (issue #16 item 10,
# goal <= 30 s on 2 cores with peak memory stated), against a peer in the same run:
# dcm2niix (DICOM -> NIfTI) + bench/model_peer.py (VTK: body and bone thresholds meshed like
# ours). The peer covers import, two thresholds, meshing and writing; it has no connected
# components, hole filling, lungs or vessels (docs/benchmarks.md, "Anatomy models").
#
#   bench/model_bench.sh [PRESET ...]    (default: the CT defaults, body bone lungs vessels)
#
# Environment: BUILD (default build), BENCH_TMP (default /tmp/twinplan-model-bench: the
# generated series, kept between runs), BENCH_RUNS (default 1), SIZE (default 512x512x600),
# PEER (default 1; 0 skips the peer).
# Prints Markdown: machine, load average, wall / CPU / peak RSS of each run, and the stage
# times the job writes into summary.json.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD:-$here/build}"
[[ "$build" = /* ]] || build="$here/$build"
tmp="${BENCH_TMP:-/tmp/twinplan-model-bench}"
runs="${BENCH_RUNS:-1}"
size="${SIZE:-512x512x600}"
cli="$build/app/twinplan-cli"
gen="$build/bench/twinplan-model-phantom"
for program in "$cli" "$gen"; do
  [[ -x "$program" ]] || { echo "bench: $program is not built (cmake --build $build)" >&2; exit 1; }
done
[[ -x /usr/bin/time ]] || { echo "bench: /usr/bin/time is not installed (apt-get install time)" >&2; exit 1; }
command -v dcm2niix >/dev/null || { echo "bench: dcm2niix is not installed" >&2; exit 1; }

series="$tmp/abdomen-$size/dicom/CT"
if [[ ! -f "$tmp/abdomen-$size.complete" ]]; then
  rm -rf "$tmp/abdomen-$size"
  mkdir -p "$tmp"
  echo "bench: writing the abdomen phantom at $size to $tmp/abdomen-$size" >&2
  "$gen" "$tmp/abdomen-$size" "$size" >/dev/null || exit 1
  touch "$tmp/abdomen-$size.complete"
fi
presets=()
for p in "$@"; do presets+=(--preset "$p"); done

# run LABEL CMD... : one timed run; prints a table row (output files go to $tmp/out).
run() {
  local label="$1"
  shift
  local load
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  if ! /usr/bin/time -v -o "$tmp/time.txt" "$@" >"$tmp/stdout.txt" 2>"$tmp/stderr.txt"; then
    echo "bench: '$label' failed: $(tail -n 3 "$tmp/stderr.txt")" >&2
    return 1
  fi
  awk -v label="$label" -v load="$load" -F': ' '
    /Elapsed \(wall clock\)/ {n = split($2, t, ":"); wall = (n == 3) ? t[1] * 3600 + t[2] * 60 + t[3] : t[1] * 60 + t[2]}
    /User time/ {user = $2} /System time/ {sys = $2} /Maximum resident/ {rss = $2}
    END {printf "| %s | %.1f s | %.1f s | %.0f MiB | %s |\n", label, wall, user + sys, rss / 1024, load}' "$tmp/time.txt"
}

echo "## \`twinplan-cli model\`, abdomen CT phantom $size, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "Machine: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM; presets: ${*:-CT defaults}."
echo
echo "| command | wall | CPU user+sys | peak RSS | load average (1, 5, 15 min) at start |"
echo "|---|---|---|---|---|"
for ((r = 1; r <= runs; r++)); do
  rm -rf "$tmp/out" && mkdir -p "$tmp/out"
  run "twinplan-cli model (run $r)" "$cli" model "$series" --out "$tmp/out/model" "${presets[@]}" || exit 1
  cp "$tmp/out/model/summary.json" "$tmp/summary.json"
done
peer_stages='{"stages": []}'
if [[ "${PEER:-1}" != 0 ]]; then
rm -rf "$tmp/out" && mkdir -p "$tmp/out"
run "peer: dcm2niix + model_peer.py (VTK: body and bone)" bash -c "dcm2niix -z n -b n -o '$tmp/out' -f ct '$series' >/dev/null && /usr/bin/python3 '$here/bench/model_peer.py' '$tmp/out/ct.nii' '$tmp/out'" || exit 1
peer_stages=$(tail -n 1 "$tmp/stdout.txt")
fi
echo
echo "Stages of the last \`model\` run (wall, from summary.json), and the segments:"
echo
/usr/bin/python3 - "$tmp/summary.json" "$peer_stages" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print("| stage | wall | CPU (all threads) |\n|---|---|---|")
for t in s["timings"]:
    print(f"| {t['stage']} | {t['time_s']:.2f} s | {t['cpu_s']:.2f} s |")
print("\n| segment | voxel ml | mesh ml | mesh / voxel | area cm2 | closed |\n|---|---|---|---|---|---|")
for seg in s["segments"]:
    ratio = seg["mesh_volume_ml"] / seg["voxel_volume_ml"] - 1 if seg["voxel_volume_ml"] else float("nan")
    print(f"| {seg['name']} | {seg['voxel_volume_ml']:.1f} | {seg['mesh_volume_ml']:.1f} | {100 * ratio:+.3f} % | {seg['area_cm2']:.1f} | {seg['closed']} |")
peer = json.loads(sys.argv[2])
print("\nPeer stages: " + ", ".join(f"{t['stage']} {t['time_s']:.2f} s" for t in peer["stages"]))
PY
