#!/usr/bin/env bash
# Runs a GUI test program under its own Xvfb server: with_xvfb.sh "SCREEN" PROGRAM [ARGS...]
#
# `xvfb-run -a` picks "the first free" display by looking for lock files, so two tests that
# start at the same moment (ctest -j2) can pick the same number and one of them fails with
# "could not connect to display". Here each test first claims a display number atomically
# (mkdir succeeds for one process only), skipping numbers an X server already holds, and
# releases it when the test ends.
set -uo pipefail
screen="$1"
shift
for ((n = 120; n < 400; n++)); do
  [[ -e "/tmp/.X$n-lock" || -e "/tmp/.X11-unix/X$n" ]] && continue
  claim="/tmp/.twinplan-xvfb-$n"
  if mkdir "$claim" 2>/dev/null; then
    trap 'rm -rf "$claim"' EXIT
    xvfb-run -n "$n" -s "$screen" "$@"
    exit $?
  fi
done
echo "with_xvfb.sh: no free X display number between 120 and 399" >&2
exit 1
