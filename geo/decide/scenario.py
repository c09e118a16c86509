"""Scenarios: add hypothetical facilities or remove existing ones, and compare.

A :class:`Scenario` is a frozen, hashable description (a cache key for the
app). :func:`apply_scenario` makes the changed dataset, :func:`prepare_scenario`
recomputes access for the facility types the scenario touches,
:func:`compare` sets two ranked results side by side, and
:func:`run_scenario` does all of it, so the app and the CLI share one path.

How a scenario changes distances (the rule per measure)
-------------------------------------------------------
The access step (:mod:`geo.decide.access`) measures each facility type in one of
three ways. A scenario keeps that measure, so "before" is the current
situation the planner sees, and changes only what the measure allows:

* **Points** (``network`` or ``straight_line``): distances are recomputed with
  the same engine to the changed set of points. Adding a facility can only
  shorten a distance, removing one can only lengthen it.
* **CBS road distance** (``cbs_road``, CBS *nabijheid*: the mean over all
  addresses of the buurt of the road distance to the nearest facility in CBS's
  own register). That figure cannot be recomputed, so with the default rule
  ``cbs_rule="combine"``:

  - *adding*: new distance = ``min(CBS distance, engine distance from the buurt
    point to the nearest added facility)``; a buurt without a CBS figure gets the
    distance to the added facility. Each buurt's ``dist_<type>_method`` says which
    measure gave its figure, and the type's caveat counts the buurten where the
    added facility won. With the straight-line engine this is optimistic: a
    straight line is shorter than the road, so the gain is an upper bound;
  - *removing* cannot be evaluated (we do not know which addresses had the
    removed facility as their nearest in CBS's register) and raises
    :class:`~geo.errors.ParameterError`.

  With ``cbs_rule="points"`` such a type is measured to the facility points of
  the dataset both before *and* after (the CBS figure is set aside for this
  comparison), so removals can be evaluated; "before" then differs from the
  app's current view for that type, which the comparison's notes say.
* **No data** (no points and no CBS figure): there is no current situation to
  compare with; adding a facility of such a type raises (load the existing
  facilities of that type first).

Capacity is stored with an added facility but does not enter nearest-distance
access; it is used by capacity-based measures (2SFCA).
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import SupportsFloat, SupportsIndex

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import schema, units
from geo.catalog import FACILITY_TYPES, get_facility_type
from geo.data.files import Dataset
from geo.decide import equity
from geo.decide.access import (
    AccessEngine,
    AccessResult,
    StraightLineEngine,
    compute_access,
    compute_origin_points,
)
from geo.decide.pipeline import PipelineResult, Prepared, prepare, rank
from geo.decide.ranking import RankingParams
from geo.errors import GeometryError, ParameterError
from geo.schema import CBS_ROAD, NETWORK, NO_DATA, STRAIGHT_LINE
from geo.units import default_speed_kmh

# --------------------------------------------------------------------------- constants
#: Rules for facility types measured by CBS road distances (see the module docstring).
CBS_COMBINE = "combine"
CBS_POINTS = "points"
CBS_RULES = (CBS_COMBINE, CBS_POINTS)

#: How far outside the buurten's bounding box an added facility may lie (m).
DEFAULT_MARGIN_M = 2_000.0
#: ``source`` of facilities added by a scenario.
SCENARIO_SOURCE = "scenario"
#: Prefix of the ids of added facilities: ``scenario-1``, ``scenario-2``, …
SCENARIO_ID_PREFIX = "scenario-"

#: Suffixes of the before/after columns of a comparison.
BEFORE = "_before"
AFTER = "_after"
RANK_BEFORE = f"{schema.RANK}{BEFORE}"
RANK_AFTER = f"{schema.RANK}{AFTER}"
#: ``rank_after − rank_before``: > 0 the buurt moved down the priority list (less priority), < 0 up.
RANK_CHANGE = "rank_change"
PRIORITY_BEFORE = f"{schema.PRIORITY_SCORE}{BEFORE}"
PRIORITY_AFTER = f"{schema.PRIORITY_SCORE}{AFTER}"

# Columns of ScenarioComparison.reach (one row per facility type and travel time).
MINUTES = "minutes"
CHILDREN_NEWLY_WITHIN = "children_newly_within"
CHILDREN_NO_LONGER_WITHIN = "children_no_longer_within"
BUURTEN_NEWLY_WITHIN = "buurten_newly_within"
BUURTEN_NO_LONGER_WITHIN = "buurten_no_longer_within"
#: Change of a before/after pair (after − before), e.g. ``concentration_index_change``.
CHANGE = "_change"


# --------------------------------------------------------------------------- scenario objects


def _finite(value: object, what: str) -> float:
    try:
        if not isinstance(value, str | bytes | SupportsFloat | SupportsIndex):  # what float() takes
            raise TypeError
        f = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{what} must be a number, found {value!r}.") from None
    if not np.isfinite(f):
        raise ParameterError(f"{what} must be a finite number, found {value!r}.")
    return f


def _capacity(value: object) -> float:
    cap = _finite(value, "capacity")
    if cap < 0:
        raise ParameterError(f"capacity must be ≥ 0, found {value!r}.")
    return cap


#: How the coordinates are named in error messages.
_X, _Y = "x (EPSG:28992, m)", "y (EPSG:28992, m)"


@dataclass(frozen=True)
class ScenarioFacility:
    """A hypothetical facility: type, location in EPSG:28992 (metres), capacity and name.

    The one type for an added facility: the CLI, the app and the share link use it.
    The type must be a catalog key (:data:`geo.catalog.FACILITY_TYPES`); the
    location is checked against the municipality by :func:`apply_scenario`.
    ``capacity`` ``None`` means "not given" and counts as 1 (:attr:`effective_capacity`).
    """

    facility_type: str
    x: float
    y: float
    capacity: float | None = None
    name: str = ""

    def __post_init__(self) -> None:
        get_facility_type(self.facility_type)  # ParameterError listing the valid types
        object.__setattr__(self, "x", _finite(self.x, _X))
        object.__setattr__(self, "y", _finite(self.y, _Y))
        if self.capacity is not None:
            object.__setattr__(self, "capacity", _capacity(self.capacity))

    @property
    def effective_capacity(self) -> float:
        """The capacity used in computations: the given one, else 1."""
        return 1.0 if self.capacity is None else self.capacity

    @classmethod
    def parse(cls, text: str) -> ScenarioFacility:
        """From ``TYPE,X,Y[,CAPACITY]`` (X and Y in EPSG:28992), as given to the CLI's ``--add``."""
        parts = [p.strip() for p in str(text).split(",")]
        if len(parts) not in (3, 4) or not all(parts):
            raise ParameterError(
                f"Expected TYPE,X,Y or TYPE,X,Y,CAPACITY (X and Y in EPSG:28992 metres, e.g. sport,136500,455800), "
                f"found '{text}'."
            )
        kind, x, y, *capacity = parts
        get_facility_type(kind)  # the type is checked first, as in the constructor
        return cls(kind, _finite(x, _X), _finite(y, _Y), _capacity(capacity[0]) if capacity else None)

    def display_name(self) -> str:
        return self.name or f"{get_facility_type(self.facility_type).label_nl} (scenario)"


@dataclass(frozen=True)
class Scenario:
    """A named set of changes to the facilities. Frozen and hashable (a cache key).

    Parameters
    ----------
    name
        Shown with the results (e.g. "Sporthal Kanaleneiland").
    added
        Hypothetical facilities, given ids ``scenario-1``, ``scenario-2``, … in order.
    removed
        ``facility_id`` values of existing facilities to take away.
    cbs_rule
        ``"combine"`` (default) or ``"points"``: how types measured by CBS road
        distances are treated (module docstring).
    """

    name: str = "scenario"
    added: tuple[ScenarioFacility, ...] = ()
    removed: tuple[str, ...] = ()
    cbs_rule: str = CBS_COMBINE

    def __post_init__(self) -> None:
        object.__setattr__(self, "added", tuple(self.added))
        object.__setattr__(self, "removed", tuple(str(r) for r in self.removed))
        for f in self.added:
            if not isinstance(f, ScenarioFacility):
                raise ParameterError(f"added must hold ScenarioFacility objects, found {type(f).__name__}.")
        dup = sorted({r for r in self.removed if self.removed.count(r) > 1})
        if dup:
            raise ParameterError(f"Each facility can be removed once; listed more than once: {', '.join(dup)}.")
        if self.cbs_rule not in CBS_RULES:
            raise ParameterError(f"Unknown cbs_rule '{self.cbs_rule}'; expected one of: {', '.join(CBS_RULES)}.")

    @property
    def is_empty(self) -> bool:
        return not self.added and not self.removed

    def added_ids(self) -> tuple[str, ...]:
        """The ids the added facilities get in the scenario's dataset."""
        return tuple(f"{SCENARIO_ID_PREFIX}{i + 1}" for i in range(len(self.added)))

    def facility_types(self, facilities: gpd.GeoDataFrame) -> tuple[str, ...]:
        """Types the scenario touches (added, or of a removed facility in ``facilities``), in catalog order."""
        types = {f.facility_type for f in self.added}
        present = [r for r in self.removed if r in facilities.index]
        types |= set(facilities.loc[present, schema.FACILITY_TYPE].astype(str))
        return tuple(k for k in FACILITY_TYPES if k in types)


# --------------------------------------------------------------------------- applying a scenario


def _check_removed(facilities: gpd.GeoDataFrame, removed: Sequence[str]) -> None:
    unknown = [r for r in removed if r not in facilities.index]
    if not unknown:
        return
    ids = [str(i) for i in facilities.index]
    hints = []
    for r in unknown[:3]:
        close = difflib.get_close_matches(r, ids, n=3)
        hints.append(f"'{r}'" + (f" (did you mean {', '.join(close)}?)" if close else ""))
    raise ParameterError(
        f"Cannot remove unknown facility id{'s' if len(unknown) > 1 else ''} {', '.join(hints)}"
        f"{' …' if len(unknown) > 3 else ''}; expected an existing facility_id such as {', '.join(ids[:3])}."
    )


def apply_scenario(dataset: Dataset, scenario: Scenario, *, margin_m: float = DEFAULT_MARGIN_M) -> Dataset:
    """The dataset with the scenario's facilities added and removed.

    Added facilities get ``facility_id`` ``scenario-<n>``, ``source`` ``scenario``,
    ``location_precision`` ``source`` (the point is exact by construction) and
    their capacity. The buurten are unchanged.

    Raises
    ------
    ParameterError
        An unknown facility type (raised by :class:`ScenarioFacility`) or an
        unknown facility id to remove.
    GeometryError
        An added facility outside the buurten's bounding box grown by ``margin_m``.
    """
    fac = dataset.facilities
    _check_removed(fac, scenario.removed)
    x0, y0, x1, y1 = dataset.buurten.total_bounds
    x0, y0, x1, y1 = x0 - margin_m, y0 - margin_m, x1 + margin_m, y1 + margin_m
    for f in scenario.added:
        if not (x0 <= f.x <= x1 and y0 <= f.y <= y1):
            raise GeometryError(
                f"Scenario facility '{f.display_name()}' at x {f.x:.0f}, y {f.y:.0f} lies outside {dataset.name}: "
                f"expected x {x0:.0f}–{x1:.0f} and y {y0:.0f}–{y1:.0f} (EPSG:28992 metres, the buurten plus "
                f"{margin_m:.0f} m). Are the coordinates longitude/latitude, or x and y swapped?"
            )
    ids = scenario.added_ids()
    clash = [i for i in ids if i in fac.index]
    if clash:
        raise ParameterError(f"The dataset already has facilities with ids {', '.join(clash)}; rename them first.")
    kept = fac.drop(index=list(scenario.removed))
    if scenario.added:
        new = gpd.GeoDataFrame(
            {
                schema.FACILITY_ID: list(ids),
                schema.FACILITY_TYPE: [f.facility_type for f in scenario.added],
                schema.FACILITY_NAME: [f.display_name() for f in scenario.added],
                schema.FACILITY_CAPACITY: [f.effective_capacity for f in scenario.added],
                schema.LOCATION_PRECISION: "source",
                schema.FACILITY_SOURCE: SCENARIO_SOURCE,
            },
            geometry=gpd.points_from_xy([f.x for f in scenario.added], [f.y for f in scenario.added]),
            crs=fac.crs,
            index=pd.Index(list(ids), dtype=object),
        )
        if new.geometry.name != kept.geometry.name:
            new = new.rename_geometry(kept.geometry.name)
        kept = gpd.GeoDataFrame(pd.concat([kept, new]), geometry=kept.geometry.name, crs=fac.crs)
    return dataclasses.replace(dataset, facilities=kept)


def _replace_types(prepared: Prepared, dataset: Dataset, types: Sequence[str]) -> Prepared:
    """``prepared`` with access for ``types`` recomputed by the access step on ``dataset``."""
    res = compute_access(dataset.buurten, dataset.facilities, engine=prepared.engine, facility_types=tuple(types))
    ind = prepared.indicators.copy()
    dist = prepared.access.distances.copy()
    nearest = prepared.access.nearest_ids.copy()
    measures = dict(prepared.access.measures)
    for key in types:
        # Assigning to an existing column keeps its place; a column the new measure lacks goes.
        for c in (schema.dist_col(key), schema.time_col(key)):
            if c in res.distances.columns:
                ind[c] = res.distances[c]
                dist[c] = res.distances[c]
            else:
                ind = ind.drop(columns=c, errors="ignore")
                dist = dist.drop(columns=c, errors="ignore")
        c = schema.nearest_col(key)
        if c in res.nearest_ids.columns:
            nearest[c] = res.nearest_ids[c]
        else:
            nearest = nearest.drop(columns=c, errors="ignore")
        ind[schema.method_col(key)] = res.measures[key].method
        measures[key] = res.measures[key]
    return Prepared(
        dataset=dataset,
        indicators=ind,
        access=AccessResult(distances=dist, nearest_ids=nearest, measures=measures),
        engine=prepared.engine,
    )


def _combine_cbs(prepared: Prepared, dataset: Dataset, key: str, added: gpd.GeoDataFrame) -> Prepared:
    """CBS-measured type + added points: per buurt the smaller of the CBS and the engine distance."""
    engine: AccessEngine = prepared.engine or StraightLineEngine()
    origins = compute_origin_points(dataset.buurten)
    d_new, i_new = engine.nearest(origins, added.geometry)
    col = schema.dist_col(key)
    cbs = prepared.indicators[col].to_numpy(dtype=np.float64)
    # The CBS figure stays unless the added facility is nearer (or CBS has no figure for the buurt).
    use_new = np.isfinite(d_new) & ~(cbs <= d_new)
    values = np.where(use_new, d_new, cbs)
    point_method = NETWORK if engine.routes_over_network else STRAIGHT_LINE
    ind = prepared.indicators.copy()
    dist = prepared.access.distances.copy()
    nearest = prepared.access.nearest_ids.copy()
    ind[col] = values
    dist[col] = values
    ind[schema.method_col(key)] = np.where(use_new, point_method, CBS_ROAD).astype(object)
    ids = added[schema.FACILITY_ID].to_numpy(dtype=object)
    nearest[schema.nearest_col(key)] = np.where(use_new, ids[np.clip(i_new, 0, None)], None)
    n = int(use_new.sum())
    label_nl = "hemelsbreed" if point_method == STRAIGHT_LINE else "over het netwerk"
    label_en = "straight line" if point_method == STRAIGHT_LINE else "over the network"
    old = prepared.access.measures[key]
    measure = dataclasses.replace(
        old,
        n_facilities=old.n_facilities + len(added),
        n_buurten_with_value=int(np.isfinite(values).sum()),
        caveat_nl=(f"scenario: in {n} buurten ligt de toegevoegde voorziening dichterbij dan de CBS-afstand; "
                   f"daar geldt de afstand {label_nl} tot die voorziening"),
        caveat_en=(f"scenario: in {n} buurten the added facility is nearer than the CBS distance; "
                   f"there the distance ({label_en}) to that facility is used"),
    )
    measures = {**prepared.access.measures, key: measure}
    return Prepared(
        dataset=dataset,
        indicators=ind,
        access=AccessResult(distances=dist, nearest_ids=nearest, measures=measures),
        engine=prepared.engine,
    )


def _points_rule_types(prepared: Prepared, scenario: Scenario) -> tuple[str, ...]:
    """Touched types measured by CBS that ``cbs_rule="points"`` measures to points instead."""
    if scenario.cbs_rule != CBS_POINTS:
        return ()
    touched = scenario.facility_types(prepared.dataset.facilities)
    return tuple(k for k in touched if prepared.access.measures[k].method == CBS_ROAD)


def measure_by_points(prepared: Prepared, facility_types: Sequence[str]) -> Prepared:
    """``prepared`` with ``facility_types`` measured to the dataset's points instead of CBS distances.

    Used for the "before" side of a scenario with ``cbs_rule="points"``. The
    CBS columns of those types are dropped from the dataset's buurten so that
    :func:`geo.decide.pipeline.prepare` on the returned dataset gives the same figures.
    """
    fac = prepared.dataset.facilities
    empty = [k for k in facility_types if not (fac[schema.FACILITY_TYPE] == k).any()]
    if empty:
        raise ParameterError(
            f"cbs_rule 'points' needs facility points of each type to measure the current situation; "
            f"the dataset has none of type {', '.join(empty)}. Use cbs_rule 'combine' for these."
        )
    buurten = prepared.dataset.buurten.drop(columns=[schema.cbs_dist_col(k) for k in facility_types], errors="ignore")
    return _replace_types(prepared, dataclasses.replace(prepared.dataset, buurten=buurten), facility_types)


def prepare_scenario(before: Prepared, scenario: Scenario, *, margin_m: float = DEFAULT_MARGIN_M) -> Prepared:
    """Indicators and access after the scenario, from the prepared current situation.

    Only the facility types the scenario touches are recomputed, by the rule of
    their measure in ``before`` (module docstring); everything else is shared.
    With ``cbs_rule="points"`` pass a ``before`` made by :func:`measure_by_points`
    (as :func:`run_scenario` does); otherwise CBS-measured types are combined.

    Raises
    ------
    ParameterError
        A removal from a CBS-measured type under ``cbs_rule="combine"``, an
        addition to a type without data, or a removal that leaves a
        point-measured type without any facility.
    GeometryError
        An added facility outside the area (:func:`apply_scenario`) or, with a
        network engine, too far from the street network to be snapped.
    """
    after_ds = apply_scenario(before.dataset, scenario, margin_m=margin_m)
    fac = before.dataset.facilities
    removed_types = set(fac.loc[list(scenario.removed), schema.FACILITY_TYPE].astype(str))
    types = scenario.facility_types(fac)
    added = after_ds.facilities.loc[list(scenario.added_ids())]
    engine = before.engine or StraightLineEngine()
    if len(added):
        # A facility the network cannot reach would silently change nothing: say so instead.
        far = [str(n) for n, g in zip(added[schema.FACILITY_NAME], added.geometry, strict=True)
               if engine.count_unsnapped(gpd.GeoSeries([g], crs=added.crs))]
        if far:
            limit = engine.max_snap_m or 0.0
            raise GeometryError(
                f"Scenario facility {', '.join(repr(n) for n in far)} lies more than {limit:g} m from the street "
                "network, so it cannot be reached; place it nearer a street."
            )
    result = dataclasses.replace(before, dataset=after_ds)
    recompute: list[str] = []
    for key in types:
        m = before.access.measures.get(key)
        label = get_facility_type(key).label_en.lower()
        if m is not None and m.method in (NETWORK, STRAIGHT_LINE):
            recompute.append(key)
        elif m is not None and m.method == CBS_ROAD:
            if key in removed_types:
                raise ParameterError(
                    f"Cannot evaluate removing a {label}: the distance to the nearest {label} is a CBS road distance "
                    f"to CBS's own register of facilities, which cannot be recomputed without one of them. Use "
                    f"cbs_rule 'points' to measure this type to the facility points in the dataset, before and after."
                )
            result = _combine_cbs(result, after_ds, key, added[added[schema.FACILITY_TYPE] == key])
        else:  # NO_DATA
            with_data = [k for k, mm in before.access.measures.items() if mm.method != NO_DATA]
            raise ParameterError(
                f"Cannot add a {label} ('{key}'): the dataset has neither {label} locations nor CBS distances "
                f"for this type, so there is no current situation to compare with (load the existing ones "
                f"first). Types with data: {', '.join(with_data)}."
            )
    if recompute:
        result = _replace_types(result, after_ds, recompute)
        lost = [k for k in recompute if result.access.measures[k].method != before.access.measures[k].method]
        if lost:
            raise ParameterError(
                f"The scenario removes every facility of type {', '.join(lost)}: there is nothing left to measure "
                "the distance to. Keep at least one."
            )
    return result


# --------------------------------------------------------------------------- comparing


@dataclass(frozen=True)
class ScenarioComparison:
    """Before and after, per buurt and in summary.

    Attributes
    ----------
    table
        One row per buurt (index: buurt code), ordered by ``rank_after``:
        ``buurt_code``, ``buurt_name``, ``children_0_14``; per compared type
        ``dist_<type>_m_before/_after``, ``dist_<type>_method_before/_after`` and
        ``time_<type>_min_before/_after``; ``priority_score_before/_after``,
        ``rank_before``, ``rank_after`` and ``rank_change`` (``rank_after −
        rank_before``: > 0 moved down the priority list, < 0 up; NA when not ranked).
    reach
        One row per type and travel time: children and buurten newly within
        it and no longer within it (a buurt's children count when its distance is).
    equity
        One row per type: ``share_within_<m>min_pct``, ``mean_time_min``,
        ``concentration_index`` and ``concentration_index_time``, each
        ``_before``, ``_after`` and ``_change`` (after − before), at ``equity_minutes``.
    """

    table: pd.DataFrame
    reach: pd.DataFrame
    equity: pd.DataFrame
    facility_types: tuple[str, ...]
    minutes: tuple[float, ...]
    equity_minutes: float
    speed_kmh: float
    notes: tuple[str, ...] = ()

    @property
    def rank_changed(self) -> pd.DataFrame:
        """Rows of buurten whose rank changed."""
        ch = self.table[RANK_CHANGE]
        return self.table[ch.notna() & (ch != 0)]

    @property
    def n_rank_changed(self) -> int:
        return len(self.rank_changed)

    def children_newly_within(self, facility_type: str, minutes: float) -> float:
        r = self.reach
        row = r[(r[schema.FACILITY_TYPE] == facility_type) & np.isclose(r[MINUTES], minutes)]
        if row.empty:
            raise ParameterError(
                f"No figures for {facility_type} within {minutes:g} min; compared: "
                f"{', '.join(self.facility_types)} at {', '.join(f'{m:g}' for m in self.minutes)} min."
            )
        return float(row[CHILDREN_NEWLY_WITHIN].iloc[0])


def _changed_types(before: pd.DataFrame, after: pd.DataFrame) -> tuple[str, ...]:
    out = []
    for key in FACILITY_TYPES:
        col = schema.dist_col(key)
        if col in before.columns and col in after.columns:
            b = before[col].to_numpy(dtype=np.float64)
            a = after[col].to_numpy(dtype=np.float64)
            if not np.array_equal(b, a, equal_nan=True):
                out.append(key)
    return tuple(out)


def compare(
    before: PipelineResult,
    after: PipelineResult,
    *,
    speed_kmh: float,
    minutes: Sequence[float] = (5.0, 10.0, 15.0),
    equity_minutes: float = 10.0,
    facility_types: Sequence[str] | None = None,
) -> ScenarioComparison:
    """Compare two ranked results of the same buurten (current situation and scenario).

    Parameters
    ----------
    before, after
        Ranked results with the same buurten and the same ranking parameters.
    speed_kmh
        Speed that turns distances into minutes (the measure of each distance
        is in the ``dist_<type>_method`` columns).
    minutes
        Travel times for "children newly within".
    equity_minutes
        Travel time of the equity figures (share within, concentration index).
    facility_types
        Types to compare; default: the types whose distances differ somewhere.
    """
    b, a = before.table, after.table
    if set(b.index) != set(a.index) or len(b) != len(a):
        raise ParameterError(
            f"before and after must hold the same buurten; found {len(b)} and {len(a)} "
            f"({len(set(b.index) ^ set(a.index))} differ)."
        )
    if before.params != after.params:
        raise ParameterError("before and after were ranked with different weights; rank both with the same parameters.")
    bands = tuple(sorted({float(m) for m in minutes}))
    if not bands or not all(np.isfinite(m) and m > 0 for m in (*bands, equity_minutes)):
        raise ParameterError(f"minutes must be numbers > 0, found {tuple(minutes)!r} and {equity_minutes!r}.")
    units.metres_per_minute(speed_kmh)  # validates the speed
    a = a.loc[b.index]
    types = tuple(facility_types) if facility_types is not None else _changed_types(b, a)
    for key in types:
        get_facility_type(key)

    order = a.sort_values([schema.RANK, schema.BUURT_CODE], na_position="last", kind="mergesort").index
    b, a = b.loc[order], a.loc[order]
    table = pd.DataFrame(index=order)
    for c in (schema.BUURT_CODE, schema.BUURT_NAME, schema.CHILDREN_0_14):
        if c in a.columns:
            table[c] = a[c]
    children = pd.to_numeric(a[schema.CHILDREN_0_14], errors="coerce").fillna(0.0)
    reach_rows = []
    for key in types:
        col, mcol, tcol = schema.dist_col(key), schema.method_col(key), schema.time_col(key)
        times = {}
        for side, frame in ((BEFORE, b), (AFTER, a)):
            d = pd.to_numeric(frame[col], errors="coerce").astype("float64")
            table[f"{col}{side}"] = d
            if mcol in frame.columns:
                table[f"{mcol}{side}"] = frame[mcol]
            times[side] = units.minutes(d, speed_kmh)
        for side in (BEFORE, AFTER):
            table[f"{tcol}{side}"] = times[side]
        for m in bands:
            in_b = equity.is_within(times[BEFORE], m)
            in_a = equity.is_within(times[AFTER], m)
            newly, lost = ~in_b & in_a, in_b & ~in_a
            reach_rows.append(
                {
                    schema.FACILITY_TYPE: key,
                    MINUTES: m,
                    CHILDREN_NEWLY_WITHIN: float(children[newly].sum()),
                    CHILDREN_NO_LONGER_WITHIN: float(children[lost].sum()),
                    BUURTEN_NEWLY_WITHIN: int(newly.sum()),
                    BUURTEN_NO_LONGER_WITHIN: int(lost.sum()),
                }
            )
    table[PRIORITY_BEFORE] = b[schema.PRIORITY_SCORE]
    table[PRIORITY_AFTER] = a[schema.PRIORITY_SCORE]
    table[RANK_BEFORE] = b[schema.RANK].astype("Int64")
    table[RANK_AFTER] = a[schema.RANK].astype("Int64")
    table[RANK_CHANGE] = table[RANK_AFTER] - table[RANK_BEFORE]
    table.index.name = None

    reach = pd.DataFrame(
        reach_rows,
        columns=[schema.FACILITY_TYPE, MINUTES, CHILDREN_NEWLY_WITHIN, CHILDREN_NO_LONGER_WITHIN,
                 BUURTEN_NEWLY_WITHIN, BUURTEN_NO_LONGER_WITHIN],
    )
    eq = _equity_change(b, a, types, speed_kmh, equity_minutes)
    notes = []
    if types and b[schema.NEED_INDEX].isna().all():
        notes.append("No need indicator has a weight: the concentration index over need cannot be computed.")
    for key in types:
        mb = before.prepared.access.measures.get(key)
        ma = after.prepared.access.measures.get(key)
        if mb is not None and ma is not None and mb.caveat_en != ma.caveat_en and ma.caveat_en.startswith("scenario"):
            notes.append(f"{key}: {ma.caveat_en}.")
    return ScenarioComparison(
        table=table, reach=reach, equity=eq, facility_types=types, minutes=bands,
        equity_minutes=float(equity_minutes), speed_kmh=float(speed_kmh), notes=tuple(notes),
    )


def _equity_change(
    b: pd.DataFrame, a: pd.DataFrame, types: Sequence[str], speed_kmh: float, minutes: float
) -> pd.DataFrame:
    share = equity.within_share_column(minutes)
    figures = (share, equity.MEAN_TIME_MIN, equity.CONCENTRATION_INDEX, equity.CONCENTRATION_INDEX_TIME)
    columns = [schema.FACILITY_TYPE, *(f"{f}{s}" for f in figures for s in (BEFORE, AFTER, CHANGE))]
    if not types or b[schema.NEED_INDEX].isna().all():
        rows = [{schema.FACILITY_TYPE: k} for k in types]
        return pd.DataFrame(rows, columns=columns)
    sb = equity.equity_summary(b, facility_types=types, speed_kmh=speed_kmh, minutes=minutes)
    sa = equity.equity_summary(a, facility_types=types, speed_kmh=speed_kmh, minutes=minutes)
    sb, sa = sb.set_index(schema.FACILITY_TYPE), sa.set_index(schema.FACILITY_TYPE)
    out = pd.DataFrame({schema.FACILITY_TYPE: list(types)})
    for f in figures:
        out[f"{f}{BEFORE}"] = sb[f].to_numpy()
        out[f"{f}{AFTER}"] = sa[f].to_numpy()
        out[f"{f}{CHANGE}"] = out[f"{f}{AFTER}"] - out[f"{f}{BEFORE}"]
    return out[columns]


# --------------------------------------------------------------------------- one call


def run_scenario(
    prepared_or_dataset: Prepared | Dataset,
    scenario: Scenario,
    params: RankingParams,
    engine: AccessEngine | None = None,
    *,
    speed_kmh: float | None = None,
    minutes: Sequence[float] = (5.0, 10.0, 15.0),
    equity_minutes: float = 10.0,
    margin_m: float = DEFAULT_MARGIN_M,
) -> tuple[PipelineResult, PipelineResult, ScenarioComparison]:
    """Rank the current situation and the scenario, and compare them.

    Parameters
    ----------
    prepared_or_dataset
        A :class:`~geo.decide.pipeline.Prepared` (its engine is used; pass the app's
        cached one) or a :class:`~geo.data.files.Dataset` (prepared here with ``engine``).
    scenario
        The changes.
    params
        Ranking weights, the same for both sides.
    engine
        Distance engine when a dataset is given (default: straight line).
    speed_kmh
        Speed for minutes; default the network engine's speed, else a walking
        child's (4 km/h, :func:`geo.network.graph.default_speed_kmh`).
    minutes, equity_minutes, margin_m
        As for :func:`compare` and :func:`apply_scenario`.

    Returns
    -------
    before, after, comparison
        ``before`` is the current situation (for ``cbs_rule="points"``: with the
        touched CBS-measured types measured to points, see the module docstring).
    """
    if isinstance(prepared_or_dataset, Prepared):
        if engine is not None and engine is not prepared_or_dataset.engine:
            raise ParameterError("Pass an engine only with a dataset: a Prepared brings its own engine.")
        base = prepared_or_dataset
    elif isinstance(prepared_or_dataset, Dataset):
        base = prepare(prepared_or_dataset, engine=engine)
    else:
        raise ParameterError(f"Expected a Prepared or a Dataset, found {type(prepared_or_dataset).__name__}.")
    if speed_kmh is None and base.engine is not None:
        speed_kmh = base.engine.speed_kmh
    if speed_kmh is None:
        speed_kmh = default_speed_kmh("walk", "child")
    # Validate ids and locations before any slow work.
    apply_scenario(base.dataset, scenario, margin_m=margin_m)
    switched = _points_rule_types(base, scenario)
    if switched:
        base = measure_by_points(base, switched)
    after_prep = prepare_scenario(base, scenario, margin_m=margin_m)
    before, after = rank(base, params), rank(after_prep, params)
    comparison = compare(
        before, after, speed_kmh=speed_kmh, minutes=minutes, equity_minutes=equity_minutes,
        facility_types=scenario.facility_types(base.dataset.facilities),
    )
    if switched:
        note = (f"{', '.join(switched)}: measured to the facility points before and after "
                "(cbs_rule 'points'; the CBS road distance is set aside for this comparison).")
        comparison = dataclasses.replace(comparison, notes=(*comparison.notes, note))
    return before, after, comparison
