#!/usr/bin/env bash
# Headset frame time (issue #20 item 9): twinplan-xr-render on the headless test runtime for
# the sample case (head phantom: brain, ventricles, tumour models) and a one-million-triangle
# sphere, both eyes per frame, opaque. Target: 11.1 ms per stereo frame (90 Hz) on a GPU.
# Usage: bench/xr_render_bench.sh [BUILD_DIR] [FRAMES]   (results: docs/benchmarks.md)
# Software GL (Mesa llvmpipe) by default; XR_BENCH_GPU=1 keeps the system's GL (NVIDIA's GLX
# under Xvfb: __GLX_VENDOR_LIBRARY_NAME=nvidia).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "${1:-$here/../build}" && pwd)"
frames="${2:-40}"
work="${BENCH_TMP:-$(mktemp -d)}"
mkdir -p "$work"
[[ "${XR_BENCH_GPU:-0}" == 1 ]] || export LIBGL_ALWAYS_SOFTWARE=1
export XR_RUNTIME_JSON="$build/xr_test_runtime.json"
"$build/app/twinplan-cli" phantom --kind head --out "$work/head" >/dev/null
"$build/bench/twinplan-xr-scene-case" "$work/sphere1m.twinplan" 1000000 >/dev/null
for scene in head/head sphere1m; do
  name="$(basename "$scene")"
  "$here/../tests/gui/with_xvfb.sh" "-screen 0 1280x1024x24" "$build/app/twinplan-xr-render" \
    "$work/$scene.twinplan" --frames "$frames" --out "$work/out-$name" --json >"$work/$name.json"
  /usr/bin/python3 - "$work/$name.json" "$name" <<'PY'
import json, statistics, sys
r = json.load(open(sys.argv[1]))
t = r["frameTimes_ms"][5:]  # the first frames build VTK's buffers and shaders
e = r["eyeRenderTimes_ms"][5:]
print(f'{sys.argv[2]}: {r["glRenderer"]}, {r["eyeSize_px"][0]}x{r["eyeSize_px"][1]} per eye, '
      f'{len(t)} frames: median {statistics.median(t):.1f} ms per stereo frame '
      f'(both eyes drawn: {statistics.median(e):.1f} ms), min {min(t):.1f}, max {max(t):.1f}; '
      f'{11.1 / statistics.median(t):.2f}x the 90 Hz budget')
PY
done
