"""Equity view: how access to facilities is distributed over need.

Pure computation on a ranked table (``PipelineResult.table``): per need
quintile the number of buurten and children, the children-weighted mean travel
time and the share of children within a travel time; and a concentration index
of access ranked by need.

Conventions (also shown in the app)
-----------------------------------
* **Need** is the ``need_index`` of the ranking (higher = more need). It does
  not depend on access, so it is the same before and after a scenario.
* **Need quintiles** are quintiles of *children* (weights ``children_0_14``):
  buurten are ordered from least to most need and each buurt goes to the
  quintile that holds the middle of its children, so every quintile holds about
  a fifth of the children (a buurt is never split). **Quintile 1 = least need,
  5 = most need.**
* A buurt's children count as *within m minutes* when the buurt's distance
  (from its buurt point, or the CBS mean over its addresses) is at most
  ``m`` minutes at ``speed_kmh``; this is a per-buurt, not a per-address, figure.
* **Concentration index**: ranked from least to most need, so **C > 0 means the
  good is concentrated among children in high-need buurten** (pro-need, or
  "pro-poor"), C < 0 among low-need buurten, 0 an equal spread. This is the
  standard (Kakwani, Wagstaff & van Doorslaer 1997) index with the ranking
  reversed: in health economics the rank runs from poorest to richest, which
  flips the sign. See :func:`concentration_index`.

Buurten without a need value (no inhabitants) or without a distance are left
out of the figures and counted (``n_buurten_no_distance``), never read as 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from geo import schema, units
from geo.errors import MissingColumnError, ParameterError

# --------------------------------------------------------------------------- column names
#: Index name of :func:`equity_table` and name of :func:`need_quintiles`' result (1 = least need, 5 = most).
NEED_QUINTILE = "need_quintile"
N_BUURTEN = "n_buurten"
#: Buurten of the group without a distance (left out of the means and shares).
N_BUURTEN_NO_DISTANCE = "n_buurten_no_distance"
#: Children-weighted mean distance (m) and travel time (min) over buurten with a distance.
MEAN_DIST_M = "mean_dist_m"
MEAN_TIME_MIN = "mean_time_min"
#: Concentration index of "within ``minutes``" (a good: > 0 means concentrated among high need).
CONCENTRATION_INDEX = "concentration_index"
#: Concentration index of the travel time (a cost: < 0 means shorter trips for high-need children).
CONCENTRATION_INDEX_TIME = "concentration_index_time"


def within_share_column(minutes: float) -> str:
    """``share_within_10min_pct``: percentage of children (0–100) within ``minutes``."""
    return f"share_within_{minutes:g}min_pct"


def children_within_column(minutes: float) -> str:
    """``children_within_10min``: number of children within ``minutes``."""
    return f"children_within_{minutes:g}min"


# --------------------------------------------------------------------------- helpers


def is_within(time_min: pd.Series | np.ndarray, minutes: float) -> np.ndarray:
    """True where the travel time is at most ``minutes`` (NaN: False).

    A relative tolerance of 1e-9 keeps a distance of exactly ``minutes`` at the
    speed (e.g. 666.67 m at 4 km/h for 10 min) inside despite rounding.
    """
    t = np.asarray(time_min, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return t <= minutes * (1.0 + 1e-9)


def _as_float(values: pd.Series | np.ndarray | Sequence[float], what: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ParameterError(f"{what} must be one-dimensional, found shape {arr.shape}.")
    return arr


def _check_weights(weights: pd.Series | np.ndarray | Sequence[float] | None, n: int) -> np.ndarray:
    if weights is None:
        return np.ones(n)
    w = _as_float(weights, "weights")
    if w.shape != (n,):
        raise ParameterError(f"weights must have one value per buurt ({n}), found {w.shape[0]}.")
    if not (np.isfinite(w).all() and (w >= 0).all()):
        raise ParameterError(
            f"weights must be finite and ≥ 0; found {int((~np.isfinite(w) | (w < 0)).sum())} bad values."
        )
    if not w.sum() > 0:
        raise ParameterError("weights sum to 0: there are no children to weigh the buurten by.")
    return w


def fractional_rank(
    need: pd.Series | np.ndarray | Sequence[float],
    weights: pd.Series | np.ndarray | Sequence[float] | None = None,
) -> np.ndarray:
    """Weighted fractional rank by need, from least (near 0) to most need (near 1).

    With the buurten sorted by need and ``W`` the total weight, a buurt's rank is
    ``(weight of all buurten with less need + half its own weight) / W``: the
    middle of its share of the population. Buurten with equal need share one
    rank (the middle of their joint share), so row order never matters. The
    weighted mean of the ranks is 1/2.
    """
    r = _as_float(need, "need")
    if not np.isfinite(r).all():
        raise ParameterError(f"need must be finite; found {int((~np.isfinite(r)).sum())} missing or infinite values.")
    w = _check_weights(weights, len(r))
    order = np.argsort(r, kind="mergesort")
    sr = r[order]
    group = np.cumsum(np.r_[True, sr[1:] != sr[:-1]]) - 1
    gw = np.bincount(group, weights=w[order])
    before = np.r_[0.0, np.cumsum(gw)[:-1]]
    out = np.empty(len(r))
    out[order] = ((before + gw / 2.0) / w.sum())[group]
    return out


# --------------------------------------------------------------------------- quintiles and index


def need_quintiles(
    need: pd.Series,
    *,
    weights: pd.Series | None = None,
    n_groups: int = 5,
) -> pd.Series:
    """Need group of every buurt: 1 = least need … ``n_groups`` (5) = most need.

    Parameters
    ----------
    need
        Need per buurt (higher = more need), e.g. ``need_index``. Missing values
        get no group (``<NA>``).
    weights
        Population per buurt, e.g. ``children_0_14`` (missing counts as 0).
        Default: every buurt weighs 1 (quintiles of buurten).
    n_groups
        Number of groups (5: quintiles).

    Returns
    -------
    pandas.Series
        ``Int64`` named ``need_quintile`` with the index of ``need``. Group ``q``
        holds the buurten whose :func:`fractional_rank` ``p`` satisfies
        ``(q - 1) / n ≤ p < q / n``: each group holds about ``1 / n`` of the
        weight, and buurten with equal need are in the same group.
    """
    if not (isinstance(n_groups, int) and n_groups >= 1):
        raise ParameterError(f"n_groups must be a whole number ≥ 1, found {n_groups!r}.")
    values = pd.to_numeric(need, errors="coerce").astype("float64")
    ok = values.notna().to_numpy()
    out = pd.Series(pd.NA, index=need.index, dtype="Int64", name=NEED_QUINTILE)
    if not ok.any():
        return out
    w = None
    if weights is not None:
        w = pd.to_numeric(weights.reindex(need.index), errors="coerce").fillna(0.0).to_numpy(dtype=float)[ok]
    p = fractional_rank(values.to_numpy()[ok], w)
    # Rounding keeps a rank of exactly 0.4 (say) in group 3 whatever the float error.
    q = np.minimum(np.floor(np.round(p * n_groups, 9)).astype(np.int64) + 1, n_groups)
    out[ok] = q
    return out


def concentration_index(
    access_values: pd.Series | np.ndarray | Sequence[float],
    need_rank_values: pd.Series | np.ndarray | Sequence[float],
    weights: pd.Series | np.ndarray | Sequence[float] | None = None,
) -> float:
    """Concentration index of ``access_values`` over buurten ranked by need.

    With ``h_i ≥ 0`` the access figure of buurt ``i`` (e.g. 1 when within 10
    minutes, else 0), ``w_i`` its weight (children), ``R_i`` its weighted
    fractional rank by need from least to most need (:func:`fractional_rank`),
    ``μ = Σ w_i h_i / Σ w_i`` and ``R̄ = Σ w_i R_i / Σ w_i`` (= 1/2)::

        C = 2 · cov_w(h, R) / μ = (2 / μ) · Σ w_i (h_i − μ)(R_i − R̄) / Σ w_i

    equivalently ``C = 1 − 2 ∫ L(p) dp`` with ``L`` the concentration curve
    (cumulative share of ``h`` against cumulative share of the weight, from
    least to most need).

    Sign: **C > 0 when the good is concentrated among high-need buurten**, C < 0
    when among low-need buurten, C = 0 for an equal spread; |C| ≤ 1. For a
    cost such as travel time the reading flips (C < 0: shorter trips in
    high-need buurten). This is the standard index (Kakwani, Wagstaff & van
    Doorslaer 1997; O'Donnell et al. 2008, ch. 8) with the ranking reversed:
    there the rank runs from poorest to richest, so their C is −1 × this one.
    For a 0/1 indicator with mean ``μ`` the index lies in ``[μ − 1, 1 − μ]``
    (Wagstaff 2005); no normalisation is applied.

    Parameters
    ----------
    access_values
        ``h``, finite and ≥ 0.
    need_rank_values
        The need figure to rank by (higher = more need), finite; only its order is used.
    weights
        Population per buurt (≥ 0); default 1 each.

    Returns
    -------
    float
        The index, or NaN when ``μ = 0`` (nobody has the good: no distribution to describe).
    """
    h = _as_float(access_values, "access_values")
    if h.shape != np.shape(need_rank_values):
        raise ParameterError(
            f"access_values and need_rank_values must have the same length, found {len(h)} and {len(need_rank_values)}."
        )
    if not np.isfinite(h).all():
        raise ParameterError(f"access_values must be finite; found {int((~np.isfinite(h)).sum())} missing values.")
    if (h < 0).any():
        raise ParameterError("access_values must be ≥ 0 for a concentration index (it is a share of a total).")
    w = _check_weights(weights, len(h))
    r = fractional_rank(need_rank_values, w)
    total = w.sum()
    mu = float((w * h).sum() / total)
    if mu == 0.0:
        return float("nan")
    r_bar = (w * r).sum() / total
    return float(2.0 * (w * (h - mu) * (r - r_bar)).sum() / total / mu)


# --------------------------------------------------------------------------- tables


def _inputs(
    table: pd.DataFrame, facility_type: str, speed_kmh: float, need_column: str, children_column: str
) -> tuple[pd.Series, pd.Series, pd.Series]:
    col = schema.dist_col(facility_type)
    missing = [c for c in (col, need_column, children_column) if c not in table.columns]
    if missing:
        raise MissingColumnError(
            f"The equity view needs columns {', '.join(missing)}; found: {', '.join(map(str, table.columns[:12]))} …"
        )
    need = pd.to_numeric(table[need_column], errors="coerce").astype("float64")
    children = pd.to_numeric(table[children_column], errors="coerce").astype("float64").fillna(0.0)
    time = units.minutes(pd.to_numeric(table[col], errors="coerce").astype("float64"), speed_kmh)
    return need, children, time


def equity_table(
    table: pd.DataFrame,
    *,
    facility_type: str,
    speed_kmh: float,
    minutes: float = 10.0,
    need_column: str = schema.NEED_INDEX,
    children_column: str = schema.CHILDREN_0_14,
    n_groups: int = 5,
) -> pd.DataFrame:
    """Access to one facility type per need quintile (1 = least need, 5 = most need).

    Parameters
    ----------
    table
        One row per buurt with ``need_index``, ``children_0_14`` and
        ``dist_<facility_type>_m`` (e.g. ``PipelineResult.table``).
    facility_type
        Facility type key, e.g. ``"sport"``.
    speed_kmh
        Speed that turns metres into minutes (the measure itself is labelled
        elsewhere: straight-line times are approximations).
    minutes
        Travel-time threshold for the share within.
    need_column, children_column
        Need figure to rank by and population to weigh by.
    n_groups
        Number of need groups (5: quintiles of children, see :func:`need_quintiles`).

    Returns
    -------
    pandas.DataFrame
        Index ``need_quintile`` 1…``n_groups`` (every group, also an empty one);
        columns ``n_buurten``, ``children_0_14``, ``n_buurten_no_distance``,
        ``mean_dist_m`` and ``mean_time_min`` (children-weighted, over buurten
        with a distance), ``children_within_<m>min`` and
        ``share_within_<m>min_pct`` (0–100, of the children of buurten with a
        distance). Buurten without a need value are not in any group.
    """
    need, children, time = _inputs(table, facility_type, speed_kmh, need_column, children_column)
    if not (np.isfinite(minutes) and minutes > 0):
        raise ParameterError(f"minutes must be a number > 0, found {minutes!r}.")
    if not need.notna().any():
        raise ParameterError(
            f"No buurt has a value in '{need_column}': "
            "give at least one need indicator a weight to see the equity view."
        )
    quint = need_quintiles(need, weights=children, n_groups=n_groups)
    dist = pd.to_numeric(table[schema.dist_col(facility_type)], errors="coerce").astype("float64")
    frame = pd.DataFrame(
        {
            NEED_QUINTILE: quint,
            "children": children,
            "has": dist.notna(),
            "w_dist": (children * dist).where(dist.notna(), 0.0),
            "w_time": (children * time).where(time.notna(), 0.0),
            "w_has": children.where(dist.notna(), 0.0),
            "w_within": children.where(is_within(time, minutes), 0.0),
        }
    )
    frame = frame[frame[NEED_QUINTILE].notna()]
    g = frame.groupby(NEED_QUINTILE)
    out = pd.DataFrame(index=pd.RangeIndex(1, n_groups + 1, name=NEED_QUINTILE))
    out[N_BUURTEN] = g.size().reindex(out.index, fill_value=0).astype("int64")
    out[schema.CHILDREN_0_14] = g["children"].sum().reindex(out.index, fill_value=0.0)
    out[N_BUURTEN_NO_DISTANCE] = (g.size() - g["has"].sum()).reindex(out.index, fill_value=0).astype("int64")
    sums = g[["w_dist", "w_time", "w_has", "w_within"]].sum().reindex(out.index, fill_value=0.0)
    has = sums["w_has"].where(sums["w_has"] > 0)
    out[MEAN_DIST_M] = sums["w_dist"] / has
    out[MEAN_TIME_MIN] = sums["w_time"] / has
    out[children_within_column(minutes)] = sums["w_within"]
    out[within_share_column(minutes)] = 100.0 * sums["w_within"] / has
    return out


def access_concentration(
    table: pd.DataFrame,
    *,
    facility_type: str,
    speed_kmh: float,
    minutes: float = 10.0,
    of: str = "within",
    need_column: str = schema.NEED_INDEX,
    children_column: str = schema.CHILDREN_0_14,
) -> float:
    """Concentration index of access to one facility type, children-weighted, ranked by need.

    ``of="within"`` (default) uses the good "within ``minutes``" (1/0 per buurt):
    C > 0 means children in high-need buurten are more often within reach.
    ``of="time"`` uses the travel time, a cost: C < 0 means shorter trips for
    children in high-need buurten. Buurten without a need value or a distance
    are left out. NaN when nobody is within reach (or every time is 0).
    """
    if of not in ("within", "time"):
        raise ParameterError(f"of must be 'within' or 'time', found {of!r}.")
    need, children, time = _inputs(table, facility_type, speed_kmh, need_column, children_column)
    ok = (need.notna() & time.notna()).to_numpy()
    if not ok.any() or not children[ok].sum() > 0:
        return float("nan")
    h = is_within(time, minutes).astype(float) if of == "within" else np.asarray(time, dtype=float)
    return concentration_index(h[ok], need.to_numpy()[ok], children.to_numpy()[ok])


def equity_summary(
    table: pd.DataFrame,
    *,
    facility_types: Sequence[str],
    speed_kmh: float,
    minutes: float = 10.0,
    need_column: str = schema.NEED_INDEX,
    children_column: str = schema.CHILDREN_0_14,
) -> pd.DataFrame:
    """One row per facility type: overall access and its concentration over need.

    Columns ``facility_type``, ``children_0_14`` (of buurten with a need value
    and a distance), ``mean_time_min``, ``share_within_<m>min_pct``,
    ``concentration_index`` (of "within ``minutes``", > 0: concentrated among
    high need) and ``concentration_index_time`` (of the travel time, a cost:
    < 0 means shorter trips for high-need children).
    """
    rows = []
    for key in facility_types:
        need, children, time = _inputs(table, key, speed_kmh, need_column, children_column)
        ok = need.notna() & time.notna()
        c = children[ok]
        total = float(c.sum())
        rows.append(
            {
                schema.FACILITY_TYPE: key,
                schema.CHILDREN_0_14: total,
                MEAN_TIME_MIN: float((c * time[ok]).sum() / total) if total > 0 else np.nan,
                within_share_column(minutes): (
                    100.0 * float(c[is_within(time[ok], minutes)].sum()) / total if total > 0 else np.nan
                ),
                CONCENTRATION_INDEX: access_concentration(
                    table, facility_type=key, speed_kmh=speed_kmh, minutes=minutes,
                    need_column=need_column, children_column=children_column,
                ),
                CONCENTRATION_INDEX_TIME: access_concentration(
                    table, facility_type=key, speed_kmh=speed_kmh, minutes=minutes, of="time",
                    need_column=need_column, children_column=children_column,
                ),
            }
        )
    columns = [schema.FACILITY_TYPE, schema.CHILDREN_0_14, MEAN_TIME_MIN, within_share_column(minutes),
               CONCENTRATION_INDEX, CONCENTRATION_INDEX_TIME]
    return pd.DataFrame(rows, columns=columns)
