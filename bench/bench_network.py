"""Network benchmark: nearest facility, isochrones and 2SFCA against networkx baselines.

Run from the repository root::

    python -m bench.bench_network                 # fixtures + grids of 10k, 100k and 1M nodes
    python -m bench.bench_network --quick         # fixtures + 10k and 100k, fewer repeats
    python -m bench.bench_network --sizes 10k,100k --repeat 3 --out /tmp/results.md

It prints markdown tables and writes them to ``bench/results_network.md`` (``--out``).
What is timed, and how, is described in ``bench/README.md``; in short:

- *ours*: the public functions the app and the CLI call (``geo.network.routing.snap_points`` for
  the facilities + ``nearest_facility``; ``geo.network.isochrones.facility_isochrones``;
  ``snap_points`` + ``facility_origin_costs`` + ``two_step_fca``, the sequence of
  ``geo.decide.access.network_access_table``). Origins (every node of the largest strongly
  connected component) are snapped once per network, outside the timings, and that
  snapping is reported on its own.
- *networkx, one search per facility*: ``single_source_dijkstra_path_length`` (nearest,
  2SFCA) or ``ego_graph`` + convex hull per band (isochrones, the osmnx example), on a
  ``DiGraph`` with the reversed edges. Where a sample of ``k`` facilities is timed, the
  time is ``N ×`` the median per facility and the table says "extrapolated from k of N".
- *networkx multi-source*: ``multi_source_dijkstra_path_length`` (the search of
  ``multi_source_dijkstra`` without building a path per node).
- *lower bound*: one full single-source ``scipy.sparse.csgraph.dijkstra`` over the same
  (reversed) graph, timed interleaved with ours.
- *before*: the same calls of ``geo.network.routing`` and ``geo.network.isochrones`` as they were at
  commit :data:`BASELINE_COMMIT` (read with ``git show`` and loaded as private modules), timed in the
  same run, so one run shows before and after side by side (``--no-before`` skips them).

Times are medians of CPU seconds (``time.process_time``: the machine may be shared, and all of
this runs on one thread), with the wall-clock median of our calls beside them. Memory: the
``tracemalloc`` peak of one extra call (numpy and Python allocations; memory malloc'ed inside C
libraries such as GEOS or scipy's heap is not seen) and the peak growth of the resident set during
the timed calls (Linux ``VmHWM``, reset through ``/proc/self/clear_refs``; sees everything).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import math
import os
import platform
import subprocess
import sys
import time
import tracemalloc
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Self

import geopandas as gpd
import networkx as nx
import numpy as np
import scipy
import shapely
from scipy import sparse
from scipy.sparse import csgraph

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # also runnable as `python bench/bench_network.py`

from bench.proc import status_kb, trim
from geo.data.networks import build_network
from geo.network import isochrones, routing
from geo.network.graph import Network, from_edges
from geo.network.routing import DEFAULT_STEP_WEIGHTS as E2SFCA_WEIGHTS
from geo.network.routing import MAX_SNAP_M
from geo.schema import FACILITY_ID, WORK_CRS
from geo.units import default_speed_kmh

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
#: The code measured as *before*: main before the routing-at-scale work (issue 13, item 5).
BASELINE_COMMIT = "0facb18"
#: Real fixtures: (label, path below ../shared/data, mode).
FIXTURES = (
    ("Delft centre walk (GraphML)", "osm_delft_centre_walk_graphml/delft_centre_walk.graphml", "walk"),
    ("Amsterdam centre walk (.osm.gz)", "osm_amsterdam_fixtures/amsterdam_centre.osm.gz", "walk"),
    ("Amsterdam centre bike (.osm.gz)", "osm_amsterdam_fixtures/amsterdam_centre.osm.gz", "bike"),
)
#: Synthetic grids: label → nodes per side (side² nodes).
GRID_SIDES = {"10k": 100, "100k": 317, "1M": 1000}
#: Grid block size, metres: ~1,600 nodes/km² (the real fixtures: 2,000–2,300, mean edge 12–17 m).
GRID_SPACING_M = 25.0
#: Street lengths are spacing × U(1, 1.2), the same both ways, so that shortest paths are not all ties.
GRID_DETOUR = (1.0, 1.2)
SEED = 20_240_601
BANDS_MIN = (5.0, 10.0, 15.0)
N_FAC = (50, 500)
N_ISO = 50
N_2SFCA = 500
#: Stop repeating a measurement once it has used this many seconds (at least one run is kept).
BUDGET_S = 3.0
#: No extra tracemalloc run for calls slower than this (the RSS peak of the timed runs is still reported).
TRACE_MAX_S = 5.0


# --------------------------------------------------------------------------- measuring
class RssPeak:
    """Peak growth of the resident set during a block, MB (None where /proc does not allow it)."""

    def __enter__(self) -> Self:
        trim()
        self.before = status_kb("VmRSS")
        try:
            Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
            self.ok = self.before is not None
        except OSError:
            self.ok = False
        self.mb: float | None = None
        return self

    def __exit__(self, *exc: object) -> None:
        hwm = status_kb("VmHWM")
        if self.ok and hwm is not None and self.before is not None:
            self.mb = max(0.0, (hwm - self.before) / 1024.0)


class Clock:
    """CPU seconds of this process (``time.process_time``) and wall seconds (``time.perf_counter``).

    CPU time is the measure reported: on a shared machine it does not count the time another
    process holds the core. Everything timed here runs on one thread, so without competition the
    two agree (the wall time of our calls is reported beside it).
    """

    def __enter__(self) -> Self:
        self.cpu0, self.wall0 = time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cpu = time.process_time() - self.cpu0
        self.wall = time.perf_counter() - self.wall0


@dataclass
class Timing:
    """Runs of one call: CPU and wall seconds, the largest RSS growth, the tracemalloc peak."""

    cpu: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    rss_mb: float | None = None
    traced_mb: float | None = None

    @property
    def median(self) -> float:
        return float(np.median(self.cpu)) if self.cpu else math.nan

    @property
    def wall_median(self) -> float:
        return float(np.median(self.wall)) if self.wall else math.nan

    @property
    def n(self) -> int:
        return len(self.cpu)


def _run(fn: Callable[[], Any], timing: Timing) -> Any:
    with RssPeak() as rss, Clock() as clock:
        out = fn()
    timing.cpu.append(clock.cpu)
    timing.wall.append(clock.wall)
    if rss.mb is not None:
        timing.rss_mb = max(timing.rss_mb or 0.0, rss.mb)
    return out


def measure(fn: Callable[[], Any], repeat: int, *, trace: bool = True) -> tuple[Timing, Any]:
    """Time ``fn`` up to ``repeat`` times (fewer once :data:`BUDGET_S` is used), then one traced call."""
    timing = Timing()
    out = None
    for _ in range(repeat):
        out = _run(fn, timing)
        if sum(timing.wall) > BUDGET_S:
            break
    if trace and timing.median <= TRACE_MAX_S:
        timing.traced_mb = traced_peak_mb(fn)
    return timing, out


def measure_pair(ours: Callable[[], Any], ref: Callable[[], Any], repeat: int) -> tuple[Timing, Timing, Any]:
    """Time ``ours`` and ``ref`` alternately, so that load from other processes hits both alike."""
    t_ours, t_ref = Timing(), Timing()
    out = None
    for _ in range(repeat):
        _run(ref, t_ref)
        out = _run(ours, t_ours)
        if sum(t_ours.wall) + sum(t_ref.wall) > BUDGET_S:
            break
    if t_ours.median <= TRACE_MAX_S:
        t_ours.traced_mb = traced_peak_mb(ours)
    return t_ours, t_ref, out


def traced_peak_mb(fn: Callable[[], Any]) -> float:
    trim()
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


# --------------------------------------------------------------------------- networks
def grid_network(side: int, *, spacing_m: float = GRID_SPACING_M, seed: int = SEED) -> Network:
    """A ``side × side`` street grid, both directions, built like ``tests.test_access.grid_network``.

    Lengths are ``spacing_m × U(1, 1.2)`` per street (seeded), the same in both directions.
    """
    rng = np.random.default_rng(seed)
    xs = 120_000.0 + np.arange(side) * spacing_m  # RD, around Utrecht
    ys = 450_000.0 + np.arange(side) * spacing_m
    gx, gy = np.meshgrid(xs, ys)
    ids = np.arange(side * side).reshape(side, side)
    h = np.column_stack([ids[:, :-1].ravel(), ids[:, 1:].ravel()])
    v = np.column_stack([ids[:-1, :].ravel(), ids[1:, :].ravel()])
    e = np.vstack([h, v])
    length = spacing_m * rng.uniform(*GRID_DETOUR, len(e))
    src, dst = np.r_[e[:, 0], e[:, 1]], np.r_[e[:, 1], e[:, 0]]
    return from_edges(
        gx.ravel(), gy.ravel(), src, dst, np.r_[length, length], mode="walk", meta={"source": f"grid {side}x{side}"}
    )


def reversed_digraph(net: Network) -> nx.DiGraph:
    """networkx graph with every edge reversed (searches *from* a facility give node → facility distances)."""
    g = nx.DiGraph()
    g.add_nodes_from(range(net.n_nodes))
    g.add_weighted_edges_from(
        zip(net.indices.tolist(), net.edge_from().tolist(), net.length_m.tolist(), strict=True), weight="length"
    )
    return g


def network_mb(net: Network) -> float:
    return sum(a.nbytes for a in (net.x, net.y, net.indptr, net.indices, net.length_m, net.node_id)) / 2**20


# --------------------------------------------------------------------------- before: the baseline commit
@dataclass(frozen=True)
class Baseline:
    """``geo.network.routing`` and ``geo.network.isochrones`` as they were at :data:`BASELINE_COMMIT`."""

    commit: str
    routing: types.ModuleType
    isochrones: types.ModuleType

    def snapped(self, new: routing.Snapped) -> Any:
        """The same snapped points as the baseline's own ``Snapped`` (its routing functions check the type)."""
        keep = {f.name for f in fields(self.routing.Snapped)}
        return self.routing.Snapped(**{f.name: getattr(new, f.name) for f in fields(new) if f.name in keep})


def _module_at(commit: str, path: str, name: str) -> types.ModuleType:
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{commit}:{path}"], capture_output=True, text=True, check=True
    ).stdout
    module = types.ModuleType(name)
    module.__file__ = f"{commit}:{path}"
    sys.modules[name] = module  # dataclasses look their module up while the class is made
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module


def load_baseline(commit: str = BASELINE_COMMIT) -> Baseline | None:
    """The baseline modules, or None (with a message) where git or the commit is not available."""
    try:
        old_routing = _module_at(commit, "geo/network/routing.py", "_bench_before_routing")
        old_iso = _module_at(commit, "geo/network/isochrones.py", "_bench_before_isochrones")
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"No 'before' figures: cannot read commit {commit} ({exc}).", file=sys.stderr)
        return None
    # Its isochrones imported today's routing; route them through the routing of the same commit.
    old_iso.routing = old_routing  # type: ignore[attr-defined]
    old_iso.Snapped = old_routing.Snapped  # type: ignore[attr-defined]
    return Baseline(commit, old_routing, old_iso)


def super_source_nearest(net: Network, facilities: routing.Snapped) -> tuple[np.ndarray, np.ndarray]:
    """Alternative search for the nearest facility: one virtual super-source joined at 0 m to every facility's
    virtual node, one single-source search with predecessors, the facility found by pointer jumping up the tree."""
    aug, fac = routing._augmented_reverse(net, facilities, include_snap=True)
    m, n, k = aug.shape[0], net.n_nodes, len(fac)
    # Explicit zero weights are kept by csgraph as edges (see routing._augmented_reverse).
    s = sparse.csr_matrix(
        (np.r_[aug.data, np.zeros(k)], np.r_[aug.indices, n + np.arange(k)].astype(aug.indices.dtype),
         np.r_[aug.indptr, aug.indptr[-1] + k]),
        shape=(m + 1, m + 1),
    )
    dist, pred = csgraph.dijkstra(s, indices=m, return_predecessors=True)
    root = pred.copy()
    root[n:] = np.arange(n, m + 1)  # the virtual nodes (and the super-source) are their own roots
    unreached = root < 0
    root[unreached] = np.flatnonzero(unreached)
    while True:
        up = root[root]
        if np.array_equal(up, root):
            break
        root = up
    return dist[:n], np.where(root[:n] >= n, root[:n] - n, -1)


# --------------------------------------------------------------------------- baselines
def nx_nearest_one(g: nx.DiGraph, fac_node: int, best: np.ndarray, which: np.ndarray, j: int) -> None:
    """One search per facility: full single-source Dijkstra, then keep the nearer facility per node."""
    lengths = nx.single_source_dijkstra_path_length(g, fac_node, weight="length")
    idx = np.fromiter(lengths.keys(), dtype=np.int64, count=len(lengths))
    d = np.fromiter(lengths.values(), dtype=np.float64, count=len(lengths))
    better = d < best[idx]
    best[idx[better]] = d[better]
    which[idx[better]] = j


def nx_multi_nearest(g: nx.DiGraph, fac_nodes: np.ndarray, n: int, cutoff: float | None = None) -> np.ndarray:
    """networkx multi-source Dijkstra (distances only), as an array over the nodes (inf where unreached)."""
    lengths = nx.multi_source_dijkstra_path_length(g, set(fac_nodes.tolist()), cutoff=cutoff, weight="length")
    out = np.full(n, np.inf)
    out[np.fromiter(lengths.keys(), dtype=np.int64, count=len(lengths))] = np.fromiter(
        lengths.values(), dtype=np.float64, count=len(lengths)
    )
    return out


def nx_isochrones(
    g: nx.DiGraph, net: Network, fac_nodes: np.ndarray, limits_m: np.ndarray
) -> tuple[list[float], float]:
    """The osmnx isochrone example: per facility and band an ``ego_graph``, the convex hull of its nodes.

    Returns the CPU seconds per facility (all bands) and of the union per band of the hulls.
    """
    per_facility: list[float] = []
    hulls: list[list[shapely.Geometry]] = [[] for _ in limits_m]
    for node in fac_nodes.tolist():
        with Clock() as clock:
            for b, limit in enumerate(limits_m):
                sub = nx.ego_graph(g, node, radius=float(limit), distance="length")
                nodes = np.fromiter(sub.nodes, dtype=np.int64)
                hulls[b].append(shapely.multipoints(np.column_stack([net.x[nodes], net.y[nodes]])).convex_hull)
        per_facility.append(clock.cpu)
    with Clock() as clock:
        [shapely.union_all(h) for h in hulls]
    return per_facility, clock.cpu


def nx_2sfca(
    g: nx.DiGraph,
    fac_nodes: np.ndarray,
    origin_nodes: np.ndarray,
    n: int,
    demand: np.ndarray,
    supply: np.ndarray,
    limits_m: np.ndarray,
    per_facility: list[float],
) -> np.ndarray:
    """Enhanced 2SFCA from one cut-off search per facility (the step weights of ``geo.decide.access``)."""
    pos = np.full(n, -1, dtype=np.int64)
    pos[origin_nodes] = np.arange(len(origin_nodes))
    parts_f, parts_o, parts_d = [], [], []
    for j, node in enumerate(fac_nodes.tolist()):
        with Clock() as clock:
            lengths = nx.single_source_dijkstra_path_length(g, node, cutoff=float(limits_m[-1]), weight="length")
            idx = np.fromiter(lengths.keys(), dtype=np.int64, count=len(lengths))
            d = np.fromiter(lengths.values(), dtype=np.float64, count=len(lengths))
            o = pos[idx]
            keep = o >= 0
            parts_f.append(np.full(int(keep.sum()), j))
            parts_o.append(o[keep])
            parts_d.append(d[keep])
        per_facility.append(clock.cpu)
    f, o, d = np.concatenate(parts_f), np.concatenate(parts_o), np.concatenate(parts_d)
    w = np.r_[np.asarray(E2SFCA_WEIGHTS), 0.0][np.searchsorted(limits_m, d, side="left")]
    weighted = np.bincount(f, weights=w * demand[o], minlength=len(fac_nodes))
    ratio = np.divide(supply, weighted, out=np.zeros(len(fac_nodes)), where=weighted > 0)
    return np.bincount(o, weights=w * ratio[f], minlength=len(origin_nodes))


# --------------------------------------------------------------------------- one network
@dataclass(frozen=True)
class Plan:
    """How much of the networkx baselines to run on one network."""

    repeat: int  # timed runs of our calls
    nx_repeat: int  # timed runs of a networkx multi-source search
    k_nearest: int  # facilities sampled for the one-search-per-facility nearest baseline
    k_iso: int  # facilities sampled for the ego_graph isochrone baseline
    k_2sfca: int  # facilities sampled for the per-facility 2SFCA baseline
    multi_counts: tuple[int, ...]  # facility counts for which the multi-source nearest search runs
    run_nx: bool


@dataclass
class Row:
    case: str
    network: str
    nodes: int
    edges: int
    ours: Timing
    per_fac_s: float | None = None
    per_fac_note: str = ""
    per_fac_mb: float | None = None
    multi_s: float | None = None
    multi_note: str = ""
    multi_mb: float | None = None
    lower_s: float | None = None
    agree: str = "–"
    is_grid: bool = False
    before: Timing | None = None  # the same call at BASELINE_COMMIT
    before_lower_s: float | None = None  # the SSSP timed interleaved with it


@dataclass
class Setup:
    network: str
    nodes: int
    edges: int
    lcc: int
    net_mb: float
    build_s: float
    snap_cold_s: float
    warm_s: float
    nx_build_s: float | None
    nx_mb: float | None
    speed_kmh: float


def _sampled(per_facility: list[float], n_total: int) -> tuple[float, str]:
    """``n_total ×`` the median CPU seconds of one facility, and the note saying how many were timed."""
    k = len(per_facility)
    note = f"extrapolated from {k} of {n_total}" if k < n_total else ""
    return float(np.median(per_facility)) * n_total if k < n_total else float(np.sum(per_facility)), note


def bench_network(
    label: str, net: Network, build_s: float, plan: Plan, *, is_grid: bool, base: Baseline | None = None
) -> tuple[Setup, list[Row], list[list[str]]]:
    print(f"\n## {label}: {net.n_nodes:,} nodes, {net.n_edges:,} edges", flush=True)
    rng = np.random.default_rng(SEED)
    lcc_nodes = np.flatnonzero(net.largest_component())
    origins_xy = np.column_stack([net.x[lcc_nodes], net.y[lcc_nodes]])
    fac_nodes_all = rng.choice(lcc_nodes, max(N_FAC), replace=False)
    speed = default_speed_kmh(net.mode, "child")
    limits = isochrones.limits_for_minutes(BANDS_MIN, speed)
    n = net.n_nodes

    # Setup: snapping every origin builds the segment table and the STRtree (cached on the network);
    # one nearest_facility call builds the reversed matrix and the per-direction segment lengths.
    with Clock() as c_snap:
        origins = routing.snap_points(net, origins_xy, max_snap_m=MAX_SNAP_M)
    with Clock() as c_warm:
        routing.nearest_facility(net, origins, routing.snap_points(net, origins_xy[:1]))
    print(f"  snap {len(lcc_nodes):,} origins: {c_snap.cpu:.2f} s CPU first call", flush=True)

    g = None
    nx_build = nx_mb = None
    if plan.run_nx:
        with RssPeak() as rss, Clock() as c_nx:
            g = reversed_digraph(net)
        nx_build, nx_mb = c_nx.cpu, rss.mb
        print(f"  networkx DiGraph: {nx_build:.1f} s CPU", flush=True)

    rows: list[Row] = []
    variants: list[list[str]] = []

    def row(case: str, ours: Timing, **kw: Any) -> Row:
        r = Row(case, label, n, net.n_edges, ours, is_grid=is_grid, **kw)
        rows.append(r)
        return r

    # ---- nearest facility for every origin, 50 and 500 facilities
    ref_node = int(lcc_nodes[0])
    rev = net.reverse_matrix()
    per_search: list[float] = []
    per_search_mb: float | None = None
    if g is not None:
        # The same full search serves both facility counts: time a sample once.
        best, which = np.full(n, np.inf), np.full(n, -1)
        with RssPeak() as rss:
            for j in range(min(plan.k_nearest, max(N_FAC))):
                with Clock() as clock:
                    nx_nearest_one(g, int(fac_nodes_all[j]), best, which, j)
                per_search.append(clock.cpu)
        per_search_mb = rss.mb
    for n_fac in N_FAC:
        fac_nodes = fac_nodes_all[:n_fac]
        fac_xy = np.column_stack([net.x[fac_nodes], net.y[fac_nodes]])

        def ours_nearest(fac_xy: np.ndarray = fac_xy) -> tuple[np.ndarray, np.ndarray]:
            fac = routing.snap_points(net, fac_xy, max_snap_m=MAX_SNAP_M)
            return routing.nearest_facility(net, origins, fac)

        fac_pre = routing.snap_points(net, fac_xy, max_snap_m=MAX_SNAP_M)
        t_ours, t_ref, (dist, _) = measure_pair(
            ours_nearest, lambda: csgraph.dijkstra(rev, indices=ref_node), plan.repeat
        )
        t_route, t_ref2, (dist2, _) = measure_pair(
            lambda fac=fac_pre: routing.nearest_facility(net, origins, fac),
            lambda: csgraph.dijkstra(rev, indices=ref_node),
            plan.repeat,
        )
        r = row(f"nearest, {n_fac} facilities", t_ours, lower_s=t_ref.median)
        r2 = row(f"nearest, {n_fac} facilities, route only", t_route, lower_s=t_ref2.median)
        if base is not None:
            o_old, f_old = base.snapped(origins), base.snapped(fac_pre)

            def old_nearest(
                fac_xy: np.ndarray = fac_xy, b: Baseline = base, o_old: Any = o_old
            ) -> tuple[np.ndarray, np.ndarray]:
                return b.routing.nearest_facility(net, o_old, b.routing.snap_points(net, fac_xy, max_snap_m=MAX_SNAP_M))

            r.before, t_ref3, (dist_old, _) = measure_pair(
                old_nearest, lambda: csgraph.dijkstra(rev, indices=ref_node), plan.repeat
            )
            r2.before, t_ref4, _ = measure_pair(
                lambda b=base, o_old=o_old, f_old=f_old: b.routing.nearest_facility(net, o_old, f_old),
                lambda: csgraph.dijkstra(rev, indices=ref_node),
                plan.repeat,
            )
            r.before_lower_s, r2.before_lower_s = t_ref3.median, t_ref4.median
            before_same = np.array_equal(dist, dist_old)
        if is_grid and net.n_nodes >= 50_000 and net.n_nodes < 500_000:
            # The search alone, three ways (which is fastest is kept in routing.nearest_facility).
            aug, fac_pos = routing._augmented_reverse(net, fac_pre, include_snap=True)
            k_fac = len(fac_pos)
            t_multi_s, t_ref5, (d_multi, _, src_multi) = measure_pair(
                lambda aug=aug, k=k_fac: csgraph.dijkstra(
                    aug, indices=n + np.arange(k), min_only=True, return_predecessors=True
                ),
                lambda: csgraph.dijkstra(rev, indices=ref_node),
                max(plan.repeat, 7),
            )
            t_super, t_ref6, (d_super, which_super) = measure_pair(
                lambda fac=fac_pre: super_source_nearest(net, fac),
                lambda: csgraph.dijkstra(rev, indices=ref_node),
                max(plan.repeat, 7),
            )
            t_plain, t_ref7, _ = measure_pair(
                lambda aug=aug, k=k_fac: csgraph.dijkstra(aug, indices=n + np.arange(k), min_only=True),
                lambda: csgraph.dijkstra(rev, indices=ref_node),
                max(plan.repeat, 7),
            )
            reached = np.isfinite(d_multi[:n])
            same = np.array_equal(d_multi[:n], d_super) and np.array_equal(src_multi[:n][reached] - n,
                                                                         which_super[reached])
            mid = int(np.argmin(np.hypot(net.x - net.x.mean(), net.y - net.y.mean())))
            t_mid = Timing()
            for _ in range(max(plan.repeat, 7)):
                _run(lambda mid=mid: csgraph.dijkstra(rev, indices=mid), t_mid)
            for name, t, t_r in (
                ("multi-source `min_only=True` with predecessors (kept)", t_multi_s, t_ref5),
                ("super-source, predecessors, pointer jumping to the facility", t_super, t_ref6),
                ("multi-source `min_only=True`, distances only (no facility)", t_plain, t_ref7),
            ):
                variants.append([
                    label, str(n_fac), name, _s(t.median), _s(t_r.median), _ratio(t.median, t_r.median),
                    _ratio(t.median, t_mid.median), "identical" if same else "differ",
                ])
        if g is not None:
            r.per_fac_s, r.per_fac_note = _sampled(per_search, n_fac)
            r.per_fac_mb = per_search_mb
            if n_fac in plan.multi_counts:
                t_multi = Timing()
                expected = np.empty(0)
                for _ in range(plan.nx_repeat):
                    expected = _run(lambda fn=fac_nodes: nx_multi_nearest(g, fn, n), t_multi)
                    if sum(t_multi.wall) > BUDGET_S:
                        break
                r.multi_s, r.multi_mb = t_multi.median, t_multi.rss_mb
                r.multi_note = f"n={t_multi.n}"
                r.agree = f"max Δ {np.max(np.abs(dist - expected[lcc_nodes])):.1e} m"
                r2.agree = f"max Δ {np.max(np.abs(dist2 - expected[lcc_nodes])):.1e} m"
            else:
                r.multi_note = "not run, see --full"
            for attr in ("per_fac_s", "per_fac_note", "per_fac_mb", "multi_s", "multi_note", "multi_mb"):
                setattr(r2, attr, getattr(r, attr))
        if base is not None:
            r.agree = ("" if r.agree == "–" else r.agree + "; ") + ("= before" if before_same else "≠ before")
        print(
            f"  nearest {n_fac}: {t_ours.median:.3f} s, route only {t_route.median:.3f} s "
            f"(lower bound {t_ref.median:.3f} s)",
            flush=True,
        )

    # ---- isochrones, 50 facilities × 3 bands: per facility (CLI default) and dissolved (the app)
    iso_nodes = fac_nodes_all[:N_ISO]
    fac_gdf = gpd.GeoDataFrame(
        {FACILITY_ID: [f"f{i}" for i in range(N_ISO)]},
        geometry=shapely.points(net.x[iso_nodes], net.y[iso_nodes]),
        crs=WORK_CRS,
    )
    iso_per_fac: list[float] = []
    iso_union = 0.0
    iso_mb = None
    if g is not None:
        with RssPeak() as rss:
            iso_per_fac, iso_union = nx_isochrones(g, net, iso_nodes[: plan.k_iso], limits)
        iso_mb = rss.mb
    for dissolve in (False, True):
        t_iso, (gdf, _) = measure(
            lambda d=dissolve: isochrones.facility_isochrones(net, fac_gdf, BANDS_MIN, speed, dissolve=d), plan.repeat
        )
        case = f"isochrones {N_ISO} × {len(BANDS_MIN)} bands" + (", dissolved" if dissolve else ", per facility")
        r = row(case, t_iso, agree=f"{len(gdf)} polygons")
        if base is not None:
            r.before, (gdf_old, _) = measure(
                lambda d=dissolve, b=base: b.isochrones.facility_isochrones(
                    net, fac_gdf, BANDS_MIN, speed, dissolve=d
                ),
                plan.repeat,
            )
            same_polys = len(gdf) == len(gdf_old) and all(
                shapely.equals_exact(shapely.normalize(a), shapely.normalize(b), tolerance=0.0)
                for a, b in zip(gdf.geometry, gdf_old.geometry, strict=True)
            )
            r.agree += "; = before" if same_polys else "; ≠ before"
        if g is not None:
            s, note = _sampled(iso_per_fac, N_ISO)
            r.per_fac_s = s + (iso_union if dissolve else 0.0)
            r.per_fac_note = "ego_graph + hull" + (" + union" if dissolve else "") + (f", {note}" if note else "")
            r.per_fac_mb = iso_mb
            if dissolve:
                t_multi = Timing()
                for _ in range(plan.nx_repeat):
                    _run(lambda: nx_multi_nearest(g, iso_nodes, n, cutoff=float(limits[-1])), t_multi)
                r.multi_s, r.multi_mb = t_multi.median, t_multi.rss_mb
                r.multi_note = "search only"
            else:
                r.multi_note = "n/a"
        print(f"  {case}: {t_iso.median:.3f} s", flush=True)

    # ---- enhanced 2SFCA, 500 facilities, catchment = the widest band
    demand = rng.integers(0, 20, len(lcc_nodes)).astype(np.float64)
    supply_all = rng.integers(10, 200, N_2SFCA).astype(np.float64)
    steps = list(zip(limits.tolist(), E2SFCA_WEIGHTS, strict=True))

    def ours_2sfca(fac_nodes: np.ndarray = fac_nodes_all[:N_2SFCA], supply: np.ndarray = supply_all) -> np.ndarray:
        fac = routing.snap_points(net, np.column_stack([net.x[fac_nodes], net.y[fac_nodes]]), max_snap_m=MAX_SNAP_M)
        costs = routing.facility_origin_costs(net, origins, fac, limit_m=float(limits[-1]))
        return routing.two_step_fca(costs, demand, supply, catchment_m=float(limits[-1]), decay="step", steps=steps)

    t_fca, acc_all = measure(ours_2sfca, plan.repeat)
    r = row(f"2SFCA, {N_2SFCA} facilities", t_fca)
    if base is not None:
        o_old = base.snapped(origins)

        def old_2sfca(b: Baseline = base, fac_nodes: np.ndarray = fac_nodes_all[:N_2SFCA]) -> np.ndarray:
            fac = b.routing.snap_points(net, np.column_stack([net.x[fac_nodes], net.y[fac_nodes]]),
                                        max_snap_m=MAX_SNAP_M)
            costs = b.routing.facility_origin_costs(net, o_old, fac, limit_m=float(limits[-1]))
            return b.routing.two_step_fca(costs, demand, supply_all, catchment_m=float(limits[-1]), decay="step",
                                          steps=steps)

        r.before, acc_old = measure(old_2sfca, plan.repeat)
        r.agree = "= before" if np.array_equal(acc_all, acc_old) else "≠ before"
    if g is not None:
        k = min(plan.k_2sfca, N_2SFCA)
        sample = fac_nodes_all[:k]
        per_fac: list[float] = []
        with RssPeak() as rss:
            expected = nx_2sfca(g, sample, lcc_nodes, n, demand, supply_all[:k], limits, per_fac)
        r.per_fac_s, r.per_fac_note = _sampled(per_fac, N_2SFCA)
        r.per_fac_mb = rss.mb
        r.multi_note = "n/a"
        # Check on the same facilities the baseline used (an untimed call of ours when sampled).
        acc = ours_2sfca(sample, supply_all[:k])
        scale = max(float(np.max(np.abs(expected))), 1e-300)
        r.agree = (
            f"max rel Δ {np.max(np.abs(acc - expected)) / scale:.1e}" + (f" ({k} fac.)" if k < N_2SFCA else "")
            + ("" if base is None else f"; {r.agree}")
        )
    print(f"  2SFCA {N_2SFCA}: {t_fca.median:.3f} s", flush=True)

    setup = Setup(
        label, n, net.n_edges, len(lcc_nodes), network_mb(net), build_s, c_snap.cpu, c_warm.cpu,
        nx_build, nx_mb, speed,
    )
    trim()
    return setup, rows, variants


# --------------------------------------------------------------------------- report
def _s(x: float | None) -> str:
    if x is None or not np.isfinite(x):
        return "–"
    return f"{x:.3g}" if x < 100 else f"{x:.0f}"


def _mb(x: float | None) -> str:
    return "–" if x is None else f"{x:.1f}"


def _ratio(num: float | None, den: float | None) -> str:
    if num is None or den is None or not (np.isfinite(num) and np.isfinite(den)) or den <= 0:
        return "–"
    q = num / den
    return f"{q:.0f}×" if q >= 100 else f"{q:.3g}×"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def setup_table(setups: list[Setup]) -> str:
    return table(
        ["network", "nodes", "edges", "origins (LCC nodes)", "Network arrays MB", "build s (wall)",
         "snap origins s", "cache warm-up s", "networkx DiGraph build s", "networkx graph RSS MB",
         "speed km/h"],
        [
            [s.network, f"{s.nodes:,}", f"{s.edges:,}", f"{s.lcc:,}", _mb(s.net_mb), _s(s.build_s),
             _s(s.snap_cold_s), _s(s.warm_s), _s(s.nx_build_s), _mb(s.nx_mb),
             f"{s.speed_kmh:g}"]
            for s in setups
        ],
    )


def timing_table(rows: list[Row]) -> str:
    out = []
    for r in rows:
        per_fac = _s(r.per_fac_s) + (f" ({r.per_fac_note})" if r.per_fac_note else "")
        multi = _s(r.multi_s) + (f" ({r.multi_note})" if r.multi_note else "")
        before = r.before.median if r.before is not None else None
        out.append([
            r.case, r.network, f"{r.nodes:,}", f"{r.edges:,}", f"{_s(r.ours.median)} (n={r.ours.n})",
            _s(r.ours.wall_median), "–" if r.before is None else f"{_s(before)} (n={r.before.n})",
            _ratio(before, r.ours.median), per_fac, multi,
            _ratio(r.per_fac_s, r.ours.median), _ratio(r.multi_s, r.ours.median),
            _s(r.lower_s), _ratio(r.ours.median, r.lower_s), _ratio(before, r.before_lower_s), r.agree,
        ])
    return table(
        ["case", "network", "nodes", "edges", "ours s", "ours wall s", "before s", "before / ours",
         "networkx per facility s", "networkx multi-source s",
         "per-facility / ours", "multi-source / ours", "1 scipy SSSP s", "ours / SSSP", "before / SSSP", "check"],
        out,
    )


def before_after_table(rows: list[Row]) -> str:
    """The three cases of issue 13, item 5, before and after, from the rows of this run."""
    out = []
    for r in rows:
        if r.before is None or not r.is_grid:
            continue
        if r.case.startswith("nearest") and r.network.startswith("grid 100k"):
            out.append([r.case, r.network, "CPU s / one scipy SSSP", _ratio(r.before.median, r.before_lower_s),
                        _ratio(r.ours.median, r.lower_s), "≤ 2×"])
        if r.case.startswith("2SFCA") and r.per_fac_s is not None:
            out.append([r.case, r.network, "CPU s (networkx per facility: " + _s(r.per_fac_s) + " s)",
                        _s(r.before.median), _s(r.ours.median), f"< {_s(r.per_fac_s)}"])
        if r.case.endswith("dissolved"):
            out.append([r.case, r.network, "peak MB traced (RSS growth)",
                        f"{_mb(r.before.traced_mb)} ({_mb(r.before.rss_mb)})",
                        f"{_mb(r.ours.traced_mb)} ({_mb(r.ours.rss_mb)})", "follows the reached area"])
    return table(["case", "network", "measure", "before", "after", "goal"], out)


def variants_table(variants: list[list[str]]) -> str:
    return table(
        ["network", "facilities", "search", "CPU s", "1 scipy SSSP s (corner node)", "/ SSSP corner",
         "/ SSSP central node", "distances and facility"],
        variants,
    )


def memory_table(rows: list[Row]) -> str:
    out = []
    for r in rows:
        traced = r.ours.traced_mb
        out.append([
            r.case, r.network, f"{r.edges:,}", _mb(traced), _mb(r.ours.rss_mb),
            "–" if traced is None else f"{traced * 2**20 / r.edges:.0f}",
            _mb(None if r.before is None else r.before.traced_mb), _mb(None if r.before is None else r.before.rss_mb),
            _mb(r.per_fac_mb), _mb(r.multi_mb),
        ])
    return table(
        ["case", "network", "edges", "ours peak MB (tracemalloc)", "ours peak RSS growth MB", "ours traced bytes/edge",
         "before peak MB (tracemalloc)", "before peak RSS growth MB",
         "networkx per facility peak RSS growth MB", "networkx multi-source peak RSS growth MB"],
        out,
    )


def targets(rows: list[Row]) -> tuple[str, list[str]]:
    """The issue's targets, each with PASS/FAIL (or 'not measured')."""
    lines: list[str] = []
    verdicts: list[str] = []

    def verdict(ok: bool | None) -> str:
        v = "not measured" if ok is None else ("PASS" if ok else "FAIL")
        verdicts.append(v)
        return v

    grid100 = [r for r in rows if r.is_grid and r.network.startswith("grid 100k")]
    for r in (r for r in grid100 if r.case.startswith("nearest")):
        q = r.ours.median / r.lower_s if r.lower_s else None
        lines.append(
            f"- {r.case.capitalize()}, 100k grid: ours {_s(r.ours.median)} s = "
            f"{'–' if q is None else f'{q:.2f}'}× one scipy single-source Dijkstra ({_s(r.lower_s)} s); "
            f"target ≤ 2×: **{verdict(None if q is None else q <= 2.0)}**."
        )
        q = r.per_fac_s / r.ours.median if r.per_fac_s else None
        lines.append(
            f"- {r.case.capitalize()}, 100k grid: networkx one search per facility "
            f"{_s(r.per_fac_s)} s ({r.per_fac_note or 'measured'}) = {_ratio(r.per_fac_s, r.ours.median)} ours; "
            f"target ≥ 300×: **{verdict(None if q is None else q >= 300)}** "
            f"(networkx multi-source: {_ratio(r.multi_s, r.ours.median)})."
        )
    for r in (r for r in grid100 if r.case.startswith("isochrones")):
        lines.append(
            f"- {r.case.capitalize()}, 100k grid: {_s(r.ours.median)} s; target < 2 s: "
            f"**{verdict(r.ours.median < 2.0)}**."
        )
    for r in (r for r in rows if r.is_grid and r.case.startswith("2SFCA") and r.network.startswith("grid 1M")):
        ok = None if r.per_fac_s is None else r.ours.median < r.per_fac_s
        before = "" if r.before is None else f" (before: {_s(r.before.median)} s)"
        lines.append(
            f"- {r.case}, 1M grid: ours {_s(r.ours.median)} s{before}, networkx one cut-off search per facility "
            f"{_s(r.per_fac_s)} s ({r.per_fac_note or 'measured'}); target faster than networkx: **{verdict(ok)}**."
        )
    if not grid100:
        lines.append("- The 100k grid was not run: **not measured** for the nearest-facility and isochrone targets.")
        verdicts.append("not measured")
    # Memory linear in edges: the growth exponent of the traced peak between consecutive grid sizes.
    grids = sorted({(r.edges, r.network) for r in rows if r.is_grid})
    exps: list[str] = []
    worst = -math.inf
    for case in dict.fromkeys(r.case for r in rows):
        pts = [
            (r.edges, r.ours.traced_mb if r.ours.traced_mb is not None else r.ours.rss_mb)
            for r in rows if r.is_grid and r.case == case
        ]
        pts = [(e, m) for e, m in sorted(pts) if m is not None and m > 0]
        if len(pts) < 2:
            continue
        steps = [math.log(m2 / m1) / math.log(e2 / e1) for (e1, m1), (e2, m2) in itertools.pairwise(pts)]
        worst = max(worst, *steps)
        exps.append(f"{case}: " + ", ".join(f"{b:.2f}" for b in steps))
    if len(grids) >= 2 and exps:
        lines.append(
            "- Memory linear in edges: exponent b of peak ∝ edges^b between consecutive grid sizes "
            f"(tracemalloc, RSS where not traced) – {'; '.join(exps)}; target b ≤ 1.1: **{verdict(worst <= 1.1)}**."
        )
    else:
        lines.append("- Memory linear in edges: needs at least two grid sizes: **not measured**.")
        verdicts.append("not measured")
    return "\n".join(lines), verdicts


def machine() -> str:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    try:
        mem_line = next(ln for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal"))
        mem = int(mem_line.split()[1])
    except (OSError, StopIteration):
        pass
    ram = f"{mem / 2**20:.0f} GB RAM" if mem else "RAM unknown"
    return (
        f"{os.cpu_count()} CPUs (`nproc`), {cpu}, {ram}; Python {platform.python_version()}, numpy {np.__version__}, "
        f"scipy {scipy.__version__}, networkx {nx.__version__}, shapely {shapely.__version__}"
    )


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


# --------------------------------------------------------------------------- main
def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--quick", action="store_true", help="fixtures + 10k and 100k grids, 3 repeats")
    p.add_argument("--sizes", help="grid sizes, comma-separated from 10k,100k,1M (default all; --quick: 10k,100k)")
    p.add_argument("--repeat", type=int, help="timed runs of our calls per case (default 5, 3 on 1M; --quick 3)")
    p.add_argument(
        "--full", action="store_true",
        help="larger networkx samples (nearest 50/10/3 searches, all isochrone and 2SFCA facilities) "
        "and the 500-facility multi-source search on 1M too; much slower",
    )
    p.add_argument("--no-fixtures", action="store_true", help="skip the real OSM fixtures")
    p.add_argument("--no-networkx-1m", action="store_true", help="skip the networkx baselines on the 1M grid")
    p.add_argument("--no-before", action="store_true", help=f"skip the 'before' runs of commit {BASELINE_COMMIT}")
    p.add_argument("--out", default=str(ROOT / "bench" / "results_network.md"), help="markdown file to write")
    return p.parse_args(argv)


def make_plan(args: argparse.Namespace, n_nodes: int, *, run_nx: bool) -> Plan:
    huge, big = n_nodes >= 500_000, n_nodes >= 50_000
    repeat = args.repeat or (3 if args.quick or huge else 5)
    if args.full:
        return Plan(repeat, 1 if huge else 3, 3 if huge else (10 if big else 50), N_ISO, N_2SFCA, N_FAC, run_nx)
    return Plan(
        repeat=repeat,
        nx_repeat=1 if big else min(repeat, 3),
        k_nearest=1 if huge else (3 if big else 10),
        k_iso=10,
        k_2sfca=50 if huge else 100,
        multi_counts=(N_FAC[0],) if huge else N_FAC,
        run_nx=run_nx,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = (args.sizes or ("10k,100k" if args.quick else ",".join(GRID_SIDES))).split(",")
    bad = [s for s in sizes if s not in GRID_SIDES]
    if bad:
        print(f"Unknown size(s) {bad}; expected some of {', '.join(GRID_SIDES)}.", file=sys.stderr)
        return 2
    started = time.perf_counter()
    load_start = _load()
    setups: list[Setup] = []
    rows: list[Row] = []
    variants: list[list[str]] = []
    base = None if args.no_before else load_baseline()

    def run(label: str, build: Callable[[], Network], *, is_grid: bool, run_nx: bool = True) -> None:
        t0 = time.perf_counter()
        net = build()
        build_s = time.perf_counter() - t0
        setup, new_rows, new_variants = bench_network(
            label, net, build_s, make_plan(args, net.n_nodes, run_nx=run_nx), is_grid=is_grid, base=base
        )
        setups.append(setup)
        rows.extend(new_rows)
        variants.extend(new_variants)

    if not args.no_fixtures:
        for label, rel, mode in FIXTURES:
            path = SHARED / rel
            if not path.exists():
                print(f"Skipping {label}: {path} not found.", file=sys.stderr)
                continue
            run(label, lambda path=path, mode=mode: build_network(path, mode=mode), is_grid=False)
    for size in sizes:
        side = GRID_SIDES[size]
        run(
            f"grid {size} ({side}×{side}, {GRID_SPACING_M:g} m)", lambda side=side: grid_network(side),
            is_grid=True, run_nx=not (size == "1M" and args.no_networkx_1m),
        )

    total = time.perf_counter() - started
    target_text, _ = targets(rows)
    cmd = "python -m bench.bench_network" + (" " + " ".join(sys.argv[1:]) if argv is None and sys.argv[1:] else "")
    report = "\n\n".join([
        "# Network benchmark results",
        (
            f"Command: `{cmd}` · run {dt.datetime.now().strftime('%Y-%m-%d %H:%M')} · total {total:.0f} s wall · "
            f"load average (1/5/15 min) at start {load_start}, at end {_load()}."
        ),
        f"Machine: {machine()}.",
        (
            "Times are CPU seconds of this process (medians; `ours wall s` is the wall-clock median of the same "
            "runs). `n` is the number of timed runs; networkx baselines marked *extrapolated from k of N* time k "
            "facilities and report N × the median per facility."
        ),
        "## Setup per network\n\n" + setup_table(setups),
        (
            f"## Before and after (before: commit {BASELINE_COMMIT}, same run)\n\n" + before_after_table(rows)
            if base is not None else "## Before and after\n\nNot run (`--no-before`, or git unavailable)."
        ),
        (
            "## Nearest facility: the search alone, three ways\n\n" + variants_table(variants)
            if variants else "## Nearest facility: the search alone\n\nNot run (needs the 100k grid)."
        ),
        "## Timings\n\n" + timing_table(rows),
        "## Peak memory\n\n" + memory_table(rows),
        "## Targets\n\n" + target_text,
        "See `bench/README.md` for what each column means.",
    ]) + "\n"
    print("\n" + report)
    out = Path(args.out)
    out.write_text(report, encoding="utf-8")
    print(f"Wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
