#!/usr/bin/env bash
# Regenerates the EGSnrc Monte Carlo reference depth doses and profiles in
# tests/data/radiotherapy/egsnrc_*.csv (issue #19 item 7; docs/validation.md, section "EGSnrc
# Monte Carlo peer").
#
# EGSnrc (github.com/nrc-cnrc/EGSnrc, AGPL-3.0) is run here as a separate program, for
# validation only: it is neither linked nor shipped, and only its numerical output is stored in
# the repository. Build it outside the repository first, e.g.
#   git clone https://github.com/nrc-cnrc/EGSnrc /work/egs    (needs gfortran, gcc, make; the
#   tables were made at commit 9edee3eb of 2025-12-04)
#   printf '\n\n\n\n\n\n\n\n\nlinux\n\n\nyes\n\n/work/egs/egs_home/\n3\n' | HEN_HOUSE= EGS_HOME= \
#     EGS_CONFIG= bash /work/egs/HEN_HOUSE/scripts/configure
#   source env (EGS_HOME, EGS_CONFIG, HEN_HOUSE/scripts/egsnrc_bashrc_additions), then
#   (cd $EGS_HOME/dosxyznrc && make)
#
# Usage: scripts/radiotherapy/run_egsnrc_reference.sh [CASE...]
#   CASE: water_6mv_10x10 water_10mv_10x10 lungslab_6mv_5x5 lungslab_10mv_5x5 water_6mv_5x5
#   water_10mv_5x5 lungsurface_10mv_5x5 (default: all)
#   SEEDS="1 2 ..." (default 1..CHUNKS, CHUNKS default 2) and NCASE (default 5000000): one run
#   per seed, so a case can be stopped and resumed; finished runs are kept and not rerun. The
#   stored tables' headers give the runs they combine (histories x seed): 6 MV slab seeds 1-6,
#   6 MV water 10x10 1-4, the rest 1-2 of 5e6, except 10 MV water 10x10: NCASE=2500000
#   SEEDS="3 4 5 6". (lungsurface_10mv_5x5, lung of 0.25 from the surface to 130 mm, was added
#   in session 13 to tell the slab's interface from lung's own build-up.)
# Each case's runs are combined into its CSV by scripts/radiotherapy/egsnrc_to_csv.py.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
: "${EGS_HOME:?source the EGSnrc environment first (EGS_HOME, EGS_CONFIG, HEN_HOUSE)}"
: "${HEN_HOUSE:?source the EGSnrc environment first}"
# The EGSnrc version goes into the tables' headers (set it when EGSnrc is not a git checkout).
: "${EGSNRC_COMMIT:=$(git -C "$HEN_HOUSE" rev-parse HEAD 2> /dev/null || echo unknown)}"
export EGSNRC_COMMIT
command -v dosxyznrc > /dev/null || { echo "dosxyznrc not on PATH: build it in \$EGS_HOME/dosxyznrc" >&2; exit 1; }

cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(lungslab_6mv_5x5 water_6mv_10x10 water_6mv_5x5 lungslab_10mv_5x5
  water_10mv_10x10 water_10mv_5x5 lungsurface_10mv_5x5)

run_dir="$EGS_HOME/dosxyznrc"
for name in "${cases[@]}"; do
  input="$here/egsnrc/$name.egsinp"
  [ -f "$input" ] || { echo "no input $input" >&2; exit 1; }
  for seed in ${SEEDS:-$(seq 1 "${CHUNKS:-2}")}; do
    chunk="${name}_s${seed}"
    if [ -f "$run_dir/$chunk.3ddose" ]; then continue; fi
    # Only NCASE and the first random seed change between runs (RANMAR INSEED1; INSEED2 stays 97).
    sed -E "s/^[0-9]+, 0, 99, 1, 97,/${NCASE:-5000000}, 0, 99, ${seed}, 97,/" "$input" \
      > "$run_dir/$chunk.egsinp"
    (cd "$run_dir" && nice -n 10 dosxyznrc -i "$chunk" -p 700icru > "$chunk.log" 2>&1)
    echo "$chunk done: $(grep -m1 'Total CPU time for run' "$run_dir/$chunk.egslst" || true)"
  done
  /usr/bin/python3 "$here/egsnrc_to_csv.py" "$name" "$run_dir"/"${name}"_s*.3ddose \
    > "$repo/tests/data/radiotherapy/egsnrc_$name.csv"
done
