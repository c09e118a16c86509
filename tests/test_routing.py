"""Routing: snapping, nearest facility, cost tables and 2SFCA, each checked against independent code.

Independent slow paths used here:

- networkx ``multi_source_dijkstra`` / ``single_source_dijkstra`` on the osmnx graph
  read straight from the GraphML file (not through ``geo.network.ways``);
- for points in the middle of edges, a networkx graph in which every snapped point
  is a node of its own, spliced into its edge (:func:`_split_graph`);
- brute-force point-to-segment distances with shapely;
- PySAL ``access`` for the floating-catchment figures;
- hand-computed distances on a small grid.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo import units
from geo.errors import ParameterError
from geo.network import routing
from geo.network.graph import Network, from_edges
from tests.helpers import straight_network

TOL_M = 1e-6


# ---------------------------------------------------------------------- independent helpers
def _split_graph(
    net: Network, origins: routing.Snapped, facilities: routing.Snapped, *, include_snap: bool
) -> tuple[nx.DiGraph, list, list]:
    """networkx graph of ``net`` with every snapped point spliced into its segment as a node.

    Along a segment u→v of length L the points are chained in order of ``t`` with
    pieces ``Δt · L`` (per direction, only where that direction exists). Points at
    the same spot (equal ``t``, or ``t`` = 0/1 at a node) are joined both ways at
    cost 0: a point exactly at a node is at that node. Each point also gets a
    "pin" node joined by its snap distance (origin pin → point, point → facility pin).
    """
    g = nx.DiGraph()
    src, dst = net.edge_from(), net.indices
    for a, b, w in zip(src.tolist(), dst.tolist(), net.length_m.tolist(), strict=True):
        g.add_edge(("n", a), ("n", b), w=w)
    pts = []  # (kind, i, seg, u, v, t, snap)
    for kind, sn in (("o", origins), ("f", facilities)):
        for i in np.flatnonzero(sn.ok).tolist():
            pts.append((kind, i, int(sn.seg[i]), int(sn.u[i]), int(sn.v[i]), float(sn.t[i]), float(sn.snap_dist_m[i])))
    by_seg: dict[int, list] = {}
    for p in pts:
        by_seg.setdefault(p[2], []).append(p)
    for plist in by_seg.values():
        u, v = plist[0][3], plist[0][4]
        plist.sort(key=lambda p: p[5])
        chain = [(("n", u), 0.0)] + [((p[0], p[1]), p[5]) for p in plist] + [(("n", v), 1.0)]
        fwd = g.edges[("n", u), ("n", v)]["w"] if g.has_edge(("n", u), ("n", v)) else None
        bwd = g.edges[("n", v), ("n", u)]["w"] if g.has_edge(("n", v), ("n", u)) else None
        for (a, ta), (b, tb) in pairwise(chain):
            if tb == ta:
                g.add_edge(a, b, w=0.0)
                g.add_edge(b, a, w=0.0)
                continue
            if fwd is not None:
                g.add_edge(a, b, w=(tb - ta) * fwd)
            if bwd is not None:
                g.add_edge(b, a, w=(tb - ta) * bwd)
    for kind, i, *_rest, snap in pts:
        s = snap if include_snap else 0.0
        if kind == "o":
            g.add_edge(("O", i), ("o", i), w=s)
        else:
            g.add_edge(("f", i), ("F", i), w=s)
    return g, [("O", i) for i in range(len(origins))], [("F", j) for j in range(len(facilities))]


def _oracle_dense(
    net: Network,
    origins: routing.Snapped,
    facilities: routing.Snapped,
    *,
    include_snap: bool,
    cutoff: float | None = None,
) -> np.ndarray:
    """All-pairs origin → facility distances (inf where unreachable) from the split graph."""
    g, o_nodes, f_nodes = _split_graph(net, origins, facilities, include_snap=include_snap)
    rev = g.reverse(copy=False)
    out = np.full((len(facilities), len(origins)), np.inf)
    for j, fn in enumerate(f_nodes):
        if fn not in rev:
            continue
        lengths = nx.single_source_dijkstra_path_length(rev, fn, cutoff=cutoff, weight="w")
        for i, on in enumerate(o_nodes):
            if on in lengths:
                out[j, i] = lengths[on]
    return out


def _assert_nearest_matches_dense(dist, idx, dense):
    best = dense.min(axis=0) if dense.shape[0] else np.full(dense.shape[1], np.inf)
    np.testing.assert_allclose(dist, best, rtol=0, atol=TOL_M)
    reach = np.isfinite(best)
    assert (idx[~reach] == -1).all()
    # Which facility: the one returned is (one of) the nearest.
    np.testing.assert_allclose(dense[idx[reach], np.flatnonzero(reach)], best[reach], rtol=0, atol=TOL_M)


# ---------------------------------------------------------------------- a hand-made grid
def _grid() -> Network:
    """3×3 grid, 100 m blocks, node r*3+c at (100c, 100r); street 0–1 one-way 0→1; island 9–10 at x=400."""
    xs = [100.0 * c for r in range(3) for c in range(3)] + [400.0, 400.0]
    ys = [100.0 * r for r in range(3) for c in range(3)] + [0.0, 100.0]
    pairs = [(i, i + 1) for i in range(9) if i % 3 < 2] + [(i, i + 3) for i in range(6)] + [(9, 10)]
    two_way = [p for p in pairs if p != (0, 1)]
    return straight_network(xs, ys, two_way, one_way=[(0, 1)], mode="bike")


GRID_POINTS = np.array(
    [
        [50, 0],  # 0: middle of one-way 0→1
        [0, 50],  # 1: middle of 0–3
        [80, 0],  # 2: on the one-way, 80 m from node 0
        [20, 0],  # 3: on the one-way, 20 m from node 0
        [130, 210],  # 4: 10 m off 7–8
        [170, 200],  # 5: on 7–8
        [390, 50],  # 6: 10 m from the island, 190 m from 2–5
        [1000, 1000],  # 7: far away
    ],
    dtype=float,
)


@pytest.fixture(scope="module")
def grid() -> Network:
    return _grid()


def test_grid_snapping_by_hand(grid):
    sn = routing.snap_points(grid, GRID_POINTS, max_snap_m=250)
    assert len(sn) == len(GRID_POINTS)
    np.testing.assert_array_equal(sn.ok, [True] * 7 + [False])
    np.testing.assert_array_equal(sn.not_snapped, [7])
    np.testing.assert_array_equal(sn.u[:7], [0, 0, 0, 0, 7, 7, 2])
    np.testing.assert_array_equal(sn.v[:7], [1, 3, 1, 1, 8, 8, 5])
    np.testing.assert_allclose(sn.t[:7], [0.5, 0.5, 0.8, 0.2, 0.3, 0.7, 0.5])
    np.testing.assert_allclose(sn.snap_dist_m[:7], [0, 0, 0, 0, 10, 0, 190])
    np.testing.assert_allclose(np.c_[sn.x, sn.y][4], [130, 200])
    # The island point goes to the main network (2–5), its longer snap reported.
    np.testing.assert_allclose(np.c_[sn.x, sn.y][6], [200, 50])
    # Not snapped, but how far it was is still reported (nearest: node 8 at (200, 200)).
    assert sn.seg[7] == -1 and np.isnan(sn.t[7]) and np.isnan(sn.x[7])
    assert sn.snap_dist_m[7] == pytest.approx(np.hypot(800, 800))


def test_grid_island_only_without_component_restriction(grid):
    sn = routing.snap_points(grid, GRID_POINTS[[6, 5]], component=None)
    assert (sn.u[0], sn.v[0]) == (9, 10) and sn.snap_dist_m[0] == pytest.approx(10)
    d, i = routing.nearest_facility(grid, sn.take([0]), sn.take([1]))
    assert d[0] == np.inf and i[0] == -1


def test_grid_distances_by_hand(grid):
    sn = routing.snap_points(grid, GRID_POINTS, max_snap_m=250)

    def one(o: int, f: int, **kw) -> float:
        return routing.nearest_facility(grid, sn.take([o]), sn.take([f]), **kw)[0][0]

    # Against the one-way: 50 to node 1, round the block 1→4→3 (200), 50 down to the facility.
    assert one(0, 1) == pytest.approx(300)
    # With it: 50 to node 0, 50 along the one-way.
    assert one(1, 0) == pytest.approx(100)
    # Same segment, direction allowed: straight along it.
    assert one(5, 4, include_snap=False) == pytest.approx(40)
    assert one(4, 5, include_snap=False) == pytest.approx(40)
    # ... and with the 10 m walk from point 4 to the street.
    assert one(4, 5) == pytest.approx(50)
    assert one(5, 4) == pytest.approx(50)
    # Same one-way segment, facility behind: 20 to node 1, round the block (300), 20 back in.
    assert one(2, 3) == pytest.approx(340)
    assert one(3, 2) == pytest.approx(60)
    # Island point, snapped onto 2–5 at (200, 50): 190 walk-on, 50 up, 100 up, 30 left.
    assert one(6, 5, include_snap=False) == pytest.approx(180)
    assert one(6, 5) == pytest.approx(370)
    # Several facilities: the nearest, its index; the unsnapped point: inf and -1.
    d, i = routing.nearest_facility(grid, sn, sn.take([1, 5]), include_snap=False)
    np.testing.assert_allclose(d, [300, 0, 270, 330, 40, 0, 180, np.inf])
    np.testing.assert_array_equal(i, [0, 0, 0, 0, 1, 1, 1, -1])
    # A limit: farther origins are cut, not clipped.
    d, i = routing.nearest_facility(grid, sn, sn.take([1, 5]), include_snap=False, limit_m=180)
    np.testing.assert_allclose(d, [np.inf, 0, np.inf, np.inf, 40, 0, 180, np.inf])
    np.testing.assert_array_equal(i, [-1, 0, -1, -1, 1, 1, 1, -1])


def test_grid_costs_by_hand(grid):
    sn = routing.snap_points(grid, GRID_POINTS, max_snap_m=250)
    costs = routing.facility_origin_costs(grid, sn, sn.take([1, 5]), limit_m=300, include_snap=False)
    expected = np.array(
        [
            [300, 0, 270, np.inf, 280, np.inf, 300, np.inf],
            [np.inf, np.inf, 290, np.inf, 40, 0, 180, np.inf],
        ]
    )
    np.testing.assert_allclose(costs.to_dense(), expected)
    # A 0 m pair is a listed pair, also in the sparse form.
    m = costs.to_csr()
    assert m.nnz == np.isfinite(expected).sum()
    assert m[0, 1] == 0 and m[1, 5] == 0
    counts = routing.count_within(costs, [0, 100, 300])
    np.testing.assert_array_equal(counts[0.0], [0, 1, 0, 0, 0, 1, 0, 0])
    np.testing.assert_array_equal(counts[300.0], [1, 1, 2, 0, 2, 1, 2, 0])
    with pytest.raises(ParameterError, match="cost table's limit"):
        routing.count_within(costs, [301])


def test_unreachable_without_a_limit_is_inf_and_minus_one():
    # One-way 0 → 1: the origin at node 1 cannot get back to the facility at node 0.
    net = from_edges(
        np.array([0.0, 0.0]), np.array([0.0, 50.0]), np.array([0]), np.array([1]), np.array([50.0]), mode="bike"
    )
    origins = routing.snap_points(net, np.array([[0.0, 50.0], [0.0, 20.0]]), component=None)
    facilities = routing.snap_points(net, np.array([[0.0, 0.0]]), component=None)
    d, i = routing.nearest_facility(net, origins, facilities)
    np.testing.assert_array_equal(d, [np.inf, np.inf])
    np.testing.assert_array_equal(i, [-1, -1])
    d, i = routing.nearest_facility(net, facilities, origins)
    assert d[0] == pytest.approx(20) and i[0] == 1  # the other way round it is 20 m along the one-way


def test_bad_inputs_are_parameter_errors(grid):
    with pytest.raises(ParameterError, match=r"\(k, 2\)"):
        routing.snap_points(grid, np.zeros((3, 3)))
    with pytest.raises(ParameterError, match="component"):
        routing.snap_points(grid, np.zeros((1, 2)), component="all")  # type: ignore[arg-type]
    other = _grid()
    sn = routing.snap_points(grid, GRID_POINTS[:2])
    with pytest.raises(ParameterError, match="another network"):
        routing.nearest_facility(other, sn, sn)
    with pytest.raises(ParameterError, match="finite"):
        routing.facility_origin_costs(grid, sn, sn, limit_m=np.inf)
    costs = routing.facility_origin_costs(grid, sn, sn, limit_m=100)
    with pytest.raises(ParameterError, match="demand"):
        routing.two_step_fca(costs, np.array([1.0]), catchment_m=100)
    with pytest.raises(ParameterError, match="decay"):
        routing.two_step_fca(costs, np.ones(2), catchment_m=100, decay="linear")  # type: ignore[arg-type]


def test_non_finite_points_are_listed_not_dropped(grid):
    sn = routing.snap_points(grid, np.array([[10.0, 10.0], [np.nan, 5.0]]))
    np.testing.assert_array_equal(sn.not_snapped, [1])
    assert np.isnan(sn.snap_dist_m[1])


def test_minutes_and_metres():
    assert units.minutes(1000.0, 4.0) == pytest.approx(15.0)
    assert units.metres(15.0, 4.0) == pytest.approx(1000.0)
    np.testing.assert_allclose(units.minutes(np.array([0.0, 3000.0, np.inf]), 12.0), [0.0, 15.0, np.inf])
    with pytest.raises(ParameterError):
        units.minutes(1.0, 0.0)


# ---------------------------------------------------------------------- Delft (real GraphML)
@pytest.fixture(scope="module")
def delft(delft_walk: Network, delft_graphml: Path) -> tuple[Network, nx.MultiDiGraph]:
    """The Delft walk network and the same GraphML read by osmnx (the independent oracle)."""
    import osmnx

    return delft_walk, osmnx.load_graphml(delft_graphml)


def _node_points(net: Network, nodes: np.ndarray) -> np.ndarray:
    return np.c_[net.x[nodes], net.y[nodes]]


def test_delft_nearest_for_all_nodes_equals_networkx(delft):
    net, graph = delft
    osm_ids = list(graph.nodes)  # geo.data.osm_files numbers the GraphML nodes first, in this order
    assert (net.node_id[: len(osm_ids)] == np.array(osm_ids, dtype=np.int64)).all()
    rng = np.random.default_rng(7)
    fac_nodes = rng.choice(len(osm_ids), 20, replace=False)
    origins = routing.snap_points(net, _node_points(net, np.arange(len(osm_ids))))
    facilities = routing.snap_points(net, _node_points(net, fac_nodes))
    assert origins.ok.all() and np.isin(origins.t, [0.0, 1.0]).all()
    dist, idx = routing.nearest_facility(net, origins, facilities)

    rev = graph.reverse(copy=False)
    nx_dist, _ = nx.multi_source_dijkstra(rev, {osm_ids[j] for j in fac_nodes}, weight="length")
    expected = np.array([nx_dist.get(n, np.inf) for n in osm_ids])
    np.testing.assert_allclose(dist, expected, rtol=0, atol=TOL_M)
    # The facility given is (one of) the nearest: its own networkx distance is the minimum.
    per_fac = [nx.single_source_dijkstra_path_length(rev, osm_ids[j], weight="length") for j in fac_nodes]
    chosen = np.array([per_fac[j][n] for j, n in zip(idx, osm_ids, strict=True)])
    np.testing.assert_allclose(chosen, expected, rtol=0, atol=TOL_M)


@pytest.fixture(scope="module")
def delft_subset(delft):
    """120 origin nodes, 25 facility nodes and the networkx all-pairs distances within 612.345 m."""
    net, graph = delft
    osm_ids = list(graph.nodes)
    rng = np.random.default_rng(11)
    o_nodes = rng.choice(len(osm_ids), 120, replace=False)
    f_nodes = rng.choice(len(osm_ids), 25, replace=False)
    limit = 612.345
    rev = graph.reverse(copy=False)
    dense = np.full((len(f_nodes), len(o_nodes)), np.inf)
    for j, fn in enumerate(f_nodes):
        lengths = nx.single_source_dijkstra_path_length(rev, osm_ids[fn], cutoff=limit, weight="length")
        dense[j] = [lengths.get(osm_ids[o], np.inf) for o in o_nodes]
    origins = routing.snap_points(net, _node_points(net, o_nodes))
    facilities = routing.snap_points(net, _node_points(net, f_nodes))
    return net, origins, facilities, limit, dense


def test_delft_costs_and_counts_equal_networkx(delft_subset):
    net, origins, facilities, limit, dense = delft_subset
    costs = routing.facility_origin_costs(net, origins, facilities, limit_m=limit)
    assert costs.to_csr().shape == (25, 120)
    got = costs.to_dense()
    np.testing.assert_array_equal(np.isfinite(got), np.isfinite(dense))
    np.testing.assert_allclose(got[np.isfinite(dense)], dense[np.isfinite(dense)], rtol=0, atol=TOL_M)
    assert (costs.dist_m <= limit).all()
    for lim, counts in routing.count_within(costs, [150, 400, limit]).items():
        np.testing.assert_array_equal(counts, (dense <= lim).sum(axis=0))


def test_delft_points_between_nodes_equal_split_graph(delft):
    """Origins and facilities anywhere (mid-edge, off-street), against networkx with the points spliced in."""
    net, _ = delft
    rng = np.random.default_rng(3)
    lo, hi = np.array([net.x.min(), net.y.min()]), np.array([net.x.max(), net.y.max()])
    origins = routing.snap_points(net, rng.uniform(lo, hi, size=(150, 2)), max_snap_m=60)
    facilities = routing.snap_points(net, rng.uniform(lo, hi, size=(15, 2)), max_snap_m=60)
    assert 0 < len(origins.not_snapped) < len(origins)
    dense = _oracle_dense(net, origins, facilities, include_snap=True)
    dist, idx = routing.nearest_facility(net, origins, facilities)
    _assert_nearest_matches_dense(dist, idx, dense)
    assert np.isinf(dist[origins.not_snapped]).all()
    costs = routing.facility_origin_costs(net, origins, facilities, limit_m=700)
    expected = np.where(dense <= 700, dense, np.inf)
    got = costs.to_dense()
    np.testing.assert_array_equal(np.isfinite(got), np.isfinite(expected))
    np.testing.assert_allclose(got[np.isfinite(got)], expected[np.isfinite(got)], rtol=0, atol=TOL_M)


def test_delft_snapping_equals_brute_force(delft):
    net, _ = delft
    rng = np.random.default_rng(5)
    pts = rng.uniform([net.x.min(), net.y.min()], [net.x.max(), net.y.max()], size=(300, 2))
    sn = routing.snap_points(net, pts)
    segs = net.segments()
    lcc = net.largest_component()
    keep = lcc[segs["u"]] & lcc[segs["v"]]
    lines = shapely.linestrings(
        np.stack([np.c_[net.x[segs["u"]], net.y[segs["u"]]], np.c_[net.x[segs["v"]], net.y[segs["v"]]]], axis=1)
    )[keep]
    brute = shapely.distance(shapely.points(pts)[:, None], lines[None, :]).min(axis=1)
    np.testing.assert_allclose(sn.snap_dist_m, brute, rtol=0, atol=1e-6)
    # The snapped position lies on the chosen segment at fraction t.
    ux, uy, vx, vy = net.x[sn.u], net.y[sn.u], net.x[sn.v], net.y[sn.v]
    np.testing.assert_allclose(sn.x, ux + sn.t * (vx - ux), atol=1e-6)
    np.testing.assert_allclose(sn.y, uy + sn.t * (vy - uy), atol=1e-6)
    np.testing.assert_allclose(np.hypot(pts[:, 0] - sn.x, pts[:, 1] - sn.y), sn.snap_dist_m, atol=1e-9)
    # Cached per network: a second call reuses the tree.
    assert "routing_tree_largest" in net._cache


# ---------------------------------------------------------------------- 2SFCA against PySAL access
@pytest.mark.parametrize(
    ("decay", "kwargs", "weight_fn"),
    [
        ("none", {}, None),
        ("step", {"steps": [(200, 1.0), (400, 0.68), (600, 0.22)]}, ("step", {200: 1.0, 400: 0.68, 600: 0.22})),
        ("gaussian", {"sigma_m": 250.0}, ("gaussian", 250.0)),
    ],
)
def test_two_step_fca_equals_pysal_access(delft_subset, decay, kwargs, weight_fn):
    from access import Access, weights

    net, origins, facilities, limit, _ = delft_subset
    costs = routing.facility_origin_costs(net, origins, facilities, limit_m=limit)
    rng = np.random.default_rng(2)
    children = rng.integers(15, 400, size=len(origins)).astype(float)  # children 4–12 per origin
    capacity = rng.choice([120.0, 180.0, 240.0, 310.0, 450.0], size=len(facilities))  # school places
    catchment = 600.0
    ours = routing.two_step_fca(costs, children, capacity, catchment_m=catchment, decay=decay, **kwargs)

    demand_df = pd.DataFrame({"children": children}, index=pd.Index(np.arange(len(origins)), name="origin"))
    supply_df = pd.DataFrame({"capacity": capacity}, index=pd.Index(np.arange(len(facilities)), name="dest"))
    cost_df = pd.DataFrame({"origin": costs.origin, "dest": costs.facility, "cost": costs.dist_m})
    acc = Access(
        demand_df=demand_df, demand_index=True, demand_value="children",
        supply_df=supply_df, supply_index=True, supply_value="capacity",
        cost_df=cost_df, cost_origin="origin", cost_dest="dest", cost_name="cost",
    )  # fmt: skip
    if weight_fn is None:
        theirs = acc.two_stage_fca(name="a", max_cost=catchment)["a_capacity"]
    else:
        fn = weights.step_fn(weight_fn[1]) if weight_fn[0] == "step" else weights.gaussian(weight_fn[1])
        theirs = acc.enhanced_two_stage_fca(name="a", max_cost=catchment, weight_fn=fn)["a_capacity"]
    # PySAL leaves origins without any facility in reach as NaN; we give them 0.
    theirs = theirs.reindex(np.arange(len(origins))).fillna(0.0).to_numpy()
    assert (ours > 0).sum() > 20
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=0)


def test_two_step_fca_simple_case_by_hand():
    # Two origins (10 and 30 children), two facilities (capacity 20 and 40), all within the catchment
    # except origin 1 → facility 1.
    costs = routing.Costs(
        facility=np.array([0, 0, 1]), origin=np.array([0, 1, 0]), dist_m=np.array([0.0, 150.0, 50.0]),
        n_facilities=2, n_origins=2, limit_m=500.0, include_snap=True,
    )  # fmt: skip
    a = routing.two_step_fca(costs, np.array([10.0, 30.0]), np.array([20.0, 40.0]), catchment_m=500)
    # R_0 = 20 / 40, R_1 = 40 / 10; A_0 = R_0 + R_1, A_1 = R_0.
    np.testing.assert_allclose(a, [0.5 + 4.0, 0.5])
    # The default step zones split the catchment in three: 150 m falls in the second (weight 0.68).
    a = routing.two_step_fca(costs, np.array([10.0, 30.0]), np.array([20.0, 40.0]), catchment_m=300, decay="step")
    r0 = 20 / (10 * 1.0 + 30 * 0.68)
    np.testing.assert_allclose(a, [r0 + 40 / 10, 0.68 * r0])


# ---------------------------------------------------------------------- properties on random graphs
@st.composite
def random_case(draw):
    n = draw(st.integers(2, 9))
    coords = (
        np.array(draw(st.lists(st.tuples(st.integers(0, 8), st.integers(0, 8)), min_size=n, max_size=n)), float) * 50
    )
    edges = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.sampled_from(["fwd", "bwd", "both"]),
                      st.floats(1.0, 1.5), st.floats(1.0, 1.5)),
            min_size=1, max_size=3 * n,
        )
    )  # fmt: skip
    src, dst, w = [], [], []
    for a, b, kind, fa, fb in edges:
        dist = float(np.hypot(*(coords[a] - coords[b])))
        if kind in ("fwd", "both"):
            src.append(a), dst.append(b), w.append(dist * fa)
        if kind in ("bwd", "both"):
            src.append(b), dst.append(a), w.append(dist * fb)
    net = from_edges(coords[:, 0], coords[:, 1], np.array(src), np.array(dst), np.array(w), mode="bike")
    point = st.tuples(st.floats(-20, 420), st.floats(-20, 420))
    # Some points exactly on nodes, the others anywhere.
    on_node = st.integers(0, n - 1).map(lambda i: tuple(coords[i]))
    o_pts = np.array(draw(st.lists(st.one_of(point, on_node), min_size=1, max_size=8)), float)
    f_pts = np.array(draw(st.lists(st.one_of(point, on_node), min_size=1, max_size=5)), float)
    component = draw(st.sampled_from(["largest", None]))
    include_snap = draw(st.booleans())
    return net, o_pts, f_pts, component, include_snap


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_case())
def test_random_graphs_match_split_graph_and_invariants(case):
    net, o_pts, f_pts, component, include_snap = case
    origins = routing.snap_points(net, o_pts, component=component)
    facilities = routing.snap_points(net, f_pts, component=component)
    dist, idx = routing.nearest_facility(net, origins, facilities, include_snap=include_snap)
    dense = _oracle_dense(net, origins, facilities, include_snap=include_snap)
    _assert_nearest_matches_dense(dist, idx, dense)

    # Nearest ≤ the distance to any single facility searched on its own, and equal to the best of them.
    singles = np.array(
        [
            routing.nearest_facility(net, origins, facilities.take([j]), include_snap=include_snap)[0]
            for j in range(len(facilities))
        ]
    )
    assert (dist <= singles + TOL_M).all()
    np.testing.assert_allclose(dist, singles.min(axis=0), rtol=0, atol=TOL_M)

    # Adding a facility never increases any origin's distance.
    for k in range(1, len(facilities)):
        fewer, _ = routing.nearest_facility(net, origins, facilities.take(np.arange(k)), include_snap=include_snap)
        more, _ = routing.nearest_facility(net, origins, facilities.take(np.arange(k + 1)), include_snap=include_snap)
        assert (more <= fewer + TOL_M).all()

    # The cost table agrees with the oracle within its limit.
    limit = 600.0
    costs = routing.facility_origin_costs(net, origins, facilities, limit_m=limit, include_snap=include_snap)
    expected = np.where(dense <= limit, dense, np.inf)
    got = costs.to_dense()
    near_edge = np.abs(dense - limit) < 1e-6
    assert (np.isfinite(got) == np.isfinite(expected))[~near_edge].all()
    both = np.isfinite(got) & np.isfinite(expected)
    np.testing.assert_allclose(got[both], expected[both], rtol=0, atol=TOL_M)


def test_node_distances_union_equals_per_facility_minimum(delft_walk: Network):
    """The multi-source node distances are the minimum of the per-facility ones (used for dissolved isochrones)."""
    net = delft_walk
    rng = np.random.default_rng(7)
    pts = np.column_stack([rng.uniform(net.x.min(), net.x.max(), 6), rng.uniform(net.y.min(), net.y.max(), 6)])
    fac = routing.snap_points(net, pts)
    union = routing.node_distances(net, fac, limit_m=800.0, include_snap=False)
    each = routing.node_distances(net, fac, limit_m=800.0, include_snap=False, per_facility=True)
    assert each.shape == (int(fac.ok.sum()), net.n_nodes)
    np.testing.assert_allclose(union, each.min(axis=0))
    # Consistent with nearest_facility for origins placed on nodes.
    nodes = np.flatnonzero(net.largest_component())[:200]
    origins = routing.snap_points(net, np.column_stack([net.x[nodes], net.y[nodes]]))
    d, _ = routing.nearest_facility(net, origins, fac, limit_m=800.0, include_snap=False)
    finite = np.isfinite(d)
    np.testing.assert_allclose(d[finite], union[nodes][finite], atol=1e-6)


# ---------------------------------------------------------------------- ties, unsnapped facilities, chunks
@pytest.mark.parametrize("block_bytes", [1, 10**9])
def test_ties_unsnapped_and_shared_segments_match_networkx(monkeypatch, block_bytes):
    """A regular grid (every distance a tie many times over), two facilities at one spot, facilities on the
    origins' own streets and one too far to snap: nearest facility and cost table equal the split-graph networkx
    answer, the facility named is one of the nearest and never the unsnapped one, and the cost table is the same
    whether searched one facility at a time or all at once (sorted by facility, then origin, each pair once)."""
    monkeypatch.setattr(routing, "COST_BLOCK_BYTES", block_bytes)
    side, spacing = 6, 100.0
    ii, jj = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    idx = np.arange(side * side).reshape(side, side)
    pairs = np.r_[np.c_[idx[:, :-1].ravel(), idx[:, 1:].ravel()], np.c_[idx[:-1, :].ravel(), idx[1:, :].ravel()]]
    net = straight_network(jj.ravel() * spacing, ii.ravel() * spacing, pairs.tolist())
    fac_pts = np.array(
        [
            [5000.0, 5000.0],  # 0: too far to snap
            [100.0, 100.0],  # 1: on a node
            [100.0, 100.0],  # 2: the same spot as 1 (an exact tie everywhere)
            [400.0, 400.0],  # 3: on a node, symmetric to 1 about the centre
            [250.0, 0.0],  # 4: middle of a street that origins share
            [0.0, 330.0],  # 5: on a street, next to an origin
            [510.0, 170.0],  # 6: 10 m off the grid
        ]
    )
    rng = np.random.default_rng(3)
    org_pts = np.r_[
        rng.uniform(-20.0, 520.0, (40, 2)),
        [[210.0, 0.0], [290.0, 0.0], [0.0, 300.0], [0.0, 360.0], [250.0, 250.0], [300.0, 200.0]],
        np.c_[jj.ravel(), ii.ravel()] * spacing,
    ]
    origins = routing.snap_points(net, org_pts, max_snap_m=100.0)
    facilities = routing.snap_points(net, fac_pts, max_snap_m=100.0)
    assert facilities.not_snapped.tolist() == [0]
    dense = _oracle_dense(net, origins, facilities, include_snap=True)
    dist, which = routing.nearest_facility(net, origins, facilities)
    _assert_nearest_matches_dense(dist, which, dense)
    assert (which != 0).all()

    costs = routing.facility_origin_costs(net, origins, facilities, limit_m=350.0)
    key = costs.facility * len(origins) + costs.origin
    assert (np.diff(key) > 0).all()  # sorted, each pair once
    expected = np.where(dense <= 350.0, dense, np.inf)
    near_edge = np.abs(dense - 350.0) < 1e-6
    got = costs.to_dense()
    assert (np.isfinite(got) == np.isfinite(expected))[~near_edge].all()
    both = np.isfinite(got) & np.isfinite(expected)
    np.testing.assert_allclose(got[both], expected[both], rtol=0, atol=TOL_M)
    assert not np.isfinite(got[0]).any()
