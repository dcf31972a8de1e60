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
#   water_10mv_5x5 (default: all)
#   CHUNKS=n: runs of 5e6 histories with seeds 1..n, so a case can be stopped and resumed;
#   finished chunks are kept and not rerun. Default: 6 for the slabs, 5 for water 10x10, 4 for
#   water 5x5, as in the stored tables (their headers give the histories).
# Each case's chunks are combined into its CSV by scripts/radiotherapy/egsnrc_to_csv.py.
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
  water_10mv_10x10 water_10mv_5x5)

run_dir="$EGS_HOME/dosxyznrc"
for name in "${cases[@]}"; do
  input="$here/egsnrc/$name.egsinp"
  [ -f "$input" ] || { echo "no input $input" >&2; exit 1; }
  case $name in
    lungslab_*) default_chunks=6 ;;
    *_10x10) default_chunks=5 ;;
    *) default_chunks=4 ;;
  esac
  chunks=${CHUNKS:-$default_chunks}
  for ((seed = 1; seed <= chunks; ++seed)); do
    chunk="${name}_s${seed}"
    if [ -f "$run_dir/$chunk.3ddose" ]; then continue; fi
    # Only the first random seed changes between chunks (RANMAR INSEED1; INSEED2 stays 97).
    sed -E "s/^([0-9]+), 0, 99, 1, 97,/\1, 0, 99, ${seed}, 97,/" "$input" > "$run_dir/$chunk.egsinp"
    (cd "$run_dir" && nice -n 10 dosxyznrc -i "$chunk" -p 700icru > "$chunk.log" 2>&1)
    echo "$chunk done: $(grep -m1 'Total CPU time for run' "$run_dir/$chunk.egslst" || true)"
  done
  /usr/bin/python3 "$here/egsnrc_to_csv.py" "$name" "$run_dir"/"${name}"_s*.3ddose \
    > "$repo/tests/data/radiotherapy/egsnrc_$name.csv"
done
