#!/usr/bin/env python3
"""The caching MILP built as a plain PuLP model and solved by HiGHS, side by side with ours.

Reads an instance exported by our example (`CachingInstance::to_json`), merges requests with the
same model and the same set of servers that can deliver it in time (as `CachingInstance` does),
builds the MILP of `formulations/caching.md` (placement binary, block and hit variables
continuous), solves it with HiGHS through PuLP, and compares build + solve time and the optimum
with our exact solver.

    pip install pulp highspy
    python3 benches/caching_pulp.py [--instance target/caching-city.json] [--threads 2]

Without --ours, the script first runs
`cargo run --release --example caching_benchmark -- export INSTANCE THREADS`, which writes the
instance and prints our result as one JSON line.
"""

import argparse
import json
import subprocess
import sys
import time
from collections import defaultdict


def demands(inst):
    """(model, servers) -> weight, for requests some server can deliver in time."""
    blocks = {b["name"]: b["bytes"] for b in inst["library"]["blocks"]}
    model_bytes = [sum(blocks[b] for b in m["blocks"]) for m in inst["library"]["models"]]
    storage = [s["storage_bytes"] for s in inst["servers"]]
    bound = inst["latency_bound_s"]
    groups = defaultdict(float)
    for user, row in zip(inst["users"], inst["probabilities"]):
        for i, p in enumerate(row):
            w = user["weight"] * p
            if w <= 0.0:
                continue
            servers = sorted(
                link["server"]
                for link in user["links"]
                if link["rate_bps"] > 0.0
                and model_bytes[i] <= storage[link["server"]]
                and user["rtt_s"] + 8.0 * model_bytes[i] / link["rate_bps"] <= bound
            )
            if servers:
                groups[(i, tuple(servers))] += w
    return groups


def build(inst, pulp):
    lib = inst["library"]
    block_bytes = {b["name"]: b["bytes"] for b in lib["blocks"]}
    models = lib["models"]
    groups = demands(inst)
    useful = defaultdict(set)
    for (i, servers) in groups:
        for n in servers:
            useful[n].add(i)
    prob = pulp.LpProblem("caching", pulp.LpMaximize)
    x = {
        (n, i): pulp.LpVariable(f"x_{n}_{i}", cat="Binary")
        for n in sorted(useful)
        for i in sorted(useful[n])
    }
    for n in sorted(useful):
        users_of = defaultdict(list)
        for i in sorted(useful[n]):
            for b in models[i]["blocks"]:
                users_of[b].append(i)
        load = []
        capacity = inst["servers"][n]["storage_bytes"]
        for b, using in users_of.items():
            price = block_bytes[b] / capacity
            if len(using) == 1:
                load.append(price * x[(n, using[0])])
            else:
                y = pulp.LpVariable(f"y_{n}_{b}", lowBound=0, upBound=1)
                for i in using:
                    prob += x[(n, i)] <= y
                load.append(price * y)
        prob += pulp.lpSum(load) <= 1
    objective = []
    for d, ((i, servers), w) in enumerate(sorted(groups.items())):
        h = pulp.LpVariable(f"h_{d}", lowBound=0, upBound=1)
        prob += h <= pulp.lpSum(x[(n, i)] for n in servers)
        objective.append(w * h)
    prob += pulp.lpSum(objective)
    return prob, len(groups)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instance", default="target/caching-city.json")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--ours", help="a file with our JSON result line (skips cargo)")
    args = parser.parse_args()
    if args.ours:
        with open(args.ours) as f:
            ours = json.loads(f.read().strip().splitlines()[-1])
    else:
        out = subprocess.run(
            ["cargo", "run", "--release", "--quiet", "--example", "caching_benchmark", "--",
             "export", args.instance, str(args.threads)],
            check=True, capture_output=True, text=True,
        )
        ours = json.loads(out.stdout.strip().splitlines()[-1])
    import pulp

    started = time.perf_counter()
    with open(args.instance) as f:
        inst = json.load(f)
    prob, n_demands = build(inst, pulp)
    built = time.perf_counter()
    solver = pulp.HiGHS(msg=False, threads=args.threads, gapRel=1e-6)
    prob.solve(solver)
    done = time.perf_counter()
    status = pulp.LpStatus[prob.status]
    objective = pulp.value(prob.objective)
    print(f"demands: PuLP {n_demands}, ours {ours['demands']}")
    print(f"PuLP + HiGHS: {status}, optimum {objective:.9f}, build {built - started:.2f} s, "
          f"solve {done - built:.2f} s, total {done - started:.2f} s")
    print(f"mei4llm exact: {ours['status']}, optimum {ours['objective']:.9f} (bound {ours['bound']:.9f}), "
          f"read + build + solve {ours['read_build_solve_s']:.2f} s")
    print(f"same optimum: {abs(objective - ours['objective']) <= 1e-6 * max(1.0, abs(objective))}; "
          f"our time / PuLP time = {ours['read_build_solve_s'] / (done - started):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
