#!/bin/sh
# Multi-probe ablation planning on the full-resolution abdomen phantom (its 30 mm Tumour 2, up to
# 3 probes, 5 mm margin) and the surrogate's update time; prints the load average with them
# (docs/benchmarks.md, "Thermal ablation: planning").  BENCH_TMP=... bench/ablation_plan_bench.sh
set -eu
BUILD=${BUILD:-build}
TMP=${BENCH_TMP:-$(mktemp -d)}
CLI=$BUILD/app/twinplan-cli
[ -f "$TMP/ph/abdomen.twinplan" ] || "$CLI" phantom --out "$TMP/ph" >/dev/null
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s.%N)
"$CLI" --json plan-ablation "$TMP/ph/abdomen.twinplan" --tumour "Tumour 2" --probes 3 \
  >"$TMP/plan.json"
end=$(date +%s.%N)
/usr/bin/python3 - "$TMP/plan.json" "$start" "$end" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
best = r["plans"][0]
print(f"plan-ablation wall {float(sys.argv[3]) - float(sys.argv[2]):.2f} s "
      f"(search {r['search_s']:.2f} s), {r['candidates_scored']} candidates, "
      f"{r['paths_feasible']}/{r['paths_tried']} paths feasible; best: {best['reasons']}")
PY
"$BUILD/bench/twinplan-ablation-surrogate-bench"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
