"""Plain helpers shared by several test modules (test modules never import each other).

Synthetic street networks (no street network of Utrecht ships, and hand-made graphs give
hand-checkable answers) and the small frame the ranking tests rank. Fixtures (paths to the
real data, the Delft network) are in ``tests/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from geo import schema
from geo.network.graph import Network, from_edges


def straight_network(
    x: Sequence[float],
    y: Sequence[float],
    two_way: Sequence[tuple[int, int]] = (),
    one_way: Sequence[tuple[int, int]] = (),
    *,
    mode: str = "walk",
) -> Network:
    """Straight streets between node pairs, each edge exactly as long as the straight line.

    ``two_way`` pairs get an edge in both directions, ``one_way`` pairs ``(a, b)`` only a → b.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    both = np.array(two_way, dtype=np.int64).reshape(-1, 2)
    single = np.array(one_way, dtype=np.int64).reshape(-1, 2)
    src = np.r_[both[:, 0], both[:, 1], single[:, 0]]
    dst = np.r_[both[:, 1], both[:, 0], single[:, 1]]
    return from_edges(x, y, src, dst, np.hypot(x[dst] - x[src], y[dst] - y[src]), mode=mode)


def grid_network(bounds: Sequence[float], spacing_m: float, mode: str = "walk") -> Network:
    """A two-way street grid over ``bounds`` (x0, y0, x1, y1) with one block of margin on every side."""
    x0, y0, x1, y1 = bounds
    xs = np.arange(x0 - spacing_m, x1 + 2 * spacing_m, spacing_m)
    ys = np.arange(y0 - spacing_m, y1 + 2 * spacing_m, spacing_m)
    gx, gy = np.meshgrid(xs, ys)
    ids = np.arange(gx.size).reshape(gx.shape)
    e = np.vstack(
        [
            np.column_stack([ids[:, :-1].ravel(), ids[:, 1:].ravel()]),
            np.column_stack([ids[:-1, :].ravel(), ids[1:, :].ravel()]),
        ]
    )
    src, dst = np.r_[e[:, 0], e[:, 1]], np.r_[e[:, 1], e[:, 0]]
    return from_edges(gx.ravel(), gy.ravel(), src, dst, np.full(len(src), spacing_m), mode=mode)


def ranking_frame(**cols) -> pd.DataFrame:
    """Indicator columns for buurten ``BU00000000, BU00000001, …``; 100 inhabitants each unless given."""
    n = len(next(iter(cols.values())))
    df = pd.DataFrame(cols, index=[f"BU{i:08d}" for i in range(n)])
    if schema.INHABITANTS not in df:
        df[schema.INHABITANTS] = 100.0
    return df
