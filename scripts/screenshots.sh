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
# The trial fixes (issue #15 item 6) as a surgeon sees them: 1+3, dark theme, a ruler across
# the brain on the axial slice through the centre (S 1.0 mm is I 1.0 mm: z = -1 mm).
/usr/bin/python3 - "$out/head/head.twinplan" "$out/head/head-ruler.twinplan" <<'PY'
import json, sys, zipfile
source, target = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
    for item in zin.infolist():
        data = zin.read(item.filename)
        if item.filename == "manifest.json":
            manifest = json.loads(data)
            manifest["measurements"].append({"kind": "ruler", "name": "Ruler 1",
                                             "points_lps": [[-62.0, -20.0, -1.0], [58.0, -20.0, -1.0]],
                                             "volumeName": "CT"})
            data = json.dumps(manifest, indent=1).encode()
        zout.writestr(item, data)
PY
shot --case "$out/head/head-ruler.twinplan" --layout 1+3 --size 1600x950 \
  --screenshot docs/screenshots/head-1plus3-ruler.png
echo "wrote docs/screenshots/abdomen-4up.png, head-1plus3.png and head-1plus3-ruler.png"
