"""Isochrone polygons from the reached network: hand-made graphs, the real Delft network, both methods.

Independent slow paths used here:

- the reached sub-segments rebuilt edge by edge in plain Python (:func:`_reached_lines`)
  from the definition in ``geo.network.isochrones``; distances to them with shapely;
- the ``"buffer"`` method (shapely buffers and union) for the ``"raster"`` method;
- hand-computed extents on single edges, a U and a square block.
"""

from __future__ import annotations

import tracemalloc
from itertools import pairwise

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra

from geo.errors import CrsError, MissingColumnError, ParameterError
from geo.network import isochrones
from geo.network.graph import Network
from geo.schema import FACILITY_ID, FACILITY_TYPE, WORK_CRS
from tests.helpers import straight_network

WALK_KMH = 4.0
BANDS_MIN = (5, 10, 15)
METHODS = ("raster", "buffer")
X0, Y0 = 85_000.0, 447_000.0  # somewhere in Delft, so the hand-made graphs have RD-like coordinates


# ---------------------------------------------------------------------- helpers
def _chain(points: list[tuple[float, float]]) -> Network:
    """Two-way network along a polyline, one node per given point."""
    xy = np.array(points, dtype=float)
    return straight_network(xy[:, 0], xy[:, 1], [(i, i + 1) for i in range(len(xy) - 1)])


def _grid(n: int, spacing: float) -> Network:
    """Two-way n × n grid from (X0, Y0), blocks of ``spacing`` metres."""
    ii, jj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    idx = np.arange(n * n).reshape(n, n)
    pairs = np.r_[np.c_[idx[:, :-1].ravel(), idx[:, 1:].ravel()], np.c_[idx[:-1, :].ravel(), idx[1:, :].ravel()]]
    return straight_network(X0 + jj.ravel() * spacing, Y0 + ii.ravel() * spacing, pairs)


def _dist_to(net: Network, node: int, limit: float = np.inf) -> np.ndarray:
    return dijkstra(net.reverse_matrix(), indices=node, limit=limit)


def _reached_lines(net: Network, node_dist: np.ndarray, limit: float) -> shapely.Geometry:
    """The reached sub-segments and reached nodes, rebuilt edge by edge from the definition."""
    parts = []
    for u, v, length in zip(net.edge_from().tolist(), net.indices.tolist(), net.length_m.tolist(), strict=True):
        if node_dist[v] > limit:
            continue
        s0 = max(0.0, 1.0 - (limit - node_dist[v]) / length)
        start = (net.x[u] + s0 * (net.x[v] - net.x[u]), net.y[u] + s0 * (net.y[v] - net.y[u]))
        parts.append(shapely.LineString([start, (net.x[v], net.y[v])]))
    reached = np.flatnonzero(node_dist <= limit)
    parts.append(shapely.MultiPoint(np.c_[net.x[reached], net.y[reached]]))
    return shapely.union_all(parts)


def _sym_diff_ratio(a: shapely.Geometry, b: shapely.Geometry) -> float:
    return shapely.symmetric_difference(a, b).area / shapely.union(a, b).area


# ---------------------------------------------------------------------- hand-made graphs
@pytest.mark.parametrize("method", METHODS)
def test_partial_edge_reaches_budget_plus_walk_off(method):
    net = _chain([(X0, Y0), (X0 + 1000.0, Y0)])  # one straight 1000 m street
    cell, walk_off = 10.0, 40.0
    (poly,) = isochrones.isochrone_polygons(
        net, _dist_to(net, 0), [400.0], method=method, walk_off_m=walk_off, cell_m=cell
    )
    xmin, ymin, xmax, ymax = poly.bounds
    assert xmax - X0 == pytest.approx(400.0 + walk_off, abs=cell)
    assert X0 - xmin == pytest.approx(walk_off, abs=cell)  # behind the facility: the walk-off only
    assert ymax - Y0 == pytest.approx(walk_off, abs=cell) and Y0 - ymin == pytest.approx(walk_off, abs=cell)
    assert poly.area == pytest.approx(400 * 2 * walk_off + np.pi * walk_off**2, rel=0.05)


@pytest.mark.parametrize("method", METHODS)
def test_one_way_street_is_reached_only_against_its_direction(method):
    x, y = [X0, X0 + 1000.0], [Y0, Y0]
    net = straight_network(x, y, one_way=[(0, 1)])  # 0 → 1 only
    # Facility at the end 1: one can ride 0 → 1, so the last 400 m before node 1 are reached.
    (poly,) = isochrones.isochrone_polygons(net, _dist_to(net, 1), [400.0], method=method)
    assert poly.bounds[0] - X0 == pytest.approx(600.0 - 40.0, abs=10.0)
    assert poly.bounds[2] - X0 == pytest.approx(1000.0 + 40.0, abs=10.0)
    # Facility at the start 0: nothing leads to it, only the facility's own node counts.
    (poly,) = isochrones.isochrone_polygons(net, _dist_to(net, 0), [400.0], method=method)
    assert poly.area == pytest.approx(np.pi * 40.0**2, rel=0.1)
    assert poly.bounds[2] - X0 == pytest.approx(40.0, abs=10.0)


@pytest.mark.parametrize("method", METHODS)
def test_u_shaped_street_is_not_a_convex_hull(method):
    # Two 1000 m arms 300 m apart, joined at the top; nodes every 50 m.
    arm = np.arange(0.0, 1000.0 + 1, 50.0)
    left = [(X0, Y0 + s) for s in arm]
    top = [(X0 + s, Y0 + 1000.0) for s in np.arange(50.0, 300.0, 50.0)]
    right = [(X0 + 300.0, Y0 + s) for s in arm[::-1]]
    net = _chain(left + top + right)
    dist = _dist_to(net, 0)  # the facility at the open end of the left arm
    limit = 2400.0  # reaches everything, down to the end of the right arm
    assert np.isfinite(dist).all() and dist.max() <= limit
    (poly,) = isochrones.isochrone_polygons(net, dist, [limit], method=method)
    middle = shapely.Point(X0 + 150.0, Y0 + 500.0)
    assert not poly.contains(middle)
    assert shapely.MultiPoint(np.c_[net.x, net.y]).convex_hull.contains(middle)
    # Both arms are covered along their whole length.
    assert poly.contains(shapely.Point(X0, Y0 + 500.0)) and poly.contains(shapely.Point(X0 + 300.0, Y0 + 500.0))


@pytest.mark.parametrize("method", METHODS)
def test_unreached_block_stays_a_hole(method):
    side = 400.0
    s = np.arange(0.0, side, 50.0)
    ring = (
        [(X0 + t, Y0) for t in s] + [(X0 + side, Y0 + t) for t in s]
        + [(X0 + side - t, Y0 + side) for t in s] + [(X0, Y0 + side - t) for t in s]
    )
    n = len(ring)
    xy = np.array(ring)
    net = straight_network(xy[:, 0], xy[:, 1], [(i, (i + 1) % n) for i in range(n)])
    (poly,) = isochrones.isochrone_polygons(net, _dist_to(net, 0), [2 * side + 1.0], method=method)
    assert isinstance(poly, shapely.Polygon) and len(poly.interiors) == 1
    assert not poly.contains(shapely.Point(X0 + side / 2, Y0 + side / 2))
    hole = shapely.Polygon(poly.interiors[0])
    assert hole.area == pytest.approx((side - 2 * 40.0) ** 2, rel=0.05)


def test_bands_follow_the_input_order_and_reach_nothing_when_unreached():
    net = _chain([(X0, Y0), (X0 + 1000.0, Y0)])
    dist = _dist_to(net, 0)
    small, big = isochrones.isochrone_polygons(net, dist, [100.0, 600.0])
    big2, small2 = isochrones.isochrone_polygons(net, dist, [600.0, 100.0])
    assert small.equals(small2) and big.equals(big2) and small.area < big.area
    nothing = isochrones.isochrone_polygons(net, np.full(net.n_nodes, np.inf), [100.0, 600.0])
    assert all(isinstance(p, shapely.Polygon) and p.is_empty for p in nothing)
    assert isochrones.isochrone_polygons(net, dist, []) == []


@pytest.mark.parametrize("method", METHODS)
def test_start_point_is_included_in_every_band(method):
    net = _chain([(X0, Y0), (X0 + 1000.0, Y0)])
    entrance = (X0 - 200.0, Y0 + 100.0)  # a school 220 m from its street
    polys = isochrones.isochrone_polygons(net, _dist_to(net, 0), [0.0, 300.0], start_xy=entrance, method=method)
    for poly in polys:
        assert poly.contains(shapely.Point(entrance)) and poly.contains(shapely.Point(X0, Y0))
        assert isinstance(poly, shapely.MultiPolygon)  # the entrance is beyond the walk-off of the street


def test_grid_methods_agree_on_axis_aligned_streets():
    net = _grid(30, 25.0)
    dist = _dist_to(net, 15 * 30 + 15)
    limits = isochrones.limits_for_minutes(BANDS_MIN, WALK_KMH)
    raster = isochrones.isochrone_polygons(net, dist, limits, simplify_m=0)
    buffer = isochrones.isochrone_polygons(net, dist, limits, simplify_m=0, method="buffer")
    for r, b in zip(raster, buffer, strict=True):
        assert _sym_diff_ratio(r, b) < 0.05


def test_bad_inputs_are_parameter_errors():
    net = _chain([(X0, Y0), (X0 + 100.0, Y0)])
    dist = _dist_to(net, 0)
    with pytest.raises(ParameterError, match="one distance per network node"):
        isochrones.isochrone_polygons(net, dist[:1], [50.0])
    with pytest.raises(ParameterError, match="NaN"):
        isochrones.isochrone_polygons(net, np.array([0.0, np.nan]), [50.0])
    with pytest.raises(ParameterError, match="non-negative"):
        isochrones.isochrone_polygons(net, dist, [-1.0])
    with pytest.raises(ParameterError, match="method"):
        isochrones.isochrone_polygons(net, dist, [50.0], method="hull")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="walk_off_m"):
        isochrones.isochrone_polygons(net, dist, [50.0], walk_off_m=0.0)
    with pytest.raises(ParameterError, match="start_xy"):
        isochrones.isochrone_polygons(net, dist, [50.0], start_xy=(1.0, 2.0, 3.0))  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="km/h"):
        isochrones.limits_for_minutes([5], 0.0)


# ---------------------------------------------------------------------- frames
def test_facility_frames_and_dissolve():
    net = _grid(20, 25.0)
    facilities = {"school_a": 0, "school_b": 399, "sport_c": 210}
    types = {"school_a": "school", "school_b": "school", "sport_c": "sport"}
    pairs = [(fid, _dist_to(net, node)) for fid, node in facilities.items()]
    gdf = isochrones.isochrones_for_facilities(net, pairs, BANDS_MIN, WALK_KMH, facility_types=types)
    assert gdf.crs == WORK_CRS
    assert list(gdf.columns) == [FACILITY_ID, FACILITY_TYPE, isochrones.MINUTES, "geometry"]
    assert len(gdf) == 9 and gdf[isochrones.MINUTES].tolist() == [5.0, 10.0, 15.0] * 3
    assert gdf.geometry.is_valid.all() and not gdf.geometry.is_empty.any()

    plain = isochrones.dissolve_by_band(gdf.drop(columns=FACILITY_TYPE))
    assert list(plain.columns) == [isochrones.MINUTES, "geometry"]
    assert plain[isochrones.MINUTES].tolist() == [5.0, 10.0, 15.0]
    assert plain.crs == WORK_CRS
    by_type = isochrones.dissolve_by_band(gdf)
    assert list(by_type.columns) == [FACILITY_TYPE, isochrones.MINUTES, "geometry"]
    assert list(zip(by_type[FACILITY_TYPE], by_type[isochrones.MINUTES], strict=True)) == [
        (t, m) for t in ("school", "sport") for m in (5.0, 10.0, 15.0)
    ]
    union = shapely.union(gdf.geometry.iloc[2], gdf.geometry.iloc[5])  # both schools, 15 min
    assert by_type.geometry.iloc[2].equals(union) or _sym_diff_ratio(by_type.geometry.iloc[2], union) < 1e-9

    # The shared-raster path gives the same union from the multi-source distance.
    shared = isochrones.isochrones_by_band(net, pairs, BANDS_MIN, WALK_KMH, facility_types=types)
    assert list(shared.columns) == list(by_type.columns) and shared.crs == WORK_CRS
    assert shared[[FACILITY_TYPE, isochrones.MINUTES]].equals(by_type[[FACILITY_TYPE, isochrones.MINUTES]])
    for a, b in zip(shared.geometry, by_type.geometry, strict=True):
        assert _sym_diff_ratio(a, b) < 0.02


def test_frame_errors():
    net = _grid(5, 25.0)
    pairs = [("a", _dist_to(net, 0))]
    with pytest.raises(ParameterError, match="no type"):
        isochrones.isochrones_for_facilities(net, pairs, [5], WALK_KMH, facility_types={"b": "school"})
    gdf = isochrones.isochrones_for_facilities(net, pairs, [5], WALK_KMH)
    with pytest.raises(CrsError, match="EPSG:28992"):
        isochrones.dissolve_by_band(gdf.to_crs("EPSG:4326"))


# ---------------------------------------------------------------------- facilities as points (app and CLI)
def _facilities(rows: list[tuple[str, str, float, float]]) -> gpd.GeoDataFrame:
    fid, ftype, x, y = zip(*rows, strict=True)
    return gpd.GeoDataFrame(
        {FACILITY_ID: list(fid), FACILITY_TYPE: list(ftype)}, geometry=gpd.points_from_xy(x, y), crs=WORK_CRS
    )


@pytest.mark.parametrize("method", METHODS)
def test_facility_beside_a_long_street_reaches_along_it_from_its_snap_point(method):
    # A school 30 m beside the middle of a 1000 m street: the 500 m to either end are
    # not reached, but the street either side of the school's snap point is.
    net = _chain([(X0, Y0), (X0 + 1000.0, Y0)])
    fac = _facilities([("s1", "school", X0 + 500.0, Y0 + 30.0)])
    budget = 200.0
    minutes = budget / (WALK_KMH * 1000 / 60)
    gdf, unsnapped = isochrones.facility_isochrones(net, fac, [minutes], WALK_KMH, method=method)
    assert unsnapped == [] and len(gdf) == 1
    xmin, _, xmax, _ = gdf.geometry.iloc[0].bounds
    reach = budget - 30.0  # the walk from the street to the school is charged
    assert xmin - X0 == pytest.approx(500.0 - reach - 40.0, abs=10.0)
    assert xmax - X0 == pytest.approx(500.0 + reach + 40.0, abs=10.0)
    gdf, _ = isochrones.facility_isochrones(net, fac, [minutes], WALK_KMH, method=method, include_snap=False)
    assert gdf.geometry.iloc[0].bounds[2] - X0 == pytest.approx(500.0 + budget + 40.0, abs=10.0)


def test_facility_on_a_one_way_street_is_reached_only_from_upstream():
    # 0 → 1 one way; the way back 1 → 2 → 0 far away, so that all is one strongly connected component.
    net = straight_network([X0, X0 + 1000.0, X0 + 500.0], [Y0, Y0, Y0 + 800.0], one_way=[(0, 1), (1, 2), (2, 0)])
    fac = _facilities([("s1", "school", X0 + 500.0, Y0)])
    gdf, _ = isochrones.facility_isochrones(net, fac, [3.0], WALK_KMH)  # 200 m
    xmin, _, xmax, _ = gdf.geometry.iloc[0].bounds
    assert xmin - X0 == pytest.approx(300.0 - 40.0, abs=10.0)
    assert xmax - X0 == pytest.approx(500.0 + 40.0, abs=10.0)


def test_facility_isochrones_frames_and_unsnapped():
    net = _grid(20, 25.0)
    fac = _facilities([
        ("a", "school", X0 + 10.0, Y0 + 10.0),
        ("b", "school", X0 + 460.0, Y0 + 470.0),
        ("c", "sport", X0 + 250.0, Y0 + 240.0),
        ("far", "sport", X0 + 5000.0, Y0),
    ])
    gdf, unsnapped = isochrones.facility_isochrones(net, fac, BANDS_MIN, WALK_KMH, max_snap_m=500.0)
    assert unsnapped == ["far"]
    assert list(gdf.columns) == [FACILITY_ID, FACILITY_TYPE, isochrones.MINUTES, "geometry"] and gdf.crs == WORK_CRS
    assert gdf[FACILITY_ID].tolist() == ["a"] * 3 + ["b"] * 3 + ["c"] * 3
    assert gdf.geometry.is_valid.all()
    dissolved, _ = isochrones.facility_isochrones(net, fac, BANDS_MIN, WALK_KMH, dissolve=True)
    assert list(dissolved.columns) == [FACILITY_TYPE, isochrones.MINUTES, "geometry"] and dissolved.crs == WORK_CRS
    assert len(dissolved) == 6
    # Dissolving in one multi-source pass equals the union of the per-facility polygons.
    for a, b in zip(dissolved.geometry, isochrones.dissolve_by_band(gdf).geometry, strict=True):
        assert _sym_diff_ratio(a, b) < 0.02
    with pytest.raises(CrsError):
        isochrones.facility_isochrones(net, fac.to_crs("EPSG:4326"), BANDS_MIN, WALK_KMH)
    with pytest.raises(MissingColumnError, match=FACILITY_ID):
        isochrones.facility_isochrones(net, fac.drop(columns=FACILITY_ID), BANDS_MIN, WALK_KMH)


# ---------------------------------------------------------------------- Delft (real GraphML: the delft_walk fixture)
@settings(max_examples=20, deadline=None)
@given(
    node_frac=st.floats(0.0, 1.0, exclude_max=True),
    limit=st.floats(150.0, 1200.0),
    ratios=st.tuples(st.floats(0.2, 1.0), st.floats(0.2, 1.0)),
)
def test_delft_isochrone_properties(delft_walk, node_frac, limit, ratios):
    """Reached nodes are inside; whatever is inside is reached or near the reached network; bands nest.

    Precisely, with ``w = walk_off_m``, ``c = cell_m``, ``s = simplify_m`` (default ``c``):

    - every node with ``node_dist ≤ limit`` lies inside the polygon or within ``c`` of it;
    - every node inside the polygon either has ``node_dist ≤ limit`` or lies within
      ``w + c·√2 + s`` of a reached sub-segment. An unreached node closer than that
      may well be inside: the walk-off buffer covers it, by design;
    - band areas grow with the budget, and each band lies inside the next one
      grown by ``2·s`` (each is simplified by at most ``s``).
    """
    net = delft_walk
    walk_off, cell = isochrones.WALK_OFF_M, isochrones.CELL_M
    simplify = cell
    node = int(node_frac * net.n_nodes)
    limits = sorted([limit * ratios[0] * ratios[1], limit * ratios[0], limit])
    dist = _dist_to(net, node, limits[-1])
    polys = isochrones.isochrone_polygons(net, dist, limits)
    pts = shapely.points(np.c_[net.x, net.y])
    for lim, poly in zip(limits, polys, strict=True):
        assert poly.is_valid and not poly.is_empty
        reached = dist <= lim
        assert shapely.distance(poly, pts[reached]).max() <= cell
        inside = shapely.contains_xy(poly, net.x, net.y)
        suspects = inside & ~reached
        if suspects.any():
            network_part = _reached_lines(net, dist, lim)
            assert shapely.distance(network_part, pts[suspects]).max() <= walk_off + cell * np.sqrt(2) + simplify
    # Areas grow with the budget up to the simplification: with two (nearly) equal budgets the inner band
    # may come out a few cells larger than the outer one (hypothesis found 10,950 m² vs 10,800 m²).
    for inner, outer in pairwise(polys):
        assert inner.area <= outer.buffer(2 * simplify).area
    for inner, outer in pairwise(polys):
        assert shapely.difference(inner, outer.buffer(2 * simplify)).area < 1.0


def test_delft_raster_and_buffer_agree(delft_walk):
    """Symmetric difference / union < 5 % per band, both unsimplified.

    Simplification is left out because it is the same step for both and not what
    is compared: at the default ``simplify_m = cell_m`` it alone moves a 5-minute
    isochrone by up to ~5 % (measured on 40 Delft facilities).
    """
    net = delft_walk
    limits = isochrones.limits_for_minutes(BANDS_MIN, WALK_KMH)
    rng = np.random.default_rng(3)
    for node in rng.choice(net.n_nodes, 3, replace=False).tolist():
        dist = _dist_to(net, node, limits[-1])
        raster = isochrones.isochrone_polygons(net, dist, limits, simplify_m=0)
        buffer = isochrones.isochrone_polygons(net, dist, limits, simplify_m=0, method="buffer")
        for r, b in zip(raster, buffer, strict=True):
            assert _sym_diff_ratio(r, b) < 0.05
            assert r.area == pytest.approx(b.area, rel=0.03)


def test_delft_isochrone_is_far_smaller_than_the_hull(delft_walk):
    net = delft_walk
    node = int(np.argmin(np.hypot(net.x - net.x.mean(), net.y - net.y.mean())))
    limit = float(isochrones.limits_for_minutes([10], WALK_KMH)[0])
    dist = _dist_to(net, node, limit)
    (poly,) = isochrones.isochrone_polygons(net, dist, [limit])
    reached = dist <= limit
    hull = shapely.MultiPoint(np.c_[net.x[reached], net.y[reached]]).convex_hull.buffer(isochrones.WALK_OFF_M)
    assert poly.area < hull.area
    assert any(len(p.interiors) for p in getattr(poly, "geoms", [poly]))  # blocks stay holes


# ---------------------------------------------------------------------- clusters (dissolved isochrones at scale)
def _same_shape(a: shapely.Geometry, b: shapely.Geometry) -> bool:
    """The same polygons, vertex for vertex (parts and rings in any order)."""
    return bool(shapely.equals_exact(shapely.normalize(a), shapely.normalize(b), tolerance=0.0))


def _one_raster(monkeypatch: pytest.MonkeyPatch) -> None:
    """The way before clusters: one raster over the bounding box of everything reached."""
    monkeypatch.setattr(isochrones, "_clusters", lambda *args: None)


@pytest.fixture
def split_always(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cluster however small the reached area (normally only above a million cells)."""
    monkeypatch.setattr(isochrones, "_CLUSTER_FROM_CELLS", 0)


def _two_towns(gap_m: float) -> tuple[Network, gpd.GeoDataFrame]:
    """Two 10 × 10 grids of 30 m blocks ``gap_m`` apart diagonally, joined by one long street; a school in each."""
    n, spacing = 10, 30.0
    ii, jj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    idx = np.arange(n * n).reshape(n, n)
    pairs = np.r_[np.c_[idx[:, :-1].ravel(), idx[:, 1:].ravel()], np.c_[idx[:-1, :].ravel(), idx[1:, :].ravel()]]
    off = (n - 1) * spacing + gap_m
    x = np.r_[X0 + jj.ravel() * spacing, X0 + off + jj.ravel() * spacing]
    y = np.r_[Y0 + ii.ravel() * spacing, Y0 + off + ii.ravel() * spacing]
    link = [(n * n - 1, n * n)]  # far corner of the first town to the near corner of the second
    net = straight_network(x, y, np.r_[pairs, pairs + n * n, link])
    fac = _facilities([("a", "school", X0 + 100.0, Y0 + 130.0), ("b", "school", X0 + off + 140.0, Y0 + off + 95.0)])
    return net, fac


@pytest.mark.parametrize("gap_m", [60.0, 100.0, 119.0, 121.0, 140.0, 250.0, 3000.0])
def test_dissolved_clusters_equal_one_raster(monkeypatch, split_always, gap_m):
    """Rastered per cluster, the dissolved isochrones are the polygons of one raster over everything, vertex for
    vertex – also when the two towns' reach is just closer or just farther apart than the clusters' gap."""
    net, fac = _two_towns(gap_m)
    clustered, _ = isochrones.facility_isochrones(net, fac, (2.0, 4.0), WALK_KMH, dissolve=True)
    _one_raster(monkeypatch)
    whole, _ = isochrones.facility_isochrones(net, fac, (2.0, 4.0), WALK_KMH, dissolve=True)
    assert clustered[[FACILITY_TYPE, isochrones.MINUTES]].equals(whole[[FACILITY_TYPE, isochrones.MINUTES]])
    for a, b in zip(clustered.geometry, whole.geometry, strict=True):
        assert not a.is_empty and a.is_valid and _same_shape(a, b)


def test_far_apart_clusters_are_the_union_of_single_cluster_runs(monkeypatch, split_always):
    """Two towns 3 km apart: the dissolved isochrones are exactly each town's own isochrones together, and each
    town is rastered on its own small grid (memory follows the area reached, not the 3 km between)."""
    net, fac = _two_towns(3000.0)
    both, _ = isochrones.facility_isochrones(net, fac, BANDS_MIN, WALK_KMH, dissolve=True)
    single = [isochrones.facility_isochrones(net, fac.iloc[[i]], BANDS_MIN, WALK_KMH, dissolve=True)[0] for i in (0, 1)]
    for k in range(len(BANDS_MIN)):
        parts = [*shapely.get_parts(single[0].geometry.iloc[k]), *shapely.get_parts(single[1].geometry.iloc[k])]
        assert _same_shape(both.geometry.iloc[k], shapely.MultiPolygon(parts))
        assert shapely.get_num_geometries(both.geometry.iloc[k]) == 2
    rasters: list[int] = []
    real = isochrones._raster_cluster

    def counting(seg, px, *args, **kwargs):
        rasters.append(len(px))
        return real(seg, px, *args, **kwargs)

    monkeypatch.setattr(isochrones, "_raster_cluster", counting)
    isochrones.facility_isochrones(net, fac, BANDS_MIN, WALK_KMH, dissolve=True)
    assert len(rasters) == 2  # one raster per town


def test_dissolved_memory_follows_the_reached_area():
    """Two schools 20 km apart diagonally: one raster over their bounding box would hold 4 M cells of 10 m (hundreds
    of MB); per cluster the peak stays at a few MB."""
    net, fac = _two_towns(20_000.0)
    isochrones.facility_isochrones(net, fac, BANDS_MIN, WALK_KMH, dissolve=True)  # warm the network's caches
    tracemalloc.start()
    try:
        isochrones.facility_isochrones(net, fac, BANDS_MIN, WALK_KMH, dissolve=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20
