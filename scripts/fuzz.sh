#!/usr/bin/env bash
# Fuzz the DICOM parsing entry points (tests/fuzz/dicom_parse_fuzz.cpp) with libFuzzer.
#
#   scripts/fuzz.sh [SECONDS]          (default 300)
#
# Builds the `fuzz` preset (clang, build-fuzz/) unless FUZZ_BIN names a built fuzzer, makes a
# seed corpus from the real DICOM files of ../shared/data (copied to a temp folder, never
# into the repository) and runs for SECONDS. Exits 1 when libFuzzer found a crash, leak,
# timeout or out-of-memory input; the input is saved under $FUZZ_WORK/artifacts/.
#
# Environment:
#   FUZZ_BIN     the fuzzer binary (skips the build), e.g. build-fuzz/tests/fuzz/dicom_parse_fuzz
#   FUZZ_DATA    the corpus folder (default ../shared/data next to the repo)
#   FUZZ_WORK    where the corpus and artifacts live (default: a new temp folder, removed at
#                exit unless something was found); set it to keep a corpus between runs
#   FUZZ_JOBS    parallel fuzzing processes (default 1)
#   FUZZ_KEEP_GOING=1  long campaigns: libFuzzer's fork mode, which records every crash, leak,
#                timeout and out-of-memory input and goes on fuzzing instead of stopping at
#                the first one (the script still exits 1 when anything was found)
#   FUZZ_ARGS    extra libFuzzer flags
#   JOBS         build parallelism (default nproc)
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-300}"
data="${FUZZ_DATA:-$here/../shared/data}"
jobs="${JOBS:-$(nproc)}"
fuzz_jobs="${FUZZ_JOBS:-1}"

bin="${FUZZ_BIN:-}"
if [[ -z "$bin" ]]; then
  echo "fuzz: configuring the fuzz preset and building dicom_parse_fuzz (clang, libFuzzer)"
  (cd "$here" && cmake --preset fuzz >/dev/null) || { echo "fuzz: configure failed" >&2; exit 1; }
  nice cmake --build "$here/build-fuzz" --target dicom_parse_fuzz -j "$jobs" ||
    { echo "fuzz: build failed" >&2; exit 1; }
  bin="$here/build-fuzz/tests/fuzz/dicom_parse_fuzz"
fi
[[ -x "$bin" ]] || { echo "fuzz: no fuzzer at $bin" >&2; exit 1; }
bin="$(realpath "$bin")"

keep_work=1
work="${FUZZ_WORK:-}"
if [[ -z "$work" ]]; then
  work="$(mktemp -d "${TMPDIR:-/tmp}/twinplan-fuzz.XXXXXX")"
  keep_work=0
fi
mkdir -p "$work/corpus" "$work/seeds" "$work/artifacts"

# Seeds: every DICOM-looking file of the corpus (files > 64 KiB are cut to -max_len by libFuzzer,
# which keeps their headers and the start of the pixel data).
if [[ -d "$data" ]]; then
  n=0
  while IFS= read -r -d '' f; do
    case "$f" in *.tsv | *.md | *.txt | *.json | *.nii | *.nii.gz | *.nrrd | *LICENSE* | *SHA256SUMS) continue ;; esac
    n=$((n + 1))
    cp "$f" "$work/seeds/$(printf '%04d' "$n")_$(basename "$f")"
  done < <(find "$data" -type f -print0 | sort -z)
  echo "fuzz: $n seed files from $data"
else
  echo "fuzz: no corpus at $data; starting from an empty corpus" >&2
fi

dict=()
[[ -f "$here/tests/fuzz/dicom.dict" ]] && dict=(-dict="$here/tests/fuzz/dicom.dict")

# Leaks inside DCMTK after it throws are known and not ours (tests/fuzz/lsan.supp).
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$here/tests/fuzz/lsan.supp:print_suppressions=0}"
parallel=()
if [[ "${FUZZ_KEEP_GOING:-0}" == 1 ]]; then
  parallel=(-fork="$fuzz_jobs" -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1)
elif ((fuzz_jobs > 1)); then
  parallel=(-jobs="$fuzz_jobs" -workers="$fuzz_jobs")
fi
echo "fuzz: running for ${seconds} s ($fuzz_jobs process(es)); work folder $work"
log="$work/fuzz.log"
# The first folder receives the new interesting inputs; the seeds are only read.
# With -jobs, libFuzzer writes each process's log to fuzz-N.log in the current folder.
(cd "$work" && nice -n 10 "$bin" "$work/corpus" "$work/seeds" "${dict[@]}" \
  -max_len=65536 -rss_limit_mb=2048 -timeout=30 -max_total_time="$seconds" \
  -artifact_prefix="$work/artifacts/" -print_final_stats=1 "${parallel[@]}" ${FUZZ_ARGS:-}) \
  >"$log" 2>&1
rc=$?
grep -hE "INITED|DONE|ERROR|SUMMARY|Test unit written|deadly signal|stat::|^#[0-9]+: cov|INFO: exiting|crash-|leak-|oom-|timeout-" "$work"/fuzz*.log | tail -n 60

found=$(find "$work/artifacts" -type f | wc -l)
corpus=$(find "$work/corpus" -type f | wc -l)
# Per log, the last count (libFuzzer prints its stats again when it dies on a finding).
execs=0
for f in "$work"/fuzz*.log; do
  n=$(grep -h "stat::number_of_executed_units" "$f" | tail -n 1 | awk '{print $2 + 0}')
  execs=$((execs + ${n:-0}))
done
# Fork mode prints "#EXECS: cov: ..." lines instead of final stats.
if [[ "${FUZZ_KEEP_GOING:-0}" == 1 ]]; then
  execs=$(grep -hoE "^#[0-9]+: cov" "$log" | tail -n 1 | tr -dc '0-9')
  execs=${execs:-0}
fi
echo "fuzz: exit $rc, ${execs} executions in ${seconds} s, corpus ${corpus} inputs, ${found} finding(s)"
if ((found > 0 || rc != 0)); then
  ls -l "$work/artifacts"
  echo "fuzz: FAIL (libFuzzer exit $rc); log $log; reproduce with: $bin <artifact>"
  exit 1
fi
((keep_work == 0)) && rm -rf "$work"
echo "fuzz: PASS"
exit 0
