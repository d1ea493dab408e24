#!/usr/bin/env python3
"""Trains sb3-contrib's MaskablePPO on ``gymnasium.make("mei4llm/Split-v0")`` as it comes —
the bundled default scenario, no keyword — and compares it on held-out episodes with a random
valid action and the greedy action, by regret against the certified optimum of every epoch.

Training uses Stable-Baselines3's own ``make_vec_env`` on the environment id, unchanged (it
passes ``render_mode="rgb_array"``, which the environment accepts), and MaskablePPO reads the
valid actions through the environment's ``action_masks()``, so it never picks an action outside
the mask. Observations and rewards are normalised by ``VecNormalize`` (the observation mixes
seconds, token counts and bit rates). Evaluation plays ``--episodes`` episodes from seeds that
training never used, on an environment that solves every epoch's instance exactly at the
epoch's end (``optimum="exact"``), so that each epoch reports its regret; every epoch's
decision is re-checked with ``mei4llm.evaluate``.

Runs from any folder with the installed wheel:

    pip install sb3-contrib   # with stable-baselines3 and torch
    python maskable_ppo.py [--timesteps 200000] [--episodes 10] [--seed 0] [--json]
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any, Callable

import gymnasium
import numpy as np
import torch
from sb3_contrib import MaskablePPO
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import VecNormalize

import mei4llm  # noqa: F401  (registers the mei4llm/ environment ids)

ENV_ID = "mei4llm/Split-v0"
TRAINING_ENVS = 4
EVALUATION_SEEDS = 1_000_000
"""Held-out episodes start at this seed; training environments are seeded from ``--seed``."""

Policy = Callable[[np.ndarray, np.ndarray], int]


def train(timesteps: int, seed: int) -> tuple[MaskablePPO, VecNormalize]:
    """MaskablePPO trained for ``timesteps`` steps, with the normalisation it learnt on."""
    envs = VecNormalize(make_vec_env(ENV_ID, n_envs=TRAINING_ENVS, seed=seed), gamma=0.99)
    model = MaskablePPO(
        "MlpPolicy",
        envs,
        n_steps=512,
        batch_size=256,
        ent_coef=0.01,
        seed=seed,
        device="cpu",
        verbose=0,
    )
    model.learn(total_timesteps=timesteps)
    envs.training = False
    envs.norm_reward = False
    return model, envs


def play(env: gymnasium.Env, seed: int, policy: Policy) -> list[dict[str, Any]]:
    """The epoch reports of one episode of ``policy``, each decision re-checked."""
    observation, _ = env.reset(seed=seed)
    reports = []
    while True:
        action = policy(observation, env.action_masks())
        observation, _, terminated, truncated, info = env.step(action)
        if "objective" in info:
            check = mei4llm.evaluate(info["instance"], info["decision"])
            assert check["feasible"], check
            assert abs(check["objective"] - info["objective"]) <= 1e-9 * info["objective"]
            assert info["optimum_status"] == "optimal", info["optimum_status"]
            reports.append(info)
        if terminated or truncated:
            return reports


def summarise(reports: list[dict[str, Any]]) -> dict[str, float]:
    """Mean objective and regret per epoch, and the regret as a share of the optimum."""
    return {
        "epoch_objective_s": float(np.mean([r["objective"] for r in reports])),
        "epoch_regret_s": float(np.mean([r["regret"] for r in reports])),
        "regret_percent": 100.0
        * sum(r["regret"] for r in reports)
        / sum(r["optimum"] for r in reports),
        "epochs": len(reports),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timesteps", type=int, default=200_000, help="training steps")
    parser.add_argument("--episodes", type=int, default=10, help="held-out evaluation episodes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.timesteps < 1 or args.episodes < 1:
        parser.error("--timesteps and --episodes must be at least 1")
    torch.set_num_threads(1)  # reproducible, and enough for a small MLP

    start = time.perf_counter()
    model, normaliser = train(args.timesteps, args.seed)
    training_s = time.perf_counter() - start

    rng = np.random.default_rng(args.seed)
    policies: dict[str, Policy] = {
        "maskable-ppo": lambda o, m: int(
            model.predict(
                normaliser.normalize_obs(o[None, :]), action_masks=m[None, :], deterministic=True
            )[0][0]
        ),
        "random": lambda o, m: int(rng.choice(np.flatnonzero(m))),
        "greedy": lambda o, m: int(np.flatnonzero(m)[np.argmin(o[np.flatnonzero(m)])]),
    }
    env = gymnasium.make(ENV_ID, optimum="exact")
    seeds = range(EVALUATION_SEEDS, EVALUATION_SEEDS + args.episodes)
    rows = {
        name: summarise([r for s in seeds for r in play(env, s, policy)])
        for name, policy in policies.items()
    }
    summary = {
        "env": ENV_ID,
        "timesteps": args.timesteps,
        "seed": args.seed,
        "episodes": args.episodes,
        "training_s": training_s,
        "policies": rows,
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return
    print(
        f"MaskablePPO trained on {ENV_ID} for {args.timesteps} steps in {training_s:.0f} s; "
        f"{args.episodes} held-out episodes, {rows['greedy']['epochs']} epochs, every optimum "
        "certified"
    )
    print(f"{'policy':<14}{'epoch objective [s]':>21}{'regret/epoch [s]':>18}{'regret %':>10}")
    for name, r in rows.items():
        print(
            f"{name:<14}{r['epoch_objective_s']:>21.3f}{r['epoch_regret_s']:>18.3f}"
            f"{r['regret_percent']:>10.2f}"
        )


if __name__ == "__main__":
    main()
