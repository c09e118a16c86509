"""Network distances from points to facilities: snapping, nearest facility, cost tables, 2SFCA.

Pure computation on a :class:`geo.network.graph.Network` (EPSG:28992, metres). Points
(origins, facilities) are placed *on edges*, not on the nearest node: a point is
snapped to the nearest street segment and travels the part of that segment to
either end, if the direction is allowed.

Conventions used throughout:

- A snapped point lies on segment ``(u, v)`` (``u < v``) at fraction ``t`` of the
  segment's *geometry* (0 at ``u``, 1 at ``v``). The part of the segment it travels
  is charged as that fraction of the *network* length of the edge in the direction
  of travel (edge lengths come from OSM and can be longer than the straight segment).
- One-way rules apply to the partial segments too: a point on a one-way street
  ``u → v`` leaves towards ``v`` only, and a facility on it is reached from ``u``
  only. A point exactly at a node (``t`` is 0 or 1) is at that node and may use it
  whatever the direction of the segment it was snapped to.
- All searches that go *to* a set of facilities run on the reversed graph
  (:meth:`Network.reverse_matrix`) from the facilities, so one search serves
  every origin. Distances are origin → facility.
- ``include_snap=True`` adds both snap distances (walking from the origin point to
  the street and from the street to the facility) in a straight line. Limits
  (``limit_m``) apply to the returned distance, snap distances included when
  they are included.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import shapely
from scipy import sparse
from scipy.sparse import csgraph

from geo.errors import ParameterError
from geo.network.graph import Network

#: Farthest a point may lie from the street network and still be placed on it (m).
MAX_SNAP_M = 500.0
#: Upper bound on the dense distance block of one chunk of facilities (bytes).
CHUNK_BYTES = 200_000_000
#: Dense block of one chunk of a cost-table search (bytes): small, so that the allocator reuses the
#: freed block for the next chunk (glibc maps blocks above 32 MB afresh, and faulting in new pages
#: cost more than the searches themselves: 1.8 ms against 0.5 ms per facility on 100k nodes).
COST_BLOCK_BYTES = 16_000_000
#: Default step weights of the enhanced 2SFCA (Luo & Qi 2009): three equal zones
#: of the catchment, weights 1, 0.68 and 0.22.
DEFAULT_STEP_WEIGHTS = (1.0, 0.68, 0.22)

Component = Literal["largest"] | None
Decay = Literal["none", "gaussian", "step"]


# ---------------------------------------------------------------------- snapping
@dataclass(frozen=True, eq=False)
class Snapped:
    """Points placed on the network's segments (one entry per input point, same order).

    Attributes
    ----------
    seg
        Index into :meth:`Network.segments`; -1 where not snapped.
    u, v
        End nodes of that segment (``u < v``); -1 where not snapped.
    t
        Fraction along the segment geometry, 0 at ``u`` and 1 at ``v``; NaN where not snapped.
    snap_dist_m
        Straight-line distance from the point to the nearest allowed segment. Also
        filled for points left unsnapped because it exceeds ``max_snap_m``; NaN when
        the point is not finite or there is no allowed segment at all.
    x, y
        The snapped position (EPSG:28992); NaN where not snapped.
    ok
        True where the point was snapped.
    max_snap_m, component
        The options used.
    """

    seg: np.ndarray
    u: np.ndarray
    v: np.ndarray
    t: np.ndarray
    snap_dist_m: np.ndarray
    x: np.ndarray
    y: np.ndarray
    ok: np.ndarray
    max_snap_m: float | None
    component: Component
    #: ``id`` of the network the points were snapped to; checked by the routing functions.
    network_id: int = field(repr=False)
    #: What the routing functions derive from the points alone (their partial costs to the segment ends).
    _cache: dict = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.ok)

    @property
    def not_snapped(self) -> np.ndarray:
        """Positions of the points that were not snapped (too far, not finite, or no segment)."""
        return np.flatnonzero(~self.ok)

    def take(self, index: np.ndarray | Sequence[int]) -> Snapped:
        """The points at ``index`` (integer positions or a boolean mask), in that order."""
        idx = np.asarray(index)
        if idx.dtype == bool:
            if len(idx) != len(self):
                raise ParameterError(f"Boolean mask has {len(idx)} values; expected {len(self)}.")
            idx = np.flatnonzero(idx)
        return Snapped(
            seg=self.seg[idx],
            u=self.u[idx],
            v=self.v[idx],
            t=self.t[idx],
            snap_dist_m=self.snap_dist_m[idx],
            x=self.x[idx],
            y=self.y[idx],
            ok=self.ok[idx],
            max_snap_m=self.max_snap_m,
            component=self.component,
            network_id=self.network_id,
        )


def _segment_tree(network: Network, component: Component) -> tuple[shapely.STRtree, np.ndarray]:
    """STRtree over the allowed segments and their indices in ``segments()``. Cached on the network."""
    key = f"routing_tree_{component}"
    if key not in network._cache:
        segs = network.segments()
        u, v = segs["u"], segs["v"]
        if component == "largest":
            lcc = network.largest_component()
            allowed = np.flatnonzero(lcc[u] & lcc[v])
        else:
            allowed = np.arange(len(u))
        coords = np.stack(
            [np.c_[network.x[u[allowed]], network.y[u[allowed]]], np.c_[network.x[v[allowed]], network.y[v[allowed]]]],
            axis=1,
        )
        lines = shapely.linestrings(coords) if len(allowed) else np.empty(0, dtype=object)
        network._cache[key] = (shapely.STRtree(lines), allowed)
    return network._cache[key]


def snap_points(
    network: Network,
    points_xy: np.ndarray,
    *,
    max_snap_m: float | None = None,
    component: Component = "largest",
) -> Snapped:
    """Snap points to the nearest segment of the network.

    Parameters
    ----------
    network
        The street network.
    points_xy
        ``(k, 2)`` array of x, y in EPSG:28992 (metres).
    max_snap_m
        Points farther than this from every allowed segment are not snapped
        (``ok`` is False and they are listed in ``not_snapped``). None: no limit.
    component
        ``"largest"``: only segments with both ends in the largest strongly
        connected component, so nobody is snapped onto an island; a point near an
        island goes to the main network and its (longer) snap distance says so.
        None: every segment.

    Returns
    -------
    Snapped
        One entry per input point, in input order. Nothing is dropped.
    """
    pts = np.asarray(points_xy, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise ParameterError(f"points_xy must be a (k, 2) array of x, y; found shape {pts.shape}.")
    if component not in ("largest", None):
        raise ParameterError(f"component must be 'largest' or None; found {component!r}.")
    if max_snap_m is not None and not (max_snap_m >= 0):
        raise ParameterError(f"max_snap_m must be ≥ 0 or None; found {max_snap_m!r}.")
    k = len(pts)
    tree, allowed = _segment_tree(network, component)
    segs = network.segments()

    seg = np.full(k, -1, dtype=np.int64)
    snap_dist = np.full(k, np.nan)
    finite = np.flatnonzero(np.isfinite(pts).all(axis=1))
    if len(finite) and len(allowed):
        geoms = shapely.points(pts[finite])
        # One unbounded query with distances (a max_distance query is 2-3x slower in GEOS and
        # would need a second pass to report how far the points it leaves out are).
        (i_pt, i_tree), dist = tree.query_nearest(geoms, all_matches=False, return_distance=True)
        near = np.ones(len(i_pt), dtype=bool) if max_snap_m is None else dist <= max_snap_m
        seg[finite[i_pt[near]]] = allowed[i_tree[near]]
        # Too far to snap: still report how far the nearest segment is.
        snap_dist[finite[i_pt[~near]]] = dist[~near]
    ok = seg >= 0

    s = seg[ok]
    ax, ay = network.x[segs["u"][s]], network.y[segs["u"][s]]
    dx, dy = network.x[segs["v"][s]] - ax, network.y[segs["v"][s]] - ay
    px, py = pts[ok, 0], pts[ok, 1]
    dd = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        # Computed this way, a point exactly on u gives t = 0 and exactly on v gives t = 1.
        t_ok = np.where(dd > 0, ((px - ax) * dx + (py - ay) * dy) / dd, 0.0)
    t_ok = np.clip(t_ok, 0.0, 1.0)
    sx, sy = ax + t_ok * dx, ay + t_ok * dy
    snap_dist[ok] = np.hypot(px - sx, py - sy)

    def _fill(values: np.ndarray, fill: float, dtype: type) -> np.ndarray:
        out: np.ndarray = np.full(k, fill, dtype=dtype)
        out[ok] = values
        return out

    return Snapped(
        seg=seg,
        u=_fill(segs["u"][s], -1, np.int64),
        v=_fill(segs["v"][s], -1, np.int64),
        t=_fill(t_ok, np.nan, np.float64),
        snap_dist_m=snap_dist,
        x=_fill(sx, np.nan, np.float64),
        y=_fill(sy, np.nan, np.float64),
        ok=ok,
        max_snap_m=None if max_snap_m is None else float(max_snap_m),
        component=component,
        network_id=id(network),
    )


# ---------------------------------------------------------------------- helpers
def _segment_lengths(network: Network) -> tuple[np.ndarray, np.ndarray]:
    """Network length of each segment's u→v and v→u edge (0 where that direction is absent). Cached.

    ``segments()`` keeps only the shorter of the two; partial lengths need the one
    of the direction travelled, or a point at a node could undercut the graph.
    """
    if "routing_seg_lengths" not in network._cache:
        segs = network.segments()
        n = network.n_nodes
        src, dst = network.edge_from(), network.indices.astype(np.int64)
        lo, hi = np.minimum(src, dst), np.maximum(src, dst)
        # segments() is in ascending (u, v) key order, so edges find their segment by bisection.
        seg_key = segs["u"] * n + segs["v"]
        which = np.searchsorted(seg_key, lo * n + hi)
        len_fwd = np.zeros(len(seg_key))
        len_bwd = np.zeros(len(seg_key))
        is_fwd = src < dst
        len_fwd[which[is_fwd]] = network.length_m[is_fwd]
        len_bwd[which[~is_fwd]] = network.length_m[~is_fwd]
        network._cache["routing_seg_lengths"] = (len_fwd, len_bwd)
    return network._cache["routing_seg_lengths"]


def _check_snapped(network: Network, **named: Snapped) -> None:
    for name, snapped in named.items():
        if not isinstance(snapped, Snapped):
            raise ParameterError(f"{name} must be a Snapped (from snap_points); found {type(snapped).__name__}.")
        if snapped.network_id != id(network):
            raise ParameterError(f"{name} were snapped to another network; snap them to this one.")


def _check_limit(limit_m: float) -> float:
    limit = float(limit_m)
    if not limit >= 0:
        raise ParameterError(f"limit_m must be ≥ 0 (or inf); found {limit_m!r}.")
    return limit


def _augmented_reverse(
    network: Network, facilities: Snapped, *, include_snap: bool
) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Reversed adjacency plus one virtual node per snapped facility, and those facilities' positions.

    Virtual node ``n + k`` stands for facility ``fac[k]``. Its outgoing edges (in the
    reversed graph) go to the segment ends from which the facility can be reached:
    ``u`` if the edge u→v exists (cost ``t · L(u→v)``), ``v`` if v→u exists (cost
    ``(1 − t) · L(v→u)``), plus the facility's snap distance when included. A
    search from the virtual nodes gives, for every node, the distance node → facility.
    """
    rev = network.reverse_matrix()
    n = network.n_nodes
    segs = network.segments()
    len_fwd, len_bwd = _segment_lengths(network)
    fac = np.flatnonzero(facilities.ok)
    s, t = facilities.seg[fac], facilities.t[fac]
    extra = facilities.snap_dist_m[fac] if include_snap else np.zeros(len(fac))
    to_u = segs["fwd"][s] | (t == 0.0)
    to_v = segs["bwd"][s] | (t == 1.0)
    # An absent direction has length 0, so a point at its node gets cost 0 there.
    w = np.c_[t * len_fwd[s] + extra, (1.0 - t) * len_bwd[s] + extra]
    col = np.c_[facilities.u[fac], facilities.v[fac]]
    keep = np.c_[to_u, to_v]
    indptr = np.r_[rev.indptr, rev.indptr[-1] + np.cumsum(keep.sum(axis=1))]
    # Explicit zero weights (a facility exactly on a node) are kept by scipy's csgraph as edges.
    aug = sparse.csr_matrix(
        (np.r_[rev.data, w[keep]], np.r_[rev.indices, col[keep]].astype(rev.indices.dtype), indptr),
        shape=(n + len(fac), n + len(fac)),
    )
    return aug, fac


def _origin_candidates(
    network: Network, origins: Snapped, oi: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For origins ``oi``: partial cost to ``u`` and to ``v`` (inf where the direction is not allowed).

    Cached on ``origins`` for ``oi`` = all snapped origins (origins are often snapped once and routed often).
    """
    every = len(oi) == int(origins.ok.sum())
    if every and "candidates" in origins._cache:
        cached: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] = origins._cache["candidates"]
        return cached
    segs = network.segments()
    len_fwd, len_bwd = _segment_lengths(network)
    s, t = origins.seg[oi], origins.t[oi]
    # Towards u the origin travels v→u (needs bwd); towards v it travels u→v (needs fwd).
    cost_u = np.where(segs["bwd"][s] | (t == 0.0), t * len_bwd[s], np.inf)
    cost_v = np.where(segs["fwd"][s] | (t == 1.0), (1.0 - t) * len_fwd[s], np.inf)
    out = (origins.u[oi], cost_u, origins.v[oi], cost_v)
    if every:
        origins._cache["candidates"] = out
    return out


def _node_origin_index(
    network: Network, origins: Snapped, oi: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Node → origin index for origins ``oi``: CSR pointer over the nodes, the origin and its cost per entry.

    Entry ``e`` of node ``i`` (``ptr[i] <= e < ptr[i + 1]``) says origin ``origin[e]`` reaches the
    network at node ``i`` at cost ``cost[e]``: the partial length along its segment towards ``i``.
    Each origin has an entry at each end of its segment that it may travel to (one or two).
    """
    u, cost_u, v, cost_v = _origin_candidates(network, origins, oi)
    node = np.r_[u, v]
    cost = np.r_[cost_u, cost_v]
    origin = np.r_[oi, oi]
    allowed = np.isfinite(cost)
    node, cost, origin = node[allowed], cost[allowed], origin[allowed]
    order = np.argsort(node, kind="stable")
    ptr = np.r_[0, np.cumsum(np.bincount(node, minlength=network.n_nodes))]
    return ptr, origin[order], cost[order]


def _same_segment_pairs(
    network: Network, origins: Snapped, facilities: Snapped, *, include_snap: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(origin, facility, distance) for origins and facilities on the same segment, direct along it."""
    segs = network.segments()
    len_fwd, len_bwd = _segment_lengths(network)
    oi, fi = np.flatnonzero(origins.ok), np.flatnonzero(facilities.ok)
    # Only the origins on a segment that holds a facility (a cheap mask before the bisections).
    holds = np.zeros(len(segs["u"]), dtype=bool)
    holds[facilities.seg[fi]] = True
    oi = oi[holds[origins.seg[oi]]]
    fi = fi[np.argsort(facilities.seg[fi], kind="stable")]
    fseg = facilities.seg[fi]
    lo = np.searchsorted(fseg, origins.seg[oi], side="left")
    hi = np.searchsorted(fseg, origins.seg[oi], side="right")
    count = hi - lo
    o = np.repeat(oi, count)
    # Position within each origin's run of facilities: a vectorised ragged arange.
    starts = np.repeat(lo - np.r_[0, np.cumsum(count)[:-1]], count)
    f = fi[starts + np.arange(count.sum())]
    s, to, tf = origins.seg[o], origins.t[o], facilities.t[f]
    ahead = tf >= to
    d = np.where(ahead, (tf - to) * len_fwd[s], (to - tf) * len_bwd[s])
    allowed = (tf == to) | np.where(ahead, segs["fwd"][s], segs["bwd"][s])
    if include_snap:
        d = d + origins.snap_dist_m[o] + facilities.snap_dist_m[f]
    return o[allowed], f[allowed], d[allowed]


# ---------------------------------------------------------------------- nearest facility
def nearest_facility(
    network: Network,
    origins: Snapped,
    facilities: Snapped,
    *,
    limit_m: float = np.inf,
    include_snap: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Network distance from every origin to its nearest facility, in one multi-source search.

    One Dijkstra run on the reversed graph, augmented with a virtual node per
    facility, gives every node its distance to the nearest facility. An origin
    then takes the better of its segment's two ends (partial length along an
    allowed direction + node distance), or a facility on its own segment reached
    directly.

    Parameters
    ----------
    network
        The street network the points were snapped to.
    origins, facilities
        From :func:`snap_points`. Unsnapped facilities take no part; unsnapped
        origins get inf and -1.
    limit_m
        Give up beyond this distance (faster); farther origins get inf and -1.
    include_snap
        Add the origin's and the facility's snap distances (see the module docstring).

    Returns
    -------
    dist_m, facility_index
        Per origin: the distance in metres (inf where no facility is reachable
        within ``limit_m``) and the position of the nearest facility in
        ``facilities`` (-1 there). Ties go to any of the tied facilities.
    """
    _check_snapped(network, origins=origins, facilities=facilities)
    limit = _check_limit(limit_m)
    k = len(origins)
    dist = np.full(k, np.inf)
    nearest = np.full(k, -1, dtype=np.int64)
    aug, fac = _augmented_reverse(network, facilities, include_snap=include_snap)
    oi = np.flatnonzero(origins.ok)
    if len(fac) == 0 or len(oi) == 0:
        return dist, nearest
    n = network.n_nodes
    d_node, _, sources = csgraph.dijkstra(
        aug, directed=True, indices=n + np.arange(len(fac)), min_only=True, return_predecessors=True, limit=limit
    )
    src_fac = np.where(sources >= n, fac[np.clip(sources - n, 0, len(fac) - 1)], -1)
    u, cost_u, v, cost_v = _origin_candidates(network, origins, oi)
    via_u, via_v = cost_u + d_node[u], cost_v + d_node[v]
    use_v = via_v < via_u
    best = np.where(use_v, via_v, via_u)
    best_fac = np.where(use_v, src_fac[v], src_fac[u])
    if include_snap:
        best = best + origins.snap_dist_m[oi]
    dist[oi], nearest[oi] = best, best_fac

    o, f, d = _same_segment_pairs(network, origins, facilities, include_snap=include_snap)
    if len(o):
        order = np.lexsort((d, o))
        first = np.r_[True, o[order][1:] != o[order][:-1]]
        o, f, d = o[order][first], f[order][first], d[order][first]
        better = d < dist[o]
        dist[o[better]], nearest[o[better]] = d[better], f[better]

    too_far = ~(dist <= limit) | np.isinf(dist)  # inf <= inf when there is no limit
    dist[too_far], nearest[too_far] = np.inf, -1
    return dist, nearest


def node_distances(
    network: Network,
    facilities: Snapped,
    *,
    limit_m: float = np.inf,
    include_snap: bool = True,
    per_facility: bool = False,
) -> np.ndarray:
    """Distance from every network node to the facilities (node → facility), for isochrones.

    With ``per_facility=False`` one multi-source search gives an array of
    ``n_nodes`` distances to the *nearest* facility (its isochrone is the union
    of the facilities' isochrones). With ``per_facility=True`` the result is a
    ``(n_snapped_facilities, n_nodes)`` array, one row per snapped facility in
    order, computed in chunks. Unreached nodes (beyond ``limit_m``) are inf.
    """
    _check_snapped(network, facilities=facilities)
    limit = _check_limit(limit_m)
    aug, fac = _augmented_reverse(network, facilities, include_snap=include_snap)
    n = network.n_nodes
    if len(fac) == 0:
        return np.full((0, n) if per_facility else n, np.inf)
    sources = n + np.arange(len(fac))
    if not per_facility:
        return csgraph.dijkstra(aug, directed=True, indices=sources, min_only=True, limit=limit)[:n]
    out = np.empty((len(fac), n))
    chunk = max(1, CHUNK_BYTES // (8 * (n + len(fac))))
    for start in range(0, len(fac), chunk):
        block = csgraph.dijkstra(aug, directed=True, indices=sources[start:start + chunk], limit=limit)
        out[start:start + chunk] = block[:, :n]
    return out


# ---------------------------------------------------------------------- cost tables
@dataclass(frozen=True, eq=False)
class Costs:
    """Network distances origin → facility for every pair within a limit, as COO arrays.

    A pair is listed if and only if its distance is ≤ ``limit_m``; a distance of
    exactly 0 (origin and facility at one spot) is a listed pair like any other.
    A pair that is *not* listed is farther than the limit (or unreachable), never 0.
    Arrays are sorted by facility, then origin.

    Why not a plain ``csr_matrix``: its implicit entries read as 0 after
    ``toarray()`` and many sparse operations drop explicit zeros, so "farther than
    the limit" and "0 m" would be confused. Use :meth:`to_csr` when a sparse
    matrix is wanted and :meth:`to_dense` for an array with inf for absent pairs.
    """

    facility: np.ndarray
    origin: np.ndarray
    dist_m: np.ndarray
    n_facilities: int
    n_origins: int
    limit_m: float
    include_snap: bool

    def to_csr(self) -> sparse.csr_matrix:
        """``n_facilities × n_origins`` matrix; stored entries are the listed pairs (explicit zeros kept)."""
        m = sparse.csr_matrix((self.dist_m, (self.facility, self.origin)), shape=(self.n_facilities, self.n_origins))
        return m

    def to_dense(self) -> np.ndarray:
        """``n_facilities × n_origins`` array with inf for pairs farther than the limit."""
        out = np.full((self.n_facilities, self.n_origins), np.inf)
        out[self.facility, self.origin] = self.dist_m
        return out


def facility_origin_costs(
    network: Network,
    origins: Snapped,
    facilities: Snapped,
    *,
    limit_m: float,
    include_snap: bool = True,
) -> Costs:
    """Network distance from each origin to each facility, for every pair within ``limit_m``.

    Searches the reversed graph from chunks of facilities (``dijkstra`` with
    ``limit``), sized so a chunk's dense block stays under :data:`COST_BLOCK_BYTES`.
    Work beyond the searches follows the reached pairs, not facilities × nodes:
    each chunk keeps only its reached (facility, node) pairs and expands them to
    the origins entering the network at that node (a node → origin index built
    once), keeping per pair the shorter way in.

    Parameters
    ----------
    network, origins, facilities, include_snap
        As for :func:`nearest_facility`.
    limit_m
        Largest distance kept, metres (finite: it bounds both the time and the size of the result).

    Returns
    -------
    Costs
        The pairs within the limit; see :class:`Costs` for how absent pairs read.
    """
    _check_snapped(network, origins=origins, facilities=facilities)
    limit = _check_limit(limit_m)
    if not np.isfinite(limit):
        raise ParameterError("limit_m must be finite for a cost table; use nearest_facility for unlimited search.")
    aug, fac = _augmented_reverse(network, facilities, include_snap=include_snap)
    oi = np.flatnonzero(origins.ok)
    n = network.n_nodes
    parts_f: list[np.ndarray] = []
    parts_o: list[np.ndarray] = []
    parts_d: list[np.ndarray] = []
    n_orig = len(origins)
    # Origins and facilities on one segment also reach each other along it (maybe shorter than via a node).
    o_same, f_same, d_same = _same_segment_pairs(network, origins, facilities, include_snap=include_snap)
    row_same = np.searchsorted(fac, f_same)  # position among the snapped facilities
    if len(fac) and len(oi):
        ptr, at_origin, at_cost = _node_origin_index(network, origins, oi)
        snap_o = origins.snap_dist_m if include_snap else np.zeros(n_orig)
        # Per facility of a chunk: the dense search row and its mask (scipy returns dense rows),
        # and the per-origin minimum and its mask; all under COST_BLOCK_BYTES.
        chunk = max(1, COST_BLOCK_BYTES // (9 * aug.shape[0] + 9 * n_orig))
        for start in range(0, len(fac), chunk):
            stop = min(start + chunk, len(fac))
            block = csgraph.dijkstra(aug, directed=True, indices=n + np.arange(start, stop), limit=limit)[:, :n]
            # Only the reached (facility, node) pairs, then every origin that enters the network there.
            r, node = np.nonzero(block <= limit)
            d_node = block[r, node]
            del block
            count = ptr[node + 1] - ptr[node]
            pair = np.repeat(np.arange(len(node)), count)
            entry = np.repeat(ptr[node] - np.r_[0, np.cumsum(count)[:-1]], count) + np.arange(int(count.sum()))
            o = at_origin[entry]
            # The same arithmetic as the distance of a single pair: node distance + partial length, + snap.
            d = (d_node[pair] + at_cost[entry]) + snap_o[o]
            # The shorter of the ways in (either end of the origin's segment, along a shared segment).
            best = np.full((stop - start, n_orig), np.inf)
            np.minimum.at(best.reshape(-1), r[pair] * n_orig + o, d)
            same = (row_same >= start) & (row_same < stop)
            np.minimum.at(best.reshape(-1), (row_same[same] - start) * n_orig + o_same[same], d_same[same])
            # Row-major order: sorted by facility, then origin.
            rr, cc = np.nonzero(best <= limit)
            parts_f.append(fac[start + rr])
            parts_o.append(cc)
            parts_d.append(best[rr, cc])
    f = np.concatenate(parts_f) if parts_f else np.zeros(0, dtype=np.int64)
    o = np.concatenate(parts_o) if parts_o else np.zeros(0, dtype=np.int64)
    d = np.concatenate(parts_d) if parts_d else np.zeros(0)
    return Costs(
        facility=f.astype(np.int64),
        origin=o.astype(np.int64),
        dist_m=d.astype(np.float64),
        n_facilities=len(facilities),
        n_origins=len(origins),
        limit_m=limit,
        include_snap=include_snap,
    )


def _as_pairs(
    costs: Costs | sparse.spmatrix | sparse.sparray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int, float]:
    """(facility, origin, dist, n_fac, n_orig, limit) from :class:`Costs` or a sparse matrix.

    A sparse matrix is read as ``n_facilities × n_origins`` whose *stored* entries are the pairs.
    """
    if isinstance(costs, Costs):
        return costs.facility, costs.origin, costs.dist_m, costs.n_facilities, costs.n_origins, costs.limit_m
    if sparse.issparse(costs):
        coo = sparse.coo_matrix(costs)
        n_fac, n_orig = coo.shape
        return coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data.astype(np.float64), n_fac, n_orig, np.inf
    raise ParameterError(
        f"costs must be Costs (from facility_origin_costs) or a sparse matrix; found {type(costs).__name__}."
    )


# ---------------------------------------------------------------------- measures
def count_within(costs: Costs | sparse.spmatrix, limits_m: Sequence[float]) -> dict[float, np.ndarray]:
    """Cumulative opportunities: number of facilities within each limit, per origin.

    Returns ``{limit: counts}`` with an int64 array of length ``n_origins`` per limit.
    A limit above the cost table's own ``limit_m`` is an error (the counts would be short).
    """
    _, o, d, _, n_orig, table_limit = _as_pairs(costs)
    out: dict[float, np.ndarray] = {}
    for lim in limits_m:
        lim_f = float(lim)
        if not lim_f >= 0 or lim_f > table_limit:
            raise ParameterError(f"limit {lim!r} m must be between 0 and the cost table's limit ({table_limit} m).")
        out[lim_f] = np.bincount(o[d <= lim_f], minlength=n_orig).astype(np.int64)
    return out


def _decay_weights(
    d: np.ndarray,
    *,
    catchment_m: float,
    decay: Decay,
    steps: Sequence[tuple[float, float]] | Mapping[float, float] | None,
    sigma_m: float | None,
) -> np.ndarray:
    if decay == "none":
        return np.ones_like(d)
    if decay == "gaussian":
        sigma = catchment_m / 2.0 if sigma_m is None else float(sigma_m)
        if not sigma > 0:
            raise ParameterError(f"sigma_m must be > 0; found {sigma_m!r}.")
        return np.exp(-d * d / (2.0 * sigma * sigma))
    if decay == "step":
        if steps is None:
            steps = [(catchment_m * (i + 1) / len(DEFAULT_STEP_WEIGHTS), w) for i, w in enumerate(DEFAULT_STEP_WEIGHTS)]
        items = sorted(steps.items() if isinstance(steps, Mapping) else steps)
        if not items:
            raise ParameterError("steps must hold at least one (upper_m, weight) pair.")
        upper = np.array([float(a) for a, _ in items])
        weight = np.array([float(b) for _, b in items])
        if (weight < 0).any() or not np.isfinite(weight).all():
            raise ParameterError(f"step weights must be finite and ≥ 0; found {weight.tolist()}.")
        # Weight of the first zone whose upper bound is ≥ d; 0 beyond the last.
        zone = np.searchsorted(upper, d, side="left")
        return np.r_[weight, 0.0][zone]
    raise ParameterError(f"decay must be 'none', 'gaussian' or 'step'; found {decay!r}.")


def two_step_fca(
    costs: Costs | sparse.spmatrix,
    demand: np.ndarray,
    supply: np.ndarray | None = None,
    *,
    catchment_m: float,
    decay: Decay = "none",
    steps: Sequence[tuple[float, float]] | Mapping[float, float] | None = None,
    sigma_m: float | None = None,
) -> np.ndarray:
    """Two-step floating catchment accessibility (2SFCA; enhanced 2SFCA with a decay), per origin.

    With ``d_ij`` the network distance from origin ``i`` to facility ``j`` and
    ``w(d) = 0`` for ``d > catchment_m``::

        R_j = S_j / Σ_k w(d_kj) · D_k        (supply per unit of weighted demand around j)
        A_i = Σ_j w(d_ij) · R_j              (accessibility of origin i)

    ``w`` is 1 within the catchment for ``decay="none"`` (Luo & Wang 2003),
    ``exp(−d² / 2σ²)`` for ``"gaussian"`` (``sigma_m``, default ``catchment_m / 2``),
    and a step function for ``"step"`` (enhanced 2SFCA, Luo & Qi 2009): ``steps`` is
    ``[(upper_m, weight), …]`` (or a dict), each distance taking the weight of the
    first zone with ``d ≤ upper_m`` and 0 beyond the last; default three equal
    zones of the catchment with weights 1, 0.68, 0.22. The same weights are used
    in both steps. These are the formulas of PySAL ``access`` (``two_stage_fca`` /
    ``enhanced_two_stage_fca``), with two differences at the edges: a facility
    with no weighted demand around it gives ``R_j = 0`` (PySAL: inf), and an
    origin with no facility within the catchment gets 0 (PySAL: NaN).

    Parameters
    ----------
    costs
        Cost table, with ``limit_m ≥ catchment_m``.
    demand
        Per origin, e.g. children aged 4–12; ≥ 0.
    supply
        Per facility, e.g. capacity (places); ≥ 0. Default 1 each.

    Returns
    -------
    np.ndarray
        Accessibility per origin (supply per unit of demand), float64.
    """
    f, o, d, n_fac, n_orig, table_limit = _as_pairs(costs)
    catchment = float(catchment_m)
    if not catchment >= 0 or catchment > table_limit:
        raise ParameterError(
            f"catchment_m ({catchment_m!r}) must be between 0 and the cost table's limit ({table_limit} m)."
        )
    dem = np.asarray(demand, dtype=np.float64)
    sup = np.ones(n_fac) if supply is None else np.asarray(supply, dtype=np.float64)
    for name, arr, n in (("demand", dem, n_orig), ("supply", sup, n_fac)):
        if arr.shape != (n,):
            raise ParameterError(
                f"{name} must have one value per {'origin' if name == 'demand' else 'facility'} ({n}); "
                f"found shape {arr.shape}."
            )
        if not (np.isfinite(arr).all() and (arr >= 0).all()):
            raise ParameterError(
                f"{name} must be finite and ≥ 0; found {int((~np.isfinite(arr) | (arr < 0)).sum())} bad values."
            )
    inside = d <= catchment
    f, o, d = f[inside], o[inside], d[inside]
    w = _decay_weights(d, catchment_m=catchment, decay=decay, steps=steps, sigma_m=sigma_m)
    weighted_demand = np.bincount(f, weights=w * dem[o], minlength=n_fac)
    ratio = np.divide(sup, weighted_demand, out=np.zeros(n_fac), where=weighted_demand > 0)
    return np.bincount(o, weights=w * ratio[f], minlength=n_orig)
