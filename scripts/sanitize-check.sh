#!/usr/bin/env bash
# The `sanitize` label: run the importer over the real DICOM corpus in an AddressSanitizer +
# UndefinedBehaviorSanitizer (+ LeakSanitizer) build and fail on any sanitizer report, crash
# (signal), hang (per-call timeout) or unexpected exit status.
#
#   scripts/sanitize-check.sh [DATA_DIR]        (default: ../shared/data next to the repo)
#
# Environment:
#   SANITIZE_BUILD_DIR  build folder of the `sanitize` preset (default build-sanitize)
#   SANITIZE_NO_BUILD=1 use the existing build as it is (do not configure/build)
#   SANITIZE_TIMEOUT    seconds per CLI call before it counts as a hang (default 300)
#   SANITIZE_ALL_FILES=1 also run `info` and `convert` on every single file of the corpus
#                       (default: single files only for the small folders, see below)
#   JOBS                build parallelism (default: nproc)
#
# What runs, for each top folder T of DATA_DIR:
#   twinplan-cli --json info T
#   twinplan-cli convert T --series UID --out tmp.nrrd   for every volume series `info` listed
# and, for every file F of the small folders (malformed/, transfer-syntaxes-mr/, dicomdir/,
# enhanced-multiframe/, seg-dcmqi/, rt-plan-raystation/):
#   twinplan-cli --json info F ; twinplan-cli convert F --out tmp.nrrd
# A call passes when it exits 0 or with one of the CLI's clean error codes (3..8, see
# app/cli/main.cpp; 2 = usage error fails, it means this script is wrong) and printed no
# sanitizer report. `--json` goes before the subcommand: it is a flag of the main program. Internal errors (exit 8) pass but are
# listed, because a user should never see one.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${1:-$here/../shared/data}"
build="${SANITIZE_BUILD_DIR:-$here/build-sanitize}"
timeout_s="${SANITIZE_TIMEOUT:-300}"
jobs="${JOBS:-$(nproc)}"

if [[ ! -d "$data" ]]; then
  echo "sanitize-check: no data folder at $data" >&2
  exit 1
fi
data="$(cd "$data" && pwd)"

if [[ "${SANITIZE_NO_BUILD:-0}" != 1 ]]; then
  echo "sanitize-check: configuring and building twinplan-cli in $build (ASan+UBSan)"
  if [[ "$build" == "$here/build-sanitize" ]]; then
    # Warnings are not errors here: g++ 12 with -fsanitize=address reports false
    # -Wmaybe-uninitialized in <regex>/<functional>; the default build polices warnings.
    (cd "$here" && cmake --preset sanitize -DTWINPLAN_WERROR=OFF >/dev/null) || { echo "sanitize-check: configure failed" >&2; exit 1; }
  else
    cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTWINPLAN_SANITIZE=ON \
      -DTWINPLAN_WERROR=OFF -DTWINPLAN_BUILD_BENCH=OFF >/dev/null || { echo "sanitize-check: configure failed" >&2; exit 1; }
  fi
  nice cmake --build "$build" --target twinplan-cli -j "$jobs" ||
    { echo "sanitize-check: build failed" >&2; exit 1; }
fi
cli="$build/app/twinplan-cli"
[[ -x "$cli" ]] || { echo "sanitize-check: $cli not found" >&2; exit 1; }

# abort_on_error makes ASan die by SIGABRT (a crash the loop sees); leaks are reported at exit.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:symbolize=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:report_error_type=1"
supp="$here/tests/sanitize/lsan.supp"
[[ -f "$supp" ]] && export LSAN_OPTIONS="suppressions=$supp:print_suppressions=0"

work="$(mktemp -d "${TMPDIR:-/tmp}/twinplan-sanitize.XXXXXX")"
trap 'rm -rf "$work"' EXIT
logdir="$build/sanitize-logs"
rm -rf "$logdir"
mkdir -p "$logdir"

calls=0
failures=0
internal=0
declare -a failed_lines=()
declare -a internal_lines=()

# run_cli LABEL ARGS... : runs the CLI under the sanitizers, classifies the result.
run_cli() {
  local label="$1"
  shift
  calls=$((calls + 1))
  local log="$logdir/$(printf '%04d' "$calls").log"
  {
    echo "# $label"
    echo "# twinplan-cli $*"
  } >"$log"
  timeout --kill-after=10 "$timeout_s" "$cli" "$@" >"$work/stdout" 2>>"$log"
  local rc=$?
  local verdict=""
  if grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: (Address|Leak|UndefinedBehavior)Sanitizer" "$log"; then
    verdict="sanitizer report"
  elif ((rc == 124 || rc == 137)); then
    verdict="hang (no exit within ${timeout_s} s)"
  elif ((rc > 128)); then
    verdict="crash (signal $((rc - 128)))"
  elif ((rc == 2)); then
    verdict="usage error (this script's command line)"
  elif ((rc == 1 || rc > 8)); then
    verdict="unexpected exit status $rc"
  fi
  echo "# exit $rc" >>"$log"
  if [[ -n "$verdict" ]]; then
    failures=$((failures + 1))
    failed_lines+=("$verdict: twinplan-cli $* (log: $log)")
    printf '  FAIL %-28s %s\n' "$verdict" "$label"
  else
    if ((rc == 8)); then
      internal=$((internal + 1))
      internal_lines+=("twinplan-cli $*: $(grep -m1 'twinplan-cli:' "$log")")
    fi
    printf '  ok   exit %-3s %s\n' "$rc" "$label"
  fi
  return 0
}

# Prints the SeriesInstanceUIDs of the volume series in an `info --json` document, whatever
# the nesting of the JSON (any object with kind == "volume" and a uid / seriesInstanceUid).
volume_uids() {
  python3 - "$1" <<'EOF'
import json, sys
try:
    doc = json.load(open(sys.argv[1]))
except Exception:
    sys.exit(0)
def walk(node):
    if isinstance(node, dict):
        uid = node.get("seriesInstanceUid", node.get("uid"))
        if node.get("kind") == "volume" and isinstance(uid, str) and uid:
            print(uid)
        for value in node.values():
            walk(value)
    elif isinstance(node, list):
        for value in node:
            walk(value)
walk(doc)
EOF
}

echo "sanitize-check: corpus $data, timeout ${timeout_s} s per call, logs in $logdir"
start=$(date +%s)
for top in "$data"/*/; do
  top="${top%/}"
  name="$(basename "$top")"
  echo "== $name"
  run_cli "info $name" --json info "$top"
  cp "$work/stdout" "$work/info.json"
  while read -r uid; do
    [[ -z "$uid" ]] && continue
    run_cli "convert $name series $uid" convert "$top" --series "$uid" --out "$work/out.nrrd"
    rm -f "$work/out.nrrd"
  done < <(volume_uids "$work/info.json")
done

# Single files: every file (not folders) of the small folders, or of everything on request.
small=(malformed transfer-syntaxes-mr dicomdir enhanced-multiframe seg-dcmqi rt-plan-raystation)
if [[ "${SANITIZE_ALL_FILES:-0}" == 1 ]]; then
  mapfile -t files < <(find "$data" -mindepth 2 -type f | sort)
else
  files=()
  for folder in "${small[@]}"; do
    [[ -d "$data/$folder" ]] && mapfile -t -O "${#files[@]}" files < <(find "$data/$folder" -type f | sort)
  done
fi
echo "== single files (${#files[@]})"
for file in "${files[@]}"; do
  case "$file" in
    *.tsv | *.md | *.txt | *.json | LICENSE* | */LICENSE* | *SHA256SUMS) continue ;;
  esac
  rel="${file#"$data"/}"
  run_cli "info $rel" --json info "$file"
  run_cli "convert $rel" convert "$file" --out "$work/out.nrrd"
  rm -f "$work/out.nrrd"
done

elapsed=$(($(date +%s) - start))
echo
echo "sanitize-check: $calls calls in ${elapsed} s, $failures failed, $internal internal errors"
for line in "${internal_lines[@]}"; do echo "  internal error: $line"; done
for line in "${failed_lines[@]}"; do echo "  FAILED: $line"; done
if ((failures > 0)); then
  echo "sanitize-check: FAIL (see the logs; the first lines of each sanitizer report follow)"
  for line in "${failed_lines[@]}"; do
    log="${line##*(log: }"
    log="${log%)}"
    echo "---- $log"
    grep -m1 -A12 -E "ERROR: |runtime error:" "$log" | head -14
  done
  exit 1
fi
echo "sanitize-check: PASS"
exit 0
