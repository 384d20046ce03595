#!/usr/bin/env bash
# Builds arbor_bench and arbord (Release, ARBOR_BUILD_BENCH=ON), runs every method in its own
# process and writes docs/benchmarks.md with the plot docs/benchmarks-recall-qps.png. The method
# arbord starts a real arbord on 127.0.0.1 with a temporary data directory and searches it
# through the C++ client. That process stops the server and removes the directory when done.
#
# Usage: tests/bench/run_benchmarks.sh [--quick] [arbor_bench flags...]
#   --quick  smoke-test sizes (under a minute) and one round; the report goes to
#            $build/bench-quick/ instead of docs/, so a smoke test never replaces the published
#            numbers.
# Every method runs once per round, the rounds one after the other, so that a burst of load from
# other processes hits one round of a method rather than all of it. The report keeps the best
# figure over the rounds. ARBOR_BENCH_ROUNDS sets the number of rounds (default 2).
#   Any further flags are passed to every arbor_bench process (see arbor_bench --help).
# Needs the packages of deploy/install-deps.sh. The build tree is $ARBOR_BENCH_BUILD_DIR
# (default build-bench/), which also keeps the ground-truth cache and the raw results.
# ARBOR_BENCH_PYTHON overrides the interpreter of the report (default /usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/../.."

quick=0
if [ "${1:-}" = "--quick" ]; then
  quick=1
  shift
fi
build=${ARBOR_BENCH_BUILD_DIR:-build-bench}
# Debian's interpreter, which has python3-matplotlib; a python3 earlier in PATH may not.
python=${ARBOR_BENCH_PYTHON:-/usr/bin/python3}
command_line="tests/bench/run_benchmarks.sh"
if [ $quick = 1 ]; then
  command_line+=" --quick"
fi
if [ $# -gt 0 ]; then
  command_line+=" $*"
fi

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DARBOR_BUILD_BENCH=ON >/dev/null
if ! grep -q 'arbor_bench' "$build/build.ninja"; then
  echo "run_benchmarks: the build has no arbor_bench target; tests/CMakeLists.txt must" \
    "contain add_subdirectory(bench)." >&2
  exit 1
fi
cmake --build "$build" -j2 --target arbor_bench
bench="$build/tests/bench/arbor_bench"

if [ $quick = 1 ]; then
  out_dir="$build/bench-quick"
  markdown="$out_dir/benchmarks.md"
  plot="$out_dir/benchmarks-recall-qps.png"
  flags=(--quick)
  rounds=${ARBOR_BENCH_ROUNDS:-1}
else
  out_dir="$build/bench-results"
  markdown="docs/benchmarks.md"
  plot="docs/benchmarks-recall-qps.png"
  flags=()
  rounds=${ARBOR_BENCH_ROUNDS:-2}
fi
mkdir -p "$out_dir"
results="$out_dir/results.jsonl"
log="$out_dir/arbor_bench.log"
: >"$results"
: >"$log"

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date +%s)

# faiss prints a warning for every per-tenant IVF trained on fewer than 39 points per list;
# those lines go to the log only.
run_method() {
  echo "run_benchmarks: round $1 of $rounds, --method $2" >&2
  "$bench" --method "$2" --round "$1" --out "$results" --cache-dir "$build/bench-cache" \
    "${flags[@]}" "${bench_args[@]}" 2>&1 | tee -a "$log" |
    grep --line-buffered -v '^WARNING clustering' >&2
}
bench_args=("$@")
run_method 1 groundtruth
for round in $(seq 1 "$rounds"); do
  for method in arbor arbord faiss-ivf-shared faiss-ivf-tenant hnsw-tenant; do
    run_method "$round" "$method"
  done
done
# Bloom filters against exact node sets (docs section "Pruning structure"). It reports CPU time
# as the fastest of --repeats passes inside the process, so one round is enough.
run_method 1 pruning

package_versions=$(dpkg-query -W -f='${Package} ${Version}, ' libfaiss-dev libhnswlib-dev \
  libabsl-dev dataset-fashion-mnist g++ 2>/dev/null | sed 's/, $//')
export BENCH_COMMAND="$command_line"
export BENCH_DATE="$(date -u '+%Y-%m-%d %H:%M UTC') ($(( $(date +%s) - started )) s of benchmark runs)"
# Read-only git commands: files changed or not yet added both count as uncommitted changes.
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if ! git diff --quiet HEAD 2>/dev/null || [ -n "$(git ls-files --others --exclude-standard 2>/dev/null)" ]; then
  commit+=" with uncommitted changes"
fi
export BENCH_COMMIT="$commit"
export BENCH_CPU="$(lscpu | sed -n 's/^Model name: *//p' | head -n1)"
export BENCH_CORES="$(nproc)"
export BENCH_MEMORY="$(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
export BENCH_LOAD_START="$load_start"
export BENCH_LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"
export BENCH_PACKAGES="$package_versions"
export BENCH_ROUNDS="$rounds"
"$python" - "$out_dir/environment.json" <<'EOF'
import json, os, sys
keys = ["command", "date", "commit", "cpu", "cores", "memory", "load_start", "load_end", "packages",
        "rounds"]
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump({key: os.environ["BENCH_" + key.upper()] for key in keys}, out, indent=1)
EOF

"$python" tests/bench/make_report.py --results "$results" --environment "$out_dir/environment.json" \
  --markdown "$markdown" --plot "$plot" --plot-link "$(basename "$plot")" \
  --notes tests/bench/report_notes.md
echo "run_benchmarks: wrote $markdown and $plot (raw results in $results)" >&2
