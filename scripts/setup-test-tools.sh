#!/usr/bin/env bash
# Installs the test peers that are not Debian packages into .cache/npm-tools (git-ignored):
# the Khronos glTF validator, which checks the .glb files TwinPlan writes. Pinned version;
# idempotent (skipped when present). Needs nodejs/npm (setup-deps.sh) and the npm registry.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=.cache/npm-tools
validator=gltf-validator@2.0.0-dev.3.10   # Apache-2.0, github.com/KhronosGroup/glTF-Validator
if [ -f "$prefix/node_modules/gltf-validator/package.json" ]; then
  echo "setup-test-tools: $validator already installed"
  exit 0
fi
command -v npm >/dev/null || { echo "setup-test-tools: npm is missing (nodejs package)" >&2; exit 1; }
mkdir -p "$prefix"
npm install --prefix "$prefix" --no-audit --no-fund --no-save "$validator"
echo "setup-test-tools: installed $validator"
