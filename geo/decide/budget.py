"""Budget allocation: which buurten or sites to fund so that a budget reaches the most children in need.

Given a budget and a cost per intervention, this module proposes a set of
interventions that maximises the *need-weighted children reached*, with a
greedy method that is explained step by step (what was chosen, what it adds,
what that costs, and the gain per euro), and an exhaustive check for small
cases. It is pure computation: a ranked table in, an :class:`Allocation` out.

Interventions
-------------
``programme``
    A rijke-schooldag programme in one buurt. It reaches that buurt's children
    aged 0–14. The default cost of € 150.000 per buurt per year is a
    **placeholder for the council to set** (think of a coordinator plus an
    activity budget); it is not taken from a source.
``facility``
    A new facility of one type (e.g. ``sport``) at a candidate site. By default
    the candidate sites are the representative points of the ranked buurten
    (the same points the access step measures from, see
    :func:`geo.decide.access.compute_origin_points`); other sites can be given. A site
    reaches the buurten whose representative point lies within
    ``walk_minutes × walk_speed_kmh`` of it (default 10 minutes at 4 km/h ≈
    667 m, straight line) **and** that are not yet that close to an existing
    facility of that type (current distance ``dist_<type>_m`` above the same
    threshold). Default cost € 1.000.000, again a placeholder.

Costs can be set per candidate (``cost_overrides``). The budget and every cost
must be in the same unit (e.g. euros per year, with one-off building costs
annualised); the module cannot check that. Costs and the budget are compared in
whole cents, so "never over budget" is exact, not up to rounding.

Value: need-weighted children
-----------------------------
The value of reaching buurt *b* with intervention kind *k* is
``children_0_14[b] × need_weight[b]``. Coverage is counted on (intervention,
buurt) pairs: a buurt's children count **once per intervention** however many
sites of that intervention reach it (two new sports facilities near the same
buurt do not count its children twice), but a buurt reached by a programme and
by a new sports facility counts once for each, because those are different
services. The totals therefore read "children reached per intervention", not
"distinct children".

The need weight comes from the ranking's ``need_index`` (a weighted mean of
z-scores, which can be negative and whose spread depends on the preset), turned
into a positive weight by one of three rules (:data:`NEED_WEIGHT_RULES`):

``percentile`` (default)
    ``w = 1 + strength × p`` with *p* the percentile rank of the need index
    among the ranked buurten, scaled to [0, 1] (0 = least need, 1 = most). With
    the default strength 1 a child in the neediest buurt counts twice as much
    as a child in the least needy one. It is scale-free (it does not change when
    a preset makes the need index spread wider), never zero or negative (every
    child counts), and the ratio between the extremes is a single, explicit
    policy choice.
``exp``
    ``w = exp(strength × need_index)``: keeps the distances between buurten on
    the need index, so one extreme buurt weighs more; the index is clipped to
    [-3, 3] by the ranking, which bounds the weights.
``none``
    ``w = 1``: plain children reached.

Buurten without a rank (no inhabitants) are not candidates and add no value.
A missing child count (CBS suppresses small counts) counts as 0 and is
reported; so is a buurt whose current distance to a facility type is unknown,
which is never counted as newly reached (we do not claim a gain we cannot
check).

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

Every step lands in :attr:`Allocation.steps` with a plain sentence in Dutch and
English.

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
  tries every combination (used by the tests as an independent check).
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
import shapely
from scipy import sparse

from geo import schema, units
from geo.catalog import get_facility_type
from geo.decide.access import compute_origin_points
from geo.errors import CrsError, MissingColumnError, ParameterError
from geo.lang import format_number
from geo.terms import MEASURE_LABELS

# --------------------------------------------------------------------------- constants

#: Intervention kinds.
KIND_PROGRAMME = "programme"
KIND_FACILITY = "facility"
KINDS = (KIND_PROGRAMME, KIND_FACILITY)

#: Need-weight rules (see the module docstring).
NEED_WEIGHT_PERCENTILE = "percentile"
NEED_WEIGHT_EXP = "exp"
NEED_WEIGHT_NONE = "none"
NEED_WEIGHT_RULES = (NEED_WEIGHT_PERCENTILE, NEED_WEIGHT_EXP, NEED_WEIGHT_NONE)

#: How an allocation was found.
METHOD_RATIO_GREEDY = "ratio_greedy"
METHOD_SINGLE_THEN_GREEDY = "largest_single_then_greedy"
METHOD_BRUTE_FORCE = "brute_force"

#: Why a step was taken (column ``selection_rule``).
RULE_RATIO = "highest_gain_per_eur"
RULE_LARGEST_SINGLE = "largest_single_gain"
RULE_EXHAUSTIVE = "exhaustive_optimum"

#: Why the greedy stopped.
STOP_NO_BUDGET = "zero_budget"
STOP_NOTHING_AFFORDABLE = "nothing_affordable"
STOP_NOTHING_TO_GAIN = "no_candidate_reaches_children"
STOP_ALL_VALUE_FUNDED = "nothing_adds_value"
STOP_BUDGET_EXHAUSTED = "remaining_budget_too_small"
STOP_EXHAUSTIVE = "exhaustive"

#: The most candidates :func:`brute_force_allocation` accepts (2**15 = 32,768 subsets).
MAX_BRUTE_FORCE_CANDIDATES = 15

# --- column names --------------------------------------------------------------
#: Candidate id ``<intervention key>:<site id>`` (the site id of a buurt point is its code).
CANDIDATE_ID = "candidate_id"
#: Intervention key (``programme``, ``facility_sport``, ...).
INTERVENTION = "intervention"
#: Intervention kind (``programme`` or ``facility``).
KIND = "kind"
COST_EUR = "cost_eur"
#: Need-weighted children the candidate reaches on its own.
GAIN_ALONE = "gain_alone"
#: Children 0–14 the candidate reaches on its own.
CHILDREN_ALONE = "children_alone"
#: Buurten the candidate reaches on its own.
N_BUURTEN_ALONE = "n_buurten_alone"
NEED_WEIGHT = "need_weight"
#: Need-weighted children of one (intervention, buurt) pair.
VALUE = "value"
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
_FLOAT_STEP_COLUMNS = (
    COST_EUR, MARGINAL_GAIN, GAIN_PER_EUR, MARGINAL_CHILDREN, CUMULATIVE_COST_EUR, CUMULATIVE_GAIN, REMAINING_BUDGET_EUR,
)
#: Columns of :attr:`AllocationProblem.candidates` (index: ``candidate_id``).
CANDIDATE_COLUMNS = (
    INTERVENTION, KIND, schema.BUURT_CODE, schema.BUURT_NAME, COST_EUR, GAIN_ALONE, CHILDREN_ALONE, N_BUURTEN_ALONE,
)
#: Columns of :attr:`AllocationProblem.elements` (one row per (intervention, buurt) pair).
ELEMENT_COLUMNS = (INTERVENTION, schema.BUURT_CODE, schema.BUURT_NAME, schema.CHILDREN_0_14, NEED_WEIGHT, VALUE)
#: Columns of :attr:`Allocation.reached` (one row per (intervention, buurt) pair reached).
REACHED_COLUMNS = (*ELEMENT_COLUMNS, CANDIDATE_ID, STEP)

_CENTS = 100


# --------------------------------------------------------------------------- checks


def _to_cents(eur: float, *, up: bool = False) -> int:
    """Euros to whole cents, rounded down (a budget) or up (a cost); float noise below 1e-6 cent is ignored."""
    cents = round(float(eur) * _CENTS, 6)
    return int(math.ceil(cents) if up else math.floor(cents))


def _check_budget(budget_eur: float) -> None:
    try:
        ok = math.isfinite(float(budget_eur)) and float(budget_eur) >= 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ParameterError(f"The budget must be a finite amount ≥ 0 euros, found {budget_eur!r}.")


def _check_cost(cost: float, what: str) -> None:
    try:
        ok = math.isfinite(float(cost)) and float(cost) > 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ParameterError(
            f"{what} must be a finite amount > 0 euros, found {cost!r} (a free intervention needs no budget decision)."
        )


def _check_need_rule(rule: str, strength: float) -> None:
    if rule not in NEED_WEIGHT_RULES:
        raise ParameterError(f"Unknown need-weight rule '{rule}'; expected one of: {', '.join(NEED_WEIGHT_RULES)}.")
    if not (math.isfinite(strength) and strength >= 0):
        raise ParameterError(f"need_strength must be a finite number ≥ 0, found {strength!r}.")


def _ranked_mask(table: pd.DataFrame) -> pd.Series:
    """Buurten that take part: status 'ranked' (all rows when the table has no status)."""
    if schema.STATUS not in table.columns:
        return pd.Series(True, index=table.index)
    return table[schema.STATUS] == schema.STATUS_RANKED


# --------------------------------------------------------------------------- interventions


@dataclass(frozen=True)
class InterventionType:
    """Something the budget can buy, with its cost per candidate.

    Parameters
    ----------
    key
        Unique key, part of every candidate id (``programme``, ``facility_sport``).
    label_nl, label_en
        Name in sentences ("Rijke-schooldagprogramma", "Nieuwe sportaccommodatie").
    cost_eur
        Default cost of one candidate (> 0), in the unit of the budget.
    kind
        ``programme`` (reaches the children of its own buurt) or ``facility``
        (reaches nearby buurten not yet within reach of that facility type).
    facility_type
        For facilities: the catalogue key (``sport``, ``library``, ...).
    walk_minutes, walk_speed_kmh
        For facilities: the reach, as minutes of walking at this speed
        (default 10 min at 4 km/h ≈ 667 m, measured in a straight line).
    """

    key: str
    label_nl: str
    label_en: str
    cost_eur: float
    kind: str = KIND_PROGRAMME
    facility_type: str | None = None
    walk_minutes: float = 10.0
    walk_speed_kmh: float = 4.0

    def __post_init__(self) -> None:
        if not self.key or ":" in self.key:
            raise ParameterError(f"An intervention key must be a non-empty text without ':', found {self.key!r}.")
        _check_cost(self.cost_eur, f"Cost of intervention '{self.key}'")
        if self.kind not in KINDS:
            raise ParameterError(f"Unknown intervention kind '{self.kind}'; expected one of: {', '.join(KINDS)}.")
        if self.kind == KIND_FACILITY:
            if self.facility_type is None:
                raise ParameterError(f"Facility intervention '{self.key}' needs a facility_type.")
            get_facility_type(self.facility_type)
            for name, value in (("walk_minutes", self.walk_minutes), ("walk_speed_kmh", self.walk_speed_kmh)):
                if not (math.isfinite(value) and value > 0):
                    raise ParameterError(f"{name} of '{self.key}' must be a number > 0, found {value!r}.")

    @property
    def reach_m(self) -> float:
        """Reach of a facility in metres: minutes × speed."""
        return float(units.metres(self.walk_minutes, self.walk_speed_kmh))

    def label(self, lang: str = "nl") -> str:
        return self.label_nl if lang == "nl" else self.label_en


#: A rijke-schooldag programme in one buurt; € 150.000 per year is a placeholder for the council to set.
PROGRAMME = InterventionType(
    key=KIND_PROGRAMME,
    label_nl="Rijke-schooldagprogramma",
    label_en="Rich school day programme",
    cost_eur=150_000.0,
)


def make_programme(*, cost_eur: float = PROGRAMME.cost_eur) -> InterventionType:
    """A rijke-schooldag programme per buurt at ``cost_eur`` (default: the placeholder € 150.000)."""
    return InterventionType(PROGRAMME.key, PROGRAMME.label_nl, PROGRAMME.label_en, cost_eur=cost_eur)


def make_facility(
    facility_type: str,
    *,
    cost_eur: float = 1_000_000.0,
    walk_minutes: float = 10.0,
    walk_speed_kmh: float = 4.0,
) -> InterventionType:
    """A new facility of ``facility_type`` (catalogue key) at a candidate site.

    The default cost (€ 1.000.000) is a placeholder for the council to set.
    """
    ft = get_facility_type(facility_type)
    return InterventionType(
        key=f"facility_{ft.key}",
        label_nl=f"Nieuwe {ft.label_nl[0].lower()}{ft.label_nl[1:]}",
        label_en=f"New {ft.label_en[0].lower()}{ft.label_en[1:]}",
        cost_eur=cost_eur,
        kind=KIND_FACILITY,
        facility_type=ft.key,
        walk_minutes=walk_minutes,
        walk_speed_kmh=walk_speed_kmh,
    )


@dataclass(frozen=True)
class BudgetParams:
    """Everything an allocation depends on besides the ranked table. Frozen and hashable (cache key).

    Parameters
    ----------
    budget_eur
        The budget (≥ 0), in the same unit as the costs.
    interventions
        What the budget can buy (default: a programme per buurt).
    need_rule, need_strength
        How the need index becomes a positive weight (:data:`NEED_WEIGHT_RULES`).
    best_single
        Compare with the largest single affordable item (the fix that gives the
        ≥ 1/2 guarantee on knapsacks). Only switch off to show the plain greedy.
    cost_overrides
        ``(candidate_id, cost_eur)`` pairs that replace the default cost of one candidate.
    """

    budget_eur: float
    interventions: tuple[InterventionType, ...] = (PROGRAMME,)
    need_rule: str = NEED_WEIGHT_PERCENTILE
    need_strength: float = 1.0
    best_single: bool = True
    cost_overrides: tuple[tuple[str, float], ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        _check_budget(self.budget_eur)
        _check_need_rule(self.need_rule, self.need_strength)
        if not self.interventions:
            raise ParameterError("Give at least one intervention to spend the budget on.")
        keys = [i.key for i in self.interventions]
        if len(set(keys)) != len(keys):
            raise ParameterError(f"Intervention keys must be unique, found {', '.join(keys)}.")
        for cid, cost in self.cost_overrides:
            _check_cost(cost, f"Cost of candidate '{cid}'")


# --------------------------------------------------------------------------- need weights


def compute_need_weights(
    table: pd.DataFrame, *, rule: str = NEED_WEIGHT_PERCENTILE, strength: float = 1.0
) -> pd.Series:
    """A positive weight per buurt from its ``need_index``.

    Parameters
    ----------
    table
        Ranked table (:func:`geo.decide.pipeline.rank`) with ``need_index`` and ``status``.
    rule, strength
        ``percentile``: ``1 + strength × p``, *p* the percentile rank in [0, 1];
        ``exp``: ``exp(strength × need_index)``; ``none``: 1.

    Returns
    -------
    pd.Series
        ``need_weight`` with the table's index; NaN for buurten that are not
        ranked. When no ranked buurt has a need index (no need indicator has
        data) every ranked buurt gets weight 1.
    """
    _check_need_rule(rule, strength)
    if schema.NEED_INDEX not in table.columns:
        raise MissingColumnError(f"The table needs a '{schema.NEED_INDEX}' column (from the ranking) to weight by need.")
    ranked = _ranked_mask(table)
    need = pd.to_numeric(table[schema.NEED_INDEX], errors="coerce").where(ranked)
    weight = pd.Series(np.nan, index=table.index, name=NEED_WEIGHT)
    known = need.notna()
    if rule == NEED_WEIGHT_NONE or not known.any():
        weight[ranked] = 1.0
        return weight
    if rule == NEED_WEIGHT_EXP:
        weight[known] = np.exp(strength * need[known])
    else:
        n = int(known.sum())
        avg_rank = need[known].rank(method="average")
        p = (avg_rank - 1.0) / (n - 1) if n > 1 else pd.Series(1.0, index=avg_rank.index)
        weight[known] = 1.0 + strength * p
    # A ranked buurt without a need index gets the median weight: it neither gains nor loses on need.
    weight[ranked & ~known] = float(weight[known].median())
    return weight


# --------------------------------------------------------------------------- the problem


@dataclass(frozen=True, eq=False)
class AllocationProblem:
    """Candidates, what each reaches, and the value of what can be reached.

    ``candidates`` (index ``candidate_id``, unique) has :data:`CANDIDATE_COLUMNS`;
    ``elements`` (index 0..m-1) has :data:`ELEMENT_COLUMNS`, one row per
    (intervention, buurt) pair; ``coverage[i]`` holds the element positions
    candidate *i* reaches. ``notes_nl`` / ``notes_en`` say what was left out or
    approximated while building it. :func:`build_problem` and :meth:`from_sets`
    sort the candidates by id; the greedy breaks ties by id whatever the order.
    """

    candidates: pd.DataFrame
    elements: pd.DataFrame
    coverage: tuple[np.ndarray, ...]
    notes_nl: tuple[str, ...] = ()
    notes_en: tuple[str, ...] = ()
    #: Intervention types by key (labels and reach for the sentences).
    interventions: Mapping[str, InterventionType] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.candidates.index.is_unique:
            raise ParameterError("Candidate ids must be unique.")
        if len(self.coverage) != len(self.candidates):
            raise ParameterError(
                f"coverage has {len(self.coverage)} entries for {len(self.candidates)} candidates; expected one each."
            )
        for cost, cid in zip(self.candidates[COST_EUR], self.candidates.index):
            _check_cost(float(cost), f"Cost of candidate '{cid}'")
        values = self.elements[VALUE].to_numpy(dtype="float64")
        if len(values) and not (np.isfinite(values).all() and (values >= 0).all()):
            raise ParameterError("Element values must be finite numbers ≥ 0.")
        m = len(self.elements)
        for cid, cov in zip(self.candidates.index, self.coverage):
            if len(cov) and (cov.min() < 0 or cov.max() >= m):
                raise ParameterError(f"Candidate '{cid}' reaches an element outside 0..{m - 1}.")

    @classmethod
    def from_sets(
        cls,
        costs: Sequence[float],
        sets: Sequence[Sequence[int]],
        values: Sequence[float],
        *,
        ids: Sequence[str] | None = None,
    ) -> AllocationProblem:
        """An abstract problem: candidate *i* costs ``costs[i]`` and reaches elements ``sets[i]``.

        Element *j* is worth ``values[j]``. Ids default to ``c00, c01, ...``; ties
        go to the smallest id. Used for tests and what-if sums.
        """
        if len(costs) != len(sets):
            raise ParameterError(f"Got {len(costs)} costs for {len(sets)} sets; expected one cost per set.")
        ids = list(ids) if ids is not None else [f"c{i:02d}" for i in range(len(costs))]
        if len(set(ids)) != len(ids) or len(ids) != len(costs):
            raise ParameterError("Candidate ids must be unique, one per candidate.")
        vals = np.asarray(values, dtype="float64")
        elements = pd.DataFrame(
            {
                INTERVENTION: "item",
                schema.BUURT_CODE: [f"e{j}" for j in range(len(vals))],
                schema.BUURT_NAME: [f"e{j}" for j in range(len(vals))],
                schema.CHILDREN_0_14: vals,
                NEED_WEIGHT: 1.0,
                VALUE: vals,
            }
        )
        cov = [np.unique(np.asarray(s, dtype=np.int64)) for s in sets]
        cand = pd.DataFrame(
            {
                INTERVENTION: "item",
                KIND: KIND_PROGRAMME,
                schema.BUURT_CODE: [None] * len(ids),
                schema.BUURT_NAME: ids,
                COST_EUR: np.asarray(costs, dtype="float64"),
            },
            index=pd.Index(ids, name=CANDIDATE_ID),
        )
        return cls._finish(cand, elements, cov, (), (), {})

    @classmethod
    def from_gains(
        cls, costs: Sequence[float], gains: Sequence[float], *, ids: Sequence[str] | None = None
    ) -> AllocationProblem:
        """An additive problem (a 0/1 knapsack): candidate *i* costs ``costs[i]`` and gains ``gains[i]``."""
        return cls.from_sets(costs, [[i] for i in range(len(gains))], gains, ids=ids)

    @classmethod
    def _finish(
        cls,
        cand: pd.DataFrame,
        elements: pd.DataFrame,
        cov: list[np.ndarray],
        notes_nl: tuple[str, ...],
        notes_en: tuple[str, ...],
        interventions: Mapping[str, InterventionType],
    ) -> AllocationProblem:
        values = elements[VALUE].to_numpy(dtype="float64")
        children = elements[schema.CHILDREN_0_14].to_numpy(dtype="float64")
        cand = cand.copy()
        cand[GAIN_ALONE] = [float(values[c].sum()) for c in cov]
        cand[CHILDREN_ALONE] = [float(children[c].sum()) for c in cov]
        cand[N_BUURTEN_ALONE] = [len(c) for c in cov]
        order = np.argsort(cand.index.to_numpy(dtype=str), kind="stable")
        cand = cand.iloc[order]
        cand.index.name = CANDIDATE_ID
        return cls(
            candidates=cand[list(CANDIDATE_COLUMNS)],
            elements=elements[list(ELEMENT_COLUMNS)].reset_index(drop=True),
            coverage=tuple(cov[i] for i in order),
            notes_nl=notes_nl,
            notes_en=notes_en,
            interventions=dict(interventions),
        )


def build_problem(
    table: pd.DataFrame,
    interventions: Sequence[InterventionType] = (PROGRAMME,),
    *,
    need_rule: str = NEED_WEIGHT_PERCENTILE,
    need_strength: float = 1.0,
    sites: Mapping[str, gpd.GeoSeries] | None = None,
    cost_overrides: Mapping[str, float] | None = None,
) -> AllocationProblem:
    """Candidates and coverage for the ranked buurten of ``table``.

    Parameters
    ----------
    table
        Ranked table from :func:`geo.decide.pipeline.rank` (index = buurt code), with
        ``children_0_14``, ``need_index``, ``status``, and for each facility
        intervention ``dist_<type>_m`` and the buurt geometry (EPSG:28992).
    interventions
        What the budget can buy.
    need_rule, need_strength
        See :func:`compute_need_weights`.
    sites
        Candidate sites per facility intervention key: points in EPSG:28992,
        indexed by a site id. Default: the representative point of every ranked buurt
        (site id = buurt code).
    cost_overrides
        Cost per candidate id (``<intervention key>:<site id>``), replacing the default.

    Returns
    -------
    AllocationProblem
    """
    if not interventions:
        raise ParameterError("Give at least one intervention to spend the budget on.")
    keys = [i.key for i in interventions]
    if len(set(keys)) != len(keys):
        raise ParameterError(f"Intervention keys must be unique, found {', '.join(keys)}.")
    if schema.CHILDREN_0_14 not in table.columns:
        raise MissingColumnError(f"The table needs a '{schema.CHILDREN_0_14}' column to count the children reached.")
    unknown_sites = set(sites or {}) - {i.key for i in interventions if i.kind == KIND_FACILITY}
    if unknown_sites:
        raise ParameterError(f"Sites given for {', '.join(sorted(unknown_sites))}, which is not a facility intervention.")

    weight = compute_need_weights(table, rule=need_rule, strength=need_strength)
    ranked = _ranked_mask(table)
    codes = table.index.astype(str).to_numpy()
    names = table[schema.BUURT_NAME].astype(str) if schema.BUURT_NAME in table.columns else pd.Series(codes, index=table.index)
    raw_children = pd.to_numeric(table[schema.CHILDREN_0_14], errors="coerce")
    children = raw_children.fillna(0.0).clip(lower=0.0)
    notes_nl: list[str] = []
    notes_en: list[str] = []
    n_missing = int((raw_children.isna() & ranked).sum())
    if n_missing:
        notes_nl.append(
            f"{_count(n_missing, 'buurt', 'buurten')} zonder bekend aantal kinderen (CBS geheimhouding) "
            "tellen als 0 kinderen."
        )
        notes_en.append(
            f"{_count(n_missing, 'buurt', 'buurten')} without a known number of children (CBS suppression) "
            "count as 0 children."
        )
    ranked_pos = np.flatnonzero(ranked.to_numpy())

    element_rows: list[dict] = []
    cand_rows: list[dict] = []
    cov: list[np.ndarray] = []
    for itv in interventions:
        base = len(element_rows)
        for pos in ranked_pos:
            c = float(children.iloc[pos])
            w = float(weight.iloc[pos])
            element_rows.append(
                {
                    INTERVENTION: itv.key,
                    schema.BUURT_CODE: codes[pos],
                    schema.BUURT_NAME: names.iloc[pos],
                    schema.CHILDREN_0_14: c,
                    NEED_WEIGHT: w,
                    VALUE: c * w,
                }
            )
        if itv.kind == KIND_PROGRAMME:
            for k, pos in enumerate(ranked_pos):
                cand_rows.append(_cand_row(itv, codes[pos], codes[pos], names.iloc[pos]))
                cov.append(np.array([base + k], dtype=np.int64))
            continue
        site_rows, site_cov, nl, en = _facility_candidates(
            table, itv, ranked_pos, codes, names, (sites or {}).get(itv.key)
        )
        cand_rows.extend(site_rows)
        cov.extend(base + c for c in site_cov)
        notes_nl.extend(nl)
        notes_en.extend(en)

    cand = pd.DataFrame(cand_rows, columns=[CANDIDATE_ID, INTERVENTION, KIND, schema.BUURT_CODE, schema.BUURT_NAME, COST_EUR])
    cand = cand.set_index(CANDIDATE_ID)
    for cid, cost in (cost_overrides or {}).items():
        if cid not in cand.index:
            sample = ", ".join(cand.index[:3])
            raise ParameterError(f"Cost given for unknown candidate '{cid}'; candidate ids look like: {sample}.")
        _check_cost(cost, f"Cost of candidate '{cid}'")
        cand.loc[cid, COST_EUR] = float(cost)
    elements = pd.DataFrame(element_rows, columns=list(ELEMENT_COLUMNS))
    return AllocationProblem._finish(
        cand, elements, cov, tuple(notes_nl), tuple(notes_en), {i.key: i for i in interventions}
    )


def _cand_row(itv: InterventionType, site_id: str, code: str | None, name: str) -> dict:
    return {
        CANDIDATE_ID: f"{itv.key}:{site_id}",
        INTERVENTION: itv.key,
        KIND: itv.kind,
        schema.BUURT_CODE: code,
        schema.BUURT_NAME: name,
        COST_EUR: float(itv.cost_eur),
    }


def _facility_candidates(
    table: pd.DataFrame,
    itv: InterventionType,
    ranked_pos: np.ndarray,
    codes: np.ndarray,
    names: pd.Series,
    sites: gpd.GeoSeries | None,
) -> tuple[list[dict], list[np.ndarray], list[str], list[str]]:
    """Candidate sites of one facility intervention and the element positions (0..len(ranked)-1) each reaches."""
    assert itv.facility_type is not None
    col = schema.dist_col(itv.facility_type)
    if col not in table.columns:
        raise MissingColumnError(
            f"Facility intervention '{itv.key}' needs the current distance '{col}' in the table; it is absent."
        )
    if not isinstance(table, gpd.GeoDataFrame):
        raise ParameterError(f"Facility intervention '{itv.key}' needs the buurt geometry: pass the GeoDataFrame.")
    if table.crs is None or not table.crs.equals(schema.WORK_CRS):
        raise CrsError(f"The buurt table must be in {schema.WORK_CRS} to measure reach in metres, found {table.crs}.")
    dist = pd.to_numeric(table[col], errors="coerce").to_numpy(dtype="float64")[ranked_pos]
    if np.isnan(dist).all():
        raise ParameterError(
            f"No buurt has a current distance to '{itv.facility_type}' ('{col}' is empty), so it cannot be told "
            "which buurten are already within reach; load facility data for this type or choose another one."
        )
    reach = itv.reach_m
    unserved = dist > reach  # NaN compares False: an unknown distance is never counted as a gain
    label_nl, label_en = itv.label_nl, itv.label_en
    notes_nl: list[str] = []
    notes_en: list[str] = []
    n_unknown = int(np.isnan(dist).sum())
    if n_unknown:
        notes_nl.append(
            f"{label_nl}: {_count(n_unknown, 'buurt', 'buurten')} zonder bekende afstand tot de huidige voorzieningen "
            "tellen niet mee als nieuw bereikt."
        )
        notes_en.append(
            f"{label_en}: {_count(n_unknown, 'buurt', 'buurten')} without a known current distance are not counted as "
            "newly reached."
        )
    method_col = schema.method_col(itv.facility_type)
    methods = sorted(set(table[method_col].dropna().astype(str))) if method_col in table.columns else []
    measured_nl = "; ".join(MEASURE_LABELS.get(m, (m, m))[0] for m in methods) or "onbekend"
    measured_en = "; ".join(MEASURE_LABELS.get(m, (m, m))[1] for m in methods) or "unknown"
    notes_nl.append(
        f"{label_nl}: bereik {_minutes(itv.walk_minutes, 'nl')} minuten lopen bij "
        f"{_minutes(itv.walk_speed_kmh, 'nl')} km/u ≈ {format_number(reach, lang='nl')} m, hemelsbreed tussen de "
        f"punten van de buurten (benadering); de huidige afstand is gemeten als: {measured_nl}."
    )
    notes_en.append(
        f"{label_en}: reach {_minutes(itv.walk_minutes, 'en')} minutes walking at "
        f"{_minutes(itv.walk_speed_kmh, 'en')} km/h ≈ {format_number(reach, lang='en')} m, in a straight line between "
        f"buurt points (approximation); the current distance is measured as: {measured_en}."
    )

    buurt_pts = compute_origin_points(table).iloc[ranked_pos]
    if sites is None:
        site_pts = buurt_pts
        site_code = pd.Series(codes[ranked_pos], index=buurt_pts.index)
    else:
        if not isinstance(sites, gpd.GeoSeries):
            raise ParameterError(f"Sites of '{itv.key}' must be a GeoSeries of points, found {type(sites).__name__}.")
        if sites.crs is None or not sites.crs.equals(schema.WORK_CRS):
            raise CrsError(f"Sites of '{itv.key}' must be in {schema.WORK_CRS}, found {sites.crs}.")
        if sites.index.has_duplicates:
            raise ParameterError(f"Site ids of '{itv.key}' must be unique.")
        if len(sites) and not (sites.geom_type == "Point").all():
            raise ParameterError(f"Sites of '{itv.key}' must be points.")
        site_pts = sites
        # Any buurt, ranked or not: a new facility on a business park still reaches the buurten around it.
        site_code = _containing_buurt(site_pts, table)
    tree = shapely.STRtree(buurt_pts.values)
    i_site, i_buurt = tree.query(site_pts.values, predicate="dwithin", distance=reach)
    rows: list[dict] = []
    cov: list[np.ndarray] = []
    name_of = dict(zip(codes, names))
    for k, (site_id, code) in enumerate(zip(site_pts.index.astype(str), site_code)):
        reached = np.unique(i_buurt[i_site == k])
        cov.append(reached[unserved[reached]].astype(np.int64))
        name = name_of.get(code, site_id) if code is not None else site_id
        rows.append(_cand_row(itv, site_id, code, name))
    return rows, cov, notes_nl, notes_en


def _containing_buurt(points: gpd.GeoSeries, buurten: gpd.GeoDataFrame) -> pd.Series:
    """Code of the buurt each point lies in (None outside every buurt)."""
    tree = shapely.STRtree(buurten.geometry.values)
    i_pt, i_b = tree.query(points.values, predicate="within")
    out = pd.Series([None] * len(points), index=points.index, dtype=object)
    codes = buurten.index.astype(str)
    for p, b in zip(i_pt[::-1], i_b[::-1]):  # reversed: on a shared border the first buurt wins
        out.iloc[p] = codes[b]
    return out


# --------------------------------------------------------------------------- the allocation


@dataclass(frozen=True)
class Allocation:
    """A funded plan and its step-by-step explanation.

    ``steps`` has :data:`STEP_COLUMNS`, one row per funded candidate in the order
    chosen; ``reached`` has :data:`REACHED_COLUMNS`, one row per (intervention,
    buurt) pair reached. ``upper_bound_gain`` is a proven upper bound on the best
    possible total gain (None for the exhaustive search, which *is* the optimum).
    """

    steps: pd.DataFrame
    reached: pd.DataFrame
    budget_eur: float
    total_cost_eur: float
    total_gain: float
    #: Children 0–14 reached, counted once per intervention (see the module docstring).
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
        return (_to_cents(self.budget_eur) - _to_cents(self.total_cost_eur)) / _CENTS

    @property
    def candidate_ids(self) -> tuple[str, ...]:
        return tuple(self.steps[CANDIDATE_ID])

    @property
    def guaranteed_share(self) -> float | None:
        """total gain / upper bound: the plan reaches at least this share of the best possible value."""
        if self.upper_bound_gain is None:
            return 1.0 if self.method == METHOD_BRUTE_FORCE else None
        if self.upper_bound_gain <= 0:
            return 1.0
        return min(1.0, self.total_gain / self.upper_bound_gain)

    def notes(self, lang: str = "nl") -> tuple[str, ...]:
        return self.notes_nl if lang == "nl" else self.notes_en


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
        Candidate sites per facility intervention (see :func:`build_problem`).
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


@dataclass
class _Run:
    order: list[int]
    rules: list[str]
    gain: float
    stop: str
    bound: float


class _Core:
    """Arrays of one problem: costs in cents, coverage matrix, values."""

    def __init__(self, problem: AllocationProblem) -> None:
        cost_eur = problem.candidates[COST_EUR].to_numpy(dtype="float64")
        # Costs round up and the budget rounds down to whole cents: rounding can never break the budget.
        self.cost = np.array([_to_cents(c, up=True) for c in cost_eur], dtype=np.int64)
        if (self.cost <= 0).any():
            bad = problem.candidates.index[int(np.argmax(self.cost <= 0))]
            raise ParameterError(f"Cost of candidate '{bad}' rounds to € 0,00; costs must be at least one cent.")
        self.values = problem.elements[VALUE].to_numpy(dtype="float64")
        n, m = len(cost_eur), len(self.values)
        lens = [len(c) for c in problem.coverage]
        rows = np.repeat(np.arange(n), lens)
        cols = np.concatenate(problem.coverage) if n else np.zeros(0, dtype=np.int64)
        self.matrix = sparse.csr_matrix((np.ones(len(cols)), (rows, cols)), shape=(n, m))
        self.n, self.m = n, m
        # Position of each candidate id in sorted order: ties go to the smallest id, whatever the row order.
        self.id_rank = np.argsort(np.argsort(problem.candidates.index.to_numpy(dtype=str), kind="stable"), kind="stable")

    def pick(self, score: np.ndarray) -> int:
        """The candidate with the highest score; among equal scores the smallest id."""
        ties = np.flatnonzero(score == score.max())
        return int(ties[np.argmin(self.id_rank[ties])])

    def gains(self, covered: np.ndarray) -> np.ndarray:
        return np.asarray(self.matrix @ np.where(covered, 0.0, self.values)).ravel()

    def covers(self, i: int) -> np.ndarray:
        return self.matrix.indices[self.matrix.indptr[i]:self.matrix.indptr[i + 1]]

    def bound(self, gained: float, gains: np.ndarray, budget: int) -> float:
        """``gained`` + best fractional use of the whole budget on the current marginal gains."""
        ok = (self.cost <= budget) & (gains > 0)
        if not ok.any():
            return gained
        g, c = gains[ok], self.cost[ok].astype("float64")
        order = np.argsort(-g / c, kind="stable")
        g, c = g[order], c[order]
        cum = np.cumsum(c)
        full = cum <= budget
        total = float(g[full].sum())
        k = int(full.sum())
        if k < len(g):
            left = budget - (cum[k - 1] if k else 0.0)
            total += float(g[k]) * left / float(c[k])
        return gained + total

    def ratio_greedy(self, budget: int, start: Sequence[int] = ()) -> _Run:
        covered = np.zeros(self.m, dtype=bool)
        funded = np.zeros(self.n, dtype=bool)
        spent = 0
        gained = 0.0
        order: list[int] = []
        rules: list[str] = []
        bound = math.inf
        for i in start:
            gained += float(self.gains(covered)[i])
            covered[self.covers(i)] = True
            funded[i] = True
            spent += int(self.cost[i])
            order.append(int(i))
            rules.append(RULE_LARGEST_SINGLE)
        while True:
            gains = self.gains(covered)
            bound = min(bound, self.bound(gained, gains, budget))
            adds = ~funded & (gains > 0)
            fits = adds & (self.cost <= budget - spent)
            if not fits.any():
                if not order:
                    stop = STOP_NOTHING_AFFORDABLE if adds.any() else STOP_NOTHING_TO_GAIN
                else:
                    stop = STOP_BUDGET_EXHAUSTED if adds.any() else STOP_ALL_VALUE_FUNDED
                break
            i = self.pick(np.where(fits, gains / self.cost, -np.inf))
            gained += float(gains[i])
            covered[self.covers(i)] = True
            funded[i] = True
            spent += int(self.cost[i])
            assert spent <= budget, "greedy step over budget"
            order.append(i)
            rules.append(RULE_RATIO)
        return _Run(order, rules, gained, stop, max(bound, gained))


def greedy_allocation(problem: AllocationProblem, budget_eur: float, *, best_single: bool = True) -> Allocation:
    """Allocate ``budget_eur`` with the ratio greedy, repaired by the largest single item.

    Parameters
    ----------
    problem
        From :func:`build_problem` or :meth:`AllocationProblem.from_sets`.
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
    _check_budget(budget_eur)
    core = _Core(problem)
    budget = _to_cents(budget_eur)
    if budget == 0:
        return _assemble(
            problem, core, [], [], budget_eur, METHOD_RATIO_GREEDY, STOP_NO_BUDGET, upper_bound=0.0,
            extra_nl=("Het budget is € 0: er kan niets worden gefinancierd.",),
            extra_en=("The budget is € 0: nothing can be funded.",),
        )
    run = core.ratio_greedy(budget)
    single_gain: float | None = None
    chosen, method = run, METHOD_RATIO_GREEDY
    extra_nl: list[str] = []
    extra_en: list[str] = []
    if best_single:
        alone = core.gains(np.zeros(core.m, dtype=bool))
        affordable = (core.cost <= budget) & (alone > 0)
        if affordable.any():
            s = core.pick(np.where(affordable, alone, -np.inf))
            single_gain = float(alone[s])
            if single_gain > run.gain:
                alt = core.ratio_greedy(budget, start=(s,))
                alt.bound = min(alt.bound, run.bound)
                chosen, method = alt, METHOD_SINGLE_THEN_GREEDY
                cid = problem.candidates.index[s]
                extra_nl.append(
                    f"De grootste enkele investering ({cid}, {_fmt(single_gain, 'nl')}) levert meer op dan de "
                    f"stapsgewijze keuze naar opbrengst per euro ({_fmt(run.gain, 'nl')}); het plan begint daarom "
                    "met die investering."
                )
                extra_en.append(
                    f"The largest single investment ({cid}, {_fmt(single_gain, 'en')}) beats the step-by-step choice "
                    f"by gain per euro ({_fmt(run.gain, 'en')}); the plan therefore starts with it."
                )
    if chosen.stop == STOP_NOTHING_AFFORDABLE:
        cheapest = problem.candidates[COST_EUR][core.gains(np.zeros(core.m, dtype=bool)) > 0].min()
        extra_nl.append(
            f"Niets past in het budget van € {_fmt(budget_eur, 'nl', 2)}: de goedkoopste kandidaat die kinderen bereikt "
            f"kost € {_fmt(cheapest, 'nl', 2)}."
        )
        extra_en.append(
            f"Nothing fits in the budget of € {_fmt(budget_eur, 'en', 2)}: the cheapest candidate that reaches children "
            f"costs € {_fmt(cheapest, 'en', 2)}."
        )
    return _assemble(
        problem, core, chosen.order, chosen.rules, budget_eur, method, chosen.stop,
        ratio_greedy_gain=run.gain, best_single_gain=single_gain, upper_bound=chosen.bound,
        extra_nl=tuple(extra_nl), extra_en=tuple(extra_en),
    )


def brute_force_allocation(
    problem: AllocationProblem, budget_eur: float, *, max_candidates: int = MAX_BRUTE_FORCE_CANDIDATES
) -> Allocation:
    """The best plan by trying every combination of candidates (at most ``max_candidates``).

    An independent check on :func:`greedy_allocation`. Ties: the highest gain,
    then the lowest cost, then the combination whose candidates come first.
    Steps list the chosen candidates in id order, each with its marginal gain
    given the earlier ones.
    """
    _check_budget(budget_eur)
    if not 0 < max_candidates <= 20:
        raise ParameterError(f"max_candidates must be between 1 and 20, found {max_candidates!r}.")
    core = _Core(problem)
    if core.n > max_candidates:
        raise ParameterError(
            f"The exhaustive search handles at most {max_candidates} candidates, found {core.n}; "
            "use greedy_allocation for larger problems."
        )
    budget = _to_cents(budget_eur)
    n = core.n
    subsets = (np.arange(2**n, dtype=np.int64)[:, None] >> np.arange(n, dtype=np.int64)) & 1
    cost = subsets @ core.cost
    member = core.matrix.toarray() > 0
    covered = (subsets @ member.astype(np.int64)) > 0
    gain = covered.astype("float64") @ core.values
    gain = np.where(cost <= budget, gain, -np.inf)
    # Highest gain (to 1e-9 relative), then lowest cost, then lowest mask with the lowest bits first.
    best_gain = gain.max()
    near = gain >= best_gain - 1e-9 * max(1.0, abs(best_gain))
    candidates = np.flatnonzero(near)
    pick = candidates[np.lexsort((candidates, cost[candidates]))[0]]
    order = sorted((int(i) for i in np.flatnonzero(subsets[pick])), key=lambda i: core.id_rank[i])
    return _assemble(
        problem, core, order, [RULE_EXHAUSTIVE] * len(order), budget_eur, METHOD_BRUTE_FORCE, STOP_EXHAUSTIVE,
        upper_bound=None,
    )


def _assemble(
    problem: AllocationProblem,
    core: _Core,
    order: Sequence[int],
    rules: Sequence[str],
    budget_eur: float,
    method: str,
    stop: str,
    *,
    ratio_greedy_gain: float | None = None,
    best_single_gain: float | None = None,
    upper_bound: float | None,
    extra_nl: tuple[str, ...] = (),
    extra_en: tuple[str, ...] = (),
) -> Allocation:
    """Replay ``order`` and explain every step."""
    budget = _to_cents(budget_eur)
    cand = problem.candidates
    elems = problem.elements
    # Plain arrays: the replay runs for every allocation and pandas row access per step is slow.
    children = elems[schema.CHILDREN_0_14].to_numpy(dtype="float64")
    elem_codes = elems[schema.BUURT_CODE].astype(str).to_numpy()
    elem_names = elems[schema.BUURT_NAME].astype(str).to_numpy()
    cand_ids = cand.index.to_numpy()
    cand_cols = {c: cand[c].to_numpy() for c in (INTERVENTION, KIND, schema.BUURT_CODE, schema.BUURT_NAME)}
    covered = np.zeros(core.m, dtype=bool)
    spent = 0
    gained = 0.0
    records: list[dict] = []
    reached_idx: list[np.ndarray] = []
    reached_step: list[int] = []
    reached_cand: list[str] = []
    for k, (i, rule) in enumerate(zip(order, rules), start=1):
        idx = core.covers(i)
        new = np.sort(idx[~covered[idx]])
        gain = float(core.values[new].sum())
        covered[new] = True
        spent += int(core.cost[i])
        if spent > budget:  # by construction this cannot happen; fail loudly if it ever does
            raise AssertionError(f"allocation over budget at step {k}: {spent} > {budget} cents")
        gained += gain
        cost_eur = core.cost[i] / _CENTS
        code = cand_cols[schema.BUURT_CODE][i]
        rec = {
            STEP: k,
            CANDIDATE_ID: cand_ids[i],
            INTERVENTION: cand_cols[INTERVENTION][i],
            KIND: cand_cols[KIND][i],
            schema.BUURT_CODE: None if pd.isna(code) else code,
            schema.BUURT_NAME: cand_cols[schema.BUURT_NAME][i],
            COST_EUR: cost_eur,
            MARGINAL_GAIN: gain,
            GAIN_PER_EUR: gain / cost_eur,
            MARGINAL_CHILDREN: float(children[new].sum()),
            N_BUURTEN_REACHED: len(new),
            BUURTEN_REACHED: ",".join(elem_codes[new]),
            CUMULATIVE_COST_EUR: spent / _CENTS,
            CUMULATIVE_GAIN: gained,
            REMAINING_BUDGET_EUR: (budget - spent) / _CENTS,
            SELECTION_RULE: rule,
        }
        itv = problem.interventions.get(str(rec[INTERVENTION]))
        names = elem_names[new].tolist()
        rec[SENTENCE_NL] = _sentence(rec, names, itv, "nl")
        rec[SENTENCE_EN] = _sentence(rec, names, itv, "en")
        records.append(rec)
        reached_idx.append(new)
        reached_step.extend([k] * len(new))
        reached_cand.extend([cand_ids[i]] * len(new))
    steps = pd.DataFrame({c: _column([r[c] for r in records], c) for c in STEP_COLUMNS})
    all_new = np.concatenate(reached_idx) if reached_idx else np.zeros(0, dtype=np.int64)
    reached = elems.iloc[all_new].reset_index(drop=True)
    reached[CANDIDATE_ID] = pd.Series(reached_cand, dtype=object)
    reached[STEP] = pd.Series(reached_step, dtype="int64")
    reached = reached[list(REACHED_COLUMNS)]
    total_cost = spent / _CENTS
    notes_nl = [*problem.notes_nl, *extra_nl]
    notes_en = [*problem.notes_en, *extra_en]
    stop_nl, stop_en = _stop_text(stop)
    if stop_nl:
        notes_nl.append(stop_nl)
        notes_en.append(stop_en)
    if upper_bound is not None and upper_bound > 0 and gained > 0:
        # Rounded down, so "at least" stays true: 99.96 % shows as 99,9 %, never as 100 %.
        pct = math.floor(1000 * min(1.0, gained / upper_bound + 1e-12)) / 10
        notes_nl.append(
            f"Dit plan haalt ten minste {_fmt(pct, 'nl', 1)}% van de best mogelijke waarde "
            f"(bovengrens {_fmt(upper_bound, 'nl')} behoeftegewogen kinderen)."
        )
        notes_en.append(
            f"This plan reaches at least {_fmt(pct, 'en', 1)}% of the best possible value "
            f"(upper bound {_fmt(upper_bound, 'en')} need-weighted children)."
        )
    return Allocation(
        steps=steps,
        reached=reached,
        budget_eur=float(budget_eur),
        total_cost_eur=total_cost,
        total_gain=gained,
        children_reached=float(children[covered].sum()),
        method=method,
        stop_reason=stop,
        ratio_greedy_gain=ratio_greedy_gain,
        best_single_gain=best_single_gain,
        upper_bound_gain=upper_bound,
        notes_nl=tuple(notes_nl),
        notes_en=tuple(notes_en),
    )


def _column(values: list, name: str) -> np.ndarray:
    """One steps column with a fixed dtype, also when there are no steps."""
    if name in (STEP, N_BUURTEN_REACHED):
        return np.asarray(values, dtype=np.int64)
    if name in _FLOAT_STEP_COLUMNS:
        return np.asarray(values, dtype="float64")
    return np.asarray(values, dtype=object)


# --------------------------------------------------------------------------- sentences


def _sentence(rec: Mapping, names: list[str], itv: InterventionType | None, lang: str) -> str:
    nl = lang == "nl"
    label = itv.label(lang) if itv is not None else str(rec[INTERVENTION])
    name = str(rec[schema.BUURT_NAME])
    code = rec[schema.BUURT_CODE]
    site = str(rec[CANDIDATE_ID]).split(":", 1)[-1]
    buurt = f"{name} ({code})" if code is not None and str(code) != name else name
    facility = itv is not None and itv.kind == KIND_FACILITY
    if itv is None:
        place = buurt
    elif not facility:
        place = f"in {buurt}"
    elif code is not None and site == str(code):
        place = f"bij het midden van {buurt}" if nl else f"at the centre of {buurt}"
    elif code is not None:
        place = f"op locatie {site} in {buurt}" if nl else f"at site {site} in {buurt}"
    else:
        place = f"op locatie {site}" if nl else f"at site {site}"
    kids = format_number(rec[MARGINAL_CHILDREN], lang=lang)
    n = int(rec[N_BUURTEN_REACHED])
    # Buurt names can contain commas ("Nijenoord, Hoogstraat en omgeving"): list them with semicolons.
    listed = "; ".join(names[:5]) + ((f"; en {len(names) - 5} andere" if nl else f"; and {len(names) - 5} more")
                                     if len(names) > 5 else "")
    buurten = _count(n, "buurt", "buurten")
    if nl:
        if facility and itv is not None:
            verb = "ligt" if n == 1 else "liggen"
            reach = (
                f" die nu verder dan {format_number(itv.reach_m, lang='nl')} m "
                f"({_minutes(itv.walk_minutes, 'nl')} minuten lopen) van zo'n voorziening {verb} ({listed})"
            )
        else:
            reach = ""
        why = {
            RULE_RATIO: "de hoogste opbrengst per euro van wat nog in het budget past",
            RULE_LARGEST_SINGLE: "de grootste opbrengst van één enkele investering, meer dan het hele plan naar "
                                 "opbrengst per euro",
            RULE_EXHAUSTIVE: "onderdeel van het beste plan, gevonden door alle combinaties te proberen",
        }[rec[SELECTION_RULE]]
        return (
            f"Stap {rec[STEP]}: {label} {place} voor € {_fmt(rec[COST_EUR], 'nl')}. "
            f"Bereikt {kids} kinderen van 0–14 jaar in {buurten}{reach}; behoeftegewogen "
            f"{_fmt(rec[MARGINAL_GAIN], 'nl')}, dat is {_fmt(1000 * rec[GAIN_PER_EUR], 'nl', None)} per € 1.000 "
            f"({why}). Besteed: € {_fmt(rec[CUMULATIVE_COST_EUR], 'nl')}, over: € {_fmt(rec[REMAINING_BUDGET_EUR], 'nl')}."
        )
    if facility and itv is not None:
        verb = "is" if n == 1 else "are"
        reach = (
            f" that {verb} now more than {format_number(itv.reach_m, lang='en')} m "
            f"({_minutes(itv.walk_minutes, 'en')} minutes' walk) from one ({listed})"
        )
    else:
        reach = ""
    why = {
        RULE_RATIO: "the highest gain per euro of what still fits in the budget",
        RULE_LARGEST_SINGLE: "the largest gain of any single investment, more than the whole plan by gain per euro",
        RULE_EXHAUSTIVE: "part of the best plan, found by trying every combination",
    }[rec[SELECTION_RULE]]
    return (
        f"Step {rec[STEP]}: {label} {place} for € {_fmt(rec[COST_EUR], 'en')}. "
        f"Reaches {kids} children aged 0–14 in {buurten}{reach}; need-weighted "
        f"{_fmt(rec[MARGINAL_GAIN], 'en')}, that is {_fmt(1000 * rec[GAIN_PER_EUR], 'en', None)} per € 1,000 "
        f"({why}). Spent: € {_fmt(rec[CUMULATIVE_COST_EUR], 'en')}, left: € {_fmt(rec[REMAINING_BUDGET_EUR], 'en')}."
    )


def _stop_text(stop: str) -> tuple[str, str]:
    return {
        STOP_ALL_VALUE_FUNDED: (
            "Gestopt: elke kandidaat die nog kinderen bereikt is gefinancierd; de rest van het budget is niet nodig.",
            "Stopped: every candidate that still reaches children is funded; the rest of the budget is not needed.",
        ),
        STOP_NOTHING_TO_GAIN: (
            "Geen enkele kandidaat bereikt kinderen die nog niet bereikt zijn: er is niets te financieren.",
            "No candidate reaches children who are not reached yet: there is nothing to fund.",
        ),
        STOP_BUDGET_EXHAUSTED: (
            "Gestopt: geen kandidaat die nog kinderen bereikt past in het resterende budget.",
            "Stopped: no candidate that still reaches children fits in the remaining budget.",
        ),
    }.get(stop, ("", ""))


def _fmt(value: float, lang: str, decimals: int | None = 0) -> str:
    return format_number(value, lang=lang, decimals=decimals)


def _minutes(value: float, lang: str) -> str:
    """10 → "10", 7.5 → "7,5" (nl) / "7.5" (en)."""
    return format_number(value, lang=lang, decimals=0 if float(value).is_integer() else 1)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"
