"""Isochrone polygons: the area within a travel budget of a facility, drawn from the reached network.

An isochrone here is *not* a convex (or concave) hull of reached points. It is
the part of the street network from which the facility can be reached within
the budget, thickened by a walk-off distance and unioned, so that unreached
blocks, water and the open middle of a U-shaped street stay outside, and
holes stay holes. All geometry is in EPSG:28992 (:data:`geo.schema.WORK_CRS`).

Reached network
    ``node_dist[v]`` is the network distance from node ``v`` *to* the facility
    (computed on the reversed graph, so one-way rules point the right way). A
    point at fraction ``s`` along a directed edge ``u → v`` of length ``L``
    (``s = 0`` at ``u``) is ``(1 − s)·L + node_dist[v]`` from the facility when
    travelling along the edge, so with budget ``limit`` the reached part of the
    edge is ``s ∈ [s0, 1]``, ``s0 = max(0, 1 − (limit − node_dist[v]) / L)``,
    empty when ``node_dist[v] > limit``. Edges are straight segments
    (``geo.network.graph``), so a fraction of the length is a fraction of the geometry.
    Reached nodes and the optional ``start_xy`` (the facility's snap point) are
    included as points.

Walk-off distance
    ``walk_off_m`` (default :data:`WALK_OFF_M` = 40 m) is how far a child may be
    from a reached street – a front door, a schoolyard, the back of a deep plot
    – and still count as within reach. It is not charged to the budget. The
    isochrone is the set of points within ``walk_off_m`` of the reached network.
    Consequence: an *unreached* node can lie inside the polygon when it is
    within ``walk_off_m`` of a reached sub-segment (across a narrow block, at the
    end of a half-reached edge). "No unreached node inside" holds only for
    nodes farther than the walk-off from every reached sub-segment.

Methods
    ``"raster"`` (default, fast). One grid of ``cell_m`` covering only the
    reached bounding box plus the walk-off:

    1. burn: every reached sub-segment is sampled at ≤ ``cell_m / 2`` and every
       cell holding a sample records the smallest band that reaches it and the
       sub-segment that put it there (numpy; ``rasterio.features.rasterize``
       gives the same cells but spends ~10x longer converting geometries);
    2. per band, on that band's own bounding box: an exact Euclidean distance
       transform gives every cell centre its nearest burned cell; cells whose
       centre is provably within (beyond) ``walk_off_m`` are kept (dropped),
       and the cells in the ±``cell_m·√2/2`` margin are decided on the exact
       distance from their centre to the recorded sub-segment;
    3. ``rasterio.features.shapes`` polygonises (holes kept), the cell staircase
       is smoothed (each ring through the midpoints of its cell edges) and the
       result simplified by ``simplify_m``.

    Error bounds: a reached node's own cell is always part of the region, and
    so is every cell whose centre is within ``walk_off_m − cell_m·√2/2`` of
    it, so the node lies well inside the polygon; every point of the polygon
    is within ``walk_off_m + cell_m·√2 + simplify_m`` of a reached sub-segment
    (cell half-diagonal, plus at most ``cell_m/(2√2)`` from the smoothing at
    concave corners, plus the simplification). Bands are nested cell by cell;
    after simplification up to ``simplify_m``. Against the buffer method the
    symmetric difference is ~1–4 % of the area unsimplified (Delft, 5–15 min
    at 4 km/h), the raster area ~0.5 % smaller on average.

    ``"buffer"`` (slow reference). Every reached sub-segment (and reached node
    no sub-segment touches) is buffered by ``walk_off_m`` with shapely and the
    buffers are unioned per band; then simplified like the raster result.

    ``simplify_m`` defaults to ``cell_m``: Douglas-Peucker per ring (raster
    method; a polygon it would make invalid is simplified topology-preserving
    instead) or topology-preserving (buffer method); either moves the boundary
    by at most ``simplify_m`` and the output is valid.

Union over many facilities
    The union of the isochrones of several facilities is the isochrone of the
    *multi-source* distance, the element-wise minimum of their ``node_dist``
    (the reached part of every edge grows monotonically as ``node_dist[v]``
    falls). :func:`isochrones_by_band` uses this: one shared raster per facility
    type instead of one polygon per facility and a polygon overlay.
    :func:`dissolve_by_band` unions polygons that already exist.

Facility points
    :func:`facility_isochrones` (used by the app and the CLI) snaps facility
    points with ``geo.network.routing`` and takes their node distances from it. The
    facility's own street is then drawn from the snapped point itself, in the
    directions the network allows; from ``node_dist`` alone a point beside the
    facility would be routed via the far end of that edge. With
    ``include_snap`` (default, as in the access figures) the straight walk from
    the street to the facility is charged to the budget; the walk-off on the
    child's side is not (it is a tolerance for drawing, not a distance).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Literal, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from rasterio import features
from rasterio.transform import Affine
from scipy import ndimage

from geo import units
from geo.errors import CrsError, MissingColumnError, ParameterError
from geo.network import routing
from geo.network.graph import Network
from geo.network.routing import MAX_SNAP_M, Snapped
from geo.schema import FACILITY_ID, FACILITY_TYPE, GEOMETRY, WORK_CRS

#: Default walk-off distance, metres: how far from a reached street a child may be and still count.
WALK_OFF_M = 40.0
#: Default raster cell size, metres, of the ``"raster"`` method.
CELL_M = 10.0
#: Column with the band, in minutes, in the isochrone tables.
MINUTES = "minutes"
METHODS = ("raster", "buffer")
#: Segments per quarter circle of the ``"buffer"`` method's round caps and joins.
_QUAD_SEGS = 8

Method = Literal["raster", "buffer"]
Floats: TypeAlias = Sequence[float] | np.ndarray
Polygonal: TypeAlias = shapely.Polygon | shapely.MultiPolygon
#: Per-facility node distances are computed this many values (facilities × nodes) at a time.
_CHUNK_VALUES = 4_000_000
#: The reached network is split into clusters, each rastered on its own, only when one raster over
#: its bounding box would have more cells than this (≈ 40 MB of working arrays): below, splitting
#: saves little memory and costs time (≈ 20 % for one facility's isochrones). Same cells either way.
_CLUSTER_FROM_CELLS = 1_000_000


# --------------------------------------------------------------------------- public API


def isochrone_polygons(
    network: Network,
    node_dist: np.ndarray,
    limits_m: Floats,
    *,
    start_xy: tuple[float, float] | np.ndarray | None = None,
    walk_off_m: float = WALK_OFF_M,
    cell_m: float = CELL_M,
    simplify_m: float | None = None,
    method: Method = "raster",
) -> list[Polygonal]:
    """Isochrone polygons of one facility (or of a set of facilities), one per budget.

    Parameters
    ----------
    network
        The street network (EPSG:28992).
    node_dist
        Network distance, metres, from every node *to* the facility, ``inf``
        where not reached, e.g. ``scipy.sparse.csgraph.dijkstra(
        network.reverse_matrix(), indices=node, limit=max(limits_m))``. For a set
        of facilities pass the element-wise minimum: the result is their union.
    limits_m
        Budgets, metres (e.g. :func:`limits_for_minutes`). Any order; the output follows it.
    start_xy
        The facility's own snap point ``(x, y)`` – or an ``(m, 2)`` array of
        points for a set of facilities – included in every band.
    walk_off_m
        Walk-off distance, metres (module docstring). Must be > 0.
    cell_m
        Raster cell size, metres (``"raster"`` method).
    simplify_m
        Simplification tolerance, metres; default ``cell_m``; ``0`` keeps every vertex.
    method
        ``"raster"`` (fast, default) or ``"buffer"`` (shapely buffers, slow reference).

    Returns
    -------
    list of shapely Polygon or MultiPolygon
        One valid geometry per budget, EPSG:28992; an empty Polygon where nothing is reached.
    """
    limits = _check_limits(limits_m)
    dist = _check_node_dist(network, node_dist)
    _check_options(walk_off_m=walk_off_m, cell_m=cell_m, simplify_m=simplify_m, method=method)
    start = _check_points(start_xy)
    if len(limits) == 0:
        return []
    order = np.argsort(limits, kind="stable")
    polys = _polygons_sorted(
        network, dist, limits[order], np.repeat(start[:, None, :], 2, axis=1), np.zeros(len(start), dtype=np.int64),
        walk_off_m=walk_off_m, cell_m=cell_m, simplify_m=simplify_m, method=method,
    )
    out: list[Polygonal] = [shapely.Polygon()] * len(limits)
    for rank, i in enumerate(order):
        out[int(i)] = polys[rank]
    return out


def limits_for_minutes(limits_minutes: Floats, speed_kmh: float) -> np.ndarray:
    """Budgets in metres for travel times in minutes at ``speed_kmh`` (5 min at 4 km/h → 333.3 m)."""
    if not (np.isfinite(speed_kmh) and speed_kmh > 0):
        raise ParameterError(f"Speed must be a positive number of km/h; found {speed_kmh!r}.")
    minutes = np.asarray(limits_minutes, dtype=float).ravel()
    if not (np.all(np.isfinite(minutes)) and np.all(minutes >= 0)):
        raise ParameterError(f"Travel times must be finite, non-negative minutes; found {minutes.tolist()!r}.")
    return np.asarray(units.metres(minutes, float(speed_kmh)))


def isochrones_for_facilities(
    network: Network,
    facility_node_dists: Iterable[tuple[Hashable, np.ndarray]],
    limits_minutes: Floats,
    speed_kmh: float,
    *,
    start_points: Mapping[Hashable, tuple[float, float]] | None = None,
    facility_types: Mapping[Hashable, str] | None = None,
    walk_off_m: float = WALK_OFF_M,
    cell_m: float = CELL_M,
    simplify_m: float | None = None,
    method: Method = "raster",
) -> gpd.GeoDataFrame:
    """Isochrones of many facilities, one row per facility and band.

    Parameters
    ----------
    network
        The street network.
    facility_node_dists
        ``(facility_id, node_dist)`` pairs; ``node_dist`` as in :func:`isochrone_polygons`.
    limits_minutes
        Bands, minutes, e.g. ``(5, 10, 15)``.
    speed_kmh
        Travel speed, km/h (``geo.network.graph.default_speed_kmh``).
    start_points
        Optional snap point per facility id, included in all of its bands.
    facility_types
        Optional type per facility id; adds a ``facility_type`` column, which
        :func:`dissolve_by_band` groups by. Every facility must have one.
    walk_off_m, cell_m, simplify_m, method
        As in :func:`isochrone_polygons`.

    Returns
    -------
    GeoDataFrame
        Columns ``facility_id``, [``facility_type``,] ``minutes``, ``geometry``;
        CRS EPSG:28992; per facility the bands in the given order; an empty
        geometry where a band reaches nothing.
    """
    minutes = np.asarray(limits_minutes, dtype=float).ravel()
    limits = limits_for_minutes(minutes, speed_kmh)
    ids: list[Hashable] = []
    geoms: list[Polygonal] = []
    for fid, node_dist in facility_node_dists:
        start = None if start_points is None else start_points.get(fid)
        geoms.extend(
            isochrone_polygons(
                network, node_dist, limits, start_xy=start, walk_off_m=walk_off_m, cell_m=cell_m,
                simplify_m=simplify_m, method=method,
            )
        )
        ids.extend([fid] * len(limits))
    data: dict[str, list] = {FACILITY_ID: ids}
    if facility_types is not None:
        data[FACILITY_TYPE] = _types_of(list(dict.fromkeys(ids)), facility_types, repeat=len(limits))
    data[MINUTES] = np.tile(minutes, len(ids) // max(len(limits), 1)).tolist()
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms, crs=WORK_CRS), crs=WORK_CRS)


def isochrones_by_band(
    network: Network,
    facility_node_dists: Iterable[tuple[Hashable, np.ndarray]],
    limits_minutes: Floats,
    speed_kmh: float,
    *,
    start_points: Mapping[Hashable, tuple[float, float]] | None = None,
    facility_types: Mapping[Hashable, str] | None = None,
    walk_off_m: float = WALK_OFF_M,
    cell_m: float = CELL_M,
    simplify_m: float | None = None,
    method: Method = "raster",
) -> gpd.GeoDataFrame:
    """The union of many facilities' isochrones per band (per type), on one shared raster.

    Same result as ``dissolve_by_band(isochrones_for_facilities(...))`` up to the
    simplification tolerance, but computed from the multi-source distance (the
    element-wise minimum of the ``node_dist`` of the facilities of one type):
    one raster per type, no per-facility polygons, no polygon overlay.

    Parameters
    ----------
    As in :func:`isochrones_for_facilities`.

    Returns
    -------
    GeoDataFrame
        Columns [``facility_type``,] ``minutes``, ``geometry``; one row per
        (type and) band, sorted like :func:`dissolve_by_band`; CRS EPSG:28992.
    """
    minutes = np.asarray(limits_minutes, dtype=float).ravel()
    limits = limits_for_minutes(minutes, speed_kmh)
    nearest: dict[str, np.ndarray] = {}
    points: dict[str, list[tuple[float, float]]] = {}
    for fid, node_dist in facility_node_dists:
        group = "" if facility_types is None else _types_of([fid], facility_types, repeat=1)[0]
        dist = _check_node_dist(network, node_dist)
        nearest[group] = np.minimum(nearest[group], dist) if group in nearest else dist.copy()
        if start_points is not None and fid in start_points:
            x, y = start_points[fid]
            points.setdefault(group, []).append((float(x), float(y)))
    rows: list[dict] = []
    for group in sorted(nearest):
        polys = isochrone_polygons(
            network, nearest[group], limits, start_xy=np.array(points[group]) if group in points else None,
            walk_off_m=walk_off_m, cell_m=cell_m, simplify_m=simplify_m, method=method,
        )
        for m, poly in sorted(zip(minutes.tolist(), polys, strict=True), key=lambda mp: mp[0]):
            row = {MINUTES: m, GEOMETRY: poly}
            rows.append(row if facility_types is None else {FACILITY_TYPE: group, **row})
    return _band_frame(rows, with_type=facility_types is not None)


def dissolve_by_band(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One polygon per band: the union over facilities, per facility type when that column is present.

    Parameters
    ----------
    gdf
        Isochrones as made by :func:`isochrones_for_facilities`: columns
        ``minutes`` and ``geometry``, optionally ``facility_type``; CRS EPSG:28992.

    Returns
    -------
    GeoDataFrame
        Columns [``facility_type``,] ``minutes``, ``geometry``; one row per (type
        and) band, sorted by (type,) minutes; CRS EPSG:28992. An exact polygon
        union; for many facilities :func:`isochrones_by_band` is faster.
    """
    if gdf.crs is None or not gdf.crs.equals(WORK_CRS):
        raise CrsError(f"Expected isochrones in {WORK_CRS}; found CRS {gdf.crs!r}.")
    if MINUTES not in gdf.columns:
        raise MissingColumnError(f"Expected a '{MINUTES}' column in the isochrones; found {list(gdf.columns)}.")
    with_type = FACILITY_TYPE in gdf.columns
    keys = [FACILITY_TYPE, MINUTES] if with_type else [MINUTES]
    rows: list[dict] = []
    for key, group in gdf.groupby(keys, sort=True):
        geoms = np.asarray(group.geometry.values, dtype=object)
        geoms = geoms[~shapely.is_missing(geoms)]
        geoms = geoms[~shapely.is_empty(geoms)]
        union = shapely.union_all(geoms) if len(geoms) else shapely.Polygon()
        rows.append({**dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True)), GEOMETRY: union})
    return _band_frame(rows, with_type=with_type)


def facility_isochrones(
    network: Network,
    facilities: gpd.GeoDataFrame,
    limits_minutes: Floats,
    speed_kmh: float,
    *,
    max_snap_m: float | None = MAX_SNAP_M,
    include_snap: bool = True,
    dissolve: bool = False,
    walk_off_m: float = WALK_OFF_M,
    cell_m: float = CELL_M,
    simplify_m: float | None = None,
    method: Method = "raster",
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Isochrones of facility points: snap them to the network, route, draw. For the app and the CLI.

    Each facility is snapped to the nearest street of the network's largest
    component (``geo.network.routing.snap_points``); distances run from every node to
    the snapped point (``geo.network.routing.node_distances``) and, with
    ``include_snap``, include the straight walk from the street to the facility,
    as the access figures do. The facility's own street is drawn exactly from
    the snapped point in the directions the network allows (the node distances
    alone would route a point beside the facility via the far end of the edge).

    Parameters
    ----------
    network
        The street network.
    facilities
        Points (other geometries are reduced to a point inside) in EPSG:28992 with
        a ``facility_id`` column and optionally ``facility_type``.
    limits_minutes, speed_kmh
        Bands, minutes, and travel speed, km/h.
    max_snap_m
        Facilities farther than this from every street are left out and listed.
    include_snap
        Charge the facility's snap distance to the budget.
    dissolve
        ``False``: one row per facility and band. ``True``: one row per (type and)
        band, the union over the facilities, from one multi-source search and one
        raster per type (as :func:`isochrones_by_band`).
    walk_off_m, cell_m, simplify_m, method
        As in :func:`isochrone_polygons`.

    Returns
    -------
    (GeoDataFrame, list of str)
        The isochrones in EPSG:28992 – columns ``facility_id``, [``facility_type``,]
        ``minutes``, ``geometry`` (or without ``facility_id`` when dissolved),
        bands in the given order (dissolved: ascending) – and the ids of the
        facilities that could not be placed on the network.
    """
    # Only this adapter needs routing (snapping, multi-source searches).
    if facilities.crs is None or not facilities.crs.equals(WORK_CRS):
        raise CrsError(f"Expected facilities in {WORK_CRS}; found CRS {facilities.crs!r}.")
    if FACILITY_ID not in facilities.columns:
        raise MissingColumnError(
            f"Expected a '{FACILITY_ID}' column in the facilities; found {', '.join(map(str, facilities.columns))}."
        )
    _check_options(walk_off_m=walk_off_m, cell_m=cell_m, simplify_m=simplify_m, method=method)
    minutes = np.asarray(limits_minutes, dtype=float).ravel()
    limits = limits_for_minutes(minutes, speed_kmh)
    if len(limits) == 0:
        raise ParameterError("Expected at least one travel time band in minutes; found none.")
    order = np.argsort(limits, kind="stable")
    sorted_limits = limits[order]
    with_type = FACILITY_TYPE in facilities.columns
    ids = facilities[FACILITY_ID].astype(str).to_numpy()
    types = facilities[FACILITY_TYPE].astype(str).to_numpy() if with_type else np.full(len(facilities), "")
    geom = facilities.geometry
    points = geom.where(geom.geom_type == "Point", geom.representative_point())
    snapped = routing.snap_points(network, np.column_stack([points.x, points.y]), max_snap_m=max_snap_m)
    unsnapped = ids[~snapped.ok].tolist()
    ok = np.flatnonzero(snapped.ok)

    def draw(dist: np.ndarray, extra_seg: np.ndarray, extra_band: np.ndarray) -> list[Polygonal]:
        return _polygons_sorted(
            network, dist, sorted_limits, extra_seg, extra_band,
            walk_off_m=walk_off_m, cell_m=cell_m, simplify_m=simplify_m, method=method,
        )

    max_limit = float(sorted_limits[-1])

    rows: list[dict] = []
    if dissolve:
        for group in sorted(set(types[ok].tolist())):
            members = ok[types[ok] == group]
            sub = snapped.take(members)
            dist = routing.node_distances(network, sub, limit_m=max_limit, include_snap=include_snap)
            extra_seg, extra_band, _ = _snapped_pieces(network, sub, sorted_limits, include_snap=include_snap)
            polys = draw(dist, extra_seg, extra_band)
            for m, poly in zip(minutes[order].tolist(), polys, strict=True):
                rows.append({FACILITY_TYPE: group, MINUTES: m, GEOMETRY: poly})
        if not with_type:
            for row in rows:
                del row[FACILITY_TYPE]
        return _band_frame(rows, with_type=with_type), unsnapped

    # Per facility: node distances in chunks, so memory stays at chunk × n_nodes.
    chunk = max(1, _CHUNK_VALUES // max(network.n_nodes, 1))
    for start in range(0, len(ok), chunk):
        members = ok[start : start + chunk]
        sub = snapped.take(members)
        dists = routing.node_distances(network, sub, limit_m=max_limit, include_snap=include_snap, per_facility=True)
        extra_seg, extra_band, owner = _snapped_pieces(network, sub, sorted_limits, include_snap=include_snap)
        for j, k in enumerate(members.tolist()):
            mine = owner == j
            polys = draw(dists[j], extra_seg[mine], extra_band[mine])
            by_input = [shapely.Polygon()] * len(limits)
            for rank, i in enumerate(order):
                by_input[int(i)] = polys[rank]
            for m, poly in zip(minutes.tolist(), by_input, strict=True):
                row = {FACILITY_ID: ids[k], FACILITY_TYPE: types[k], MINUTES: m, GEOMETRY: poly}
                if not with_type:
                    del row[FACILITY_TYPE]
                rows.append(row)
    columns = [FACILITY_ID, FACILITY_TYPE, MINUTES] if with_type else [FACILITY_ID, MINUTES]
    frame = pd.DataFrame(rows, columns=[*columns, GEOMETRY])
    gdf = gpd.GeoDataFrame(
        frame[columns], geometry=gpd.GeoSeries(frame[GEOMETRY].tolist(), crs=WORK_CRS), crs=WORK_CRS
    )
    return gdf, unsnapped


# --------------------------------------------------------------------------- checks and frames


def _check_limits(limits_m: Floats) -> np.ndarray:
    limits = np.asarray(limits_m, dtype=float).ravel()
    if not (np.all(np.isfinite(limits)) and np.all(limits >= 0)):
        raise ParameterError(f"Budgets must be finite, non-negative metres; found {limits.tolist()!r}.")
    return limits


def _check_node_dist(network: Network, node_dist: np.ndarray) -> np.ndarray:
    dist = np.asarray(node_dist, dtype=float)
    if dist.shape != (network.n_nodes,):
        raise ParameterError(
            f"node_dist must hold one distance per network node ({network.n_nodes}); found shape {dist.shape}."
        )
    if np.isnan(dist).any() or (dist < 0).any():
        raise ParameterError("node_dist must be ≥ 0 metres, or inf where unreached; found NaN or negative values.")
    return dist


def _check_points(start_xy: tuple[float, float] | np.ndarray | None) -> np.ndarray:
    if start_xy is None:
        return np.empty((0, 2))
    xy = np.asarray(start_xy, dtype=float)
    if xy.shape == (2,):
        xy = xy.reshape(1, 2)
    if xy.ndim != 2 or xy.shape[1] != 2 or not np.all(np.isfinite(xy)):
        raise ParameterError(f"start_xy must be a finite (x, y) pair or an (m, 2) array; found shape {xy.shape}.")
    return xy


def _check_options(*, walk_off_m: float, cell_m: float, simplify_m: float | None, method: str) -> None:
    if method not in METHODS:
        raise ParameterError(f"Unknown isochrone method '{method}'; expected one of: {', '.join(METHODS)}.")
    if not (np.isfinite(walk_off_m) and walk_off_m > 0):
        raise ParameterError(f"walk_off_m must be a positive number of metres; found {walk_off_m!r}.")
    if not (np.isfinite(cell_m) and cell_m > 0):
        raise ParameterError(f"cell_m must be a positive number of metres; found {cell_m!r}.")
    if simplify_m is not None and not (np.isfinite(simplify_m) and simplify_m >= 0):
        raise ParameterError(f"simplify_m must be ≥ 0 metres or None; found {simplify_m!r}.")


def _types_of(ids: list[Hashable], facility_types: Mapping[Hashable, str], *, repeat: int) -> list[str]:
    missing = [fid for fid in ids if fid not in facility_types]
    if missing:
        raise ParameterError(f"facility_types has no type for {len(missing)} facility id(s), e.g. {missing[:3]!r}.")
    return [str(facility_types[fid]) for fid in ids for _ in range(repeat)]


def _band_frame(rows: list[dict], *, with_type: bool) -> gpd.GeoDataFrame:
    columns = [FACILITY_TYPE, MINUTES] if with_type else [MINUTES]
    frame = pd.DataFrame(rows, columns=[*columns, GEOMETRY])
    return gpd.GeoDataFrame(
        frame[columns], geometry=gpd.GeoSeries(frame[GEOMETRY].tolist(), crs=WORK_CRS), crs=WORK_CRS
    )


# --------------------------------------------------------------------------- reached network


def _polygons_sorted(
    network: Network,
    dist: np.ndarray,
    limits: np.ndarray,
    extra_seg: np.ndarray,
    extra_band: np.ndarray,
    *,
    walk_off_m: float,
    cell_m: float,
    simplify_m: float | None,
    method: str,
) -> list[Polygonal]:
    """Polygons for ascending ``limits``; ``extra_seg`` (m, 2, 2) are added to band ``extra_band`` and wider."""
    tol = float(cell_m) if simplify_m is None else float(simplify_m)
    reach = _reach(network, dist, limits, extra_seg, extra_band)
    if method == "raster":
        return _polygons_raster(reach, len(limits), walk_off_m=walk_off_m, cell_m=cell_m, tol=tol)
    return _polygons_buffer(reach, len(limits), walk_off_m=walk_off_m, tol=tol)


def _snapped_pieces(
    network: Network, snapped: Snapped, limits: np.ndarray, *, include_snap: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The part of each facility's own street reached directly from its snapped point, per band.

    A point at fraction ``s`` of segment u–v with the facility at ``t`` reaches it
    along u→v when ``s < t`` (cost ``(t − s)·L(u→v)``) and along v→u when ``s > t``
    (cost ``(s − t)·L(v→u)``), plus the snap distance with ``include_snap``; the
    same rule as ``geo.network.routing``'s virtual facility nodes. Returns ``(seg (m, 2, 2),
    band (m,), owner (m,))`` with ``owner`` the position in ``snapped``; the
    snapped point itself is a zero-length piece in every band it fits.
    """
    ok = np.flatnonzero(snapped.ok)
    u, v, t = snapped.u[ok].astype(np.int64), snapped.v[ok].astype(np.int64), snapped.t[ok]
    extra = snapped.snap_dist_m[ok] if include_snap else np.zeros(len(ok))
    adjacency = network.matrix()
    len_fwd = np.asarray(adjacency[u, v]).ravel()  # 0 where the direction is absent
    len_bwd = np.asarray(adjacency[v, u]).ravel()
    room = limits[None, :] - extra[:, None]  # (facility, band): budget left on the street
    fits = room >= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = np.where(len_fwd[:, None] > 0, np.maximum(0.0, t[:, None] - room / len_fwd[:, None]), t[:, None])
        hi = np.where(len_bwd[:, None] > 0, np.minimum(1.0, t[:, None] + room / len_bwd[:, None]), t[:, None])
    fac, band = np.nonzero(fits)
    s_from, s_to = lo[fac, band], hi[fac, band]
    ux, uy = network.x[u[fac]], network.y[u[fac]]
    dx, dy = network.x[v[fac]] - ux, network.y[v[fac]] - uy
    seg = np.stack(
        [np.column_stack([ux + s_from * dx, uy + s_from * dy]), np.column_stack([ux + s_to * dx, uy + s_to * dy])],
        axis=1,
    )
    return seg, band.astype(np.int64), ok[fac]


class _Reach:
    """The reached network for ascending budgets.

    ``seg`` (m, 2, 2): reached sub-segments as (start, end) points, split where a
    narrower band stops; then the reached nodes as zero-length segments; then the
    extra pieces (start points, the facilities' own snapped edges). ``band`` (m,):
    the smallest band of each row, so band ``k`` is the union of the rows with
    ``band <= k``. ``lone`` (m,): the nodes no non-empty sub-segment of their
    band touches, and the extra pieces – besides the sub-segments, the only rows
    the buffer method needs.
    """

    def __init__(self, seg: np.ndarray, band: np.ndarray, lone: np.ndarray, n_lines: int) -> None:
        self.seg = seg
        self.band = band
        self.lone = lone
        self.n_lines = n_lines


def _reach(
    network: Network, dist: np.ndarray, limits: np.ndarray, extra_seg: np.ndarray, extra_band: np.ndarray
) -> _Reach:
    """Reached sub-segments and nodes for ascending ``limits``, plus the given extra pieces.

    Cost proportional to the reached part of the network, not to its size.
    """
    n_bands = len(limits)
    reached = np.flatnonzero(dist <= limits[-1])
    # Smallest band per node; n_bands (a budget of -inf) where unreached.
    kk = np.full(network.n_nodes, n_bands, dtype=np.int64)
    kk[reached] = np.searchsorted(limits, dist[reached], side="left")
    lim = np.r_[limits, -np.inf]

    # The edges u→v with v reached are the rows of the reversed CSR matrix at the reached nodes.
    rev = network.reverse_matrix()
    starts = rev.indptr[reached]
    counts = rev.indptr[reached + 1] - starts
    idx = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))
    u = rev.indices[idx].astype(np.int64)
    v = np.repeat(reached, counts)
    length = rev.data[idx]
    d_v = dist[v]

    # s0[k, e]: start fraction of the reached part of edge e in band k; NaN where band k misses it.
    s0 = np.maximum(0.0, 1.0 - (limits[:, None] - d_v[None, :]) / length[None, :])
    s0[d_v[None, :] > limits[:, None]] = np.nan
    # The piece of band k is [s0_k, end_k]: end_k = s0_{k-1} where band k-1 reaches the edge, else 1.
    end = np.ones_like(s0)
    end[1:] = np.where(np.isnan(s0[:-1]), 1.0, s0[:-1])
    band, sel = np.nonzero(~np.isnan(s0) & (s0 < end))
    a, b = s0[band, sel], end[band, sel]
    ux, uy = network.x[u[sel]], network.y[u[sel]]
    dx, dy = network.x[v[sel]] - ux, network.y[v[sel]] - uy
    lines = np.stack([np.column_stack([ux + a * dx, uy + a * dy]), np.column_stack([ux + b * dx, uy + b * dy])], axis=1)

    # Which reached nodes does a non-empty piece of their own smallest band touch?
    # (a) the end v of an incoming edge u→v, non-empty when dist[v] < limit;
    # (b) the start u of an edge u→v reached whole, dist[v] + L ≤ limit.
    # Touched in its smallest band means touched in every wider one: reached parts only grow.
    touched = np.zeros(network.n_nodes, dtype=bool)
    touched[reached] = (counts > 0) & (dist[reached] < lim[kk[reached]])
    touched[u[d_v + length <= lim[kk[u]]]] = True

    node_xy = np.column_stack([network.x[reached], network.y[reached]])
    seg = np.concatenate([lines, np.repeat(node_xy[:, None, :], 2, axis=1), extra_seg.reshape(-1, 2, 2)])
    all_band = np.r_[band, kk[reached], np.asarray(extra_band, dtype=np.int64)]
    lone = np.r_[np.zeros(len(lines), dtype=bool), ~touched[reached], np.ones(len(extra_band), dtype=bool)]
    return _Reach(seg, all_band, lone, n_lines=len(lines))


# --------------------------------------------------------------------------- raster method


def _polygons_raster(reach: _Reach, n_bands: int, *, walk_off_m: float, cell_m: float, tol: float) -> list[Polygonal]:
    """Burn, decide cells by their distance to the reached network, polygonise (module docstring).

    A large reached network (one raster over it would exceed :data:`_CLUSTER_FROM_CELLS` cells)
    is first cut into clusters whose cells cannot interact – pieces more
    than :func:`_cluster_gap_m` apart – and each cluster is rastered on its own bounding box, so
    memory follows the reached area, not the bounding box of all the facilities. The cells, and
    so the polygons, are the same as on one raster: the grids are aligned on multiples of
    ``cell_m``, and a cell of one cluster is never within the walk-off (plus the cell margins) of
    another cluster's network.
    """
    seg = reach.seg
    if len(seg) == 0:
        return [shapely.Polygon()] * n_bands
    lo, hi = seg.reshape(-1, 2).min(axis=0), seg.reshape(-1, 2).max(axis=0)
    cells = np.prod((hi - lo + 2 * (walk_off_m + 2 * cell_m)) / cell_m)
    groups = _clusters(seg, _cluster_gap_m(walk_off_m, cell_m)) if cells > _CLUSTER_FROM_CELLS else None
    parts: list[list[shapely.Polygon]] = [[] for _ in range(n_bands)]
    for members in [np.arange(len(seg))] if groups is None else groups:
        # Sample each segment at ≤ cell/2 spacing, both ends included: a burned cell
        # contains a point of its segment and consecutive samples never skip a cell.
        px, py, rep = _samples(seg, members, 0.5 * cell_m)
        cluster = _raster_cluster(
            seg, px, py, rep, reach.band[rep], n_bands, walk_off_m=walk_off_m, cell_m=cell_m
        )
        for k, polys in enumerate(cluster):
            parts[k].extend(polys)
    out: list[Polygonal] = []
    for polys in parts:
        if not polys:
            out.append(shapely.Polygon())
            continue
        if tol > 0:
            polys = _simplify_rings(polys, tol)
        out.append(_simplify(polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys), 0.0))
    return out


def _cluster_gap_m(walk_off_m: float, cell_m: float) -> float:
    """Pieces of the reached network at least this far apart never share a cell's decision.

    A cell is decided by its nearest burned cell when their centres are within
    ``walk_off_m + cell·√2/2``; a burned cell's centre is within ``cell·√2/2`` of its
    piece. Two pieces farther apart than ``2·walk_off_m + 2·√2·cell`` (rounded up to
    ``2·(walk_off_m + 2·cell)``) can therefore neither decide a common cell nor
    make 4-adjacent cells of the region.
    """
    return 2.0 * (walk_off_m + 2.0 * cell_m)


def _samples(seg: np.ndarray, members: np.ndarray, step_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points along segments ``seg[members]`` at most ``step_m`` apart, both ends included; and their segment."""
    part = seg[members]
    n_s = np.ceil(np.hypot(part[:, 1, 0] - part[:, 0, 0], part[:, 1, 1] - part[:, 0, 1]) / step_m).astype(np.int64) + 1
    local = np.repeat(np.arange(len(members)), n_s)
    t = (np.arange(int(n_s.sum())) - np.repeat(np.cumsum(n_s) - n_s, n_s)) / np.maximum(n_s - 1, 1)[local]
    rep = members[local]
    px = seg[rep, 0, 0] + t * (seg[rep, 1, 0] - seg[rep, 0, 0])
    py = seg[rep, 0, 1] + t * (seg[rep, 1, 1] - seg[rep, 0, 1])
    return px, py, rep


def _clusters(seg: np.ndarray, gap_m: float) -> list[np.ndarray] | None:
    """Segments grouped into clusters more than ``gap_m`` apart (in index order); None when they form one.

    Each segment is sampled at most ``gap_m / 2`` apart (so every point of it is within ``gap_m / 4``
    of a sample) and the samples fall in tiles of ``1.5 · gap_m``; clusters are the 8-connected
    groups of occupied tiles. Samples in tiles that are not neighbours are more than ``1.5 · gap_m``
    apart, so the segments through them more than ``gap_m``. The tile grid has one byte per
    ``(1.5 · gap_m)²``; the samples are a few per segment.
    """
    px, py, rep = _samples(seg, np.arange(len(seg)), 0.5 * gap_m)
    tile_m = 1.5 * gap_m
    tx = np.floor(px / tile_m).astype(np.int64)
    ty = np.floor(py / tile_m).astype(np.int64)
    tx -= tx.min()
    ty -= ty.min()
    occupied = np.zeros((int(ty.max()) + 1, int(tx.max()) + 1), dtype=bool)
    occupied[ty, tx] = True
    labels, n_comp = ndimage.label(occupied, structure=np.ones((3, 3), dtype=bool))
    if n_comp <= 1:
        return None
    seg_label = np.zeros(len(seg), dtype=np.int64)
    seg_label[rep] = labels[ty, tx]  # all samples of a segment share one label
    order = np.argsort(seg_label, kind="stable")
    groups = np.split(order, np.cumsum(np.bincount(seg_label, minlength=n_comp + 1))[:-1])
    return [g for g in groups if len(g)]


def _raster_cluster(
    seg: np.ndarray,
    px: np.ndarray,
    py: np.ndarray,
    rep: np.ndarray,
    sample_band: np.ndarray,
    n_bands: int,
    *,
    walk_off_m: float,
    cell_m: float,
) -> list[list[shapely.Polygon]]:
    """The cell polygons of each band for one cluster of samples (of pieces ``rep`` of ``seg``), unsimplified."""
    # The grid: reached bbox + walk-off, aligned on multiples of cell_m so that
    # the rasters of different facilities (and clusters) line up.
    margin = walk_off_m + 2 * cell_m
    x0 = np.floor((px.min() - margin) / cell_m) * cell_m
    y1 = np.ceil((py.max() + margin) / cell_m) * cell_m
    width = int(np.ceil((px.max() + margin - x0) / cell_m))
    height = int(np.ceil((y1 - py.min() + margin) / cell_m))
    flat = ((y1 - py) // cell_m).astype(np.int64) * width + ((px - x0) // cell_m).astype(np.int64)

    # burned: 1 + the smallest band with a sample in the cell (0: none); seg_id: a
    # segment of that band through the cell. Writing the widest band first leaves the smallest.
    burned_flat = np.zeros(height * width, dtype=np.uint8)
    seg_id_flat = np.zeros(height * width, dtype=np.int32 if len(seg) < 2**31 else np.int64)
    for k in range(n_bands - 1, -1, -1):
        m = sample_band == k
        burned_flat[flat[m]] = k + 1
        seg_id_flat[flat[m]] = rep[m]
    burned = burned_flat.reshape(height, width)
    seg_id = seg_id_flat.reshape(height, width)

    pad = int(np.ceil(walk_off_m / cell_m)) + 1
    half_diag = cell_m * np.sqrt(0.5)
    out: list[list[shapely.Polygon]] = []
    previous: tuple[np.ndarray, int, int] | None = None
    for k in range(n_bands):
        seeds_all = (burned > 0) & (burned <= k + 1)
        rows, cols = np.flatnonzero(seeds_all.any(axis=1)), np.flatnonzero(seeds_all.any(axis=0))
        if len(rows) == 0:
            out.append([])
            continue
        # Work on this band's own bounding box (+ walk-off): narrower bands are much smaller.
        r0, r1 = max(rows[0] - pad, 0), min(rows[-1] + pad + 1, height)
        c0, c1 = max(cols[0] - pad, 0), min(cols[-1] + pad + 1, width)
        seeds = seeds_all[r0:r1, c0:c1]
        # The network passes through the nearest seed, so the true distance of a
        # cell centre to it is the seed-centre distance ± cell·√2/2. Only cells in
        # that margin of the walk-off need the exact distance to the seed's
        # segment – exact and never an underestimate, without the seed-centre
        # offset that would otherwise swell the area by ~half a cell all round.
        edt, (iy, ix) = ndimage.distance_transform_edt(~seeds, sampling=cell_m, return_indices=True)
        region = edt <= walk_off_m - half_diag
        cr, cc = np.nonzero((edt > walk_off_m - half_diag) & (edt <= walk_off_m + half_diag))
        near = seg[seg_id[r0 + iy[cr, cc], c0 + ix[cr, cc]]]
        del edt, iy, ix
        qx = x0 + (c0 + cc + 0.5) * cell_m
        qy = y1 - (r0 + cr + 0.5) * cell_m
        region[cr, cc] = _dist2_to_segments(qx, qy, near) <= walk_off_m**2
        region |= seeds
        if previous is not None:
            # Nested by construction: band k-1's reached network is part of band k's.
            prev, pr0, pc0 = previous
            region[pr0 - r0 : pr0 - r0 + prev.shape[0], pc0 - c0 : pc0 - c0 + prev.shape[1]] |= prev
        previous = (region, r0, c0)
        out.append(_cell_polygons(region, Affine(cell_m, 0.0, x0 + c0 * cell_m, 0.0, -cell_m, y1 - r0 * cell_m)))
    return out


def _dist2_to_segments(qx: np.ndarray, qy: np.ndarray, seg: np.ndarray) -> np.ndarray:
    """Squared distance from points ``(qx, qy)`` to segments ``seg`` (n, 2, 2), pairwise."""
    ax, ay = seg[:, 0, 0], seg[:, 0, 1]
    bx, by = seg[:, 1, 0] - ax, seg[:, 1, 1] - ay
    t = np.clip(((qx - ax) * bx + (qy - ay) * by) / np.maximum(bx * bx + by * by, 1e-12), 0.0, 1.0)
    return (qx - ax - t * bx) ** 2 + (qy - ay - t * by) ** 2


def _cell_polygons(region: np.ndarray, transform: Affine) -> list[shapely.Polygon]:
    """Cells → polygons (holes kept), staircase smoothed; not yet simplified."""
    cell_m = transform.a
    return [
        shapely.Polygon(rings[0], rings[1:])
        for rings in (
            [_midpoint_ring(ring, cell_m) for ring in geom["coordinates"]]
            for geom, _ in features.shapes(region.view(np.uint8), mask=region, connectivity=4, transform=transform)
        )
    ]


def _simplify_rings(polys: list[shapely.Polygon], tol: float) -> list[shapely.Polygon]:
    """Douglas-Peucker on every ring at once, then repair only what became invalid.

    Topology-preserving simplification of a city-wide isochrone (thousands of
    holes, one per street block) checks every ring against every other and takes
    seconds; the rings of a raster outline are far apart compared with ``tol``
    (at least a cell), so plain per-ring simplification rarely breaks anything,
    and the few polygons it does break are repaired with ``make_valid``.
    """
    arr = np.asarray(polys, dtype=object)
    n_holes = shapely.get_num_interior_rings(arr)
    rings = shapely.simplify(
        np.concatenate(
            [
                shapely.get_exterior_ring(arr),
                *(shapely.get_interior_ring(arr, k) for k in range(int(n_holes.max(initial=0)))),
            ]
        ),
        tol,
        preserve_topology=False,
    )
    n = len(arr)
    out = []
    for i in range(n):
        shell = rings[i]
        holes = [rings[n * (k + 1) + i] for k in range(int(n_holes[i]))]
        coords = [shapely.get_coordinates(shell)] + [shapely.get_coordinates(h) for h in holes]
        if len(coords[0]) < 4:  # collapsed to a sliver: keep the unsimplified polygon
            out.append(arr[i])
            continue
        poly = shapely.Polygon(coords[0], [c for c in coords[1:] if len(c) >= 4])
        out.append(poly if poly.is_valid else shapely.simplify(arr[i], tol, preserve_topology=True))
    return out


def _midpoint_ring(ring: list, cell_m: float) -> np.ndarray:
    """The ring through the midpoints of a cell outline's unit edges.

    The outline is a staircase whose convex corners lie outside, and concave
    corners inside, the boundary it approximates; the midpoints of the steps
    lie on it. Long straight runs are first cut into cell-long edges so that
    only the corners are cut (by half a cell), never whole sides.
    """
    xy = np.asarray(ring, dtype=float)
    step = xy[1:] - xy[:-1]
    n = np.maximum(np.rint(np.abs(step).max(axis=1) / cell_m).astype(np.int64), 1)
    rep = np.repeat(np.arange(len(step)), n)
    frac = (np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n) + 0.5) / n[rep]
    mid = xy[:-1][rep] + frac[:, None] * step[rep]
    return np.vstack([mid, mid[:1]])


def _simplify(geom: shapely.Geometry, tol: float) -> Polygonal:
    if tol > 0:
        geom = shapely.simplify(geom, tol, preserve_topology=True)
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    if not isinstance(geom, (shapely.Polygon, shapely.MultiPolygon)):
        # make_valid may return a collection with slivers of lower dimension: keep the area.
        parts = [g for g in shapely.get_parts(geom) if isinstance(g, (shapely.Polygon, shapely.MultiPolygon))]
        geom = shapely.union_all(parts) if parts else shapely.Polygon()
    return geom


# --------------------------------------------------------------------------- buffer method


def _polygons_buffer(reach: _Reach, n_bands: int, *, walk_off_m: float, tol: float) -> list[Polygonal]:
    """Buffer every reached sub-segment (and lone point or extra piece) by the walk-off; union per band."""
    keep = reach.lone.copy()
    keep[: reach.n_lines] = True
    seg, band = reach.seg[keep], reach.band[keep]
    is_point = (seg[:, 0] == seg[:, 1]).all(axis=1)
    geoms = np.empty(len(seg), dtype=object)
    if is_point.any():
        geoms[is_point] = shapely.points(seg[is_point, 0])
    if (~is_point).any():
        geoms[~is_point] = shapely.linestrings(seg[~is_point])
    buffers = shapely.buffer(geoms, walk_off_m, quad_segs=_QUAD_SEGS)
    return [
        _simplify(shapely.union_all(buffers[band <= k]), tol) if (band <= k).any() else shapely.Polygon()
        for k in range(n_bands)
    ]
