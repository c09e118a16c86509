"""The allocation problem: what the budget can buy, what each candidate reaches, and what that is worth.

It is pure computation: a ranked table in, an :class:`AllocationProblem` out
(candidates, their costs, the (intervention, buurt) pairs each reaches and the
value of every pair). :mod:`geo.decide.budget.solve` allocates a budget over it.

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
annualised); the module cannot check that. The solver compares costs and the
budget in whole cents, so "never over budget" is exact, not up to rounding.

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
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import schema, units
from geo.catalog import get_facility_type
from geo.decide.access import compute_origin_points
from geo.decide.budget import wording
from geo.errors import CrsError, MissingColumnError, ParameterError
from geo.lang import pick

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

#: Default reach of a new facility: minutes of walking at a child's walking speed.
DEFAULT_WALK_MINUTES = 10.0
DEFAULT_WALK_SPEED_KMH = units.default_speed_kmh("walk", "child")
#: Default cost of a new facility, a placeholder for the council to set.
DEFAULT_FACILITY_COST_EUR = 1_000_000.0

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

#: Columns of :attr:`AllocationProblem.candidates` (index: ``candidate_id``).
CANDIDATE_COLUMNS = (
    INTERVENTION,
    KIND,
    schema.BUURT_CODE,
    schema.BUURT_NAME,
    COST_EUR,
    GAIN_ALONE,
    CHILDREN_ALONE,
    N_BUURTEN_ALONE,
)
#: Columns of :attr:`AllocationProblem.elements` (one row per (intervention, buurt) pair).
ELEMENT_COLUMNS = (
    INTERVENTION,
    schema.BUURT_CODE,
    schema.BUURT_NAME,
    schema.CHILDREN_0_14,
    NEED_WEIGHT,
    VALUE,
)
#: Columns of a candidate row before its gains are known.
_CANDIDATE_INPUT_COLUMNS = (CANDIDATE_ID, INTERVENTION, KIND, schema.BUURT_CODE, schema.BUURT_NAME, COST_EUR)


# --------------------------------------------------------------------------- checks


def check_budget(budget_eur: float) -> None:
    """A budget is a finite amount ≥ 0; else :class:`ParameterError`."""
    try:
        ok = math.isfinite(float(budget_eur)) and float(budget_eur) >= 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ParameterError(f"The budget must be a finite amount ≥ 0 euros, found {budget_eur!r}.")


def check_cost(cost: float, what: str) -> None:
    """A cost is a finite amount > 0; else :class:`ParameterError` naming ``what``."""
    try:
        ok = math.isfinite(float(cost)) and float(cost) > 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ParameterError(
            f"{what} must be a finite amount > 0 euros, found {cost!r} "
            "(a free intervention needs no budget decision)."
        )


def _check_need_rule(rule: str, strength: float) -> None:
    if rule not in NEED_WEIGHT_RULES:
        raise ParameterError(
            f"Unknown need-weight rule '{rule}'; expected one of: {', '.join(NEED_WEIGHT_RULES)}."
        )
    if not (math.isfinite(strength) and strength >= 0):
        raise ParameterError(f"need_strength must be a finite number ≥ 0, found {strength!r}.")


def _check_interventions(interventions: Sequence[InterventionType]) -> None:
    if not interventions:
        raise ParameterError("Give at least one intervention to spend the budget on.")
    keys = [i.key for i in interventions]
    if len(set(keys)) != len(keys):
        raise ParameterError(f"Intervention keys must be unique, found {', '.join(keys)}.")


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
    walk_minutes: float = DEFAULT_WALK_MINUTES
    walk_speed_kmh: float = DEFAULT_WALK_SPEED_KMH

    def __post_init__(self) -> None:
        if not self.key or ":" in self.key:
            raise ParameterError(
                f"An intervention key must be a non-empty text without ':', found {self.key!r}."
            )
        check_cost(self.cost_eur, f"Cost of intervention '{self.key}'")
        if self.kind not in KINDS:
            raise ParameterError(
                f"Unknown intervention kind '{self.kind}'; expected one of: {', '.join(KINDS)}."
            )
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

    @property
    def labels(self) -> tuple[str, str]:
        """The name in both languages, ``(nl, en)``."""
        return self.label_nl, self.label_en

    def label(self, lang: str = "nl") -> str:
        return pick(self.labels, lang)


#: A rijke-schooldag programme in one buurt; € 150.000 per year is a placeholder for the council to set.
PROGRAMME = InterventionType(
    KIND_PROGRAMME,
    *wording.in_both(wording.PROGRAMME_NAME),
    cost_eur=150_000.0,
)


def make_programme(*, cost_eur: float = PROGRAMME.cost_eur) -> InterventionType:
    """A rijke-schooldag programme per buurt at ``cost_eur`` (default: the placeholder € 150.000)."""
    return InterventionType(PROGRAMME.key, PROGRAMME.label_nl, PROGRAMME.label_en, cost_eur=cost_eur)


def make_facility(
    facility_type: str,
    *,
    cost_eur: float = DEFAULT_FACILITY_COST_EUR,
    walk_minutes: float = DEFAULT_WALK_MINUTES,
    walk_speed_kmh: float = DEFAULT_WALK_SPEED_KMH,
) -> InterventionType:
    """A new facility of ``facility_type`` (catalogue key) at a candidate site.

    The default cost (€ 1.000.000) is a placeholder for the council to set.
    """
    ftype = get_facility_type(facility_type)
    return InterventionType(
        f"facility_{ftype.key}",
        *wording.new_facility_name((ftype.label_nl, ftype.label_en)),
        cost_eur=cost_eur,
        kind=KIND_FACILITY,
        facility_type=ftype.key,
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
        check_budget(self.budget_eur)
        _check_need_rule(self.need_rule, self.need_strength)
        _check_interventions(self.interventions)
        for candidate_id, cost in self.cost_overrides:
            check_cost(cost, f"Cost of candidate '{candidate_id}'")


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
        raise MissingColumnError(
            f"The table needs a '{schema.NEED_INDEX}' column (from the ranking) to weight by need."
        )
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
        n_known = int(known.sum())
        average_rank = need[known].rank(method="average")
        percentile = (
            (average_rank - 1.0) / (n_known - 1) if n_known > 1 else pd.Series(1.0, index=average_rank.index)
        )
        weight[known] = 1.0 + strength * percentile
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
                f"coverage has {len(self.coverage)} entries for {len(self.candidates)} candidates; "
                "expected one each."
            )
        if len(self.notes_nl) != len(self.notes_en):
            raise ParameterError(
                f"Got {len(self.notes_nl)} Dutch and {len(self.notes_en)} English notes; "
                "expected them in pairs."
            )
        for cost, candidate_id in zip(self.candidates[COST_EUR], self.candidates.index, strict=True):
            check_cost(float(cost), f"Cost of candidate '{candidate_id}'")
        values = self.elements[VALUE].to_numpy(dtype="float64")
        if len(values) and not (np.isfinite(values).all() and (values >= 0).all()):
            raise ParameterError("Element values must be finite numbers ≥ 0.")
        n_elements = len(self.elements)
        for candidate_id, reached in zip(self.candidates.index, self.coverage, strict=True):
            if len(reached) and (reached.min() < 0 or reached.max() >= n_elements):
                raise ParameterError(
                    f"Candidate '{candidate_id}' reaches an element outside 0..{n_elements - 1}."
                )

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
        element_values = np.asarray(values, dtype="float64")
        element_names = [f"e{j}" for j in range(len(element_values))]
        elements = pd.DataFrame(
            {
                INTERVENTION: "item",
                schema.BUURT_CODE: element_names,
                schema.BUURT_NAME: element_names,
                schema.CHILDREN_0_14: element_values,
                NEED_WEIGHT: 1.0,
                VALUE: element_values,
            }
        )
        coverage = [np.unique(np.asarray(s, dtype=np.int64)) for s in sets]
        candidates = pd.DataFrame(
            {
                INTERVENTION: "item",
                KIND: KIND_PROGRAMME,
                schema.BUURT_CODE: [None] * len(ids),
                schema.BUURT_NAME: ids,
                COST_EUR: np.asarray(costs, dtype="float64"),
            },
            index=pd.Index(ids, name=CANDIDATE_ID),
        )
        return cls._sorted_with_gains(candidates, elements, coverage, (), {})

    @classmethod
    def from_gains(
        cls, costs: Sequence[float], gains: Sequence[float], *, ids: Sequence[str] | None = None
    ) -> AllocationProblem:
        """An additive problem (a 0/1 knapsack): candidate *i* costs ``costs[i]`` and gains ``gains[i]``."""
        return cls.from_sets(costs, [[i] for i in range(len(gains))], gains, ids=ids)

    @classmethod
    def _sorted_with_gains(
        cls,
        candidates: pd.DataFrame,
        elements: pd.DataFrame,
        coverage: list[np.ndarray],
        notes: Sequence[tuple[str, str]],
        interventions: Mapping[str, InterventionType],
    ) -> AllocationProblem:
        """The problem with each candidate's gain on its own, candidates sorted by id."""
        values = elements[VALUE].to_numpy(dtype="float64")
        children = elements[schema.CHILDREN_0_14].to_numpy(dtype="float64")
        candidates = candidates.copy()
        candidates[GAIN_ALONE] = [float(values[reached].sum()) for reached in coverage]
        candidates[CHILDREN_ALONE] = [float(children[reached].sum()) for reached in coverage]
        candidates[N_BUURTEN_ALONE] = [len(reached) for reached in coverage]
        order = np.argsort(candidates.index.to_numpy(dtype=str), kind="stable")
        candidates = candidates.iloc[order]
        candidates.index.name = CANDIDATE_ID
        notes_nl, notes_en = wording.split_languages(notes)
        return cls(
            candidates=candidates[list(CANDIDATE_COLUMNS)],
            elements=elements[list(ELEMENT_COLUMNS)].reset_index(drop=True),
            coverage=tuple(coverage[i] for i in order),
            notes_nl=notes_nl,
            notes_en=notes_en,
            interventions=dict(interventions),
        )


# --------------------------------------------------------------------------- building it from a ranked table


@dataclass(frozen=True)
class _Buurten:
    """The table's buurten as the problem sees them (every row; ``ranked`` picks the candidates)."""

    #: Row positions of the ranked buurten.
    ranked: np.ndarray
    codes: np.ndarray
    names: pd.Series
    #: Children 0–14, 0 where the count is unknown.
    children: pd.Series
    weights: pd.Series
    n_missing_children: int
    name_by_code: Mapping[str, str]

    @classmethod
    def of(cls, table: pd.DataFrame, need_rule: str, need_strength: float) -> _Buurten:
        weights = compute_need_weights(table, rule=need_rule, strength=need_strength)
        ranked = _ranked_mask(table)
        codes = table.index.astype(str).to_numpy()
        if schema.BUURT_NAME in table.columns:
            names = table[schema.BUURT_NAME].astype(str)
        else:
            names = pd.Series(codes, index=table.index)
        raw_children = pd.to_numeric(table[schema.CHILDREN_0_14], errors="coerce")
        return cls(
            ranked=np.flatnonzero(ranked.to_numpy()),
            codes=codes,
            names=names,
            children=raw_children.fillna(0.0).clip(lower=0.0),
            weights=weights,
            n_missing_children=int((raw_children.isna() & ranked).sum()),
            name_by_code=dict(zip(codes, names, strict=True)),
        )

    def name_of(self, code: str | None, default: str) -> str:
        """The name of buurt ``code`` (any row, ranked or not); ``default`` when there is none."""
        return default if code is None else self.name_by_code.get(code, default)


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
    _check_interventions(interventions)
    if schema.CHILDREN_0_14 not in table.columns:
        raise MissingColumnError(
            f"The table needs a '{schema.CHILDREN_0_14}' column to count the children reached."
        )
    _check_sites_are_for_facilities(sites or {}, interventions)
    buurten = _Buurten.of(table, need_rule, need_strength)
    notes: list[tuple[str, str]] = []
    if buurten.n_missing_children:
        notes.append(wording.missing_children(buurten.n_missing_children))
    element_rows: list[dict] = []
    candidate_rows: list[dict] = []
    coverage: list[np.ndarray] = []
    for intervention in interventions:
        first_element = len(element_rows)
        element_rows.extend(_element_rows(intervention, buurten))
        if intervention.kind == KIND_PROGRAMME:
            rows, reached = _programme_candidates(intervention, buurten)
        else:
            rows, reached, facility_notes = _facility_candidates(
                table, intervention, buurten, (sites or {}).get(intervention.key)
            )
            notes.extend(facility_notes)
        candidate_rows.extend(rows)
        coverage.extend(first_element + positions for positions in reached)
    candidates = pd.DataFrame(candidate_rows, columns=list(_CANDIDATE_INPUT_COLUMNS)).set_index(CANDIDATE_ID)
    _apply_cost_overrides(candidates, cost_overrides or {})
    elements = pd.DataFrame(element_rows, columns=list(ELEMENT_COLUMNS))
    return AllocationProblem._sorted_with_gains(
        candidates, elements, coverage, notes, {i.key: i for i in interventions}
    )


def _check_sites_are_for_facilities(
    sites: Mapping[str, gpd.GeoSeries], interventions: Sequence[InterventionType]
) -> None:
    unknown = set(sites) - {i.key for i in interventions if i.kind == KIND_FACILITY}
    if unknown:
        raise ParameterError(
            f"Sites given for {', '.join(sorted(unknown))}, which is not a facility intervention."
        )


def _element_rows(intervention: InterventionType, buurten: _Buurten) -> list[dict]:
    """One (intervention, buurt) pair per ranked buurt, with its value."""
    rows = []
    for pos in buurten.ranked:
        children = float(buurten.children.iloc[pos])
        weight = float(buurten.weights.iloc[pos])
        rows.append(
            {
                INTERVENTION: intervention.key,
                schema.BUURT_CODE: buurten.codes[pos],
                schema.BUURT_NAME: buurten.names.iloc[pos],
                schema.CHILDREN_0_14: children,
                NEED_WEIGHT: weight,
                VALUE: children * weight,
            }
        )
    return rows


def _programme_candidates(
    intervention: InterventionType, buurten: _Buurten
) -> tuple[list[dict], list[np.ndarray]]:
    """One candidate per ranked buurt, reaching that buurt's own element."""
    rows = [
        _candidate_row(intervention, buurten.codes[pos], buurten.codes[pos], buurten.names.iloc[pos])
        for pos in buurten.ranked
    ]
    reached = [np.array([k], dtype=np.int64) for k in range(len(buurten.ranked))]
    return rows, reached


def _apply_cost_overrides(candidates: pd.DataFrame, cost_overrides: Mapping[str, float]) -> None:
    for candidate_id, cost in cost_overrides.items():
        if candidate_id not in candidates.index:
            sample = ", ".join(candidates.index[:3])
            raise ParameterError(
                f"Cost given for unknown candidate '{candidate_id}'; candidate ids look like: {sample}."
            )
        check_cost(cost, f"Cost of candidate '{candidate_id}'")
        candidates.loc[candidate_id, COST_EUR] = float(cost)


def _candidate_row(intervention: InterventionType, site_id: str, code: str | None, name: str) -> dict:
    return {
        CANDIDATE_ID: f"{intervention.key}:{site_id}",
        INTERVENTION: intervention.key,
        KIND: intervention.kind,
        schema.BUURT_CODE: code,
        schema.BUURT_NAME: name,
        COST_EUR: float(intervention.cost_eur),
    }


# --------------------------------------------------------------------------- facility candidates


def _facility_candidates(
    table: pd.DataFrame,
    intervention: InterventionType,
    buurten: _Buurten,
    sites: gpd.GeoSeries | None,
) -> tuple[list[dict], list[np.ndarray], list[tuple[str, str]]]:
    """Candidate sites of one facility intervention, the elements (0..len(ranked)-1) each reaches, notes."""
    distance = _current_distances(table, intervention, buurten.ranked)
    notes = _facility_notes(table, intervention, distance)
    buurt_points = compute_origin_points(table).iloc[buurten.ranked]
    site_points, site_codes = _candidate_sites(table, intervention, buurten, buurt_points, sites)
    unserved = (
        distance > intervention.reach_m
    )  # NaN compares False: an unknown distance is never counted as a gain
    tree = shapely.STRtree(buurt_points.values)
    site_pos, buurt_pos = tree.query(site_points.values, predicate="dwithin", distance=intervention.reach_m)
    rows: list[dict] = []
    coverage: list[np.ndarray] = []
    for k, (site_id, code) in enumerate(zip(site_points.index.astype(str), site_codes, strict=True)):
        within = np.unique(buurt_pos[site_pos == k])
        coverage.append(within[unserved[within]].astype(np.int64))
        rows.append(_candidate_row(intervention, site_id, code, buurten.name_of(code, site_id)))
    return rows, coverage, notes


def _current_distances(table: pd.DataFrame, intervention: InterventionType, ranked: np.ndarray) -> np.ndarray:
    """Current distance of each ranked buurt to the facility type (NaN unknown), after checking the table."""
    assert intervention.facility_type is not None
    column = schema.dist_col(intervention.facility_type)
    if column not in table.columns:
        raise MissingColumnError(
            f"Facility intervention '{intervention.key}' needs the current distance '{column}' in the table; "
            "it is absent."
        )
    if not isinstance(table, gpd.GeoDataFrame):
        raise ParameterError(
            f"Facility intervention '{intervention.key}' needs the buurt geometry: pass the GeoDataFrame."
        )
    if table.crs is None or not table.crs.equals(schema.WORK_CRS):
        raise CrsError(
            f"The buurt table must be in {schema.WORK_CRS} to measure reach in metres, found {table.crs}."
        )
    distance = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype="float64")[ranked]
    if np.isnan(distance).all():
        raise ParameterError(
            f"No buurt has a current distance to '{intervention.facility_type}' ('{column}' is empty), "
            "so it cannot be told which buurten are already within reach; "
            "load facility data for this type or choose another one."
        )
    return distance


def _facility_notes(
    table: pd.DataFrame, intervention: InterventionType, distance: np.ndarray
) -> list[tuple[str, str]]:
    """Buurten with an unknown current distance, and how reach and the current distance are measured."""
    assert intervention.facility_type is not None
    notes = []
    n_unknown = int(np.isnan(distance).sum())
    if n_unknown:
        notes.append(wording.unknown_distance(intervention.labels, n_unknown))
    method_column = schema.method_col(intervention.facility_type)
    methods = sorted(set(table[method_column].dropna().astype(str))) if method_column in table.columns else []
    notes.append(
        wording.facility_reach_note(
            intervention.labels,
            intervention.walk_minutes,
            intervention.walk_speed_kmh,
            intervention.reach_m,
            methods,
        )
    )
    return notes


def _candidate_sites(
    table: gpd.GeoDataFrame,
    intervention: InterventionType,
    buurten: _Buurten,
    buurt_points: gpd.GeoSeries,
    sites: gpd.GeoSeries | None,
) -> tuple[gpd.GeoSeries, pd.Series]:
    """The candidate sites and the code of the buurt each lies in (default: the ranked buurten's points)."""
    if sites is None:
        return buurt_points, pd.Series(buurten.codes[buurten.ranked], index=buurt_points.index)
    if not isinstance(sites, gpd.GeoSeries):
        raise ParameterError(
            f"Sites of '{intervention.key}' must be a GeoSeries of points, found {type(sites).__name__}."
        )
    if sites.crs is None or not sites.crs.equals(schema.WORK_CRS):
        raise CrsError(f"Sites of '{intervention.key}' must be in {schema.WORK_CRS}, found {sites.crs}.")
    if sites.index.has_duplicates:
        raise ParameterError(f"Site ids of '{intervention.key}' must be unique.")
    if len(sites) and not (sites.geom_type == "Point").all():
        raise ParameterError(f"Sites of '{intervention.key}' must be points.")
    # Any buurt, ranked or not: a new facility on a business park still reaches the buurten around it.
    return sites, _containing_buurt(sites, table)


def _containing_buurt(points: gpd.GeoSeries, buurten: gpd.GeoDataFrame) -> pd.Series:
    """Code of the buurt each point lies in (None outside every buurt)."""
    tree = shapely.STRtree(buurten.geometry.values)
    point_pos, buurt_pos = tree.query(points.values, predicate="within")
    codes_out = pd.Series([None] * len(points), index=points.index, dtype=object)
    codes = buurten.index.astype(str)
    for p, b in zip(
        point_pos[::-1], buurt_pos[::-1], strict=True
    ):  # reversed: on a shared border the first buurt wins
        codes_out.iloc[p] = codes[b]
    return codes_out
