"""Access from each buurt to the nearest facility of each type.

The access step is an *engine*: anything with a ``name``, labels and a
``nearest(origins, targets)`` method that returns distances in metres. The
embedded data uses :class:`StraightLineEngine`; the network engine (walking and
cycling over OpenStreetMap streets) plugs in the same way.

For every facility type the best available measure is used, in this order:

1. the engine over facility points, if the engine routes over a network;
2. the CBS *nabijheid* road distance (``cbs_dist_<type>_m``): CBS computes it
   over the road network from every address and averages it per buurt;
3. the engine over facility points, straight-line (labelled as such);
4. nothing: the indicator is missing and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import schema, units
from geo.catalog import FACILITY_TYPES
from geo.errors import ParameterError
from geo.lang import pick
from geo.network import routing
from geo.network.graph import Network
from geo.schema import CBS_ROAD, NETWORK, NO_DATA, STRAIGHT_LINE
from geo.terms import MODE_NAMES, measure_label


class AccessEngine(Protocol):
    """What the access step needs from a distance engine."""

    @property
    def name(self) -> str:
        """The measure id the engine's figures carry (``geo.schema.NETWORK`` or ``STRAIGHT_LINE``)."""
        ...

    @property
    def routes_over_network(self) -> bool:
        """True when distances follow streets (then they beat CBS averages of another facility set)."""
        ...

    @property
    def mode(self) -> str | None:
        """``walk``/``bike`` for a street network, ``None`` for straight lines."""
        ...

    @property
    def speed_kmh(self) -> float | None:
        """The speed that turns the engine's metres into minutes; ``None`` when it gives no minutes."""
        ...

    @property
    def max_snap_m(self) -> float | None:
        """Farthest a point may lie from the network and still be reached; ``None``: no limit."""
        ...

    def nearest(self, origins: gpd.GeoSeries, targets: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
        """Distance (m) from every origin to its nearest target, and that target's position."""
        ...

    def count_unsnapped(self, origins: gpd.GeoSeries) -> int:
        """How many of ``origins`` the engine cannot reach at all (0 for straight lines)."""
        ...

    def unsnapped(self, origins: gpd.GeoSeries) -> np.ndarray:
        """Per origin: True when the engine cannot place it at all (too far from the network)."""
        ...

    def within(
        self, origins: gpd.GeoSeries, targets: gpd.GeoSeries, limit_m: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every (origin, target) pair at most ``limit_m`` apart: origin positions, target positions, metres.

        Sorted by origin, then target. A pair not listed is farther than the limit (or unreachable).
        """
        ...


@dataclass(frozen=True)
class StraightLineEngine:
    """Euclidean distance in EPSG:28992. An approximation, and labelled as one."""

    name: str = STRAIGHT_LINE
    routes_over_network: bool = False
    mode: str | None = None
    speed_kmh: float | None = None
    max_snap_m: float | None = None

    def count_unsnapped(self, origins: gpd.GeoSeries) -> int:
        """Every point has a straight-line distance."""
        return 0

    def unsnapped(self, origins: gpd.GeoSeries) -> np.ndarray:
        return np.zeros(len(origins), dtype=bool)

    def within(
        self, origins: gpd.GeoSeries, targets: gpd.GeoSeries, limit_m: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if len(origins) == 0 or len(targets) == 0:
            return _no_pairs()
        o, f = shapely.STRtree(targets.values).query(origins.values, predicate="dwithin", distance=float(limit_m))
        d = shapely.distance(origins.values[o], targets.values[f])
        return _sorted_pairs(o, f, d)

    def nearest(self, origins: gpd.GeoSeries, targets: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
        tree = shapely.STRtree(targets.values)
        (i_orig, i_tgt), dist = tree.query_nearest(origins.values, return_distance=True, all_matches=False)
        out_d = np.full(len(origins), np.nan)
        out_i = np.full(len(origins), -1, dtype=np.int64)
        out_d[i_orig] = dist
        out_i[i_orig] = i_tgt
        return out_d, out_i


@dataclass(frozen=True, eq=False)
class NetworkEngine:
    """Shortest paths over a walking or cycling network (``geo.network.routing``).

    Origins and facilities are snapped to the nearest street segment of the
    network's largest connected component; points farther than ``max_snap_m``
    from any street get no distance (NaN) and are counted. Distances include the
    straight walk from each point to the street (documented in ``geo.network.routing``).
    """

    network: Network
    speed_kmh: float
    max_snap_m: float = routing.MAX_SNAP_M
    name: str = NETWORK
    routes_over_network: bool = True

    @property
    def mode(self) -> str:
        return self.network.mode

    def nearest(self, origins: gpd.GeoSeries, targets: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
        o = routing.snap_points(self.network, _xy(origins), max_snap_m=self.max_snap_m)
        f = routing.snap_points(self.network, _xy(targets), max_snap_m=self.max_snap_m)
        dist = np.full(len(origins), np.nan)
        idx = np.full(len(origins), -1, dtype=np.int64)
        if f.ok.any() and o.ok.any():
            f_ok = np.flatnonzero(f.ok)
            d, i = routing.nearest_facility(self.network, o.take(o.ok), f.take(f.ok))
            reached = np.isfinite(d)
            rows = np.flatnonzero(o.ok)
            dist[rows[reached]] = d[reached]
            idx[rows[reached]] = f_ok[i[reached]]
        return dist, idx

    def count_unsnapped(self, origins: gpd.GeoSeries) -> int:
        """How many origins lie farther than ``max_snap_m`` from the network."""
        return int(self.unsnapped(origins).sum())

    def unsnapped(self, origins: gpd.GeoSeries) -> np.ndarray:
        if len(origins) == 0:
            return np.zeros(0, dtype=bool)
        return ~routing.snap_points(self.network, _xy(origins), max_snap_m=self.max_snap_m).ok

    def within(
        self, origins: gpd.GeoSeries, targets: gpd.GeoSeries, limit_m: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if len(origins) == 0 or len(targets) == 0:
            return _no_pairs()
        o = routing.snap_points(self.network, _xy(origins), max_snap_m=self.max_snap_m)
        f = routing.snap_points(self.network, _xy(targets), max_snap_m=self.max_snap_m)
        if not (o.ok.any() and f.ok.any()):
            return _no_pairs()
        costs = routing.facility_origin_costs(self.network, o, f, limit_m=float(limit_m))
        return _sorted_pairs(costs.origin, costs.facility, costs.dist_m)


def _xy(points: gpd.GeoSeries) -> np.ndarray:
    return np.column_stack([points.x.to_numpy(), points.y.to_numpy()])


def _no_pairs() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)


def _sorted_pairs(
    o: np.ndarray, f: np.ndarray, d: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    order = np.lexsort((f, o))
    return o[order].astype(np.int64), f[order].astype(np.int64), np.asarray(d, dtype=float)[order]


@dataclass(frozen=True)
class AccessMeasure:
    """Which measure gave the figures for one facility type, and its caveats."""

    facility_type: str
    method: str
    n_facilities: int
    n_buurten_with_value: int
    caveat_nl: str = ""
    caveat_en: str = ""
    #: For network measures: "walk" or "bike", and the speed used for minutes.
    mode: str | None = None
    speed_kmh: float | None = None
    #: Buurt points that could not be snapped to the network (no distance).
    n_unsnapped: int = 0

    def label(self, lang: str = "nl") -> str:
        """How the figures were measured, e.g. 'over het straten-netwerk (lopen, 4 km/u)'."""
        text = measure_label(self.method, lang)
        if self.method == NETWORK and self.mode is not None and self.speed_kmh is not None:
            unit = pick(("km/u", "km/h"), lang)
            speed = pick((f"{self.speed_kmh:g}".replace(".", ","), f"{self.speed_kmh:g}"), lang)
            text = f"{text} ({pick(MODE_NAMES[self.mode], lang)}, {speed} {unit})"
        return text

    @property
    def is_approximation(self) -> bool:
        return self.method == STRAIGHT_LINE


@dataclass(frozen=True)
class AccessResult:
    """Distances per buurt (``dist_<type>_m``), nearest facility ids, and the measure per type."""

    distances: pd.DataFrame
    nearest_ids: pd.DataFrame
    measures: dict[str, AccessMeasure]


def compute_origin_points(buurten: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """One origin point per buurt: the centroid when it lies inside, else a point on the surface.

    No address or population grid ships with the default data, so this is a
    representative point, not a population-weighted one.
    """
    geom = buurten.geometry
    centroid = geom.centroid
    inside = centroid.within(geom)
    return gpd.GeoSeries(centroid.where(inside, geom.representative_point()), index=buurten.index, crs=buurten.crs)


def _precision_caveat(targets: gpd.GeoDataFrame) -> tuple[str, str]:
    if schema.LOCATION_PRECISION not in targets.columns:
        return "", ""
    n_pc4 = int((targets[schema.LOCATION_PRECISION] == "pc4_centroid").sum())
    if not n_pc4:
        return "", ""
    return (
        f"{n_pc4} van {len(targets)} locaties zijn het midden van een postcodegebied (PC4, ~0,5 km afwijking)",
        f"{n_pc4} of {len(targets)} locations are postcode-area (PC4) centroids (~0.5 km off)",
    )


def compute_access(
    buurten: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    engine: AccessEngine | None = None,
    facility_types: tuple[str, ...] | None = None,
) -> AccessResult:
    """Distance from every buurt to the nearest facility of each type.

    Parameters
    ----------
    buurten
        Buurt polygons in EPSG:28992, optionally with ``cbs_dist_<type>_m`` columns.
    facilities
        Facility points in EPSG:28992 with ``facility_type`` and ``facility_id``.
    engine
        Distance engine for point layers (default: straight line).
    facility_types
        Types to compute (default: every type in the catalog).
    """
    engine = engine or StraightLineEngine()
    types = facility_types or tuple(FACILITY_TYPES)
    origins = compute_origin_points(buurten)
    distances = pd.DataFrame(index=buurten.index)
    nearest = pd.DataFrame(index=buurten.index)
    measures: dict[str, AccessMeasure] = {}
    for key in types:
        col = schema.dist_col(key)
        targets = facilities.loc[facilities[schema.FACILITY_TYPE] == key]
        cbs_col = schema.cbs_dist_col(key)
        cbs = buurten[cbs_col].astype("float64") if cbs_col in buurten.columns else None
        has_cbs = cbs is not None and cbs.notna().sum() >= 0.5 * len(buurten)
        use_points = len(targets) > 0 and (engine.routes_over_network or not has_cbs)
        if use_points:
            d, i = engine.nearest(origins, targets.geometry)
            distances[col] = d
            if engine.routes_over_network and engine.speed_kmh is not None:
                distances[schema.time_col(key)] = units.minutes(d, engine.speed_kmh)
            ids = np.where(i >= 0, targets[schema.FACILITY_ID].to_numpy()[np.clip(i, 0, None)], None)
            nearest[schema.nearest_col(key)] = ids
            nl, en = _precision_caveat(targets)
            method = NETWORK if engine.routes_over_network else STRAIGHT_LINE
        elif has_cbs:
            distances[col] = cbs
            nl = en = ""
            method = CBS_ROAD
        else:
            distances[col] = np.nan
            nl, en = "", ""
            method = NO_DATA
        on_network = method == NETWORK
        measures[key] = AccessMeasure(
            facility_type=key,
            method=method,
            n_facilities=len(targets),
            n_buurten_with_value=int(distances[col].notna().sum()),
            caveat_nl=nl,
            caveat_en=en,
            mode=engine.mode if on_network else None,
            speed_kmh=engine.speed_kmh if on_network else None,
            n_unsnapped=engine.count_unsnapped(origins) if on_network else 0,
        )
    return AccessResult(distances=distances, nearest_ids=nearest, measures=measures)


# --------------------------------------------------------------------------- point-level network access

ACCESS_METHODS = ("nearest", "cumulative", "2sfca")


def network_access_table(
    network: Network,
    origins: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    speed_kmh: float,
    method: str = "nearest",
    minutes: tuple[float, ...] = (5.0, 10.0, 15.0),
    demand_column: str | None = None,
    max_snap_m: float = routing.MAX_SNAP_M,
) -> pd.DataFrame:
    """Per-origin access over the network, for the CLI and batch use.

    Parameters
    ----------
    network
        Walk or bike network (EPSG:28992).
    origins
        Points (or polygons, reduced to a point inside) with an ``origin_id`` column.
    facilities
        Facility points with ``facility_id`` and optionally ``capacity``.
    speed_kmh
        Travel speed used to turn metres into minutes.
    method
        ``nearest``: ``time_min, dist_m, facility_id`` of the nearest facility.
        ``cumulative``: ``n_within_<m>min`` facilities reachable per band.
        ``2sfca``: enhanced 2SFCA with the bands as steps (weights 1, 0.68, 0.22),
        demand from ``demand_column`` (default 1 per origin) and supply from
        ``capacity`` (default 1 per facility); column ``access_2sfca``.
    minutes
        Travel-time bands (cumulative and 2SFCA).

    Every origin gets a row; ``snap_dist_m`` and ``snapped`` say whether it
    could be placed on the network (an unsnapped origin has no figures).
    """
    if method not in ACCESS_METHODS:
        raise ParameterError(f"Unknown method '{method}'; expected one of: {', '.join(ACCESS_METHODS)}.")
    bands = tuple(sorted(float(m) for m in minutes))
    if not bands or bands[0] <= 0:
        raise ParameterError(f"Minutes must be positive numbers, found {minutes!r}.")
    if not speed_kmh > 0:
        raise ParameterError(f"Speed must be > 0 km/h, found {speed_kmh!r}.")
    pts = origins.geometry.where(origins.geometry.geom_type == "Point", origins.geometry.representative_point())
    o = routing.snap_points(network, _xy(pts), max_snap_m=max_snap_m)
    f = routing.snap_points(network, _xy(facilities.geometry), max_snap_m=max_snap_m)
    m_per_min = units.metres_per_minute(speed_kmh)
    out = pd.DataFrame({"origin_id": origins["origin_id"].astype(str).to_numpy()})
    out["snap_dist_m"] = o.snap_dist_m
    out["snapped"] = o.ok
    if method == "nearest":
        dist, idx = routing.nearest_facility(network, o, f)
        dist = np.where(np.isfinite(dist), dist, np.nan)
        out["dist_m"] = dist
        out["time_min"] = dist / m_per_min
        fid = facilities[schema.FACILITY_ID].astype(str).to_numpy()
        out["facility_id"] = np.where(idx >= 0, fid[np.clip(idx, 0, None)], None)
        return out[["origin_id", "time_min", "dist_m", "facility_id", "snap_dist_m", "snapped"]]
    limits = [b * m_per_min for b in bands]
    costs = routing.facility_origin_costs(network, o, f, limit_m=limits[-1])
    if method == "cumulative":
        counts = routing.count_within(costs, limits)
        for b, lim in zip(bands, limits, strict=True):
            out[f"n_within_{b:g}min"] = np.where(o.ok, counts[lim], np.nan)
        return out
    demand = (
        pd.to_numeric(origins[demand_column], errors="coerce").fillna(0).to_numpy(dtype=float)
        if demand_column
        else np.ones(len(origins))
    )
    supply = (
        pd.to_numeric(facilities[schema.FACILITY_CAPACITY], errors="coerce").fillna(1).to_numpy(dtype=float)
        if schema.FACILITY_CAPACITY in facilities.columns
        else np.ones(len(facilities))
    )
    # Three bands: the enhanced 2SFCA steps of Luo & Qi; otherwise a Gaussian decay over the catchment.
    decay_kw: dict = (
        {"decay": "step", "steps": list(zip(limits, routing.DEFAULT_STEP_WEIGHTS, strict=True))}
        if len(limits) == 3
        else {"decay": "gaussian"}
    )
    out["demand"] = demand
    out["access_2sfca"] = np.where(
        o.ok,
        routing.two_step_fca(costs, demand, supply, catchment_m=limits[-1], **decay_kw),
        np.nan,
    )
    return out
