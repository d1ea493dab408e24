#!/usr/bin/env bash
# Continuous-batching figures: the Azure LLM conversation trace (2023) and the Mooncake
# conversation trace served by an L4 and an A100 PCIe 80GB (scenarios/batching-serve.toml),
# every policy side by side: TTFT/TPOT p50/p99 and SLO goodput per policy.
#
#   benches/serve.sh [out-dir]
#
# Azure: the first 400 requests at 4x the recorded pace (about 14 requests/s, a load under which
# the two servers cannot serve everyone); Mooncake: the first 200 requests at the recorded pace
# (prompts of several thousand tokens). The arrival speed-ups are experiment knobs. Tables go to
# stdout, CSV files and plots to out-dir/azure and out-dir/mooncake (default: runs/serve).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/serve}
target=${CARGO_TARGET_DIR:-target}
cargo build --release --bin mei4llm
bin="$target/release/mei4llm"
policies=exact,assignment,density,fcfs,spf,vllm

"$bin" serve --scenario scenarios/batching-serve.toml \
    --trace datasets/traces/azure_llm_2023_conv.csv --requests 400 --arrival-speedup 4 \
    --policies "$policies" --time-limit 10s --out "$out/azure"
echo
"$bin" serve --scenario scenarios/batching-serve.toml \
    --trace datasets/traces/mooncake_conversation_trace.jsonl --requests 200 --arrival-speedup 1 \
    --policies "$policies" --time-limit 10s --out "$out/mooncake"
