"""Budget allocation: never over budget, checked against the exhaustive optimum, hand cases and the Utrecht data."""

import math

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
    CANDIDATE_ID,
    COST_EUR,
    CUMULATIVE_COST_EUR,
    CUMULATIVE_GAIN,
    GAIN_PER_EUR,
    MARGINAL_GAIN,
    METHOD_RATIO_GREEDY,
    METHOD_SINGLE_THEN_GREEDY,
    N_BUURTEN_REACHED,
    NEED_WEIGHT,
    PROGRAMME,
    REMAINING_BUDGET_EUR,
    RULE_LARGEST_SINGLE,
    SELECTION_RULE,
    SENTENCE_EN,
    SENTENCE_NL,
    STEP_COLUMNS,
    STOP_NO_BUDGET,
    STOP_NOTHING_AFFORDABLE,
    AllocationProblem,
    BudgetParams,
    InterventionType,
    allocate_budget,
    brute_force_allocation,
    build_problem,
    compute_need_weights,
    greedy_allocation,
    make_facility,
    make_programme,
)
from geo.errors import CrsError, MissingColumnError, ParameterError

KMN_FACTOR = (1 - 1 / math.e) / 2  # Khuller, Moss & Naor 1999, modified greedy on budgeted max coverage
FAST = settings(max_examples=100, deadline=None)


def _check_budget_kept(alloc, budget):
    steps = alloc.steps
    assert list(steps.columns) == list(STEP_COLUMNS)
    cents = np.round(steps[COST_EUR].to_numpy() * 100).astype(np.int64)
    assert cents.sum() <= round(budget * 100)
    assert alloc.total_cost_eur <= budget
    assert (steps[REMAINING_BUDGET_EUR] >= 0).all()
    np.testing.assert_allclose(steps[CUMULATIVE_COST_EUR], np.cumsum(cents) / 100)
    np.testing.assert_allclose(steps[CUMULATIVE_GAIN], np.cumsum(steps[MARGINAL_GAIN]))
    assert (steps[MARGINAL_GAIN] > 0).all()
    assert steps[CANDIDATE_ID].is_unique


# --------------------------------------------------------------------------- strategies

costs_st = st.integers(min_value=1, max_value=1_000)
gains_st = st.floats(min_value=0, max_value=1_000, allow_nan=False)


@st.composite
def knapsacks(draw, max_n=10):
    n = draw(st.integers(1, max_n))
    costs = draw(st.lists(costs_st, min_size=n, max_size=n))
    gains = draw(st.lists(gains_st, min_size=n, max_size=n))
    budget = draw(st.integers(0, 2 * sum(costs)))
    return AllocationProblem.from_gains(costs, gains), budget


@st.composite
def coverages(draw, max_n=9, max_m=8):
    n = draw(st.integers(1, max_n))
    m = draw(st.integers(1, max_m))
    sets = draw(st.lists(st.lists(st.integers(0, m - 1), max_size=m), min_size=n, max_size=n))
    costs = draw(st.lists(costs_st, min_size=n, max_size=n))
    values = draw(st.lists(gains_st, min_size=m, max_size=m))
    budget = draw(st.integers(0, sum(costs)))
    return AllocationProblem.from_sets(costs, sets, values), budget


# --------------------------------------------------------------------------- properties


@FAST
@given(case=coverages(), best_single=st.booleans())
def test_greedy_never_exceeds_the_budget(case, best_single):
    problem, budget = case
    alloc = greedy_allocation(problem, budget, best_single=best_single)
    _check_budget_kept(alloc, budget)
    assert alloc.total_gain == pytest.approx(alloc.steps[MARGINAL_GAIN].sum())


@FAST
@given(
    costs=st.lists(st.floats(min_value=0.01, max_value=50, allow_nan=False), min_size=1, max_size=8),
    budget=st.floats(min_value=0, max_value=120, allow_nan=False),
    data=st.data(),
)
def test_budget_kept_with_costs_in_cents(costs, budget, data):
    gains = data.draw(st.lists(gains_st, min_size=len(costs), max_size=len(costs)))
    alloc = greedy_allocation(AllocationProblem.from_gains(costs, gains), budget)
    _check_budget_kept(alloc, budget)
    # Costs are rounded *up* to whole cents, so a reported cost never understates the real one.
    reported = alloc.steps.set_index(CANDIDATE_ID)[COST_EUR]
    given_cost = pd.Series(costs, index=[f"c{i:02d}" for i in range(len(costs))])
    assert (reported >= given_cost.reindex(reported.index) - 1e-9).all()


@FAST
@given(
    n=st.integers(1, 12),
    cost=costs_st,
    gains=st.lists(gains_st, min_size=12, max_size=12),
    k=st.integers(0, 13),
    best_single=st.booleans(),
)
def test_equal_costs_and_no_overlap_greedy_is_optimal(n, cost, gains, k, best_single):
    # Provably optimal case: with one cost for all and additive gains the greedy is "take the k largest gains".
    problem = AllocationProblem.from_gains([cost] * n, gains[:n])
    budget = k * cost
    greedy = greedy_allocation(problem, budget, best_single=best_single)
    exact = brute_force_allocation(problem, budget)
    assert greedy.total_gain == pytest.approx(exact.total_gain, rel=1e-9, abs=1e-9)
    top_k = sorted((g for g in gains[:n] if g > 0), reverse=True)[:k]
    assert greedy.total_gain == pytest.approx(sum(top_k), rel=1e-9, abs=1e-9)
    assert greedy.method == METHOD_RATIO_GREEDY  # the single-item repair is never needed here


@FAST
@given(case=knapsacks())
def test_modified_greedy_reaches_half_the_knapsack_optimum(case):
    problem, budget = case
    greedy = greedy_allocation(problem, budget)
    exact = brute_force_allocation(problem, budget)
    _check_budget_kept(exact, budget)
    assert greedy.total_gain <= exact.total_gain + 1e-6
    assert greedy.total_gain >= 0.5 * exact.total_gain - 1e-6
    # The reported bound really bounds the optimum.
    assert exact.total_gain <= greedy.upper_bound_gain + 1e-6


@FAST
@given(case=coverages())
def test_modified_greedy_on_overlapping_coverage_keeps_the_proven_factor(case):
    problem, budget = case
    greedy = greedy_allocation(problem, budget)
    exact = brute_force_allocation(problem, budget)
    assert greedy.total_gain <= exact.total_gain + 1e-6
    assert greedy.total_gain >= KMN_FACTOR * exact.total_gain - 1e-6
    assert exact.total_gain <= greedy.upper_bound_gain + 1e-6
    assert 0 <= greedy.guaranteed_share <= 1


@FAST
@given(case=coverages(max_n=6), seed=st.integers(0, 2**16))
def test_result_does_not_depend_on_candidate_order(case, seed):
    problem, budget = case
    perm = np.random.default_rng(seed).permutation(len(problem.candidates))
    shuffled = AllocationProblem(
        candidates=problem.candidates.iloc[perm],
        elements=problem.elements,
        coverage=tuple(problem.coverage[i] for i in perm),
    )
    a = greedy_allocation(problem, budget)
    b = greedy_allocation(shuffled, budget)
    assert a.candidate_ids == b.candidate_ids  # ties go to the smallest id, not the first row
    assert b.total_gain == pytest.approx(a.total_gain)


# --------------------------------------------------------------------------- hand cases


def test_plain_ratio_greedy_can_be_arbitrarily_bad_and_the_single_item_fix_repairs_it():
    # Budget 10: A costs 1 and gains 2 (2 per euro), B costs 10 and gains 10 (1 per euro).
    problem = AllocationProblem.from_gains([1, 10], [2, 10], ids=["A", "B"])
    plain = greedy_allocation(problem, 10, best_single=False)
    assert plain.candidate_ids == ("A",) and plain.total_gain == 2
    fixed = greedy_allocation(problem, 10)
    assert fixed.candidate_ids == ("B",) and fixed.total_gain == 10
    assert fixed.method == METHOD_SINGLE_THEN_GREEDY
    assert fixed.steps[SELECTION_RULE].iloc[0] == RULE_LARGEST_SINGLE
    assert fixed.ratio_greedy_gain == 2 and fixed.best_single_gain == 10
    assert any("grootste enkele investering" in n for n in fixed.notes_nl)
    assert brute_force_allocation(problem, 10).total_gain == 10


def test_modified_greedy_is_not_always_optimal():
    # Budget 10: A (cost 6, gain 7) has the best ratio and is the best single item, but B + C = 10 is optimal.
    problem = AllocationProblem.from_gains([6, 5, 5], [7, 5, 5], ids=["A", "B", "C"])
    greedy = greedy_allocation(problem, 10)
    exact = brute_force_allocation(problem, 10)
    assert greedy.candidate_ids == ("A",) and greedy.total_gain == 7
    assert exact.candidate_ids == ("B", "C") and exact.total_gain == 10
    assert greedy.total_gain >= 0.5 * exact.total_gain
    assert greedy.upper_bound_gain >= 10


def test_overlapping_sites_count_each_element_once():
    # Two sites share element 1: together they reach 3 elements, not 4.
    problem = AllocationProblem.from_sets([1, 1], [[0, 1], [1, 2]], [10, 10, 10], ids=["s1", "s2"])
    alloc = greedy_allocation(problem, 2)
    assert alloc.total_gain == 30
    assert alloc.steps[MARGINAL_GAIN].tolist() == [20, 10]
    assert alloc.reached[schema.BUURT_CODE].is_unique


def test_greedy_stops_when_nothing_adds_value():
    problem = AllocationProblem.from_sets([1, 1, 1], [[0], [0], []], [5])
    alloc = greedy_allocation(problem, 100)
    assert alloc.candidate_ids == ("c00",)
    assert alloc.total_cost_eur == 1 and alloc.remaining_budget_eur == 99


def test_zero_budget_gives_an_empty_allocation_with_a_note():
    problem = AllocationProblem.from_gains([1, 2], [3, 4])
    alloc = greedy_allocation(problem, 0)
    assert alloc.steps.empty and list(alloc.steps.columns) == list(STEP_COLUMNS)
    assert alloc.reached.empty
    assert alloc.total_cost_eur == 0 and alloc.total_gain == 0
    assert alloc.stop_reason == STOP_NO_BUDGET
    assert "€ 0" in alloc.notes("nl")[-1] and "nothing can be funded" in alloc.notes("en")[-1]


def test_nothing_affordable_says_what_the_cheapest_costs():
    problem = AllocationProblem.from_gains([150_000, 200_000], [3, 4])
    alloc = greedy_allocation(problem, 100)
    assert alloc.steps.empty and alloc.stop_reason == STOP_NOTHING_AFFORDABLE
    assert any("150.000" in n for n in alloc.notes_nl)
    assert any("150,000" in n for n in alloc.notes_en)


@pytest.mark.parametrize("budget", [-1, -0.01, float("nan"), float("inf"), "a lot"])
def test_bad_budget_is_a_parameter_error(budget):
    problem = AllocationProblem.from_gains([1], [1])
    with pytest.raises(ParameterError, match="budget"):
        greedy_allocation(problem, budget)
    with pytest.raises(ParameterError, match="budget"):
        BudgetParams(budget_eur=budget)


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
    return gpd.GeoDataFrame(cols, geometry=geom, crs=schema.WORK_CRS, index=[f"BU000000{i}" for i in range(4)])


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
    cov = {cid: set(problem.elements.iloc[c][schema.BUURT_CODE]) for cid, c in zip(problem.candidates.index, problem.coverage)}
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
    problem = build_problem(table, [make_programme(cost_eur=100), make_facility("sport", cost_eur=100)], need_rule="none")
    alloc = greedy_allocation(problem, 10_000)
    reached = alloc.reached.groupby("intervention")[schema.BUURT_CODE].apply(set)
    assert reached["programme"] == {"BU0000000", "BU0000001", "BU0000002", "BU0000003"}
    assert reached["facility_sport"] == {"BU0000000", "BU0000001", "BU0000003"}
    assert alloc.total_gain == 1000 + 700


def test_custom_sites_and_cost_overrides():
    table = _toy_table()
    x0, y0 = 136_000.0, 455_000.0
    sites = gpd.GeoSeries(
        [shapely.Point(x0 + 150, y0), shapely.Point(x0 + 2_000, y0 + 2_000)], index=["school_a", "veld"], crs=schema.WORK_CRS
    )
    sport = make_facility("sport", cost_eur=100)
    problem = build_problem(table, [sport], sites={sport.key: sites}, cost_overrides={"facility_sport:veld": 5})
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


def test_utrecht_budget_for_three_programmes_picks_the_three_largest_need_weighted_buurten(utrecht):
    table = utrecht.table
    budget = 3 * PROGRAMME.cost_eur
    alloc = allocate_budget(table, BudgetParams(budget))
    _check_budget_kept(alloc, budget)
    assert len(alloc.steps) == 3 and alloc.total_cost_eur == budget and alloc.remaining_budget_eur == 0
    # Independent: w = 1 + (average rank - 1) / (n - 1) of the need index among ranked buurten.
    ranked = table[table[schema.STATUS] == schema.STATUS_RANKED]
    p = (ranked[schema.NEED_INDEX].rank(method="average") - 1) / (len(ranked) - 1)
    value = ranked[schema.CHILDREN_0_14].fillna(0) * (1 + p)
    expected = value.sort_values(ascending=False, kind="mergesort").index[:3]
    assert list(alloc.steps[schema.BUURT_CODE]) == list(expected)
    np.testing.assert_allclose(alloc.steps[MARGINAL_GAIN], value[expected])
    np.testing.assert_allclose(alloc.steps[GAIN_PER_EUR], value[expected] / PROGRAMME.cost_eur)
    assert alloc.total_gain == pytest.approx(value[expected].sum())
    assert alloc.guaranteed_share == pytest.approx(1.0)
    for k, (nl, en) in enumerate(zip(alloc.steps[SENTENCE_NL], alloc.steps[SENTENCE_EN]), start=1):
        assert nl.startswith(f"Stap {k}: Rijke-schooldagprogramma in ") and "€ 150.000" in nl
        assert en.startswith(f"Step {k}: Rich school day programme in ") and "€ 150,000" in en
    # One cent short of three programmes buys two.
    assert len(allocate_budget(table, BudgetParams(budget - 0.01)).steps) == 2


def test_utrecht_row_order_does_not_change_the_allocation(utrecht):
    params = BudgetParams(2_000_000, interventions=(PROGRAMME, make_facility("sport", cost_eur=400_000)))
    a = allocate_budget(utrecht.table, params)
    b = allocate_budget(utrecht.table.sample(frac=1.0, random_state=3), params)
    assert a.candidate_ids == b.candidate_ids
    _check_budget_kept(a, params.budget_eur)


def test_utrecht_facility_reach_is_within_walking_distance_of_unserved_buurten(utrecht):
    table = utrecht.table
    sport = make_facility("sport")
    problem = build_problem(table, [sport])
    pts = compute_origin_points(table)
    dist = table["dist_sport_m"]
    for cid, cov in zip(problem.candidates.index, problem.coverage):
        site = cid.split(":", 1)[1]
        for code in problem.elements.iloc[cov][schema.BUURT_CODE]:
            assert dist[code] > sport.reach_m
            assert pts[site].distance(pts[code]) <= sport.reach_m + 1e-6
    assert any("hemelsbreed" in n for n in problem.notes_nl)
