"""Benchmark: robustness of the ranking, 1,000 weight draws on a national-size synthetic set.

Run ``python bench/bench_robustness.py`` from the project root. It builds
14,000 synthetic buurten with ten correlated indicators (a shared deprivation
factor, a few per cent missing values, some buurten without inhabitants), ranks
them once and times :func:`geo.decide.robustness.compute_robustness` (median of three
runs), then measures peak Python/numpy memory with ``tracemalloc`` in a
separate run (tracing slows the run down, so it is not timed).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo import schema
from geo.decide.ranking import RankingParams, rank_buurten
from geo.decide.robustness import compute_robustness

#: Ten indicators with the weights of a plausible preset.
WEIGHTS = {
    "children_0_14": 2.0,
    "share_children_0_14_pct": 1.0,
    "benefits_bijstand_per_1000": 2.0,
    "benefits_ao_per_1000": 1.0,
    "benefits_ww_per_1000": 0.5,
    "woz_mean_keur": 1.0,
    "share_social_rent_pct": 1.0,
    "income_per_inhabitant_keur": 1.0,
    "dist_sport_m": 1.0,
    "dist_library_m": 0.5,
}


def make_buurten(n: int, *, seed: int = 0) -> pd.DataFrame:
    """Synthetic indicator table: ``n`` buurten, the ten indicators of :data:`WEIGHTS`."""
    rng = np.random.default_rng(seed)
    need = rng.standard_normal(n)  # shared deprivation factor
    inhabitants = np.round(rng.lognormal(7.0, 1.0, n))
    inhabitants[rng.random(n) < 0.02] = 0  # business parks and the like
    cols = {
        schema.INHABITANTS: inhabitants,
        "children_0_14": np.round(inhabitants * rng.uniform(0.08, 0.25, n)),
        "share_children_0_14_pct": 15 + 3 * need + 2 * rng.standard_normal(n),
        "benefits_bijstand_per_1000": np.exp(3 + 0.6 * need + 0.4 * rng.standard_normal(n)),
        "benefits_ao_per_1000": np.exp(3.5 + 0.3 * need + 0.4 * rng.standard_normal(n)),
        "benefits_ww_per_1000": np.exp(2.5 + 0.2 * need + 0.5 * rng.standard_normal(n)),
        "woz_mean_keur": np.exp(5.8 - 0.3 * need + 0.3 * rng.standard_normal(n)),
        "share_social_rent_pct": np.clip(30 + 15 * need + 10 * rng.standard_normal(n), 0, 100),
        "income_per_inhabitant_keur": np.exp(3.4 - 0.2 * need + 0.2 * rng.standard_normal(n)),
        "dist_sport_m": rng.lognormal(6.5, 0.6, n),
        "dist_library_m": rng.lognormal(7.2, 0.7, n),
    }
    df = pd.DataFrame(cols, index=[f"BU{i:08d}" for i in range(n)])
    for key in WEIGHTS:
        if key != "children_0_14":
            df.loc[rng.random(n) < 0.03, key] = np.nan  # CBS suppression
    return df


def time_it(fn: Callable[[], object], repeat: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds of ``repeat`` runs (CPU time is less disturbed by other load)."""
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return wall, cpu


def peak_mb(fn: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--buurten", type=int, default=14_000)
    ap.add_argument("--draws", type=int, default=1_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    df = make_buurten(args.buurten)
    params = RankingParams.from_weights(WEIGHTS)
    ranking = rank_buurten(df, params)
    n_ranked = int(ranking.table[schema.RANK].notna().sum())

    cases: list[tuple[str, Callable[[], object]]] = [
        ("rank_buurten (point ranking)", lambda: rank_buurten(df, params)),
        (
            f"compute_robustness, {args.draws:,} draws",
            lambda: compute_robustness(ranking, params, n_draws=args.draws, seed=1),
        ),
        (
            f"compute_robustness, {args.draws:,} draws + leave-one-out",
            lambda: compute_robustness(ranking, params, n_draws=args.draws, seed=1, leave_one_out=True),
        ),
    ]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{args.buurten:,} synthetic buurten ({n_ranked:,} ranked), {len(WEIGHTS)} indicators, "
          f"numpy {np.__version__}, {os.cpu_count()} CPUs (load {load:.1f}), median of {args.repeat} runs\n")
    print("| step | median s | min s | median CPU s | peak MB (tracemalloc) |")
    print("|---|---:|---:|---:|---:|")
    for name, fn in cases:
        wall, cpu = time_it(fn, args.repeat)
        print(
            f"| {name} | {statistics.median(wall):.2f} | {min(wall):.2f} | {statistics.median(cpu):.2f} "
            f"| {peak_mb(fn):.0f} |"
        )
    res = compute_robustness(ranking, params, n_draws=args.draws, seed=1, top_n=100)
    print(f"\ntop 100: {res.n_sensitive} buurten weight-sensitive, {res.n_widened} intervals widened to the point rank")


if __name__ == "__main__":
    main()
