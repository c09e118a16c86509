"""Equity view: hand-computed quintiles and tables, the concentration index against independent formulas."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import rankdata

from geo import schema
from geo.decide import equity
from geo.decide.equity import (
    CONCENTRATION_INDEX,
    MEAN_DIST_M,
    MEAN_TIME_MIN,
    N_BUURTEN,
    N_BUURTEN_NO_DISTANCE,
    NEED_QUINTILE,
    access_concentration,
    concentration_index,
    equity_summary,
    equity_table,
    fractional_rank,
    need_quintiles,
)
from geo.errors import MissingColumnError, ParameterError

DATA = Path(__file__).resolve().parents[1] / "data" / "utrecht"


# --------------------------------------------------------------------------- independent slow paths


def ci_by_curve_area(h, need, w) -> float:
    """1 − 2 × area under the concentration curve (trapezoids over groups of equal need), built from scratch."""
    h, need, w = (np.asarray(a, dtype=float) for a in (h, need, w))
    levels = np.unique(need)
    gw = np.array([w[need == v].sum() for v in levels])
    gh = np.array([(w * h)[need == v].sum() for v in levels])
    p = np.r_[0.0, np.cumsum(gw)] / gw.sum()
    lc = np.r_[0.0, np.cumsum(gh)] / gh.sum()
    area = np.sum((p[1:] - p[:-1]) * (lc[1:] + lc[:-1]) / 2.0)
    return 1.0 - 2.0 * area


def ci_by_individuals(h, need, w_int) -> float:
    """Kakwani's individual-level formula C = 2/(nμ) Σ h_i R_i − 1, with each buurt expanded into w children.

    The fractional rank of child i is (rank − 1/2)/n with tied needs given their average rank.
    """
    hh = np.repeat(np.asarray(h, dtype=float), w_int)
    nn = np.repeat(np.asarray(need, dtype=float), w_int)
    n = len(hh)
    r = (rankdata(nn, method="average") - 0.5) / n
    return 2.0 / (n * hh.mean()) * float((hh * r).sum()) - 1.0


# --------------------------------------------------------------------------- ranks and quintiles


def test_fractional_rank_by_hand():
    w = [1, 1, 1, 1, 6]
    np.testing.assert_allclose(fractional_rank([1, 2, 3, 4, 5], w), [0.05, 0.15, 0.25, 0.35, 0.7])
    # Rows in another order: the same rank per buurt.
    np.testing.assert_allclose(fractional_rank([5, 3, 1, 4, 2], [6, 1, 1, 1, 1]), [0.7, 0.25, 0.05, 0.35, 0.15])
    # Equal need shares the middle of the joint share: (2 + 2/2) / 4 for the two middle buurten.
    np.testing.assert_allclose(fractional_rank([1, 2, 2, 3]), [0.125, 0.5, 0.5, 0.875])


def test_need_quintiles_by_hand():
    need = pd.Series(np.arange(10.0), index=[f"b{i}" for i in range(10)])
    q = need_quintiles(need)
    assert q.name == NEED_QUINTILE and str(q.dtype) == "Int64"
    assert q.tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # Children-weighted: ranks 0.05, 0.15, 0.25, 0.35, 0.70 -> 1, 1, 2, 2, 4 (the big buurt holds the middle of
    # quintiles 4 and 5; quintile 3 and 5 stay empty rather than splitting it).
    need5 = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0], index=list("abcde"))
    children = pd.Series([1.0, 1.0, 1.0, 1.0, 6.0], index=list("abcde"))
    assert need_quintiles(need5, weights=children).tolist() == [1, 1, 2, 2, 4]


def test_need_quintiles_missing_need_gets_no_group_and_high_need_is_five():
    need = pd.Series([0.5, np.nan, -1.0, 2.0, 1.0, 0.0], index=list("abcdef"))
    q = need_quintiles(need)
    assert q.isna().tolist() == [False, True, False, False, False, False]
    assert q["d"] == 5 and q["c"] == 1  # most need, least need
    with pytest.raises(ParameterError):
        need_quintiles(need, n_groups=0)


# --------------------------------------------------------------------------- concentration index


def test_concentration_index_by_hand():
    need = [1, 2, 3, 4]
    # Good held by the two high-need buurten: R = 1/8, 3/8, 5/8, 7/8, μ = 1/2, cov = 1/8, C = 2 · (1/8) / (1/2).
    assert concentration_index([0, 0, 1, 1], need) == pytest.approx(0.5)
    # Curve: L = 0, 0, 1/2, 1 at p = 1/4 … 1: area 1/4, C = 1 − 2/4.
    assert ci_by_curve_area([0, 0, 1, 1], need, [1, 1, 1, 1]) == pytest.approx(0.5)
    assert concentration_index([1, 1, 0, 0], need) == pytest.approx(-0.5)  # held by low need: negative
    assert concentration_index([3, 3, 3, 3], need) == pytest.approx(0.0)
    assert np.isnan(concentration_index([0, 0, 0, 0], need))  # nobody has it: undefined
    # Weighted: the last buurt holds 6 of 10 children; h = 0, 0, 0, 0, 1 -> μ = 0.6,
    # C = 2/μ · Σ w (h − μ)(R − 1/2)/W with R = .05 .15 .25 .35 .7 = 2/0.6 · 0.12 = 0.4.
    assert concentration_index([0, 0, 0, 0, 1], [1, 2, 3, 4, 5], [1, 1, 1, 1, 6]) == pytest.approx(0.4)


@settings(max_examples=60, deadline=None)
@given(
    data=st.lists(
        st.tuples(
            st.floats(0, 50, allow_nan=False),  # h
            st.integers(0, 6),  # need (few levels: ties)
            st.integers(0, 8),  # weight (children)
        ),
        min_size=1,
        max_size=15,
    )
)
def test_concentration_index_matches_curve_area_and_individual_formula(data):
    h, need, w = (np.array(c, dtype=float) for c in zip(*data, strict=True))
    if w.sum() == 0 or (w * h).sum() <= 1e-9:
        return
    c = concentration_index(h, need, w)
    assert c == pytest.approx(ci_by_curve_area(h, need, w), abs=1e-9)
    assert c == pytest.approx(ci_by_individuals(h, need, w.astype(int)), abs=1e-9)
    assert -1 - 1e-9 <= c <= 1 + 1e-9
    # Row order and the unit of h never change the index.
    perm = np.random.default_rng(len(data)).permutation(len(h))
    assert concentration_index(h[perm], need[perm], w[perm]) == pytest.approx(c, abs=1e-12)
    assert concentration_index(h * 60.0, need, w) == pytest.approx(c, abs=1e-12)


def test_concentration_index_rejects_bad_input():
    with pytest.raises(ParameterError, match="≥ 0"):
        concentration_index([1, -1], [1, 2])
    with pytest.raises(ParameterError, match="finite"):
        concentration_index([1, np.nan], [1, 2])
    with pytest.raises(ParameterError, match="same length"):
        concentration_index([1, 2, 3], [1, 2])
    with pytest.raises(ParameterError, match="sum to 0"):
        concentration_index([1, 2], [1, 2], [0, 0])
    with pytest.raises(ParameterError, match="finite"):
        concentration_index([1, 2], [1, np.nan])


# --------------------------------------------------------------------------- tables


def hand_table() -> pd.DataFrame:
    """Seven buurten; at 6 km/h 100 m is one minute. The last has no inhabitants (no need value)."""
    return pd.DataFrame(
        {
            schema.NEED_INDEX: [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, np.nan],
            schema.CHILDREN_0_14: [100.0, 100.0, 100.0, 100.0, 50.0, 50.0, 0.0],
            "dist_sport_m": [1200.0, 900.0, np.nan, 500.0, 300.0, 1500.0, 10.0],
        },
        index=[f"BU{i:08d}" for i in range(7)],
    )


def test_equity_table_by_hand():
    # Children-weighted ranks .1 .3 .5 .7 .85 .95 -> quintiles 1 2 3 4 5 5.
    out = equity_table(hand_table(), facility_type="sport", speed_kmh=6.0, minutes=10)
    assert out.index.name == NEED_QUINTILE and out.index.tolist() == [1, 2, 3, 4, 5]
    assert out[N_BUURTEN].tolist() == [1, 1, 1, 1, 2]
    assert out[schema.CHILDREN_0_14].tolist() == [100, 100, 100, 100, 100]
    assert out[N_BUURTEN_NO_DISTANCE].tolist() == [0, 0, 1, 0, 0]
    np.testing.assert_allclose(out[MEAN_TIME_MIN], [12, 9, np.nan, 5, (50 * 3 + 50 * 15) / 100])
    np.testing.assert_allclose(out[MEAN_DIST_M], [1200, 900, np.nan, 500, 900])
    np.testing.assert_allclose(out["share_within_10min_pct"], [0, 100, np.nan, 100, 50])
    np.testing.assert_allclose(out["children_within_10min"], [0, 100, 0, 100, 50])
    # Exactly on the threshold counts as within: 900 m = 9 min.
    on_threshold = equity_table(hand_table(), facility_type="sport", speed_kmh=6.0, minutes=9)
    assert on_threshold["share_within_9min_pct"][2] == 100


def test_access_concentration_equals_the_index_of_the_within_indicator():
    t = hand_table()
    ok = t[schema.NEED_INDEX].notna() & t["dist_sport_m"].notna()
    within = (t["dist_sport_m"][ok] <= 1000).astype(float)
    expected = concentration_index(within, t[schema.NEED_INDEX][ok], t[schema.CHILDREN_0_14][ok])
    assert access_concentration(t, facility_type="sport", speed_kmh=6.0, minutes=10) == pytest.approx(expected)
    assert expected > 0  # within reach mostly in the high-need buurten here
    time = t["dist_sport_m"][ok] / 100.0
    assert access_concentration(t, facility_type="sport", speed_kmh=6.0, of="time") == pytest.approx(
        concentration_index(time, t[schema.NEED_INDEX][ok], t[schema.CHILDREN_0_14][ok])
    )


def test_equity_errors():
    t = hand_table()
    with pytest.raises(MissingColumnError, match="dist_library_m"):
        equity_table(t, facility_type="library", speed_kmh=4.0)
    with pytest.raises(ParameterError, match="speed"):
        equity_table(t, facility_type="sport", speed_kmh=0.0)
    with pytest.raises(ParameterError, match="need indicator"):
        equity_table(t.assign(**{schema.NEED_INDEX: np.nan}), facility_type="sport", speed_kmh=4.0)
    with pytest.raises(ParameterError):
        access_concentration(t, facility_type="sport", speed_kmh=4.0, of="distance")


def test_equity_on_utrecht():
    from geo.decide.pipeline import run

    table = run(DATA).table
    types = ("sport", "swimming_pool", "library", "primary_school", "after_school_care")
    out = equity_table(table, facility_type="sport", speed_kmh=4.0)
    ranked = table[schema.NEED_INDEX].notna()
    assert out[N_BUURTEN].sum() == ranked.sum() == 110
    assert out[schema.CHILDREN_0_14].sum() == pytest.approx(table.loc[ranked, schema.CHILDREN_0_14].sum())
    # Children-weighted quintiles: each holds roughly a fifth of the children (a buurt is never split).
    share = out[schema.CHILDREN_0_14] / out[schema.CHILDREN_0_14].sum()
    assert share.between(0.1, 0.3).all()
    summary = equity_summary(table, facility_types=types, speed_kmh=4.0)
    assert summary[schema.FACILITY_TYPE].tolist() == list(types)
    ci = summary[CONCENTRATION_INDEX].dropna()
    assert len(ci) >= 3 and ci.between(-1, 1).all()
    assert equity.within_share_column(10) in summary.columns
