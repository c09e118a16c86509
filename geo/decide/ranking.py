"""Need index, access gap and the priority ranking for investment.

Method (also shown in the app and the README)
---------------------------------------------
1. **Eligible buurten**: buurten with at least one inhabitant. Others are kept
   in the output with status ``no_inhabitants`` and no rank.
2. **Missing values** (policy ``median``): a missing indicator value of an
   eligible buurt is replaced by the median of the other eligible buurten, so it
   neither raises nor lowers the buurt on that indicator. The number of buurten
   affected is reported per indicator. An indicator with no value at all, or the
   same value everywhere, cannot rank anything: it is left out and reported.
3. **Standardising**: each indicator is turned into a z-score over the eligible
   buurten (scikit-learn ``StandardScaler``: mean 0, standard deviation 1),
   multiplied by its direction (+1 when more means more need, -1 when more
   means less need) and clipped to [-3, 3] so that one extreme buurt cannot
   dominate.
4. **Weights**: each used indicator *i* has a weight *w_i* ≥ 0. With *W* the
   sum of used weights, the contribution of indicator *i* to the priority score
   is ``w_i × z_i / W`` and the **priority score** is the sum of contributions.
   The **need index**, **access gap** and **reach score** are the weighted means
   of the z-scores within the need, access and reach groups.
5. **Rank**: 1 is the highest priority score. Equal scores (to 1e-9) share the
   lower rank number; row order never changes a result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from sklearn.preprocessing import StandardScaler

from geo import schema
from geo.catalog import (
    ACCESS,
    GROUPS,
    INDICATORS,
    NEED,
    REACH,
    get_indicator,
    get_preset,
)
from geo.errors import ParameterError

MISSING_POLICIES = ("median",)
#: Where z-scores, medians and percentiles are taken: within each municipality (as a council ranks; the default)
#: or over every buurt of the table at once (for a national funder comparing across the country).
NORMALISATIONS = ("municipality", "national")
_GROUP_COLUMN = {NEED: schema.NEED_INDEX, ACCESS: schema.ACCESS_GAP, REACH: schema.REACH_SCORE}
#: Decimals scores are rounded to before ranking: scores equal to 1e-9 share a rank.
SCORE_DECIMALS = 9


@dataclass(frozen=True)
class RankingParams:
    """Weights and options of the ranking. Frozen and hashable (cache key).

    ``weights`` is a sorted tuple of ``(indicator_key, weight)`` pairs.
    """

    weights: tuple[tuple[str, float], ...]
    missing_policy: str = "median"
    clip_z: float = 3.0
    preset: str | None = None
    normalisation: str = "municipality"

    def __post_init__(self) -> None:
        if self.normalisation not in NORMALISATIONS:
            raise ParameterError(
                f"Unknown normalisation '{self.normalisation}'; expected one of: {', '.join(NORMALISATIONS)}."
            )
        for key, w in self.weights:
            get_indicator(key)
            if not np.isfinite(w) or w < 0:
                raise ParameterError(f"Weight of '{key}' must be a finite number ≥ 0, found {w!r}.")
        if self.missing_policy not in MISSING_POLICIES:
            raise ParameterError(
                f"Unknown missing-value policy '{self.missing_policy}'; expected one of: {', '.join(MISSING_POLICIES)}."
            )
        if not self.clip_z > 0:
            raise ParameterError(f"clip_z must be > 0, found {self.clip_z!r}.")

    @classmethod
    def from_weights(cls, weights: Mapping[str, float], **kwargs: Any) -> RankingParams:
        return cls(weights=tuple(sorted((k, float(v)) for k, v in weights.items())), **kwargs)

    @classmethod
    def from_preset(cls, name: str, overrides: Mapping[str, float] | None = None, **kwargs: Any) -> RankingParams:
        w = get_preset(name)
        w.update(overrides or {})
        return cls.from_weights(w, preset=name, **kwargs)

    @property
    def weight_map(self) -> Mapping[str, float]:
        return MappingProxyType(dict(self.weights))


@dataclass(frozen=True)
class IndicatorUse:
    """How one weighted indicator entered the ranking."""

    key: str
    weight: float
    used: bool
    n_imputed: int = 0
    reason: str = ""  # why it was not used: "no_data" or "no_variation"


@dataclass(frozen=True)
class RankingResult:
    """The ranked table and how every indicator was used."""

    table: pd.DataFrame
    uses: tuple[IndicatorUse, ...] = field(default_factory=tuple)
    n_excluded: int = 0

    @property
    def used(self) -> tuple[IndicatorUse, ...]:
        return tuple(u for u in self.uses if u.used)

    @property
    def unused(self) -> tuple[IndicatorUse, ...]:
        return tuple(u for u in self.uses if not u.used)


def rank_buurten(
    indicators: pd.DataFrame, params: RankingParams, municipalities: pd.Series | None = None
) -> RankingResult:
    """Rank buurten by priority for investment.

    Parameters
    ----------
    indicators
        One row per buurt (index = buurt code), with ``inhabitants`` and a
        column per indicator key that has a weight (missing columns count as
        indicators without data).
    params
        Weights and options.
    municipalities
        The municipality code of each buurt (same index). With ``params.normalisation == "municipality"`` and
        more than one municipality, medians, z-scores and percentiles are taken within each municipality and a
        ``rank_in_municipality`` column is added; the ``rank`` is over the whole table either way.

    Returns
    -------
    RankingResult
        ``table`` has the input index and columns ``need_index, access_gap,
        reach_score, priority_score, rank, status``, and per used indicator
        ``z_<key>`` (standardised, need-oriented), ``contrib_<key>`` (its share of
        the priority score), ``gcontrib_<key>`` (its share of its group score:
        need index, access gap or reach score) and ``pct_<key>`` (percentile of the raw value among
        the eligible buurten, 0–100).
    """
    if schema.INHABITANTS not in indicators.columns:
        raise ParameterError("The indicator table needs an 'inhabitants' column to decide which buurten to rank.")
    weights = {k: w for k, w in params.weights if w > 0}
    if not weights:
        raise ParameterError("All weights are zero: give at least one indicator a weight above zero.")
    inhabitants = pd.to_numeric(indicators[schema.INHABITANTS], errors="coerce")
    eligible = (inhabitants > 0).to_numpy()
    n_elig = int(eligible.sum())
    if n_elig == 0:
        raise ParameterError("No buurt has inhabitants: there is nothing to rank (is the municipality empty?).")

    table = pd.DataFrame(index=indicators.index)
    uses: list[IndicatorUse] = []
    z_cols: dict[str, np.ndarray] = {}
    groups = _groups(municipalities, eligible, params.normalisation)
    for key in sorted(weights):
        ind = get_indicator(key)
        raw = (
            pd.to_numeric(indicators[key], errors="coerce").to_numpy(dtype="float64")
            if key in indicators.columns
            else np.full(len(indicators), np.nan)
        )
        vals = raw[eligible]
        present = ~np.isnan(vals)
        if not present.any():
            uses.append(IndicatorUse(key, weights[key], used=False, reason="no_data"))
            continue
        if len(groups) == 1:
            filled = np.where(present, vals, np.median(vals[present]))
            pct_e = _percentile(filled) * np.where(present, 1.0, np.nan)
            varies = bool(np.nanmax(filled) - np.nanmin(filled) > 1e-12 * max(1.0, abs(np.nanmax(filled))))
            z = StandardScaler().fit_transform(filled.reshape(-1, 1)).ravel() * ind.direction if varies else vals
        else:
            z, pct_e, varies = _grouped_z(vals, present, groups)
            z = z * ind.direction
        if not varies:
            uses.append(IndicatorUse(key, weights[key], used=False, reason="no_variation"))
            continue
        z = np.clip(z, -params.clip_z, params.clip_z)
        full = np.full(len(indicators), np.nan)
        full[eligible] = z
        z_cols[key] = full
        pct = np.full(len(indicators), np.nan)
        pct[eligible] = pct_e
        table[f"{schema.SCORE_PREFIX}{key}"] = full
        table[f"{schema.PERCENTILE_PREFIX}{key}"] = pct
        uses.append(IndicatorUse(key, weights[key], used=True, n_imputed=int((~present).sum())))

    used_keys = [u.key for u in uses if u.used]
    if not used_keys:
        names = ", ".join(u.key for u in uses)
        raise ParameterError(f"None of the weighted indicators has usable data ({names}); pick other indicators.")
    total_w = sum(weights[k] for k in used_keys)
    priority = np.zeros(len(indicators))
    for key in used_keys:
        contrib = weights[key] * z_cols[key] / total_w
        table[f"{schema.CONTRIB_PREFIX}{key}"] = contrib
        priority = priority + contrib
    for group in GROUPS:
        keys = [k for k in used_keys if INDICATORS[k].group == group]
        col = _GROUP_COLUMN[group]
        if keys:
            gw = sum(weights[k] for k in keys)
            table[col] = sum(weights[k] * z_cols[k] for k in keys) / gw
            for k in keys:  # its share of the group score: the need index, access gap or reach score
                table[f"{schema.GROUP_CONTRIB_PREFIX}{k}"] = weights[k] * z_cols[k] / gw
        else:
            table[col] = np.nan
    priority[~eligible] = np.nan
    table[schema.PRIORITY_SCORE] = priority
    rounded = pd.Series(np.round(priority, SCORE_DECIMALS), index=indicators.index)
    table[schema.RANK] = rounded.rank(method="min", ascending=False).astype("Int64")
    if len(groups) > 1:
        by = pd.Series(np.asarray(municipalities), index=indicators.index)
        table[schema.RANK_IN_MUNICIPALITY] = (
            rounded.groupby(by).rank(method="min", ascending=False).astype("Int64")
        )
    table[schema.STATUS] = np.where(eligible, schema.STATUS_RANKED, schema.STATUS_NO_INHABITANTS)
    return RankingResult(table=table, uses=tuple(uses), n_excluded=int((~eligible).sum()))


def n_municipalities(table: pd.DataFrame) -> int:
    """How many municipalities the rows of ``table`` belong to (0 without a ``municipality_code`` column).

    More than one: the normalisation matters (within each municipality or national) and a map of it is national.
    """
    if schema.MUNICIPALITY_CODE not in table.columns:
        return 0
    return int(table[schema.MUNICIPALITY_CODE].nunique())


def _grouped_z(
    vals: np.ndarray, present: np.ndarray, groups: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Per group: median-filled values → z-scores (the StandardScaler formula: mean 0, population standard
    deviation 1; 0 where a group has no variation or no value) and percentiles; and whether any group varies."""
    label = np.empty(len(vals), dtype=np.int64)
    for k, rows in enumerate(groups):
        label[rows] = k
    s = pd.Series(np.where(present, vals, np.nan))
    by = pd.Series(label)
    median = s.groupby(by).transform("median")
    filled = s.fillna(median)  # a group with no value at all stays NaN: neither raised nor lowered
    g = filled.groupby(by)
    mean, std = g.transform("mean"), g.transform("std", ddof=0)
    spread = (g.transform("max") - g.transform("min")).to_numpy()
    flat = ~(spread > 1e-12 * np.maximum(1.0, g.transform("max").abs().to_numpy()))
    z = ((filled - mean) / std.where(~flat)).to_numpy()
    z = np.where(np.isnan(z), 0.0, z)
    n = filled.notna().groupby(by).transform("sum").to_numpy()
    pct = ((g.rank(method="average").to_numpy() - 0.5) / np.maximum(n, 1) * 100.0) * np.where(present, 1.0, np.nan)
    return z, pct, bool((~flat & filled.notna().to_numpy()).any())


def _groups(municipalities: pd.Series | None, eligible: np.ndarray, normalisation: str) -> list[np.ndarray]:
    """Positions (among the eligible rows) of each normalisation group: one per municipality, or all at once."""
    n = int(eligible.sum())
    if municipalities is None or normalisation == "national":
        return [np.arange(n)]
    codes = np.asarray(municipalities, dtype=object)[eligible]
    uniq, inverse = np.unique(codes.astype(str), return_inverse=True)
    if len(uniq) <= 1:
        return [np.arange(n)]
    return [np.flatnonzero(inverse == k) for k in range(len(uniq))]


def _percentile(values: np.ndarray) -> np.ndarray:
    """Percentile rank (0–100) of each value: share of values at or below it, ties averaged."""
    s = pd.Series(values)
    return ((s.rank(method="average") - 0.5) / len(s) * 100.0).to_numpy()


def contributions(table: pd.DataFrame, code: str) -> pd.Series:
    """Contributions of every used indicator to one buurt's priority score, largest first."""
    cols = [c for c in table.columns if c.startswith(schema.CONTRIB_PREFIX)]
    row = table.loc[code, cols].astype(float)
    row.index = [c[len(schema.CONTRIB_PREFIX):] for c in cols]
    return row.sort_values(ascending=False, key=np.abs)
