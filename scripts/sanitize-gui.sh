#!/usr/bin/env bash
# The GUI tests in the AddressSanitizer + UndefinedBehaviorSanitizer build (`make sanitize`):
# a real window under Xvfb with the views' GL contexts, deferred paints, undo commands and
# background threads. Fails on any sanitizer report or failing test.
#
#   scripts/sanitize-gui.sh
#
# Leak checking is off here: Mesa and the X libraries keep allocations until exit by design,
# and the leak check of our own code is done by scripts/sanitize-check.sh (no GL there).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${SANITIZE_BUILD_DIR:-$here/build-sanitize}"
cd "$here"
cmake --preset sanitize -DTWINPLAN_WERROR=OFF >/dev/null
tests=$(cd tests/gui && ls *_test.cpp | sed 's/\.cpp$//; s/^/gui_/')
# shellcheck disable=SC2086
nice cmake --build "$build" --target $tests -j "${JOBS:-$(nproc)}"
failed=0
for t in $tests; do
  log="$build/$t.sanitize.log"
  if ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    QT_QPA_PLATFORM=xcb LIBGL_ALWAYS_SOFTWARE=1 \
    timeout 900 xvfb-run -a -s "-screen 0 1920x1200x24" "$build/tests/gui/$t" >"$log" 2>&1 &&
    ! grep -qE "ERROR: AddressSanitizer|runtime error:" "$log"; then
    echo "sanitize-gui: $t passed"
  else
    echo "sanitize-gui: $t FAILED (see $log)"
    failed=1
  fi
done
exit $failed
