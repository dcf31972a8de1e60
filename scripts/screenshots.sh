#!/usr/bin/env bash
# Regenerates the screenshots in docs/screenshots from the phantoms (needs a build).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$build/app/twinplan-cli" phantom --kind abdomen --out "$out/abdomen" >/dev/null
"$build/app/twinplan-cli" phantom --kind head --out "$out/head" >/dev/null
shot() { xvfb-run -a -s "-screen 0 1920x1200x24" "$build/app/twinplan" "$@" 2>/dev/null; }
shot --case "$out/abdomen/abdomen.twinplan" --import "$out/abdomen/dicom" --layout 4up \
  --size 1600x950 --screenshot docs/screenshots/abdomen-4up.png
shot --case "$out/head/head.twinplan" --layout 1+3 --size 1600x950 \
  --screenshot docs/screenshots/head-1plus3.png
echo "wrote docs/screenshots/abdomen-4up.png and head-1plus3.png"
