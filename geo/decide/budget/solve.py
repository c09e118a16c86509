"""Allocating a budget over an :class:`~geo.decide.budget.problem.AllocationProblem`, explained step by step.

Given the problem (candidates, costs, what each reaches and what that is worth),
this module proposes a set of candidates that maximises the *need-weighted
children reached* with a greedy method that is explained step by step (what
was chosen, what it adds, what that costs, and the gain per euro), and an
exhaustive check for small cases. The result is an :class:`Allocation`.

Method: modified greedy
-----------------------
1. **Ratio greedy.** Start with nothing funded. At each step, among the
   candidates that still fit in the remaining budget and add value, fund the
   one with the highest *marginal* gain per euro (the need-weighted children it
   reaches that are not reached yet by that intervention, divided by its cost).
   Ties go to the smallest candidate id (``<intervention>:<buurt_code>``), so
   the result never depends on row order. Stop when no candidate that adds
   value fits.
2. **Largest single item.** Also take the affordable candidate with the
   largest gain on its own; if it alone beats the whole ratio-greedy plan, the
   plan starts with it and is then filled up by the ratio greedy. The better of
   the two plans is returned (ties: the ratio-greedy plan).
3. **Bound on the optimum.** After every greedy step, the value so far plus
   the best *fractional* use of the full budget on the candidates' current
   marginal gains is an upper bound on the best possible plan (the "online
   bound" of Leskovec et al. 2007, valid because coverage has diminishing
   returns). The smallest such bound is reported, so every allocation says
   "at least X % of the best possible value" for *this* data.

Costs round up and the budget rounds down to whole cents, and every step is
checked in cents before it is taken, so "never over budget" is exact. Every
step lands in :attr:`Allocation.steps` with a plain sentence in Dutch and
English (:mod:`geo.decide.budget.wording`).

Limits — when greedy is optimal and when it is not
---------------------------------------------------
* **Equal costs, no overlap** (only programmes, one cost for all): the ratio
  greedy picks the *k* candidates with the largest gains, *k* = budget // cost,
  which is optimal. The tests check this against the exhaustive search.
* **Unequal costs, no overlap** (programmes with per-buurt costs: a 0/1
  knapsack problem): the plain ratio greedy can be arbitrarily bad. Example:
  budget € 10, A costs € 1 and gains 2, B costs € 10 and gains 10; the greedy
  funds A (2 per euro) and then cannot afford B, so it gets 2 where 10 was
  possible. Comparing with the largest single affordable item (step 2) repairs
  this and guarantees at least **1/2 of the optimum** (the classical bound for
  the knapsack greedy, e.g. Kellerer, Pferschy & Pisinger, *Knapsack
  Problems*, 2004). It is still not always optimal.
* **Overlapping coverage** (facility sites reaching the same buurten, with
  costs): this is the *budgeted maximum coverage* problem, NP-hard. For this
  modified greedy (the better of the ratio greedy and the best single set),
  Khuller, Moss & Naor (1999, *Inf. Process. Lett.* 70(1):39–45) prove at
  least **(1 − 1/e)/2 ≈ 0.316** of the optimum. The factor
  (1 − 1/√e) ≈ 0.393 often quoted for it rests on a proof with a gap; Tang et
  al. (2021, *Proc. ACM Meas. Anal. Comput. Syst.* 5(1)) prove ≈ 0.405, and no
  better than ≈ 0.43 is possible for this algorithm (Kulik, Schwartz &
  Shachnai 2021). The best guarantee possible in polynomial time,
  (1 − 1/e) ≈ 0.632, needs a partial enumeration of all triples of sets
  (Khuller, Moss & Naor 1999) and is not implemented. With *equal* costs the
  plain greedy already achieves (1 − 1/e) (Nemhauser, Wolsey & Fisher 1978),
  but it is still not always optimal. In practice the data-dependent bound of
  step 3 is usually far tighter than these worst cases; it is reported.
* For an exact answer on up to 15 candidates, :func:`brute_force_allocation`
  tries every combination; at any size, :func:`exact_allocation` solves the
  same problem as an integer programme (``scipy.optimize.milp``, HiGHS). Both
  are independent checks on the greedy (used by the tests), not the method the
  app explains.
* **What the value leaves out**: every child in a reached buurt is counted as
  reached (no participation rate, no capacity limit on a programme or
  facility); need is the buurt average; the buurt point is not
  population-weighted; facility reach is measured in a straight line while the
  current distance may be a CBS road distance averaged over addresses, so
  "not yet within reach" is an approximation; a new facility does not change
  any need weight; programmes are per buurt, not per school.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from geo import schema
from geo.decide.budget import wording
from geo.decide.budget.problem import (
    CANDIDATE_ID,
    COST_EUR,
    ELEMENT_COLUMNS,
    INTERVENTION,
    KIND,
    KIND_FACILITY,
    VALUE,
    AllocationProblem,
    BudgetParams,
    InterventionType,
    build_problem,
    check_budget,
)
from geo.errors import ParameterError
from geo.lang import check_lang

# --------------------------------------------------------------------------- constants

#: How an allocation was found.
METHOD_RATIO_GREEDY = "ratio_greedy"
METHOD_SINGLE_THEN_GREEDY = "largest_single_then_greedy"
METHOD_BRUTE_FORCE = "brute_force"
METHOD_EXACT = "exact_milp"
#: Methods whose plan is the optimum itself (no bound reported).
EXACT_METHODS = (METHOD_BRUTE_FORCE, METHOD_EXACT)

#: Why a step was taken (column ``selection_rule``).
RULE_RATIO = "highest_gain_per_eur"
RULE_LARGEST_SINGLE = "largest_single_gain"
RULE_EXHAUSTIVE = "exhaustive_optimum"
RULE_EXACT = "exact_optimum"

#: Why the greedy stopped.
STOP_NO_BUDGET = "zero_budget"
STOP_NOTHING_AFFORDABLE = "nothing_affordable"
STOP_NOTHING_TO_GAIN = "no_candidate_reaches_children"
STOP_ALL_VALUE_FUNDED = "nothing_adds_value"
STOP_BUDGET_EXHAUSTED = "remaining_budget_too_small"
STOP_EXHAUSTIVE = "exhaustive"
STOP_EXACT = "exact"

#: The most candidates :func:`brute_force_allocation` accepts (2**15 = 32,768 subsets).
MAX_BRUTE_FORCE_CANDIDATES = 15
#: How long :func:`exact_allocation` may search before it gives up, seconds.
EXACT_TIME_LIMIT_S = 60.0

# --- column names of the result --------------------------------------------------
STEP = "step"
MARGINAL_GAIN = "marginal_gain"
GAIN_PER_EUR = "gain_per_eur"
MARGINAL_CHILDREN = "marginal_children"
N_BUURTEN_REACHED = "n_buurten_reached"
#: Codes of the buurten newly reached by a step, comma-separated.
BUURTEN_REACHED = "buurten_reached"
CUMULATIVE_COST_EUR = "cumulative_cost_eur"
CUMULATIVE_GAIN = "cumulative_gain"
REMAINING_BUDGET_EUR = "remaining_budget_eur"
SELECTION_RULE = "selection_rule"
SENTENCE_NL = "sentence_nl"
SENTENCE_EN = "sentence_en"

#: Columns of :attr:`Allocation.steps`, in this order.
STEP_COLUMNS = (
    STEP,
    CANDIDATE_ID,
    INTERVENTION,
    KIND,
    schema.BUURT_CODE,
    schema.BUURT_NAME,
    COST_EUR,
    MARGINAL_GAIN,
    GAIN_PER_EUR,
    MARGINAL_CHILDREN,
    N_BUURTEN_REACHED,
    BUURTEN_REACHED,
    CUMULATIVE_COST_EUR,
    CUMULATIVE_GAIN,
    REMAINING_BUDGET_EUR,
    SELECTION_RULE,
    SENTENCE_NL,
    SENTENCE_EN,
)
_INT_STEP_COLUMNS = (STEP, N_BUURTEN_REACHED)
_FLOAT_STEP_COLUMNS = (
    COST_EUR,
    MARGINAL_GAIN,
    GAIN_PER_EUR,
    MARGINAL_CHILDREN,
    CUMULATIVE_COST_EUR,
    CUMULATIVE_GAIN,
    REMAINING_BUDGET_EUR,
)
#: Columns of :attr:`Allocation.reached` (one row per (intervention, buurt) pair reached).
REACHED_COLUMNS = (*ELEMENT_COLUMNS, CANDIDATE_ID, STEP)

#: Cents per euro: costs and the budget are compared in whole cents.
CENTS_PER_EUR = 100

#: The words for each selection rule and each stop reason that has a note of its own.
_WHY = {
    RULE_RATIO: wording.WHY_HIGHEST_RATIO,
    RULE_LARGEST_SINGLE: wording.WHY_LARGEST_SINGLE,
    RULE_EXHAUSTIVE: wording.WHY_EXHAUSTIVE,
    RULE_EXACT: wording.WHY_EXACT,
}
_STOP_NOTES = {
    STOP_ALL_VALUE_FUNDED: wording.STOPPED_ALL_FUNDED,
    STOP_NOTHING_TO_GAIN: wording.NOTHING_TO_GAIN,
    STOP_BUDGET_EXHAUSTED: wording.STOPPED_BUDGET_EXHAUSTED,
}


def to_cents(eur: float, *, up: bool = False) -> int:
    """Euros to whole cents, down (a budget) or up (a cost); float noise below 1e-6 cent is ignored."""
    cents = round(float(eur) * CENTS_PER_EUR, 6)
    return int(math.ceil(cents) if up else math.floor(cents))


# --------------------------------------------------------------------------- the result


@dataclass(frozen=True)
class Allocation:
    """A funded plan and its step-by-step explanation.

    ``steps`` has :data:`STEP_COLUMNS`, one row per funded candidate in the order
    chosen; ``reached`` has :data:`REACHED_COLUMNS`, one row per (intervention,
    buurt) pair reached. ``upper_bound_gain`` is a proven upper bound on the best
    possible total gain (None for the exact methods, :data:`EXACT_METHODS`, whose plan *is* the optimum).
    """

    steps: pd.DataFrame
    reached: pd.DataFrame
    budget_eur: float
    total_cost_eur: float
    total_gain: float
    #: Children 0–14 reached, counted once per intervention (see :mod:`geo.decide.budget.problem`).
    children_reached: float
    method: str
    stop_reason: str
    ratio_greedy_gain: float | None = None
    best_single_gain: float | None = None
    upper_bound_gain: float | None = None
    notes_nl: tuple[str, ...] = ()
    notes_en: tuple[str, ...] = ()

    @property
    def remaining_budget_eur(self) -> float:
        return (to_cents(self.budget_eur) - to_cents(self.total_cost_eur)) / CENTS_PER_EUR

    @property
    def candidate_ids(self) -> tuple[str, ...]:
        return tuple(self.steps[CANDIDATE_ID])

    @property
    def guaranteed_share(self) -> float | None:
        """total gain / upper bound: the plan reaches at least this share of the best possible value."""
        if self.upper_bound_gain is None:
            return 1.0 if self.method in EXACT_METHODS else None
        if self.upper_bound_gain <= 0:
            return 1.0
        return min(1.0, self.total_gain / self.upper_bound_gain)

    def notes(self, lang: str = "nl") -> tuple[str, ...]:
        """The notes in ``lang`` (what was approximated, why the plan stopped, its share of the optimum)."""
        return {"nl": self.notes_nl, "en": self.notes_en}[check_lang(lang)]


def allocate_budget(
    table: pd.DataFrame, params: BudgetParams, *, sites: Mapping[str, gpd.GeoSeries] | None = None
) -> Allocation:
    """Build the problem for ``table`` and allocate ``params.budget_eur`` with the modified greedy.

    Parameters
    ----------
    table
        Ranked table from :func:`geo.decide.pipeline.rank`.
    params
        Budget, interventions, need weighting and cost overrides.
    sites
        Candidate sites per facility intervention (see :func:`geo.decide.budget.problem.build_problem`).
    """
    problem = build_problem(
        table,
        params.interventions,
        need_rule=params.need_rule,
        need_strength=params.need_strength,
        sites=sites,
        cost_overrides=dict(params.cost_overrides),
    )
    return greedy_allocation(problem, params.budget_eur, best_single=params.best_single)


# --------------------------------------------------------------------------- the greedy


@dataclass
class _Plan:
    """What a method funds (candidate positions, in the order explained), the rule of each, why it stopped."""

    order: list[int]
    rules: list[str]
    stop: str


@dataclass
class _GreedyRun(_Plan):
    """A greedy plan with its gain and the smallest online bound on the optimum seen while building it."""

    gain: float = 0.0
    bound: float = math.inf


class _CoverageArrays:
    """One problem as arrays: costs in whole cents, a sparse candidate × element matrix, element values."""

    def __init__(self, problem: AllocationProblem) -> None:
        cost_eur = problem.candidates[COST_EUR].to_numpy(dtype="float64")
        # Costs round up and the budget rounds down to whole cents: rounding can never break the budget.
        self.cost_cents = np.array([to_cents(c, up=True) for c in cost_eur], dtype=np.int64)
        if (self.cost_cents <= 0).any():
            bad = problem.candidates.index[int(np.argmax(self.cost_cents <= 0))]
            raise ParameterError(
                f"Cost of candidate '{bad}' rounds to € 0,00; costs must be at least one cent."
            )
        self.element_values = problem.elements[VALUE].to_numpy(dtype="float64")
        self.n_candidates, self.n_elements = len(cost_eur), len(self.element_values)
        rows = np.repeat(np.arange(self.n_candidates), [len(reached) for reached in problem.coverage])
        columns = np.concatenate(problem.coverage) if self.n_candidates else np.zeros(0, dtype=np.int64)
        #: ``reaches[i, j]`` = 1 when candidate *i* reaches element *j*.
        self.reaches = sparse.csr_matrix(
            (np.ones(len(columns)), (rows, columns)), shape=(self.n_candidates, self.n_elements)
        )
        # Position of each candidate id in sorted order: ties go to the smallest id, whatever the row order.
        ids = problem.candidates.index.to_numpy(dtype=str)
        self.id_order = np.argsort(np.argsort(ids, kind="stable"), kind="stable")

    def highest(self, score: np.ndarray) -> int:
        """The candidate with the highest score; among equal scores the smallest id."""
        ties = np.flatnonzero(score == score.max())
        return int(ties[np.argmin(self.id_order[ties])])

    def marginal_gains(self, covered: np.ndarray) -> np.ndarray:
        """What each candidate would add, given the elements already ``covered``."""
        return np.asarray(self.reaches @ np.where(covered, 0.0, self.element_values)).ravel()

    def elements_of(self, candidate: int) -> np.ndarray:
        """The element positions ``candidate`` reaches."""
        return self.reaches.indices[self.reaches.indptr[candidate] : self.reaches.indptr[candidate + 1]]

    def online_bound(self, gained: float, gains: np.ndarray, budget_cents: int) -> float:
        """``gained`` + best fractional use of the whole budget on the current marginal gains."""
        useful = (self.cost_cents <= budget_cents) & (gains > 0)
        if not useful.any():
            return gained
        useful_gains, useful_costs = gains[useful], self.cost_cents[useful].astype("float64")
        by_ratio = np.argsort(-useful_gains / useful_costs, kind="stable")
        useful_gains, useful_costs = useful_gains[by_ratio], useful_costs[by_ratio]
        cumulative_cost = np.cumsum(useful_costs)
        whole = cumulative_cost <= budget_cents
        total = float(useful_gains[whole].sum())
        n_whole = int(whole.sum())
        if n_whole < len(useful_gains):
            left = budget_cents - (cumulative_cost[n_whole - 1] if n_whole else 0.0)
            total += float(useful_gains[n_whole]) * left / float(useful_costs[n_whole])
        return gained + total

    def ratio_greedy(self, budget_cents: int, start: Sequence[int] = ()) -> _GreedyRun:
        """Fund ``start`` first (rule: largest single), then by the highest marginal gain per cent."""
        covered = np.zeros(self.n_elements, dtype=bool)
        funded = np.zeros(self.n_candidates, dtype=bool)
        run = _GreedyRun(order=[], rules=[], stop="")

        def fund(candidate: int, gain: float, rule: str) -> None:
            run.gain += gain
            covered[self.elements_of(candidate)] = True
            funded[candidate] = True
            assert int(self.cost_cents[funded].sum()) <= budget_cents, "greedy step over budget"
            run.order.append(int(candidate))
            run.rules.append(rule)

        for candidate in start:
            fund(candidate, float(self.marginal_gains(covered)[candidate]), RULE_LARGEST_SINGLE)
        while True:
            gains = self.marginal_gains(covered)
            run.bound = min(run.bound, self.online_bound(run.gain, gains, budget_cents))
            adds = ~funded & (gains > 0)
            fits = adds & (self.cost_cents <= budget_cents - int(self.cost_cents[funded].sum()))
            if not fits.any():
                run.stop = _stop_reason(funded_any=bool(run.order), more_would_add=bool(adds.any()))
                break
            candidate = self.highest(np.where(fits, gains / self.cost_cents, -np.inf))
            fund(candidate, float(gains[candidate]), RULE_RATIO)
        run.bound = max(run.bound, run.gain)
        return run


def _stop_reason(*, funded_any: bool, more_would_add: bool) -> str:
    """Why the greedy stopped when nothing that adds value fits any more."""
    if not funded_any:
        return STOP_NOTHING_AFFORDABLE if more_would_add else STOP_NOTHING_TO_GAIN
    return STOP_BUDGET_EXHAUSTED if more_would_add else STOP_ALL_VALUE_FUNDED


def greedy_allocation(
    problem: AllocationProblem, budget_eur: float, *, best_single: bool = True
) -> Allocation:
    """Allocate ``budget_eur`` with the ratio greedy, repaired by the largest single item.

    Parameters
    ----------
    problem
        From :func:`~geo.decide.budget.problem.build_problem` or :meth:`AllocationProblem.from_sets`.
    budget_eur
        Budget ≥ 0, same unit as the costs.
    best_single
        Compare with the largest single affordable candidate (see the module
        docstring: without it the result on unequal costs can be arbitrarily bad).

    Returns
    -------
    Allocation
        Never over budget: every step is checked in whole cents before it is taken.
    """
    check_budget(budget_eur)
    arrays = _CoverageArrays(problem)
    budget_cents = to_cents(budget_eur)
    if budget_cents == 0:
        nothing = _Plan(order=[], rules=[], stop=STOP_NO_BUDGET)
        return _assemble(
            problem,
            arrays,
            nothing,
            budget_eur,
            METHOD_RATIO_GREEDY,
            upper_bound=0.0,
            notes=[wording.in_both(wording.ZERO_BUDGET)],
        )
    greedy = arrays.ratio_greedy(budget_cents)
    chosen, method, single_gain = greedy, METHOD_RATIO_GREEDY, None
    notes: list[tuple[str, str]] = []
    single = _largest_single(arrays, budget_cents) if best_single else None
    if single is not None:
        single_pos, single_gain = single
        if single_gain > greedy.gain:
            chosen = arrays.ratio_greedy(budget_cents, start=(single_pos,))
            chosen.bound = min(chosen.bound, greedy.bound)
            method = METHOD_SINGLE_THEN_GREEDY
            notes.append(
                wording.largest_single_first(problem.candidates.index[single_pos], single_gain, greedy.gain)
            )
    if chosen.stop == STOP_NOTHING_AFFORDABLE:
        cheapest = problem.candidates[COST_EUR][arrays.marginal_gains(_nothing_covered(arrays)) > 0].min()
        notes.append(wording.nothing_affordable(budget_eur, cheapest))
    return _assemble(
        problem,
        arrays,
        chosen,
        budget_eur,
        method,
        upper_bound=chosen.bound,
        notes=notes,
        ratio_greedy_gain=greedy.gain,
        best_single_gain=single_gain,
    )


def _nothing_covered(arrays: _CoverageArrays) -> np.ndarray:
    return np.zeros(arrays.n_elements, dtype=bool)


def _largest_single(arrays: _CoverageArrays, budget_cents: int) -> tuple[int, float] | None:
    """The affordable candidate with the largest gain on its own, and that gain; None if none adds value."""
    alone = arrays.marginal_gains(_nothing_covered(arrays))
    affordable = (arrays.cost_cents <= budget_cents) & (alone > 0)
    if not affordable.any():
        return None
    best = arrays.highest(np.where(affordable, alone, -np.inf))
    return best, float(alone[best])


# --------------------------------------------------------------------------- the exhaustive check


def brute_force_allocation(
    problem: AllocationProblem, budget_eur: float, *, max_candidates: int = MAX_BRUTE_FORCE_CANDIDATES
) -> Allocation:
    """The best plan by trying every combination of candidates (at most ``max_candidates``).

    An independent check on :func:`greedy_allocation`. Ties: the highest gain,
    then the lowest cost, then the combination whose candidates come first.
    Steps list the chosen candidates in id order, each with its marginal gain
    given the earlier ones.
    """
    check_budget(budget_eur)
    if not 0 < max_candidates <= 20:
        raise ParameterError(f"max_candidates must be between 1 and 20, found {max_candidates!r}.")
    arrays = _CoverageArrays(problem)
    if arrays.n_candidates > max_candidates:
        raise ParameterError(
            f"The exhaustive search handles at most {max_candidates} candidates, "
            f"found {arrays.n_candidates}; "
            "use greedy_allocation for larger problems."
        )
    chosen = _best_subset(arrays, to_cents(budget_eur))
    order = sorted(chosen, key=lambda candidate: arrays.id_order[candidate])
    plan = _Plan(order=order, rules=[RULE_EXHAUSTIVE] * len(order), stop=STOP_EXHAUSTIVE)
    return _assemble(problem, arrays, plan, budget_eur, METHOD_BRUTE_FORCE, upper_bound=None)


def _best_subset(arrays: _CoverageArrays, budget_cents: int) -> list[int]:
    """Positions of the best affordable subset of candidates, by enumerating all 2**n of them."""
    n = arrays.n_candidates
    subsets = (np.arange(2**n, dtype=np.int64)[:, None] >> np.arange(n, dtype=np.int64)) & 1
    cost = subsets @ arrays.cost_cents
    covered = (subsets @ (arrays.reaches.toarray() > 0).astype(np.int64)) > 0
    gain = np.where(cost <= budget_cents, covered.astype("float64") @ arrays.element_values, -np.inf)
    # Highest gain (to 1e-9 relative), then lowest cost, then lowest mask with the lowest bits first.
    best_gain = gain.max()
    near_best = np.flatnonzero(gain >= best_gain - 1e-9 * max(1.0, abs(best_gain)))
    best = near_best[np.lexsort((near_best, cost[near_best]))[0]]
    return [int(candidate) for candidate in np.flatnonzero(subsets[best])]


def exact_allocation(
    problem: AllocationProblem, budget_eur: float, *, time_limit_s: float = EXACT_TIME_LIMIT_S
) -> Allocation:
    """The best plan, by solving budgeted maximum coverage as an integer programme.

    With *x_i* ∈ {0, 1} (candidate *i* funded) and *y_j* ∈ [0, 1] (element *j*
    reached): maximise Σ value_j · y_j subject to y_j ≤ Σ_{i reaches j} x_i and
    Σ cost_i · x_i ≤ budget, costs and budget in whole cents. Solved by HiGHS
    through :func:`scipy.optimize.milp` with a relative gap of 0, so the plan is
    the optimum (up to the solver's tolerances), at sizes where
    :func:`brute_force_allocation` cannot go. An independent check on
    :func:`greedy_allocation`; ties between equally good plans are not broken
    as in the brute force, and a candidate that adds nothing given the ones
    before it (in id order) is left out, so every step adds value.

    Raises
    ------
    ParameterError
        If the solver proves no optimum within ``time_limit_s`` seconds.
    """
    check_budget(budget_eur)
    if not (math.isfinite(time_limit_s) and time_limit_s > 0):
        raise ParameterError(f"time_limit_s must be a number of seconds > 0, found {time_limit_s!r}.")
    arrays = _CoverageArrays(problem)
    chosen = _optimal_subset(arrays, to_cents(budget_eur), time_limit_s)
    order = _without_useless(arrays, sorted(chosen, key=lambda candidate: arrays.id_order[candidate]))
    plan = _Plan(order=order, rules=[RULE_EXACT] * len(order), stop=STOP_EXACT)
    return _assemble(problem, arrays, plan, budget_eur, METHOD_EXACT, upper_bound=None)


def _optimal_subset(arrays: _CoverageArrays, budget_cents: int, time_limit_s: float) -> list[int]:
    """Positions of an optimal affordable subset of candidates, from the integer programme."""
    n, m = arrays.n_candidates, arrays.n_elements
    if n == 0 or m == 0 or not (arrays.element_values > 0).any():
        return []
    # Variables: n candidates, then m elements; milp minimises, so the values enter negated.
    objective = np.concatenate([np.zeros(n), -arrays.element_values])
    reach_rows = sparse.hstack([-arrays.reaches.T, sparse.identity(m)]).tocsr()  # y_j - Σ x_i ≤ 0
    budget_row = sparse.hstack(
        [sparse.csr_matrix(arrays.cost_cents[None, :].astype("float64")), sparse.csr_matrix((1, m))]
    )
    result = milp(
        objective,
        integrality=np.concatenate([np.ones(n), np.zeros(m)]),
        bounds=Bounds(0.0, 1.0),
        constraints=[
            LinearConstraint(reach_rows, -np.inf, 0.0),
            LinearConstraint(budget_row, -np.inf, budget_cents),
        ],
        options={"mip_rel_gap": 0.0, "time_limit": time_limit_s},
    )
    if result.status != 0:
        raise ParameterError(
            f"The exact solver proved no optimum within {time_limit_s:g} s ({result.message}); "
            "raise time_limit_s or use greedy_allocation."
        )
    return [int(candidate) for candidate in np.flatnonzero(result.x[:n] > 0.5)]


def _without_useless(arrays: _CoverageArrays, order: list[int]) -> list[int]:
    """``order`` without candidates that add nothing given the ones kept before them (same total value)."""
    covered = _nothing_covered(arrays)
    kept = []
    for candidate in order:
        if float(arrays.marginal_gains(covered)[candidate]) > 0:
            kept.append(candidate)
            covered[arrays.elements_of(candidate)] = True
    return kept


# --------------------------------------------------------------------------- the explained plan


@dataclass
class _Replay:
    """A plan replayed step by step: one record per step and the elements each step newly reached."""

    records: list[dict] = field(default_factory=list)
    new_elements: list[np.ndarray] = field(default_factory=list)
    reached_steps: list[int] = field(default_factory=list)
    reached_candidates: list[str] = field(default_factory=list)
    spent_cents: int = 0
    gained: float = 0.0


@dataclass(frozen=True)
class _PlainColumns:
    """The problem's columns as plain arrays: the replay runs for every allocation; pandas rows are slow."""

    children: np.ndarray
    element_codes: np.ndarray
    element_names: np.ndarray
    candidate_ids: np.ndarray
    interventions: np.ndarray
    kinds: np.ndarray
    buurt_codes: np.ndarray
    buurt_names: np.ndarray

    @classmethod
    def of(cls, problem: AllocationProblem) -> _PlainColumns:
        elements, candidates = problem.elements, problem.candidates
        return cls(
            children=elements[schema.CHILDREN_0_14].to_numpy(dtype="float64"),
            element_codes=elements[schema.BUURT_CODE].astype(str).to_numpy(),
            element_names=elements[schema.BUURT_NAME].astype(str).to_numpy(),
            candidate_ids=candidates.index.to_numpy(),
            interventions=candidates[INTERVENTION].to_numpy(),
            kinds=candidates[KIND].to_numpy(),
            buurt_codes=candidates[schema.BUURT_CODE].to_numpy(),
            buurt_names=candidates[schema.BUURT_NAME].to_numpy(),
        )


def _assemble(
    problem: AllocationProblem,
    arrays: _CoverageArrays,
    plan: _Plan,
    budget_eur: float,
    method: str,
    *,
    upper_bound: float | None,
    notes: Sequence[tuple[str, str]] = (),
    ratio_greedy_gain: float | None = None,
    best_single_gain: float | None = None,
) -> Allocation:
    """Replay ``plan.order`` and explain every step; ``upper_bound``: a proven bound (None: exact plan)."""
    columns = _PlainColumns.of(problem)
    replay, covered = _replay(problem, arrays, columns, plan, to_cents(budget_eur))
    notes_nl, notes_en = wording.split_languages(
        _plan_notes(problem, notes, plan.stop, upper_bound, replay.gained)
    )
    return Allocation(
        steps=pd.DataFrame({c: _step_column([r[c] for r in replay.records], c) for c in STEP_COLUMNS}),
        reached=_reached_frame(problem, replay),
        budget_eur=float(budget_eur),
        total_cost_eur=replay.spent_cents / CENTS_PER_EUR,
        total_gain=replay.gained,
        children_reached=float(columns.children[covered].sum()),
        method=method,
        stop_reason=plan.stop,
        ratio_greedy_gain=ratio_greedy_gain,
        best_single_gain=best_single_gain,
        upper_bound_gain=upper_bound,
        notes_nl=notes_nl,
        notes_en=notes_en,
    )


def _replay(
    problem: AllocationProblem,
    arrays: _CoverageArrays,
    columns: _PlainColumns,
    plan: _Plan,
    budget_cents: int,
) -> tuple[_Replay, np.ndarray]:
    """Fund ``plan.order`` step by step; the replay and the elements covered at the end."""
    covered = np.zeros(arrays.n_elements, dtype=bool)
    replay = _Replay()
    for step, (candidate, rule) in enumerate(zip(plan.order, plan.rules, strict=True), start=1):
        reached = arrays.elements_of(candidate)
        new = np.sort(reached[~covered[reached]])
        covered[new] = True
        gain = float(arrays.element_values[new].sum())
        replay.spent_cents += int(arrays.cost_cents[candidate])
        # By construction this cannot happen; fail loudly if it ever does.
        if replay.spent_cents > budget_cents:
            raise AssertionError(
                f"allocation over budget at step {step}: {replay.spent_cents} > {budget_cents} cents"
            )
        replay.gained += gain
        record = _step_record(arrays, columns, replay, step, candidate, rule, new, gain, budget_cents)
        facts = _step_facts(problem, record, columns.element_names[new].tolist())
        record[SENTENCE_NL], record[SENTENCE_EN] = wording.step_sentence(facts)
        replay.records.append(record)
        replay.new_elements.append(new)
        replay.reached_steps.extend([step] * len(new))
        replay.reached_candidates.extend([columns.candidate_ids[candidate]] * len(new))
    return replay, covered


def _step_record(
    arrays: _CoverageArrays,
    columns: _PlainColumns,
    replay: _Replay,
    step: int,
    candidate: int,
    rule: str,
    new: np.ndarray,
    gain: float,
    budget_cents: int,
) -> dict:
    """One row of :attr:`Allocation.steps` without its sentences (the replay has counted the step)."""
    cost_eur = arrays.cost_cents[candidate] / CENTS_PER_EUR
    code = columns.buurt_codes[candidate]
    return {
        STEP: step,
        CANDIDATE_ID: columns.candidate_ids[candidate],
        INTERVENTION: columns.interventions[candidate],
        KIND: columns.kinds[candidate],
        schema.BUURT_CODE: None if pd.isna(code) else code,
        schema.BUURT_NAME: columns.buurt_names[candidate],
        COST_EUR: cost_eur,
        MARGINAL_GAIN: gain,
        GAIN_PER_EUR: gain / cost_eur,
        MARGINAL_CHILDREN: float(columns.children[new].sum()),
        N_BUURTEN_REACHED: len(new),
        BUURTEN_REACHED: ",".join(columns.element_codes[new]),
        CUMULATIVE_COST_EUR: replay.spent_cents / CENTS_PER_EUR,
        CUMULATIVE_GAIN: replay.gained,
        REMAINING_BUDGET_EUR: (budget_cents - replay.spent_cents) / CENTS_PER_EUR,
        SELECTION_RULE: rule,
    }


def _step_facts(problem: AllocationProblem, record: Mapping, names_reached: list[str]) -> wording.StepFacts:
    """What the sentence of one step says, from its record and the intervention's name and reach."""
    key = str(record[INTERVENTION])
    intervention = problem.interventions.get(key)
    code = record[schema.BUURT_CODE]
    site = str(record[CANDIDATE_ID]).split(":", 1)[-1]
    facility = intervention is not None and intervention.kind == KIND_FACILITY
    return wording.StepFacts(
        step=int(record[STEP]),
        label=intervention.labels if intervention is not None else (key, key),
        place=_place(intervention, code, site),
        buurt=wording.buurt_with_code(str(record[schema.BUURT_NAME]), code),
        site=site,
        cost_eur=record[COST_EUR],
        children=record[MARGINAL_CHILDREN],
        buurten_reached=names_reached,
        gain=record[MARGINAL_GAIN],
        gain_per_eur=record[GAIN_PER_EUR],
        spent_eur=record[CUMULATIVE_COST_EUR],
        left_eur=record[REMAINING_BUDGET_EUR],
        why=_WHY[record[SELECTION_RULE]],
        reach_m=intervention.reach_m if facility and intervention is not None else None,
        walk_minutes=intervention.walk_minutes if facility and intervention is not None else None,
    )


def _place(intervention: InterventionType | None, code: str | None, site: str) -> wording.Template:
    """Which place phrase fits: an abstract item, a programme's buurt, or a facility's site."""
    if intervention is None:
        return wording.PLACE_ITEM
    if intervention.kind != KIND_FACILITY:
        return wording.PLACE_IN_BUURT
    if code is None:
        return wording.PLACE_SITE
    return wording.PLACE_BUURT_CENTRE if site == str(code) else wording.PLACE_SITE_IN_BUURT


def _reached_frame(problem: AllocationProblem, replay: _Replay) -> pd.DataFrame:
    """:attr:`Allocation.reached`: the elements each step newly reached, with the step and candidate."""
    positions = np.concatenate(replay.new_elements) if replay.new_elements else np.zeros(0, dtype=np.int64)
    reached = problem.elements.iloc[positions].reset_index(drop=True)
    reached[CANDIDATE_ID] = pd.Series(replay.reached_candidates, dtype=object)
    reached[STEP] = pd.Series(replay.reached_steps, dtype="int64")
    return reached[list(REACHED_COLUMNS)]


def _plan_notes(
    problem: AllocationProblem,
    notes: Sequence[tuple[str, str]],
    stop: str,
    upper_bound: float | None,
    gained: float,
) -> list[tuple[str, str]]:
    """The problem's notes, the solver's, why it stopped, and the share of the optimum it reaches at least."""
    plan_notes = [*zip(problem.notes_nl, problem.notes_en, strict=True), *notes]
    if stop in _STOP_NOTES:
        plan_notes.append(wording.in_both(_STOP_NOTES[stop]))
    if upper_bound is not None and upper_bound > 0 and gained > 0:
        # Rounded down, so "at least" stays true: 99.96 % shows as 99,9 %, never as 100 %.
        percent = math.floor(1000 * min(1.0, gained / upper_bound + 1e-12)) / 10
        plan_notes.append(wording.at_least_share(percent, upper_bound))
    return plan_notes


def _step_column(values: list, name: str) -> np.ndarray:
    """One steps column with a fixed dtype, also when there are no steps."""
    if name in _INT_STEP_COLUMNS:
        return np.asarray(values, dtype=np.int64)
    if name in _FLOAT_STEP_COLUMNS:
        return np.asarray(values, dtype="float64")
    return np.asarray(values, dtype=object)
