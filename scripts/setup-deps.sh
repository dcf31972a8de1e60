#!/usr/bin/env bash
# Installs exactly the Debian 12 (bookworm) packages that TwinPlan's build, app, tests and
# benchmarks need. Idempotent: packages already present are skipped. Runs as root, or
# through sudo when it is available.
set -euo pipefail

# Build toolchain
build=(build-essential cmake ninja-build ccache pkg-config git)
# Libraries the code links (DESIGN.md section 7)
libs=(
  libdcmtk-dev              # DICOM parse/encode/codecs (BSD)
  libopenjp2-7-dev          # JPEG 2000 decoding, which DCMTK lacks (BSD-2)
  libinsighttoolkit5-dev    # ITK 5.2: NIfTI/NRRD IO, image filters (Apache-2.0)
  libvtk9-dev               # VTK 9.1: vtkImageData views, rendering later (BSD-3)
  libeigen3-dev             # linear algebra (MPL-2.0)
  libtbb-dev                # parallel loops (Apache-2.0)
  nlohmann-json3-dev        # JSON manifests and --json output (MIT)
  libcli11-dev              # command-line parsing (BSD-3)
  libzip-dev                # case file container (BSD-3)
  zlib1g-dev                # gzip of NRRD payloads (zlib)
  qt6-base-dev              # desktop application (LGPL-3)
  libqt6opengl6-dev         # QOpenGLWidget for the Qt <-> VTK bridge
  libopenxr-dev libopenxr-loader1  # OpenXR 1.0.20 headers and the Khronos loader: xr/ (Apache-2.0)
  libssl-dev                # OpenSSL 3: TLS for teaching sessions, teaching/src/socket_tls.cpp (Apache-2.0)
)
# Tests, sanitizers, fuzzing, benchmarks and their peer tools
tests=(
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev  # libFuzzer + ASan/UBSan runtime
  dcm2niix                  # independent reference for import geometry and voxels (BSD)
  plastimatch               # peer for RTSTRUCT rasterisation and SEG reading (io tests, bench; run as a program)
  python3-nibabel           # independent NIfTI reader for the export tests (MIT)
  dcmtk                     # dcmdump etc. for fixtures and debugging
  dicom3tools               # dciodvfy: IOD check of exported RT Structure Set / Plan / Dose (issue #19; BSD, run as a program)
  libgdcm-tools             # GDCM tools: ITK's GDCM config expects them; gdcmconv as a peer
  xvfb xauth                # GUI tests without a display
  libgl1-mesa-dri           # Mesa llvmpipe: OpenGL 4.5 in software for Xvfb
  time                      # /usr/bin/time for peak-memory measurements
  python3-pydicom python3-numpy  # independent DICOM decoding (colour, palette) in io tests
  python3-scipy             # independent surface distances (cKDTree) for the metrics test
  nodejs                    # runs the Khronos glTF validator (scripts/setup-test-tools.sh)
  locales-all               # the locale test (comma decimal separator, de_DE.UTF-8)
  plastimatch               # peer registration (plastimatch register) and transform reader (issue #15)
  python3-dolfinx           # FEniCSx 0.5: the independent Pennes solver of the ablation slow test (LGPL-3, run as a program)
  libopenxr-utils           # hello_xr, the Khronos sample client run against xr/test_runtime (Apache-2.0)
  openssl                   # the openssl command: the TLS tests and latency bench make their certificates (Apache-2.0)
  libxxf86vm-dev            # XFree86-VidMode header for the shim hello_xr needs under Xvfb (tests/xr)
  calculix-ccx              # peer FEM solver: runs the same .inp as `fem solve` in tests and bench (issue #18, GPL, run as a program)
  tetgen                    # peer tetrahedral mesher: bench/tetmesh_bench.cpp times it on the brain surface against `fem mesh` (issue #18, AGPL, run as a program, never linked)
  # plastimatch (above) is also the DVH peer: `plastimatch convert` + `plastimatch dvh` in
  # integration/radiotherapy_dvh_plastimatch_test and bench/dvh_bench.cpp (issue #19).
)

want=("${build[@]}" "${libs[@]}" "${tests[@]}")
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-deps: all ${#want[@]} packages already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup-deps: run as root (missing: ${missing[*]})" >&2; exit 1; }
  SUDO=sudo
fi
echo "setup-deps: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup-deps: done"
