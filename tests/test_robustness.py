"""Robustness of the ranking: determinism, intervals, degenerate cases and slow-path checks."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import schema
from geo.catalog import INDICATORS
from geo.decide import pipeline
from geo.decide.ranking import RankingParams, rank_buurten
from geo.decide.robustness import (
    RANK_MEDIAN,
    RANK_P05,
    RANK_P95,
    RANK_WITHOUT_PREFIX,
    ROBUSTNESS_COLUMNS,
    SHARE_TOP_N,
    WEIGHT_SENSITIVE,
    compute_robustness,
    weight_spread,
)
from geo.errors import MissingColumnError, ParameterError
from tests.helpers import ranking_frame

KEYS = ("benefits_bijstand_per_1000", "woz_mean_keur", "dist_sport_m", "children_0_14")
WEIGHTS = {"benefits_bijstand_per_1000": 2.0, "woz_mean_keur": 1.0, "dist_sport_m": 1.0, "children_0_14": 0.5}


def random_frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = ranking_frame(**{k: rng.uniform(0, 1000, n) for k in KEYS})
    df.iloc[-1, df.columns.get_loc(schema.INHABITANTS)] = 0  # one buurt that is not ranked
    return df


@pytest.fixture(scope="module")
def ranked():
    df = random_frame(60, seed=3)
    params = RankingParams.from_weights(WEIGHTS)
    return df, params, rank_buurten(df, params)


# ---------------------------------------------------------------- determinism


def test_same_seed_same_result_other_seed_other_draws(ranked):
    _, params, res = ranked
    a = compute_robustness(res, params, n_draws=200, seed=7, top_n=10)
    b = compute_robustness(res, params, n_draws=200, seed=7, top_n=10)
    c = compute_robustness(res, params, n_draws=200, seed=8, top_n=10)
    pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_frame_equal(a.weight_draws, b.weight_draws)
    assert not np.allclose(a.weight_draws, c.weight_draws)
    assert not a.table[[RANK_MEDIAN, SHARE_TOP_N]].equals(c.table[[RANK_MEDIAN, SHARE_TOP_N]])


def test_output_shape_and_unranked_buurt(ranked):
    df, params, res = ranked
    r = compute_robustness(res, params, n_draws=50, seed=0)
    assert list(r.table.columns) == list(ROBUSTNESS_COLUMNS)
    assert r.table.index.equals(df.index)
    assert r.n_ranked == 59 and r.n_draws == 50 and r.weight_draws.shape == (50, 4)
    assert r.table.iloc[-1].isna().all()  # no inhabitants: not ranked, no values
    assert r.table.iloc[:-1].notna().all().all()
    # Drawn weights are scaled to the chosen total; their centre is the chosen weights.
    np.testing.assert_allclose(r.weight_draws.sum(axis=1), sum(WEIGHTS.values()))
    assert dict(r.weights) == WEIGHTS


def test_table_input_equals_result_input_and_row_order_does_not_matter(ranked):
    _, params, res = ranked
    a = compute_robustness(res, params, n_draws=100, seed=2, leave_one_out=True)
    shuffled = res.table.sample(frac=1.0, random_state=1)
    b = compute_robustness(shuffled, params, n_draws=100, seed=2, leave_one_out=True)
    pd.testing.assert_frame_equal(a.table, b.table.loc[a.table.index])
    pd.testing.assert_frame_equal(a.leave_one_out, b.leave_one_out.loc[a.table.index])


# ---------------------------------------------------------------- intervals


@st.composite
def cases(draw):
    n = draw(st.integers(min_value=2, max_value=30))
    values = st.floats(min_value=0, max_value=1000, allow_nan=False, width=32)
    cols = {k: draw(st.lists(st.one_of(values, st.just(np.nan)), min_size=n, max_size=n)) for k in KEYS[:3]}
    # Few distinct values so that ties are common.
    cols["children_0_14"] = draw(st.lists(st.sampled_from([0.0, 10.0, 20.0]), min_size=n, max_size=n))
    cols["children_0_14"][0], cols["children_0_14"][1] = 0.0, 20.0  # always some variation
    weights = {k: draw(st.sampled_from([0.0, 0.5, 1.0, 3.0])) for k in KEYS}
    weights["children_0_14"] = draw(st.sampled_from([0.5, 1.0, 2.0]))
    return ranking_frame(**cols), weights


@settings(max_examples=30, deadline=None)
@given(
    cases(),
    st.integers(min_value=0, max_value=2**32),
    st.integers(min_value=1, max_value=60),
    st.sampled_from([0.5, 5.0, 100.0, 1e6]),
    st.integers(min_value=1, max_value=8),
)
def test_interval_contains_the_point_rank(case, seed, n_draws, concentration, top_n):
    df, weights = case
    params = RankingParams.from_weights(weights)
    res = rank_buurten(df, params)
    r = compute_robustness(res, params, n_draws=n_draws, seed=seed, top_n=top_n, concentration=concentration)
    t, point = r.table, res.table[schema.RANK]
    assert (t[RANK_P05] <= point).all() and (point <= t[RANK_P95]).all()
    assert (t[RANK_P05] <= t[RANK_MEDIAN]).all() and (t[RANK_MEDIAN] <= t[RANK_P95]).all()
    assert t[RANK_P05].min() >= 1 and t[RANK_P95].max() <= len(df)
    assert t[SHARE_TOP_N].between(0, 1).all()
    expected_flag = (t[RANK_P05] <= top_n) & (top_n < t[RANK_P95])
    assert t[WEIGHT_SENSITIVE].equals(expected_flag.astype("boolean"))


def test_summary_equals_rank_buurten_on_every_draw(ranked):
    """Slow path: rank each drawn weight vector with rank_buurten and summarise by hand."""
    df, params, res = ranked
    r = compute_robustness(res, params, n_draws=25, seed=11, top_n=5)
    ranks = np.column_stack(
        [
            rank_buurten(df, RankingParams.from_weights(row.to_dict())).table[schema.RANK].to_numpy(dtype="float64")
            for _, row in r.weight_draws.iterrows()
        ]
    )[:-1]  # the last buurt is not ranked
    point = res.table[schema.RANK].to_numpy(dtype="float64")[:-1]
    t = r.table.iloc[:-1]
    np.testing.assert_array_equal(t[RANK_MEDIAN], np.median(ranks, axis=1))
    low = np.minimum(np.quantile(ranks, 0.05, axis=1, method="lower"), point)
    high = np.maximum(np.quantile(ranks, 0.95, axis=1, method="higher"), point)
    np.testing.assert_array_equal(t[RANK_P05].astype(float), low)
    np.testing.assert_array_equal(t[RANK_P95].astype(float), high)
    np.testing.assert_allclose(t[SHARE_TOP_N], (ranks <= 5).mean(axis=1))


@pytest.mark.parametrize("concentration", [math.inf, 1e12])
def test_fixed_weights_give_the_point_rank_everywhere(ranked, concentration):
    _, params, res = ranked
    r = compute_robustness(res, params, n_draws=40, seed=1, top_n=10, concentration=concentration)
    t = r.table.iloc[:-1]
    point = res.table[schema.RANK].iloc[:-1]
    for col in (RANK_MEDIAN, RANK_P05, RANK_P95):
        np.testing.assert_array_equal(t[col].astype(float), point.astype(float))
    np.testing.assert_array_equal(t[SHARE_TOP_N], (point <= 10).astype(float))
    assert r.n_sensitive == 0 and r.n_widened == 0


def test_single_indicator_never_moves():
    df = ranking_frame(benefits_bijstand_per_1000=[5.0, 30.0, 30.0, 10.0, 50.0])
    params = RankingParams.from_weights({"benefits_bijstand_per_1000": 1.0, "woz_mean_keur": 2.0})  # woz: no column
    res = rank_buurten(df, params)
    r = compute_robustness(res, params, n_draws=30, seed=0, top_n=2, leave_one_out=True)
    assert r.table[RANK_MEDIAN].tolist() == [5.0, 2.0, 2.0, 4.0, 1.0]
    assert r.table[SHARE_TOP_N].tolist() == [0.0, 1.0, 1.0, 0.0, 1.0]
    assert list(r.weight_draws.columns) == ["benefits_bijstand_per_1000"]
    assert r.leave_one_out[f"{RANK_WITHOUT_PREFIX}benefits_bijstand_per_1000"].isna().all()


def test_buurt_dominating_every_indicator_is_always_first():
    rng = np.random.default_rng(5)
    df = ranking_frame(**{k: rng.uniform(100, 900, 40) for k in KEYS})
    for k in KEYS:  # buurt 7 has the most need on every indicator
        df.iloc[7, df.columns.get_loc(k)] = 1000.0 if INDICATORS[k].direction > 0 else 1.0
    params = RankingParams.from_weights(WEIGHTS)
    r = compute_robustness(rank_buurten(df, params), params, n_draws=300, seed=3, top_n=1, concentration=1.0)
    assert r.table[SHARE_TOP_N].iloc[7] == 1.0
    assert r.table[RANK_P95].iloc[7] == 1
    assert (r.table[SHARE_TOP_N].drop(df.index[7]) == 0.0).all()


def test_weight_spread_formula_matches_the_draws(ranked):
    _, params, res = ranked
    r = compute_robustness(res, params, n_draws=20_000, seed=4, concentration=50.0)
    cv = r.weight_draws.std() / r.weight_draws.mean()
    expected = weight_spread(WEIGHTS, 50.0)
    np.testing.assert_allclose(cv[expected.index], expected, rtol=0.03)
    np.testing.assert_allclose(r.weight_draws.mean()[expected.index], pd.Series(WEIGHTS)[expected.index], rtol=0.02)
    assert (weight_spread(WEIGHTS, math.inf) == 0).all()


# ---------------------------------------------------------------- leave one out


@settings(max_examples=15, deadline=None)
@given(cases())
def test_leave_one_out_equals_rank_buurten_with_that_weight_zero(case):
    df, weights = case
    params = RankingParams.from_weights(weights)
    res = rank_buurten(df, params)
    r = compute_robustness(res, params, n_draws=1, leave_one_out=True)
    used = [u.key for u in res.used]
    assert list(r.leave_one_out.columns) == [f"{RANK_WITHOUT_PREFIX}{k}" for k in sorted(used)]
    for key in used:
        col = r.leave_one_out[f"{RANK_WITHOUT_PREFIX}{key}"]
        if len(used) == 1:
            assert col.isna().all()
            continue
        independent = rank_buurten(df, RankingParams.from_weights(dict(weights, **{key: 0.0}))).table[schema.RANK]
        pd.testing.assert_series_equal(col, independent, check_names=False)


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_draws": 0}, "n_draws must be a whole number ≥ 1"),
        ({"n_draws": 2.5}, "n_draws must be a whole number"),
        ({"top_n": 0}, "top_n must be a whole number ≥ 1"),
        ({"seed": -1}, "seed must be a whole number ≥ 0"),
        ({"concentration": 0.0}, "concentration must be a number > 0"),
        ({"concentration": float("nan")}, "concentration must be a number > 0"),
    ],
)
def test_bad_options_raise(ranked, kwargs, message):
    _, params, res = ranked
    with pytest.raises(ParameterError, match=message):
        compute_robustness(res, params, **kwargs)


def test_other_weights_than_the_ranking_raise(ranked):
    *_, res = ranked
    other = RankingParams.from_weights(dict(WEIGHTS, woz_mean_keur=3.0))
    with pytest.raises(ParameterError, match="other weights"):
        compute_robustness(res, other)
    with pytest.raises(ParameterError, match="do not reproduce the table's priority score"):
        compute_robustness(res.table, other)


def test_missing_columns_raise(ranked):
    _, params, res = ranked
    with pytest.raises(MissingColumnError, match="'rank' column"):
        compute_robustness(res.table.drop(columns=[schema.RANK]), params)
    with pytest.raises(MissingColumnError, match="z_"):
        compute_robustness(res.table.filter(regex=r"^(rank|priority_score)$"), params)


# ---------------------------------------------------------------- real data


def test_utrecht_default():
    result = pipeline.run()
    r = compute_robustness(result.table, result.params, n_draws=300, seed=0, top_n=10, leave_one_out=True)
    t = r.table
    assert r.n_ranked == 110 and t[RANK_MEDIAN].notna().sum() == 110
    assert t[RANK_MEDIAN].dropna().between(1, 110).all()
    point = result.table[schema.RANK]
    assert ((t[RANK_P05] <= point) & (point <= t[RANK_P95])).dropna().all()
    assert 0 < r.n_sensitive < 20
    assert r.leave_one_out.shape == (111, len(result.ranking.used))
