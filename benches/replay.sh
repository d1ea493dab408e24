#!/usr/bin/env bash
# Replay benchmarks: the full Azure LLM conversation trace (2023, 19,366 requests) through the
# split problem with 1-second epochs on scenarios/small.toml, and a trace of more than a million
# rows streamed through the heuristics for peak memory.
#
#   benches/replay.sh [exact-epochs]
#
# exact-epochs (default: all) limits the exact solver's runs to the first N epochs. Needs GNU
# time (`apt-get install time`) for wall time, CPU share and peak resident memory. Run it on an
# otherwise idle machine: the speed-up compares wall-clock times.
set -euo pipefail
cd "$(dirname "$0")/.."
exact_epochs=${1:-}
target=${CARGO_TARGET_DIR:-target}
cargo build --release --bin mei4llm --example replay_scale
bin="$target/release/mei4llm"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
heuristics=descent,greedy,neurosurgeon,device-only,edge-only,cloud-only,random

# Runs solve-trace; prints wall time, CPU share, peak memory and the summed solve time.
measure() {
    local name=$1
    shift
    /usr/bin/time -v "$bin" solve-trace --scenario scenarios/small.toml --epoch 1s --quiet \
        --out "$out/$name" "$@" >"$out/$name.stdout" 2>"$out/$name.time"
    local wall cpu rss solve
    wall=$(python3 -c "import json; print(round(json.load(open('$out/$name/timings.json'))['wall_time_s'], 3))")
    solve=$(python3 -c "import json; print(round(sum(s['total_s'] for s in json.load(open('$out/$name/timings.json'))['solvers']), 3))")
    cpu=$(grep 'Percent of CPU' "$out/$name.time" | awk '{print $NF}')
    rss=$(grep 'Maximum resident' "$out/$name.time" | awk '{print $NF}')
    echo "$name: wall ${wall} s, solve time summed ${solve} s, CPU ${cpu}, peak RSS ${rss} kB"
    echo "$wall" >"$out/$name.wall"
}

limit=()
if [ -n "$exact_epochs" ]; then limit=(--max-epochs "$exact_epochs"); fi
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
measure heuristics-1 --solvers "$heuristics" --threads 1
measure heuristics-2 --solvers "$heuristics" --threads 2
measure exact-1 --solvers exact --threads 1 "${limit[@]}"
measure exact-2 --solvers exact --threads 2 "${limit[@]}"
for kind in heuristics exact; do
    python3 -c "print('$kind speed-up 2 vs 1 thread: %.2fx' % ($(cat "$out/$kind-1.wall") / $(cat "$out/$kind-2.wall")))"
done
for kind in heuristics exact; do
    cmp -s "$out/$kind-1/requests.csv" "$out/$kind-2/requests.csv" &&
        cmp -s "$out/$kind-1/summary.json" "$out/$kind-2/summary.json" &&
        echo "$kind: 1 and 2 threads wrote byte-identical requests.csv and summary.json"
done
echo "scale: $(
    /usr/bin/time -v "$target/release/examples/replay_scale" 52 2 2>"$out/scale.time" | tr '\n' ' '
)"
grep -E 'Elapsed|Maximum resident' "$out/scale.time"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
