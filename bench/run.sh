#!/usr/bin/env bash
# TwinPlan import benchmarks (`make bench`): wall time (median of N runs, warm page cache,
# one warm-up run first) and peak memory (max RSS from /usr/bin/time) of our DICOM import
# against dcm2niix and ITK's GDCM series reader, in the same run on the same machine.
# Results: a Markdown report on stdout and in $BENCH_TMP/results.md (copy the tables into
# docs/benchmarks.md), raw numbers in $BENCH_TMP/results.tsv.
#
#   bench/run.sh [a|b|c|d ...]     (default: all)
#     a  import of ../shared/data/ct-head-phantom-dcpt/CT (512x512x39, 20 MB)
#     b  import of a generated 512x512x600 CT series (300 MB)
#     c  peak memory importing a generated 512x512x1000 CT series (500 MB of voxels)
#     d  header indexing of a generated 10,000-file folder (10 series x 1000 files)
#     e  a generated 2048x2048 colour image (RGB, RLE, JPEG baseline) as a 2D image, against
#        DCMTK's dcmj2pnm (decode + colour conversion + raw PPM)
#     f  export of the 512x512x600 CT to .nii and .nii.gz against dcm2niix -z n / -z y
#
# Environment: BUILD (default build; the build folder with twinplan-cli and the bench
# programs), BENCH_TMP (default /tmp/twinplan-bench: generated series, kept between runs),
# BENCH_RUNS (default 5), BENCH_RUNS_LARGE (default 3), BENCH_RUNS_EXPORT (default 7),
# BENCH_RUNS_GZ (default 3), DATA (default ../shared/data).
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD:-$here/build}"
[[ "$build" = /* ]] || build="$here/$build"
data="${DATA:-$here/../shared/data}"
tmp="${BENCH_TMP:-/tmp/twinplan-bench}"
runs="${BENCH_RUNS:-5}"
runs_large="${BENCH_RUNS_LARGE:-3}"
runs_export="${BENCH_RUNS_EXPORT:-7}"
runs_gz="${BENCH_RUNS_GZ:-3}"
which_benches="${*:-a b c d e f}"

cli="$build/app/twinplan-cli"
ours="$build/bench/twinplan-import-bench"
itk="$build/bench/twinplan-itk-gdcm-reader"
for program in "$cli" "$ours" "$itk"; do
  [[ -x "$program" ]] || { echo "bench: $program is not built (cmake --build $build)" >&2; exit 1; }
done
command -v dcm2niix >/dev/null || { echo "bench: dcm2niix is not installed" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "bench: /usr/bin/time is not installed (apt-get install time)" >&2; exit 1; }

mkdir -p "$tmp"
out="$tmp/out"
results_tsv="$tmp/results.tsv"
results_md="$tmp/results.md"
: >"$results_tsv"
: >"$results_md"

md() { echo "$*" | tee -a "$results_md"; }

# measure NAME RUNS CMD... : warm-up, then RUNS timed runs. Sets MEDIAN_S (wall), CPU_S (median
# user+sys CPU time: less disturbed than wall time when other work shares the machine) and
# PEAK_MB (largest max-RSS over the runs); writes a TSV line. Output files go to a fresh $out.
median() { sort -n | awk '{a[NR] = $1} END {m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.3f", m}'; }
measure() {
  local name="$1" n="$2"
  shift 2
  local walls=() cpus=() peak=0 status=0
  for ((i = 0; i <= n; i++)); do
    rm -rf "$out" && mkdir -p "$out"
    local t0 t1
    t0=$(date +%s%N)
    /usr/bin/time -f "%U %S %M" -o "$tmp/rss" "$@" >"$tmp/stdout" 2>"$tmp/stderr"
    status=$?
    t1=$(date +%s%N)
    if ((status != 0)); then
      echo "bench: '$name' failed (exit $status): $* ; $(tail -n 3 "$tmp/stderr")" >&2
      MEDIAN_S="failed"
      CPU_S="-"
      PEAK_MB="-"
      printf '%s\tfailed\t-\t-\t%s\n' "$name" "$*" >>"$results_tsv"
      return 1
    fi
    ((i == 0)) && continue  # warm-up
    walls+=("$(awk -v ns="$((t1 - t0))" 'BEGIN {printf "%.6f", ns / 1e9}')")
    local rss
    cpus+=("$(tail -n 1 "$tmp/rss" | awk '{printf "%.2f", $1 + $2}')")
    rss=$(tail -n 1 "$tmp/rss" | awk '{print $3}')
    ((rss > peak)) && peak=$rss
  done
  MEDIAN_S=$(printf '%s\n' "${walls[@]}" | median)
  CPU_S=$(printf '%s\n' "${cpus[@]}" | median)
  PEAK_MB=$(awk -v k="$peak" 'BEGIN {printf "%.0f", k / 1024}')
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$MEDIAN_S" "$CPU_S" "$PEAK_MB" "$*" >>"$results_tsv"
  printf '  %-60s wall %7s s  cpu %7s s  peak RSS %6s MiB  (%d runs)\n' "$name" "$MEDIAN_S" "$CPU_S" "$PEAK_MB" "$n" >&2
  return 0
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else printf "-"}'; }

# row LABEL [RATIO_TEXT] : one table row from the last measure().
row() { md "| $1 | $MEDIAN_S s | $CPU_S s | $PEAK_MB MiB | ${2:-} |"; }
# pair OURS_WALL OURS_CPU : "wall ratio (cpu ratio)" of ours against the last measure().
pair() { echo "**$(ratio "$1" "$MEDIAN_S")** ($(ratio "$2" "$CPU_S"))"; }

# import_table TITLE DIR RUNS : the five import commands on one series folder.
import_table() {
  local title="$1" dir="$2" n="$3"
  local w_load c_load w_cli c_cli
  md ""
  md "| $title | wall (median of $n) | CPU user+sys | peak RSS | ours / peer: wall (CPU) |"
  md "|---|---|---|---|---|"
  measure "$title: twinplan load (scan+loadVolume)" "$n" "$ours" load "$dir"
  w_load=$MEDIAN_S; c_load=$CPU_S
  row "twinplan \`loadVolume\` (scan + load, in memory)"
  measure "$title: ITK GDCM series reader" "$n" "$itk" "$dir"
  row "ITK \`ImageSeriesReader\` + \`GDCMImageIO\` (in memory)" "$(pair "$w_load" "$c_load") target <= 0.5"
  measure "$title: twinplan-cli convert -> .nii" "$n" "$cli" convert "$dir" --out "$out/ours.nii"
  w_cli=$MEDIAN_S; c_cli=$CPU_S
  row "\`twinplan-cli convert --out x.nii\`"
  measure "$title: dcm2niix -z n -b n" "$n" dcm2niix -z n -b n -o "$out" -f peer "$dir"
  row "\`dcm2niix -z n -b n\`" "$(pair "$w_cli" "$c_cli") target <= 1"
  measure "$title: ITK GDCM reader + NIfTI write" "$n" "$itk" "$dir" --out "$out/itk.nii"
  row "ITK reader + NIfTI write" "$(pair "$w_cli" "$c_cli")"
}

gen_ct() {  # gen_ct DIR SLICES
  local dir="$1" slices="$2"
  if [[ -f "$dir.complete" ]] && (($(find "$dir" -name '*.dcm' | wc -l) == slices)); then return 0; fi
  rm -rf "$dir"
  echo "bench: generating a 512x512x$slices CT series in $dir" >&2
  "$ours" gen-ct "$dir" --slices "$slices" --size 512 >&2 && touch "$dir.complete"
}

md "## TwinPlan import benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC')"
md ""
md "Machine: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores, \
$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM; $(uname -sr); \
dcm2niix $(dcm2niix --version 2>&1 | grep -o 'v1[.0-9]*' | head -n 1); ITK 5.2 (Debian); warm page cache."

for bench in $which_benches; do
  case "$bench" in
    a)
      echo "bench (a): ct-head-phantom-dcpt" >&2
      import_table "DCPT head CT, 512x512x39 (20 MB)" "$data/ct-head-phantom-dcpt/CT" "$runs"
      ;;
    b)
      echo "bench (b): generated 512x512x600 CT" >&2
      gen_ct "$tmp/ct600" 600 || exit 1
      import_table "generated CT, 512x512x600 (300 MB)" "$tmp/ct600" "$runs_large"
      ;;
    c)
      echo "bench (c): peak memory, 512x512x1000 CT" >&2
      gen_ct "$tmp/ct1000" 1000 || exit 1
      voxel_mib=$(awk 'BEGIN {printf "%.0f", 512 * 512 * 1000 * 2 / 1048576}')
      md ""
      md "| 512x512x1000 CT, int16 voxels = $voxel_mib MiB | wall (median of $runs_large) | CPU user+sys | peak RSS | peak RSS / voxel data |"
      md "|---|---|---|---|---|"
      measure "CT 1000: twinplan load" "$runs_large" "$ours" load "$tmp/ct1000"
      row "twinplan \`loadVolume\` (in memory)" "**$(ratio "$PEAK_MB" "$voxel_mib")** (target < 1.3)"
      measure "CT 1000: twinplan-cli convert -> .nii" "$runs_large" "$cli" convert "$tmp/ct1000" --out "$out/ours.nii"
      row "\`twinplan-cli convert --out x.nii\`" "$(ratio "$PEAK_MB" "$voxel_mib")"
      measure "CT 1000: ITK GDCM series reader" "$runs_large" "$itk" "$tmp/ct1000"
      row "ITK GDCM series reader (in memory)" "$(ratio "$PEAK_MB" "$voxel_mib")"
      measure "CT 1000: dcm2niix -z n -b n" "$runs_large" dcm2niix -z n -b n -o "$out" -f peer "$tmp/ct1000"
      row "\`dcm2niix -z n -b n\`" "$(ratio "$PEAK_MB" "$voxel_mib")"
      ;;
    d)
      echo "bench (d): indexing 10,000 files" >&2
      many="$tmp/many10k"
      if ! [[ -f "$many.complete" ]]; then
        rm -rf "$many"
        "$ours" gen-many "$many" --from "$data/transfer-syntaxes-mr/MR_small.dcm" --count 10000 --series 10 >&2 &&
          touch "$many.complete" || exit 1
      fi
      size_mb=$(du -sm "$many" | cut -f1)
      md ""
      md "| header indexing, 10,000 files (10 series x 1000, 64x64 MR, $size_mb MB) | wall (median of $runs_large) | CPU user+sys | peak RSS | ours / peer: wall (CPU) |"
      md "|---|---|---|---|---|"
      measure "10k files: twinplan scanDicom" "$runs_large" "$ours" scan "$many"
      w_scan=$MEDIAN_S; c_scan=$CPU_S
      row "twinplan \`scanDicom\`"
      measure "10k files: twinplan-cli --json info" "$runs_large" "$cli" --json info "$many"
      row "\`twinplan-cli --json info\`"
      measure "10k files: ITK GDCMSeriesFileNames (gdcm::Scanner)" "$runs_large" "$itk" --list "$many"
      row "ITK \`GDCMSeriesFileNames\` (gdcm::Scanner)" "$(pair "$w_scan" "$c_scan")"
      # dcm2niix has no list-only mode: asking for a series CRC that does not exist makes it
      # read and sort every header and convert nothing.
      measure "10k files: dcm2niix -n 1 (headers, no output)" "$runs_large" dcm2niix -n 1 -b n -o "$out" "$many"
      row "\`dcm2niix -n 1\` (reads all headers, converts nothing)" "$(pair "$w_scan" "$c_scan")"
      ;;
    e)
      echo "bench (e): 2048x2048 colour image" >&2
      colour="$tmp/colour2048"
      if ! [[ -f "$colour/jpeg.dcm" ]]; then
        mkdir -p "$colour"
        { "$ours" gen-colour "$colour/rgb.dcm" --size 2048 >&2 &&
          dcmcrle "$colour/rgb.dcm" "$colour/rle.dcm" &&
          dcmcjpeg +eb "$colour/rgb.dcm" "$colour/jpeg.dcm"; } || exit 1
      fi
      md ""
      md "| 2048x2048 colour image (12 MB of RGB) | wall (median of $runs) | CPU user+sys | peak RSS | ours / peer: wall (CPU) |"
      md "|---|---|---|---|---|"
      for kind in rgb rle jpeg; do
        measure "colour $kind: twinplan loadImage2D" "$runs" "$ours" image2d "$colour/$kind.dcm"
        w_ours=$MEDIAN_S; c_ours=$CPU_S
        row "twinplan \`loadImage2D\` ($kind)"
        measure "colour $kind: dcmj2pnm --write-raw-pnm" "$runs" dcmj2pnm --write-raw-pnm "$colour/$kind.dcm" "$out/peer.ppm"
        row "\`dcmj2pnm --write-raw-pnm\` ($kind)" "$(pair "$w_ours" "$c_ours")"
      done
      ;;
    f)
      echo "bench (f): export of the 512x512x600 CT to NIfTI" >&2
      gen_ct "$tmp/ct600" 600 || exit 1
      # dcm2niix -z y compresses with pigz (parallel) when pigz is on PATH, else with its
      # internal single-threaded zlib code: say which one this run measured.
      if command -v pigz >/dev/null; then gz_peer="pigz $(pigz --version 2>&1 | awk '{print $2}')"
      else gz_peer="internal (pigz not installed)"; fi
      md ""
      md "| export, generated CT 512x512x600 (300 MB) | wall (median of $runs_export) | CPU user+sys | peak RSS | ours / dcm2niix: wall (CPU) |"
      md "|---|---|---|---|---|"
      measure "export: twinplan-cli convert -> .nii" "$runs_export" "$cli" convert "$tmp/ct600" --out "$out/ours.nii"
      w_nii=$MEDIAN_S; c_nii=$CPU_S
      row "\`twinplan-cli convert --out x.nii\`"
      measure "export: dcm2niix -z n -b n" "$runs_export" dcm2niix -z n -b n -o "$out" -f peer "$tmp/ct600"
      row "\`dcm2niix -z n -b n\`" "$(pair "$w_nii" "$c_nii") target <= 1.0, goal 0.7"
      # gzip at the same zlib level on both sides: 6 (both defaults), then 1 (fastest).
      for level in 6 1; do
        measure "export: twinplan-cli convert -> .nii.gz, level $level" "$runs_gz" "$cli" convert "$tmp/ct600" --out "$out/ours.nii.gz" --gzip-level "$level"
        w_gz=$MEDIAN_S; c_gz=$CPU_S
        ours_gz_mb=$(du -m --apparent-size "$out/ours.nii.gz" | cut -f1)
        row "\`twinplan-cli convert --out x.nii.gz --gzip-level $level\` ($ours_gz_mb MB)"
        measure "export: dcm2niix -z y -$level -b n" "$runs_gz" dcm2niix -z y "-$level" -b n -o "$out" -f peer "$tmp/ct600"
        peer_gz_mb=$(du -m --apparent-size "$out/peer.nii.gz" 2>/dev/null | cut -f1)
        row "\`dcm2niix -z y -$level -b n\` (gzip: $gz_peer; ${peer_gz_mb:-?} MB)" "$(pair "$w_gz" "$c_gz")"
      done
      ;;
    *) echo "bench: unknown benchmark '$bench' (a, b, c, d, e or f)" >&2; exit 2 ;;
  esac
done
rm -rf "$out"
echo "bench: report in $results_md, raw numbers in $results_tsv" >&2
