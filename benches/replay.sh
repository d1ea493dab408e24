#!/usr/bin/env bash
# Replay benchmarks: the full Azure LLM conversation trace (2023, 19,366 requests) with 1-second
# epochs through the split problem on scenarios/small.toml and through the caching problem on
# scenarios/caching-city.toml, on 1 and 2 threads; every caching solver once more with
# 60-second epochs, where storage binds and the solvers differ; a trace of more than a
# million rows streamed through the split heuristics for peak memory; and the batching problem
# on scenarios/batching-edge.toml (4 edge GPUs, epochs of the section's 200 requests): the
# heuristics over the whole trace on 1 and 2 threads, and every solver, exact included, side by
# side for the admitted share and the gap to the certified optimum.
#
#   benches/replay.sh [exact-epochs] [split|caching|batching|all]
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

# Runs solve-trace on the whole trace; prints wall time, CPU share, peak memory and the summed
# solve time.
measure() {
    local name=$1
    shift
    /usr/bin/time -v "$bin" solve-trace --trace "$trace" --quiet \
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
    split=(--scenario scenarios/small.toml --epoch 1s)
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
    caching_1s=("${caching[@]}" --epoch 1s)
    heuristics=greedy,trimcaching,sharing-blind,popularity
    measure caching-heuristics-1 "${caching_1s[@]}" --solvers "$heuristics" --threads 1
    measure caching-heuristics-2 "${caching_1s[@]}" --solvers "$heuristics" --threads 2
    measure caching-exact-1 "${caching_1s[@]}" --solvers exact --threads 1 "${limit[@]}"
    measure caching-exact-2 "${caching_1s[@]}" --solvers exact --threads 2 "${limit[@]}"
    compare caching-heuristics caching-exact
    measure caching-60s-2 "${caching[@]}" --epoch 60s --threads 2
    for run in caching-exact-2 caching-heuristics-2 caching-60s-2; do
        python3 - "$run" "$out/$run/summary.json" "$out/$run/timings.json" <<'EOF'
import json, sys
run, summary, timings = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
for s, t in zip(summary["solvers"], timings["solvers"]):
    e, r, gap = s["epochs"], s["requests"], s["epochs"]["gap_to_exact"]
    print("%s %s: %d epochs (%s), hit ratio %.4f, of reachable %.4f, gap to exact %s, solve time p50 %.3g s, p99 %.3g s" % (
        run, s["solver"], e["epochs"], ", ".join("%s %d" % kv for kv in e["by_status"].items()),
        r["hit_ratio"], r["hit_ratio_of_reachable"],
        "mean %.4f max %.4f" % (gap["mean"], gap["max"]) if gap["count"] else "-",
        t["solve_time_s"]["p50"], t["solve_time_s"]["p99"]))
EOF
    done
fi
if [ "$problems" = all ] || [ "$problems" = batching ]; then
    batching=(--problem batching --scenario scenarios/batching-edge.toml)
    heuristics=assignment,density,fcfs,spf
    measure batching-heuristics-1 "${batching[@]}" --solvers "$heuristics" --threads 1
    measure batching-heuristics-2 "${batching[@]}" --solvers "$heuristics" --threads 2
    compare batching-heuristics
    measure batching-all-2 "${batching[@]}" --threads 2 "${limit[@]}"
    for run in batching-heuristics-2 batching-all-2; do
        python3 - "$run" "$out/$run/summary.json" "$out/$run/timings.json" <<'EOF'
import json, sys
run, summary, timings = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
for s, t in zip(summary["solvers"], timings["solvers"]):
    e, r, gap = s["epochs"], s["requests"], s["epochs"]["gap_to_exact"]
    print("%s %s: %d epochs (%s), admitted %.4f, of servable %.4f, worst epoch %.4f, gap to exact %s, solve time mean %.3g s, p50 %.3g s, p99 %.3g s" % (
        run, s["solver"], e["epochs"], ", ".join("%s %d" % kv for kv in e["by_status"].items()),
        r["admitted_share"], r["admitted_share_of_servable"], r["epoch_admitted_share"]["min"],
        "mean %.4f max %.4f" % (gap["mean"], gap["max"]) if gap["count"] else "-",
        t["total_s"] / max(e["epochs"], 1), t["solve_time_s"]["p50"], t["solve_time_s"]["p99"]))
EOF
    done
fi

echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
