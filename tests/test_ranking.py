"""Ranking: hand-computed cases and property-based invariants."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import schema
from geo.decide.ranking import RankingParams, contributions, rank_buurten
from geo.errors import ParameterError
from tests.helpers import ranking_frame


def test_single_indicator_by_hand():
    df = ranking_frame(benefits_bijstand_per_1000=[10.0, 20.0, 30.0])
    res = rank_buurten(df, RankingParams.from_weights({"benefits_bijstand_per_1000": 1}))
    z = np.array([-1, 0, 1]) * np.sqrt(1.5)  # (x - 20) / population std 8.165
    np.testing.assert_allclose(res.table["z_benefits_bijstand_per_1000"], z)
    np.testing.assert_allclose(res.table[schema.PRIORITY_SCORE], z)
    assert res.table[schema.RANK].tolist() == [3, 2, 1]


def test_direction_minus_one_means_low_value_high_priority():
    df = ranking_frame(woz_mean_keur=[200.0, 400.0, 600.0])
    res = rank_buurten(df, RankingParams.from_weights({"woz_mean_keur": 1}))
    assert res.table[schema.RANK].tolist() == [1, 2, 3]


def test_weighted_sum_and_groups_by_hand():
    df = ranking_frame(
        benefits_bijstand_per_1000=[10.0, 20.0, 30.0],
        dist_sport_m=[300.0, 100.0, 200.0],
        children_0_14=[50.0, 50.0, 200.0],
    )
    w = {"benefits_bijstand_per_1000": 2, "dist_sport_m": 1, "children_0_14": 1}
    t = rank_buurten(df, RankingParams.from_weights(w)).table
    zb = np.array([-1, 0, 1]) * np.sqrt(1.5)
    zd = np.array([1, -1, 0]) * np.sqrt(1.5)
    zc = (np.array([50, 50, 200]) - 100) / np.std([50, 50, 200])
    np.testing.assert_allclose(t[schema.PRIORITY_SCORE], (2 * zb + zd + zc) / 4)
    np.testing.assert_allclose(t[schema.NEED_INDEX], zb)
    np.testing.assert_allclose(t[schema.ACCESS_GAP], zd)
    np.testing.assert_allclose(t[schema.REACH_SCORE], zc)


def test_missing_value_gets_the_median_and_is_counted():
    df = ranking_frame(benefits_bijstand_per_1000=[10.0, np.nan, 30.0, 40.0])
    res = rank_buurten(df, RankingParams.from_weights({"benefits_bijstand_per_1000": 1}))
    (use,) = res.uses
    assert use.used and use.n_imputed == 1
    z = res.table["z_benefits_bijstand_per_1000"]
    filled = np.array([10, 30, 30, 40.0])
    assert z.iloc[1] == pytest.approx((30 - filled.mean()) / filled.std())
    assert np.isnan(res.table["pct_benefits_bijstand_per_1000"].iloc[1])  # no percentile for an imputed value


def test_indicator_without_data_or_variation_is_reported_not_used():
    df = ranking_frame(
        benefits_bijstand_per_1000=[10.0, 20.0, 30.0],
        share_low_income_hh_pct=[np.nan] * 3,
        share_social_rent_pct=[40.0] * 3,
    )
    w = {"benefits_bijstand_per_1000": 1, "share_low_income_hh_pct": 5, "share_social_rent_pct": 1}
    res = rank_buurten(df, RankingParams.from_weights(w))
    reasons = {u.key: u.reason for u in res.unused}
    assert reasons == {"share_low_income_hh_pct": "no_data", "share_social_rent_pct": "no_variation"}
    # The unused weights do not dilute the score.
    np.testing.assert_allclose(res.table[schema.PRIORITY_SCORE], np.array([-1, 0, 1]) * np.sqrt(1.5))


def test_buurt_without_inhabitants_is_not_ranked_and_does_not_shift_others():
    df = ranking_frame(benefits_bijstand_per_1000=[10.0, 20.0, 30.0, 999.0], inhabitants=[100, 100, 100, 0])
    t = rank_buurten(df, RankingParams.from_weights({"benefits_bijstand_per_1000": 1})).table
    assert t[schema.STATUS].tolist() == ["ranked"] * 3 + ["no_inhabitants"]
    assert pd.isna(t[schema.RANK].iloc[3]) and np.isnan(t[schema.PRIORITY_SCORE].iloc[3])
    np.testing.assert_allclose(t[schema.PRIORITY_SCORE].iloc[:3], np.array([-1, 0, 1]) * np.sqrt(1.5))


def test_ties_share_a_rank():
    df = ranking_frame(benefits_bijstand_per_1000=[10.0, 30.0, 30.0, 5.0])
    t = rank_buurten(df, RankingParams.from_weights({"benefits_bijstand_per_1000": 1})).table
    assert t[schema.RANK].tolist() == [3, 1, 1, 4]


def test_outlier_is_clipped():
    df = ranking_frame(benefits_bijstand_per_1000=[1.0] * 30 + [1000.0])
    t = rank_buurten(df, RankingParams.from_weights({"benefits_bijstand_per_1000": 1})).table
    assert t["z_benefits_bijstand_per_1000"].max() == 3.0


@pytest.mark.parametrize(
    "weights, message",
    [
        ({"benefits_bijstand_per_1000": 0}, "All weights are zero"),
        ({"benefits_bijstand_per_1000": -1}, "≥ 0"),
        ({"benefits_bijstand_per_1000": float("nan")}, "finite"),
        ({"no_such_indicator": 1}, "Unknown indicator"),
    ],
)
def test_bad_weights_raise(weights, message):
    df = ranking_frame(benefits_bijstand_per_1000=[10.0, 20.0, 30.0])
    with pytest.raises(ParameterError, match=message):
        rank_buurten(df, RankingParams.from_weights(weights))


def test_unknown_preset_raises():
    with pytest.raises(ParameterError, match="Unknown preset"):
        RankingParams.from_preset("nope")


# ---------------------------------------------------------------- properties

KEYS = ("benefits_bijstand_per_1000", "woz_mean_keur", "dist_sport_m", "children_0_14")
values = st.floats(min_value=0, max_value=1000, allow_nan=False, width=32)


@st.composite
def cases(draw):
    n = draw(st.integers(min_value=3, max_value=25))
    cols = {k: draw(st.lists(st.one_of(values, st.just(np.nan)) if k != "children_0_14" else values,
                             min_size=n, max_size=n)) for k in KEYS}
    weights = {k: draw(st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.5])) for k in KEYS}
    # children_0_14 always varies (below), so one usable weighted indicator always exists.
    weights["children_0_14"] = draw(st.sampled_from([0.5, 1.0, 2.0]))
    cols["children_0_14"][0] = cols["children_0_14"][0] + 1.0  # at least some variation
    cols["children_0_14"][1] = cols["children_0_14"][0] + 7.0
    return ranking_frame(**cols), weights


@settings(max_examples=60, deadline=None)
@given(cases(), st.randoms(use_true_random=False))
def test_row_order_never_changes_a_result(case, rnd):
    df, weights = case
    params = RankingParams.from_weights(weights)
    a = rank_buurten(df, params).table
    order = list(df.index)
    rnd.shuffle(order)
    b = rank_buurten(df.loc[order], params).table.loc[df.index]
    pd.testing.assert_series_equal(a[schema.RANK], b[schema.RANK])
    np.testing.assert_allclose(a[schema.PRIORITY_SCORE], b[schema.PRIORITY_SCORE], atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(cases())
def test_contributions_sum_to_the_priority_score(case):
    df, weights = case
    res = rank_buurten(df, RankingParams.from_weights(weights))
    t = res.table
    contrib = t[[c for c in t.columns if c.startswith(schema.CONTRIB_PREFIX)]].sum(axis=1)
    np.testing.assert_allclose(contrib, t[schema.PRIORITY_SCORE], atol=1e-12)
    code = t.index[0]
    assert contributions(t, code).sum() == pytest.approx(t.loc[code, schema.PRIORITY_SCORE])
    # Each indicator's share of its sub-score (need index, access gap, reach) sums to that sub-score.
    from geo.catalog import INDICATORS

    ranked = t[schema.STATUS] == schema.STATUS_RANKED
    for group, col in (("need", schema.NEED_INDEX), ("access", schema.ACCESS_GAP), ("reach", schema.REACH_SCORE)):
        prefix = schema.GROUP_CONTRIB_PREFIX
        cols = [c for c in t.columns if c.startswith(prefix) and INDICATORS[c[len(prefix):]].group == group]
        if cols:
            np.testing.assert_allclose(t.loc[ranked, cols].sum(axis=1), t.loc[ranked, col], atol=1e-12)
        else:
            assert t[col].isna().all()


@settings(max_examples=60, deadline=None)
@given(cases(), st.sampled_from(KEYS), st.floats(min_value=0.5, max_value=10))
def test_more_weight_never_lowers_the_buurt_worst_on_that_indicator(case, key, extra):
    df, weights = case
    before = rank_buurten(df, RankingParams.from_weights(weights))
    if f"z_{key}" not in before.table:
        return  # indicator without usable data in this draw
    worst = before.table[f"z_{key}"].idxmax()
    heavier = dict(weights, **{key: weights[key] + extra})
    after = rank_buurten(df, RankingParams.from_weights(heavier))
    assert after.table.loc[worst, schema.RANK] <= before.table.loc[worst, schema.RANK]


def test_normalisation_within_each_municipality_or_over_the_country() -> None:
    """Two municipalities whose buurten differ only by a constant: within each, they rank the same."""
    frame = ranking_frame(share_children_0_14_pct=[10.0, 20.0, 30.0, 40.0, 50.0, 60.0])
    towns = pd.Series(["GM0001"] * 3 + ["GM0002"] * 3, index=frame.index)
    params = RankingParams.from_weights({"share_children_0_14_pct": 1.0})
    within = rank_buurten(frame, params, municipalities=towns).table
    # Each town's z-scores are (−1.22, 0, 1.22): the same in both towns.
    np.testing.assert_allclose(within["z_share_children_0_14_pct"].to_numpy(),
                               np.tile([-1.224744871, 0.0, 1.224744871], 2), atol=1e-9)
    assert within[schema.RANK_IN_MUNICIPALITY].tolist() == [3, 2, 1, 3, 2, 1]
    assert within[schema.PERCENTILE_PREFIX + "share_children_0_14_pct"].iloc[:3].tolist() == pytest.approx(
        [100 / 6, 50.0, 500 / 6])
    national = rank_buurten(frame, RankingParams.from_weights({"share_children_0_14_pct": 1.0},
                                                              normalisation="national"), municipalities=towns).table
    assert national[schema.RANK].tolist() == [6, 5, 4, 3, 2, 1]
    assert schema.RANK_IN_MUNICIPALITY not in national.columns
    with pytest.raises(ParameterError, match="normalisation"):
        RankingParams.from_weights({"share_children_0_14_pct": 1.0}, normalisation="provincial")
