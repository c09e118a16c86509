"""Budget allocation, solving: never over budget, against the exhaustive optimum, hand cases and Utrecht."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import schema
from geo.decide import pipeline
from geo.decide.budget import (
    CANDIDATE_ID,
    COST_EUR,
    CUMULATIVE_COST_EUR,
    CUMULATIVE_GAIN,
    GAIN_PER_EUR,
    MARGINAL_GAIN,
    METHOD_EXACT,
    METHOD_RATIO_GREEDY,
    METHOD_SINGLE_THEN_GREEDY,
    PROGRAMME,
    REMAINING_BUDGET_EUR,
    RULE_LARGEST_SINGLE,
    SELECTION_RULE,
    SENTENCE_EN,
    SENTENCE_NL,
    STEP_COLUMNS,
    STOP_NO_BUDGET,
    AllocationProblem,
    BudgetParams,
    allocate_budget,
    brute_force_allocation,
    build_problem,
    exact_allocation,
    greedy_allocation,
    make_facility,
    make_programme,
)
from geo.errors import ParameterError

KMN_FACTOR = (1 - 1 / math.e) / 2  # Khuller, Moss & Naor 1999, modified greedy on budgeted max coverage
FAST = settings(max_examples=100, deadline=None)


def _check_budget_kept(alloc, budget):
    steps = alloc.steps
    assert list(steps.columns) == list(STEP_COLUMNS)
    cents = np.round(steps[COST_EUR].to_numpy() * 100).astype(np.int64)
    assert cents.sum() <= round(budget * 100)
    assert alloc.total_cost_eur <= budget + 0.005  # the solver counts in whole cents (budget rounded to a cent)
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
    # Provably optimal: with one cost for all and additive gains the greedy is "take the k largest gains".
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
    # The exact search treats gains within 1e-9 (relative) as equal and then takes the cheaper set.
    slack = 1e-9 * max(1.0, exact.total_gain) + 1e-6
    assert greedy.total_gain <= exact.total_gain + slack
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


@FAST
@given(case=st.one_of(coverages(), knapsacks()))
def test_exact_solver_finds_the_exhaustive_optimum(case):
    # Two independent exact methods: every combination, and the integer programme.
    problem, budget = case
    exact = exact_allocation(problem, budget)
    brute = brute_force_allocation(problem, budget)
    _check_budget_kept(exact, budget)
    assert exact.total_gain == pytest.approx(brute.total_gain, rel=1e-9, abs=1e-6)
    assert exact.method == METHOD_EXACT and exact.guaranteed_share == 1.0 and exact.upper_bound_gain is None


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
    assert exact_allocation(problem, 10).candidate_ids == ("B", "C")


def test_exact_solver_leaves_out_what_adds_nothing_and_checks_its_time_limit():
    # c01 repeats c00's element: funding both is as good as funding c00, so the plan keeps only c00.
    problem = AllocationProblem.from_sets([1, 1, 1], [[0], [0], []], [5])
    assert exact_allocation(problem, 100).candidate_ids == ("c00",)
    assert exact_allocation(problem, 0).steps.empty
    with pytest.raises(ParameterError, match="time_limit_s"):
        exact_allocation(problem, 100, time_limit_s=0)


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


@pytest.mark.parametrize("budget", [-1, -0.01, float("nan"), float("inf"), "a lot"])
def test_bad_budget_is_a_parameter_error(budget):
    problem = AllocationProblem.from_gains([1], [1])
    with pytest.raises(ParameterError, match="budget"):
        greedy_allocation(problem, budget)
    with pytest.raises(ParameterError, match="budget"):
        BudgetParams(budget_eur=budget)


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
    for k, (nl, en) in enumerate(
        zip(alloc.steps[SENTENCE_NL], alloc.steps[SENTENCE_EN], strict=True), start=1
    ):
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


@pytest.mark.parametrize(
    ("interventions", "budget"),
    [
        ((PROGRAMME,), 2_000_000),
        ((make_programme(cost_eur=120_000), make_facility("sport", cost_eur=300_000)), 3_000_000),
        (
            (
                make_programme(cost_eur=120_000),
                make_facility("sport", cost_eur=300_000),
                make_facility("library", cost_eur=700_000, walk_minutes=15),
            ),
            5_000_000,
        ),
    ],
)
def test_utrecht_greedy_reaches_its_reported_share_of_the_true_optimum(utrecht, interventions, budget):
    # 110–330 candidates: far beyond the exhaustive search, so the integer programme is the reference.
    problem = build_problem(utrecht.table, interventions)
    greedy = greedy_allocation(problem, budget)
    exact = exact_allocation(problem, budget)
    _check_budget_kept(exact, budget)
    assert greedy.total_gain <= exact.total_gain * (1 + 1e-9)
    assert exact.total_gain <= greedy.upper_bound_gain * (
        1 + 1e-9
    )  # the online bound really bounds the optimum
    assert greedy.total_gain >= greedy.guaranteed_share * exact.total_gain * (1 - 1e-9)
    assert greedy.total_gain >= KMN_FACTOR * exact.total_gain
    assert exact.steps[SENTENCE_EN].str.contains("found by an exact solver").all()
