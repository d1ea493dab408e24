#!/usr/bin/env python3
"""Trains a Stable-Baselines3 PPO agent on ``mei4llm/Split-v0`` and compares it on held-out
episodes with random, greedy and exact planning, by mean episode reward and regret against the
certified optimum of every epoch.

Training runs PPO (``MlpPolicy``, CPU, one torch thread) on 8 copies of the environment
without a reference solver (``optimum="none"``), observations and rewards normalised by
``VecNormalize`` (the observation mixes seconds, token counts and bit rates). Stable-Baselines3's
defaults apply except: 256 steps per environment and update (8 × 256 = its default 2048 per
update), minibatches of 256 and an entropy bonus of 0.01 against an early collapse onto one
of the 129 actions. Evaluation plays ``--episodes``
episodes from seeds that training never used, with the certified exact solver at every epoch
end (``optimum="exact"``), for four policies:

- ``ppo``: the trained agent, deterministic (it sees no mask: an action outside the mask is
  replaced by the environment, and the share of such actions is reported);
- ``random``: a uniformly random valid action;
- ``greedy``: the valid action of least marginal cost (the first components of the
  observation);
- ``exact``: ``mei4llm.solve(instance, solver="exact")`` on each epoch's instance (regret 0 by
  construction; its objective is shown).

Every epoch's decision is judged by ``mei4llm.evaluate`` on the epoch's instance, and must
give the objective the environment reported (the sum of the epoch's rewards). Regret per epoch
is ``objective − optimum`` in seconds of end-to-end latency (summed over the epoch's requests).

    pip install stable-baselines3   # with torch
    python examples/ppo_split.py [--timesteps 400000] [--episodes 20] [--seed 0] [--json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any, Callable

import gymnasium
import numpy as np
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import VecNormalize

import mei4llm

ROOT = Path(__file__).resolve().parents[1]
EVALUATION_SEEDS = 1_000_000
"""Held-out episodes start at this seed; training envs are seeded from ``--seed`` upwards."""
TRAINING_ENVS = 8

Policy = Callable[[np.ndarray, np.ndarray], int]


def train(scenario: str, timesteps: int, seed: int) -> tuple[PPO, VecNormalize]:
    """PPO trained for ``timesteps`` steps, with the observation normalisation it learnt on."""
    envs = make_vec_env(
        lambda: gymnasium.make("mei4llm/Split-v0", scenario=scenario, optimum="none"),
        n_envs=TRAINING_ENVS,
        seed=seed,
    )
    envs = VecNormalize(envs, norm_obs=True, norm_reward=True, gamma=0.99)
    model = PPO(
        "MlpPolicy",
        envs,
        n_steps=256,
        batch_size=256,
        learning_rate=3e-4,
        gamma=0.99,
        ent_coef=0.01,
        seed=seed,
        device="cpu",
        verbose=0,
    )
    model.learn(total_timesteps=timesteps)
    envs.training = False
    envs.norm_reward = False
    return model, envs


def play(env: gymnasium.Env, seed: int, policy: Policy) -> dict[str, Any]:
    """One episode of ``policy``: its reward, invalid actions and epoch reports, each report
    checked with ``mei4llm.evaluate``."""
    observation, info = env.reset(seed=seed)
    reward, steps, invalid, epochs, epoch_rewards = 0.0, 0, 0, [], 0.0
    while True:
        action = policy(observation, info["action_mask"])
        observation, r, terminated, truncated, info = env.step(action)
        reward += r
        epoch_rewards += r
        steps += 1
        invalid += bool(info.get("invalid_action", False))
        if "objective" in info:
            check = mei4llm.evaluate(info["instance"], info["decision"])
            assert check["feasible"], check
            assert abs(check["objective"] - info["objective"]) <= 1e-9 * info["objective"]
            assert abs(epoch_rewards + info["objective"]) <= 1e-9 * info["objective"]
            epochs.append(info)
            epoch_rewards = 0.0
        if terminated or truncated:
            return {"reward": reward, "steps": steps, "invalid": invalid, "epochs": epochs}


def exact_episode(episode: dict[str, Any]) -> dict[str, Any]:
    """The exact solver on the epochs of a played episode (the instances do not depend on the
    actions), judged by ``evaluate``."""
    objectives = []
    for report in episode["epochs"]:
        outcome = mei4llm.solve(report["instance"], solver="exact", time_limit_s=60.0)
        assert outcome.status == "optimal", outcome.reason
        check = mei4llm.evaluate(report["instance"], outcome.decision)
        assert check["feasible"]
        objectives.append(check["objective"])
    return {"reward": -sum(objectives), "objectives": objectives}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "small.toml"))
    parser.add_argument("--timesteps", type=int, default=400_000, help="PPO training steps")
    parser.add_argument("--episodes", type=int, default=20, help="held-out evaluation episodes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.timesteps < 1 or args.episodes < 1:
        parser.error("--timesteps and --episodes must be at least 1")
    torch.set_num_threads(1)  # reproducible, and enough for a small MLP

    start = time.perf_counter()
    model, normaliser = train(args.scenario, args.timesteps, args.seed)
    training_s = time.perf_counter() - start

    rng = np.random.default_rng(args.seed)
    policies: dict[str, Policy] = {
        "ppo": lambda o, m: int(
            model.predict(normaliser.normalize_obs(o[None, :]), deterministic=True)[0][0]
        ),
        "random": lambda o, m: int(rng.choice(np.flatnonzero(m))),
        "greedy": lambda o, m: int(np.flatnonzero(m)[np.argmin(o[np.flatnonzero(m)])]),
    }
    env = gymnasium.make("mei4llm/Split-v0", scenario=args.scenario, optimum="exact")
    seeds = range(EVALUATION_SEEDS, EVALUATION_SEEDS + args.episodes)
    played = {name: [play(env, s, policy) for s in seeds] for name, policy in policies.items()}
    # The instances, hence the optima, are the same for every policy.
    reports = {name: [r for e in runs for r in e["epochs"]] for name, runs in played.items()}
    optima = [r["optimum"] for r in reports["greedy"]]
    certified = all(r["optimum_status"] == "optimal" for r in reports["greedy"])
    assert certified, "an epoch optimum is not certified"
    rows: dict[str, dict[str, float]] = {}
    for name, episodes in played.items():
        assert [r["optimum"] for r in reports[name]] == optima
        rows[name] = {
            "episode_reward": float(np.mean([e["reward"] for e in episodes])),
            "epoch_objective_s": float(np.mean([r["objective"] for r in reports[name]])),
            "epoch_regret_s": float(np.mean([r["regret"] for r in reports[name]])),
            "regret_percent": 100.0 * sum(r["regret"] for r in reports[name]) / sum(optima),
            "invalid_percent": 100.0
            * sum(e["invalid"] for e in episodes)
            / sum(e["steps"] for e in episodes),
            "epochs": len(reports[name]),
        }
    exact = [exact_episode(e) for e in played["greedy"]]
    objectives = [o for e in exact for o in e["objectives"]]
    assert all(abs(o - p) <= 1e-6 * p for o, p in zip(objectives, optima))
    rows["exact"] = {
        "episode_reward": float(np.mean([e["reward"] for e in exact])),
        "epoch_objective_s": float(np.mean(objectives)),
        "epoch_regret_s": 0.0,
        "regret_percent": 0.0,
        "invalid_percent": 0.0,
        "epochs": len(objectives),
    }
    summary = {
        "scenario": args.scenario,
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
        f"PPO trained for {args.timesteps} steps in {training_s:.0f} s; {args.episodes} "
        f"held-out episodes ({rows['exact']['epochs']} epochs, every optimum certified)"
    )
    print(
        f"{'policy':<8}{'episode reward':>16}{'epoch objective [s]':>21}"
        f"{'regret/epoch [s]':>18}{'regret %':>10}{'invalid %':>11}"
    )
    for name, r in rows.items():
        print(
            f"{name:<8}{r['episode_reward']:>16.3f}{r['epoch_objective_s']:>21.3f}"
            f"{r['epoch_regret_s']:>18.3f}{r['regret_percent']:>10.2f}"
            f"{r['invalid_percent']:>11.1f}"
        )


if __name__ == "__main__":
    main()
