#!/usr/bin/env bash
# Replay benchmarks: the full Azure LLM conversation trace (2023, 19,366 requests) with 1-second
# epochs through the split problem on scenarios/small.toml and through the caching problem on
# scenarios/caching-city.toml, on 1 and 2 threads, and a trace of more than a million rows
# streamed through the split heuristics for peak memory.
#
#   benches/replay.sh [exact-epochs] [split|caching|all]
#
# exact-epochs (default: all) limits the exact solvers' runs to the first N epochs; the second
# argument picks the problems (default: all). Needs GNU time (`apt-get install time`) for wall
# time, CPU share and peak resident memory. Run it on an otherwise idle machine: the speed-up
# compares wall-clock times.
set -euo pipefail
cd "$(dirname "$0")/.."
exact_epochs=${1:-}
problems=${2:-all}
target=${CARGO_TARGET_DIR:-target}
cargo build --release --bin mei4llm --example replay_scale
bin="$target/release/mei4llm"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
trace=datasets/traces/azure_llm_2023_conv.csv

# Runs solve-trace on the whole trace with 1-second epochs; prints wall time, CPU share, peak
# memory and the summed solve time.
measure() {
    local name=$1
    shift
    /usr/bin/time -v "$bin" solve-trace --trace "$trace" --epoch 1s --quiet \
        --out "$out/$name" "$@" >"$out/$name.stdout" 2>"$out/$name.time"
    local wall cpu rss solve
    wall=$(python3 -c "import json; print(round(json.load(open('$out/$name/timings.json'))['wall_time_s'], 3))")
    solve=$(python3 -c "import json; print(round(sum(s['total_s'] for s in json.load(open('$out/$name/timings.json'))['solvers']), 3))")
    cpu=$(grep 'Percent of CPU' "$out/$name.time" | awk '{print $NF}')
    rss=$(grep 'Maximum resident' "$out/$name.time" | awk '{print $NF}')
    echo "$name: wall ${wall} s, solve time summed ${solve} s, CPU ${cpu}, peak RSS ${rss} kB"
    echo "$wall" >"$out/$name.wall"
}

# The speed-up of 2 threads over 1 and whether both wrote the same files, for each run kind.
compare() {
    for kind in "$@"; do
        python3 -c "print('$kind speed-up 2 vs 1 thread: %.2fx' % ($(cat "$out/$kind-1.wall") / $(cat "$out/$kind-2.wall")))"
        cmp -s "$out/$kind-1/requests.csv" "$out/$kind-2/requests.csv" &&
            cmp -s "$out/$kind-1/summary.json" "$out/$kind-2/summary.json" &&
            echo "$kind: 1 and 2 threads wrote byte-identical requests.csv and summary.json"
    done
}

limit=()
if [ -n "$exact_epochs" ]; then limit=(--max-epochs "$exact_epochs"); fi
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

if [ "$problems" = all ] || [ "$problems" = split ]; then
    split=(--scenario scenarios/small.toml)
    heuristics=descent,greedy,neurosurgeon,device-only,edge-only,cloud-only,random
    measure heuristics-1 "${split[@]}" --solvers "$heuristics" --threads 1
    measure heuristics-2 "${split[@]}" --solvers "$heuristics" --threads 2
    measure exact-1 "${split[@]}" --solvers exact --threads 1 "${limit[@]}"
    measure exact-2 "${split[@]}" --solvers exact --threads 2 "${limit[@]}"
    compare heuristics exact
    echo "scale: $(
        /usr/bin/time -v "$target/release/examples/replay_scale" 52 2 2>"$out/scale.time" | tr '\n' ' '
    )"
    grep -E 'Elapsed|Maximum resident' "$out/scale.time"
fi

if [ "$problems" = all ] || [ "$problems" = caching ]; then
    caching=(--problem caching --scenario scenarios/caching-city.toml)
    heuristics=greedy,trimcaching,sharing-blind,popularity
    measure caching-heuristics-1 "${caching[@]}" --solvers "$heuristics" --threads 1
    measure caching-heuristics-2 "${caching[@]}" --solvers "$heuristics" --threads 2
    measure caching-exact-1 "${caching[@]}" --solvers exact --threads 1 "${limit[@]}"
    measure caching-exact-2 "${caching[@]}" --solvers exact --threads 2 "${limit[@]}"
    compare caching-heuristics caching-exact
    python3 - "$out/caching-exact-2/summary.json" "$out/caching-heuristics-2/summary.json" <<'EOF'
import json, sys
for path in sys.argv[1:]:
    for s in json.load(open(path))["solvers"]:
        e, r = s["epochs"], s["requests"]
        print("%s: %d epochs (%s), hit ratio %.4f, of reachable %.4f" % (
            s["solver"], e["epochs"], ", ".join("%s %d" % kv for kv in e["by_status"].items()),
            r["hit_ratio"], r["hit_ratio_of_reachable"]))
EOF
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
