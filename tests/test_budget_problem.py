"""Budget allocation, the problem: parameters, need weights, candidates and what each reaches."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import schema
from geo.decide import pipeline
from geo.decide.access import compute_origin_points
from geo.decide.budget import (
    COST_EUR,
    N_BUURTEN_REACHED,
    NEED_WEIGHT,
    PROGRAMME,
    SENTENCE_NL,
    AllocationProblem,
    BudgetParams,
    InterventionType,
    brute_force_allocation,
    build_problem,
    compute_need_weights,
    greedy_allocation,
    make_facility,
    make_programme,
)
from geo.errors import CrsError, MissingColumnError, ParameterError

FAST = settings(max_examples=100, deadline=None)


@pytest.mark.parametrize("cost", [-150_000, 0, float("nan")])
def test_bad_cost_is_a_parameter_error(cost):
    with pytest.raises(ParameterError, match="> 0"):
        make_programme(cost_eur=cost)
    with pytest.raises(ParameterError, match="> 0"):
        AllocationProblem.from_gains([1, cost], [1, 1])
    with pytest.raises(ParameterError, match="> 0"):
        BudgetParams(100, cost_overrides=(("programme:BU1", cost),))


def test_other_bad_parameters():
    with pytest.raises(ParameterError, match="need-weight rule"):
        BudgetParams(100, need_rule="sqrt")
    with pytest.raises(ParameterError, match="need_strength"):
        BudgetParams(100, need_strength=-1)
    with pytest.raises(ParameterError, match="unique"):
        BudgetParams(100, interventions=(PROGRAMME, PROGRAMME))
    with pytest.raises(ParameterError, match="facility type"):
        make_facility("zoo")
    with pytest.raises(ParameterError, match="walk_minutes"):
        make_facility("sport", walk_minutes=0)
    with pytest.raises(ParameterError, match="kind"):
        InterventionType("x", "x", "x", 1.0, kind="voucher")
    with pytest.raises(ParameterError, match="at most 15"):
        brute_force_allocation(AllocationProblem.from_gains([1] * 16, [1] * 16), 3)


# --------------------------------------------------------------------------- need weights


def _toy_table(**over) -> gpd.GeoDataFrame:
    """Four 100 m square buurten: three in a row 300 m apart, one 5 km away."""
    x0, y0 = 136_000.0, 455_000.0
    xs = [0.0, 300.0, 600.0, 5_000.0]
    cols = {
        schema.BUURT_NAME: ["Noord", "Midden", "Zuid", "Ver"],
        schema.CHILDREN_0_14: [100.0, 200.0, 300.0, 400.0],
        schema.NEED_INDEX: [1.0, 0.0, -1.0, 0.5],
        schema.STATUS: [schema.STATUS_RANKED] * 4,
        "dist_sport_m": [1_000.0, 1_000.0, 100.0, 1_000.0],
    }
    cols.update(over)
    geom = [shapely.box(x0 + x - 50, y0 - 50, x0 + x + 50, y0 + 50) for x in xs]
    return gpd.GeoDataFrame(
        cols, geometry=geom, crs=schema.WORK_CRS, index=[f"BU000000{i}" for i in range(4)]
    )


def test_percentile_need_weights_by_hand():
    w = compute_need_weights(_toy_table())
    # need order: Zuid (-1) < Midden (0) < Ver (0.5) < Noord (1) → p = 0, 1/3, 2/3, 1
    np.testing.assert_allclose(w.to_numpy(), [2.0, 1 + 1 / 3, 1.0, 1 + 2 / 3])
    assert w.name == NEED_WEIGHT
    w2 = compute_need_weights(_toy_table(), strength=3)
    assert w2.max() == pytest.approx(4.0) and w2.min() == pytest.approx(1.0)


def test_other_need_weight_rules_and_unranked_buurten():
    t = _toy_table(**{schema.STATUS: [schema.STATUS_RANKED] * 3 + [schema.STATUS_NO_INHABITANTS]})
    np.testing.assert_allclose(compute_need_weights(t, rule="exp").iloc[:3], np.exp([1.0, 0.0, -1.0]))
    assert compute_need_weights(t, rule="none").iloc[:3].tolist() == [1.0, 1.0, 1.0]
    assert np.isnan(compute_need_weights(t).iloc[3])
    # No need index at all (no need indicator had data): every ranked buurt counts with weight 1.
    nan_need = compute_need_weights(_toy_table(**{schema.NEED_INDEX: [np.nan] * 4}))
    assert nan_need.tolist() == [1.0] * 4


@FAST
@given(need=st.lists(st.floats(-3, 3, allow_nan=False), min_size=2, max_size=30), strength=st.floats(0, 5))
def test_percentile_weights_are_positive_bounded_and_monotone(need, strength):
    t = pd.DataFrame({schema.NEED_INDEX: need, schema.STATUS: schema.STATUS_RANKED})
    w = compute_need_weights(t, strength=strength)
    assert (w >= 1 - 1e-12).all() and (w <= 1 + strength + 1e-12).all()
    order = np.argsort(need, kind="stable")
    assert (np.diff(w.to_numpy()[order]) >= -1e-12).all()


# --------------------------------------------------------------------------- facilities on a toy map


def test_facility_reach_skips_served_buurten_and_counts_each_once():
    table = _toy_table()
    sport = make_facility("sport", cost_eur=100)  # 10 min at 4 km/h ≈ 667 m
    problem = build_problem(table, [sport], need_rule="none")
    cov = {
        cid: set(problem.elements.iloc[c][schema.BUURT_CODE])
        for cid, c in zip(problem.candidates.index, problem.coverage, strict=True)
    }
    # Zuid already has sport within 100 m: no site gains anything there.
    assert cov["facility_sport:BU0000000"] == {"BU0000000", "BU0000001"}
    assert cov["facility_sport:BU0000001"] == {"BU0000000", "BU0000001"}
    assert cov["facility_sport:BU0000002"] == {"BU0000000", "BU0000001"}  # Noord is 600 m away: within reach
    assert cov["facility_sport:BU0000003"] == {"BU0000003"}
    alloc = greedy_allocation(problem, 300)
    # Ver (400 children) first, then one of the twin sites (300); the other twin adds nothing.
    assert alloc.candidate_ids == ("facility_sport:BU0000003", "facility_sport:BU0000000")
    assert alloc.total_gain == 700 and alloc.children_reached == 700
    assert alloc.reached[schema.BUURT_CODE].is_unique
    assert alloc.stop_reason == "nothing_adds_value"
    assert alloc.total_cost_eur == 200  # the third facility would add nothing, so it is not bought
    assert "ligt" in alloc.steps[SENTENCE_NL].iloc[0] and "liggen" in alloc.steps[SENTENCE_NL].iloc[1]


def test_programme_and_facility_count_once_per_intervention():
    table = _toy_table()
    problem = build_problem(
        table, [make_programme(cost_eur=100), make_facility("sport", cost_eur=100)], need_rule="none"
    )
    alloc = greedy_allocation(problem, 10_000)
    reached = alloc.reached.groupby("intervention")[schema.BUURT_CODE].apply(set)
    assert reached["programme"] == {"BU0000000", "BU0000001", "BU0000002", "BU0000003"}
    assert reached["facility_sport"] == {"BU0000000", "BU0000001", "BU0000003"}
    assert alloc.total_gain == 1000 + 700


def test_custom_sites_and_cost_overrides():
    table = _toy_table()
    x0, y0 = 136_000.0, 455_000.0
    sites = gpd.GeoSeries(
        [shapely.Point(x0 + 150, y0), shapely.Point(x0 + 2_000, y0 + 2_000)],
        index=["school_a", "veld"],
        crs=schema.WORK_CRS,
    )
    sport = make_facility("sport", cost_eur=100)
    problem = build_problem(
        table, [sport], sites={sport.key: sites}, cost_overrides={"facility_sport:veld": 5}
    )
    cand = problem.candidates
    assert list(cand.index) == ["facility_sport:school_a", "facility_sport:veld"]
    assert cand.loc["facility_sport:veld", COST_EUR] == 5
    assert cand.loc["facility_sport:veld", N_BUURTEN_REACHED.replace("reached", "alone")] == 0
    assert cand.loc["facility_sport:school_a", schema.BUURT_CODE] is None  # between two buurten
    alloc = greedy_allocation(problem, 1_000)
    assert alloc.candidate_ids == ("facility_sport:school_a",)
    assert "op locatie school_a" in alloc.steps[SENTENCE_NL].iloc[0]
    with pytest.raises(ParameterError, match="unknown candidate"):
        build_problem(table, [sport], cost_overrides={"facility_sport:nowhere": 5})
    with pytest.raises(CrsError):
        build_problem(table, [sport], sites={sport.key: sites.set_crs("EPSG:4326", allow_override=True)})
    with pytest.raises(ParameterError, match="not a facility"):
        build_problem(table, [PROGRAMME], sites={"programme": sites})


def test_facility_needs_current_distances_and_a_metric_crs():
    sport = make_facility("sport")
    with pytest.raises(MissingColumnError, match="dist_sport_m"):
        build_problem(_toy_table().drop(columns="dist_sport_m"), [sport])
    with pytest.raises(ParameterError, match="empty"):
        build_problem(_toy_table(dist_sport_m=[np.nan] * 4), [sport])
    with pytest.raises(CrsError):
        build_problem(_toy_table().to_crs("EPSG:4326"), [sport])
    part = build_problem(_toy_table(dist_sport_m=[np.nan, 1_000.0, 100.0, 1_000.0]), [sport])
    assert any("1 buurt zonder bekende afstand" in n for n in part.notes_nl)
    reached = set().union(*(set(part.elements.iloc[c][schema.BUURT_CODE]) for c in part.coverage))
    assert "BU0000000" not in reached  # an unknown current distance is never counted as a gain


def test_missing_child_counts_count_as_zero_and_are_reported():
    problem = build_problem(_toy_table(**{schema.CHILDREN_0_14: [100.0, np.nan, 300.0, 400.0]}), [PROGRAMME])
    assert problem.candidates.loc["programme:BU0000001", "gain_alone"] == 0
    assert any("1 buurt zonder bekend aantal kinderen" in n for n in problem.notes_nl)
    alloc = greedy_allocation(problem, 10 * PROGRAMME.cost_eur)
    assert "programme:BU0000001" not in alloc.candidate_ids and len(alloc.steps) == 3


# --------------------------------------------------------------------------- the real Utrecht default


@pytest.fixture(scope="module")
def utrecht() -> pipeline.PipelineResult:
    return pipeline.run()


def test_utrecht_facility_reach_is_within_walking_distance_of_unserved_buurten(utrecht):
    table = utrecht.table
    sport = make_facility("sport")
    problem = build_problem(table, [sport])
    pts = compute_origin_points(table)
    dist = table["dist_sport_m"]
    for cid, cov in zip(problem.candidates.index, problem.coverage, strict=True):
        site = cid.split(":", 1)[1]
        for code in problem.elements.iloc[cov][schema.BUURT_CODE]:
            assert dist[code] > sport.reach_m
            assert pts[site].distance(pts[code]) <= sport.reach_m + 1e-6
    assert any("hemelsbreed" in n for n in problem.notes_nl)
