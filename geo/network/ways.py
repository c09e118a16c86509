"""Street networks from OpenStreetMap data: osmnx GraphML files and OSM extracts.

Every builder returns a :class:`geo.network.graph.Network` in EPSG:28992 whose edges
are straight segments. Curved edges (GraphML ``geometry``) are split at their
vertices; the new vertices are shared by both directions of a street.

OSM extracts (``.osm.pbf``, ``.osm``, ``.osm.gz``, ``.osm.bz2``, read with
pyosmium) and Overpass JSON (``geo.data.overpass``) share one path:

1. a reader returns :class:`OsmWays` – the ``highway`` ways with the tags the
   profiles read, their node ids and the node positions; no profile applied;
2. :func:`collect_way_edges` applies a :class:`Profile` (which ways a mode may
   use, in which direction) and an optional clip polygon, and makes one
   directed edge per consecutive node pair of each kept way;
3. :func:`build_network_from_ways` turns those edges into a :class:`Network`.

Speeds are not per way: the network stores lengths, and travel time is
length / the mode's speed (``geo.units.SPEEDS_KMH``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType

import numpy as np
import shapely
from pyproj import Transformer

from geo.errors import CrsError, DataFileError, GeometryError, ParameterError
from geo.network.graph import Network, from_edges
from geo.schema import NL_BOUNDS_RD
from geo.units import MODES

_TO_RD = Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True)
#: Attribution every network built from OSM data carries in its ``meta``.
OSM_LICENCE = "© OpenStreetMap contributors, ODbL 1.0 (https://www.openstreetmap.org/copyright)"


def to_rd(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 lon/lat (degrees) to RD New x/y (metres)."""
    x, y = _TO_RD.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x), np.asarray(y)


# --------------------------------------------------------------------------- profiles

#: Values of ``foot=`` / ``bicycle=`` that grant access where the road type or ``access=`` alone would not.
PERMISSION = frozenset({"yes", "designated", "permissive"})
_ONEWAY_FORWARD = frozenset({"yes", "true", "1"})
_ONEWAY_BACKWARD = frozenset({"-1", "reverse"})
_ONEWAY_NO = frozenset({"no", "false", "0"})
_ROUNDABOUT = frozenset({"roundabout", "circular"})
_CYCLEWAY_KEYS = ("cycleway", "cycleway:left", "cycleway:right", "cycleway:both")
_LANE_ONEWAY_KEYS = ("cycleway:left:oneway", "cycleway:right:oneway", "cycleway:both:oneway")
#: The only way tags any profile reads; readers keep just these, which keeps big extracts small in memory.
PROFILE_TAG_KEYS = frozenset(
    {"highway", "foot", "bicycle", "access", "vehicle", "oneway", "oneway:bicycle", "junction",
     *_CYCLEWAY_KEYS, *_LANE_ONEWAY_KEYS}
)
#: Reason recorded for a way a profile keeps.
KEPT = "kept"


def _tag(tags: Mapping[str, str], key: str) -> str:
    return str(tags.get(key, "") or "").strip().lower()


@dataclass(frozen=True)
class Profile:
    """Which OSM ``highway`` ways one travel mode may use, and in which direction.

    A way is used when, in this order:

    1. ``<mode_key>`` (``foot`` / ``bicycle``) is not one of ``deny_values``;
    2. its ``highway`` value is in ``highways``; or in ``permitted_highways`` and
       ``<mode_key>`` is yes/designated/permissive; or in ``yes_only_highways`` and
       ``<mode_key>=yes``;
    3. none of ``access_keys`` (``access``, for bikes also ``vehicle``) is ``no`` or
       ``private`` – unless ``<mode_key>`` is yes/designated/permissive.

    Any other ``highway`` value (bus_stop, platform, elevator, …) is not used.
    With ``oneway=False`` every used way is walkable both ways; with ``oneway=True``
    the one-way rules of :meth:`directions` apply.

    Attributes
    ----------
    name
        The mode: ``"walk"`` or ``"bike"``.
    mode_key
        The OSM access key for the mode (``foot`` or ``bicycle``).
    highways, permitted_highways, yes_only_highways
        ``highway`` values used always, with an explicit permission, with ``<mode_key>=yes``.
    deny_values
        ``<mode_key>`` values that exclude a way whatever else it says.
    access_keys
        General access keys that exclude a way when ``no``/``private``.
    oneway
        Whether one-way rules apply (cycling) or not (walking).
    """

    name: str
    mode_key: str
    highways: frozenset[str]
    permitted_highways: frozenset[str]
    yes_only_highways: frozenset[str]
    deny_values: frozenset[str]
    access_keys: tuple[str, ...] = ("access",)
    restricted_access: frozenset[str] = frozenset({"no", "private"})
    oneway: bool = False

    def classify(self, tags: Mapping[str, str]) -> tuple[bool, bool, str]:
        """``(forward, backward, reason)`` for one way; both ``False`` means the way is not used.

        ``reason`` is :data:`KEPT` or a short text saying why the way was dropped
        (e.g. ``"foot=no"``, ``"highway=motorway without foot=yes/designated/permissive"``).
        """
        highway = _tag(tags, "highway")
        if not highway:
            return False, False, "no highway tag"
        mode_value = _tag(tags, self.mode_key)
        if mode_value in self.deny_values:
            return False, False, f"{self.mode_key}={mode_value}"
        permitted = mode_value in PERMISSION
        if highway in self.highways:
            pass
        elif highway in self.permitted_highways:
            if not permitted:
                return False, False, f"highway={highway} without {self.mode_key}=yes/designated/permissive"
        elif highway in self.yes_only_highways:
            if mode_value != "yes":
                return False, False, f"highway={highway} without {self.mode_key}=yes"
        else:
            return False, False, f"highway={highway} not used for {self.name}"
        if not permitted:
            for key in self.access_keys:
                value = _tag(tags, key)
                if value in self.restricted_access:
                    return False, False, f"{key}={value} without {self.mode_key} permission"
        if not self.oneway:
            return True, True, KEPT
        forward, backward = self.directions(tags)
        return forward, backward, KEPT

    def directions(self, tags: Mapping[str, str]) -> tuple[bool, bool]:
        """May this mode travel along the way's node order (forward) and against it (backward)?

        ``oneway=yes/true/1`` → forward only; ``oneway=-1/reverse`` → backward only;
        ``junction=roundabout/circular`` without a ``oneway`` tag → forward only. For
        bicycles, ``oneway:bicycle=no``, ``cycleway[:left|:right|:both]=opposite*`` or a
        contraflow cycle lane (``cycleway:<side>:oneway=no``, or against the road's
        direction) lift the restriction; ``oneway:bicycle=yes/-1`` impose one.
        """
        if not self.oneway:
            return True, True
        oneway = _tag(tags, "oneway")
        if oneway in _ONEWAY_FORWARD:
            forward, backward = True, False
        elif oneway in _ONEWAY_BACKWARD:
            forward, backward = False, True
        elif oneway not in _ONEWAY_NO and _tag(tags, "junction") in _ROUNDABOUT:
            forward, backward = True, False
        else:
            forward, backward = True, True
        if self.mode_key != "bicycle":
            return forward, backward
        own = _tag(tags, "oneway:bicycle")
        if own in _ONEWAY_NO or _has_contraflow(tags, forward, backward):
            return True, True
        if own in _ONEWAY_FORWARD:
            return True, False
        if own in _ONEWAY_BACKWARD:
            return False, True
        return forward, backward

    def describe(self) -> dict:
        """The rules as JSON-serialisable data, for ``Network.meta``."""
        return {
            "name": self.name,
            "mode_key": self.mode_key,
            "highways": sorted(self.highways),
            "permitted_highways": sorted(self.permitted_highways),
            "yes_only_highways": sorted(self.yes_only_highways),
            "permission_values": sorted(PERMISSION),
            "deny_values": sorted(self.deny_values),
            "access_keys": list(self.access_keys),
            "restricted_access": sorted(self.restricted_access),
            "oneway_rules": self.oneway,
        }


def _has_contraflow(tags: Mapping[str, str], forward: bool, backward: bool) -> bool:
    """Does the way carry a cycle lane/track against its one-way direction?"""
    if any(_tag(tags, key).startswith("opposite") for key in _CYCLEWAY_KEYS):
        return True
    for key in _LANE_ONEWAY_KEYS:
        value = _tag(tags, key)
        if value in _ONEWAY_NO:
            return True
        if (forward and not backward and value in _ONEWAY_BACKWARD) or (
            backward and not forward and value in _ONEWAY_FORWARD
        ):
            return True
    return False


_MAIN_ROADS = ("tertiary", "tertiary_link", "secondary", "secondary_link", "primary", "primary_link")
_MOTOR_ROADS = frozenset({"motorway", "motorway_link", "trunk", "trunk_link"})
_NOT_ROADS_YET = frozenset({"construction", "proposed", "raceway", "busway", "bus_guideway"})

#: Walking. Dutch fietspaden (``highway=cycleway``) are walkable unless ``foot=no``;
#: ``foot=use_sidepath`` (walk on the separately mapped sidewalk) also excludes a way.
#: Pedestrian areas (``area=yes``) are kept: their outline links the streets around a square.
WALK = Profile(
    name="walk",
    mode_key="foot",
    highways=frozenset({
        "footway", "pedestrian", "path", "steps", "living_street", "residential", "service",
        "unclassified", "road", "track", *_MAIN_ROADS, "cycleway", "corridor",
    }),
    permitted_highways=_MOTOR_ROADS | {"bridleway"},
    yes_only_highways=_NOT_ROADS_YET,
    deny_values=frozenset({"no", "use_sidepath"}),
    access_keys=("access",),
    oneway=False,
)

#: Cycling. ``vehicle=no/private`` closes a way to bicycles like ``access=`` does,
#: unless ``bicycle=`` permits it. ``bicycle=dismount`` does not open a footway.
BIKE = Profile(
    name="bike",
    mode_key="bicycle",
    highways=frozenset({
        "cycleway", "residential", "living_street", "service", "unclassified", "road", "track",
        *_MAIN_ROADS, "path",
    }),
    permitted_highways=frozenset({"footway", "pedestrian", "steps", "bridleway"}),
    yes_only_highways=_MOTOR_ROADS | _NOT_ROADS_YET,
    deny_values=frozenset({"no", "use_sidepath"}),
    access_keys=("access", "vehicle"),
    oneway=True,
)

PROFILES: Mapping[str, Profile] = MappingProxyType({"walk": WALK, "bike": BIKE})


def get_profile(mode: str) -> Profile:
    """The :class:`Profile` of a mode (``walk`` or ``bike``)."""
    try:
        return PROFILES[mode]
    except KeyError:
        raise ParameterError(f"Unknown mode '{mode}'; expected one of: {', '.join(MODES)}.") from None


# --------------------------------------------------------------------------- ways → network


@dataclass(frozen=True, eq=False)
class OsmWays:
    """The ``highway`` ways of an OSM extract and their node positions, as read (no profile applied).

    Attributes
    ----------
    way_id
        OSM way id per way (int64).
    tags
        Per way, the tags in :data:`PROFILE_TAG_KEYS` (values as in the file).
    refs, ref_ptr
        Node ids of all ways concatenated; way ``i`` has ``refs[ref_ptr[i]:ref_ptr[i+1]]``.
    node_id, lon, lat
        Sorted unique ids of the referenced nodes the file gives a position for,
        and their WGS84 position. A ref not in ``node_id`` is missing from the file.
    source, source_format
        File name and format (``osm.pbf``, ``osm``, ``osm.gz``, ``osm.bz2``, ``overpass json``).
    data_timestamp
        Newest timestamp of the data when the file tells it (ISO 8601), else ``None``.
    """

    way_id: np.ndarray
    tags: list[dict[str, str]]
    refs: np.ndarray
    ref_ptr: np.ndarray
    node_id: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    source: str
    source_format: str
    data_timestamp: str | None = None

    @classmethod
    def from_lists(
        cls,
        way_ids: list[int],
        tags: list[dict[str, str]],
        refs: list[list[int]],
        node_positions: Mapping[int, tuple[float, float]],
        *,
        source: str,
        source_format: str,
        data_timestamp: str | None = None,
    ) -> OsmWays:
        """Build from plain lists (way ids, tags, node id lists) and ``{node id: (lon, lat)}``."""
        counts = np.fromiter((len(r) for r in refs), dtype=np.int64, count=len(refs))
        ref_ptr = np.r_[np.int64(0), np.cumsum(counts)]
        flat = np.fromiter((n for r in refs for n in r), dtype=np.int64, count=int(ref_ptr[-1]))
        ids = np.fromiter(node_positions.keys(), dtype=np.int64, count=len(node_positions))
        pos = np.array(list(node_positions.values()), dtype=np.float64).reshape(-1, 2)
        order = np.argsort(ids, kind="stable")
        return cls(
            way_id=np.asarray(way_ids, dtype=np.int64),
            tags=[{k: v for k, v in t.items() if k in PROFILE_TAG_KEYS} for t in tags],
            refs=flat,
            ref_ptr=ref_ptr,
            node_id=ids[order],
            lon=pos[order, 0],
            lat=pos[order, 1],
            source=source,
            source_format=source_format,
            data_timestamp=data_timestamp,
        )

    @property
    def n_ways(self) -> int:
        return len(self.way_id)

    @cached_property
    def xy(self) -> tuple[np.ndarray, np.ndarray]:
        """Node positions in EPSG:28992 (metres), aligned with :attr:`node_id`."""
        return to_rd(self.lon, self.lat)


@dataclass(frozen=True, eq=False)
class WayEdges:
    """Directed edges made from the ways a profile kept, before duplicates are merged.

    ``u``, ``v`` are OSM node ids, ``way_id`` the way each edge comes from (so a
    test or a report can trace an edge back to its tags), ``length_m`` the RD
    straight-line length. ``meta`` counts what was read, kept and dropped, and why.
    """

    u: np.ndarray
    v: np.ndarray
    length_m: np.ndarray
    way_id: np.ndarray
    node_id: np.ndarray
    x: np.ndarray
    y: np.ndarray
    meta: dict


def check_polygon_rd(polygon: object, *, what: str = "polygon") -> shapely.Geometry:
    """Check that ``polygon`` is a non-empty (Multi)Polygon in EPSG:28992 metres; return it valid."""
    if not isinstance(polygon, shapely.Polygon | shapely.MultiPolygon):
        raise GeometryError(f"{what}: expected a shapely Polygon or MultiPolygon, found {type(polygon).__name__}.")
    if polygon.is_empty or polygon.area <= 0:
        raise GeometryError(f"{what}: the polygon is empty; expected an area (EPSG:28992).")
    minx, miny, maxx, maxy = polygon.bounds
    bx0, by0, bx1, by1 = NL_BOUNDS_RD
    if not (minx >= bx0 and maxx <= bx1 and miny >= by0 and maxy <= by1):
        raise CrsError(
            f"{what}: expected EPSG:28992 (RD New) coordinates in the Netherlands, found x {minx:.6g}–{maxx:.6g}, "
            f"y {miny:.6g}–{maxy:.6g} (lon/lat degrees? reproject to EPSG:28992 first)."
        )
    if not polygon.is_valid:
        polygon = shapely.make_valid(polygon)
    return polygon


def collect_way_edges(ways: OsmWays, *, mode: str, polygon: shapely.Geometry | None = None) -> WayEdges:
    """Apply the mode's :class:`Profile` and an optional clip to ``ways``; one edge per node pair.

    Parameters
    ----------
    ways
        The ways and node positions from a reader (:func:`read_osm_ways`,
        ``geo.data.overpass.read_overpass_json``).
    mode
        ``"walk"`` or ``"bike"``.
    polygon
        Optional area in EPSG:28992: only ways with at least one node inside (or on
        the boundary) are kept, and they are kept whole.

    Consecutive node pairs whose node has no position in the file (an extract cut
    through a way) are skipped, as are pairs of the same node twice.
    """
    profile = get_profile(mode)
    n_ways = ways.n_ways
    forward = np.zeros(n_ways, dtype=bool)
    backward = np.zeros(n_ways, dtype=bool)
    dropped: Counter[str] = Counter()
    for i, tags in enumerate(ways.tags):
        f, b, reason = profile.classify(tags)
        forward[i], backward[i] = f, b
        if reason != KEPT:
            dropped[reason] += 1
    kept = forward | backward
    n_kept_by_profile = int(kept.sum())

    way_of_ref = np.repeat(np.arange(n_ways, dtype=np.int64), np.diff(ways.ref_ptr))
    pos = np.searchsorted(ways.node_id, ways.refs)
    pos = np.minimum(pos, max(len(ways.node_id) - 1, 0))
    known = ways.node_id[pos] == ways.refs if len(ways.node_id) else np.zeros(len(ways.refs), dtype=bool)
    x_all, y_all = ways.xy

    clip_meta = None
    n_outside = 0
    if polygon is not None:
        polygon = check_polygon_rd(polygon, what="clip polygon")
        inside = np.zeros(len(ways.refs), dtype=bool)
        inside[known] = shapely.intersects_xy(polygon, x_all[pos[known]], y_all[pos[known]])
        way_inside = np.bincount(way_of_ref[inside], minlength=n_ways) > 0
        n_outside = int((kept & ~way_inside).sum())
        kept &= way_inside
        clip_meta = {
            "rule": "ways with at least one node inside the polygon, kept whole",
            "bounds_rd": [round(float(b), 1) for b in polygon.bounds],
            "area_km2": round(float(polygon.area) / 1e6, 3),
        }

    pair_way = way_of_ref[:-1]
    ok = (pair_way == way_of_ref[1:]) & known[:-1] & known[1:] & kept[pair_way] & (ways.refs[:-1] != ways.refs[1:])
    missing = ~known & kept[way_of_ref]
    i0, i1, w = pos[:-1][ok], pos[1:][ok], pair_way[ok]
    length = np.hypot(x_all[i1] - x_all[i0], y_all[i1] - y_all[i0])
    f, b = forward[w], backward[w]
    u = np.concatenate([i0[f], i1[b]])
    v = np.concatenate([i1[f], i0[b]])
    used = np.unique(np.concatenate([u, v]))
    meta = {
        "source": ways.source,
        "source_format": ways.source_format,
        "data_timestamp": ways.data_timestamp,
        "licence": OSM_LICENCE,
        "profile": profile.name,
        "profile_rules": profile.describe(),
        "filters": {"highway_ways_only": True, "clip": clip_meta},
        "edge_length": "straight line between consecutive way nodes, EPSG:28992",
        "ways_read": n_ways,
        "ways_kept": int(kept.sum()),
        "ways_dropped_by_profile": dict(sorted(dropped.items(), key=lambda kv: (-kv[1], kv[0]))),
        "ways_outside_clip": n_outside,
        "ways_kept_by_profile": n_kept_by_profile,
        "node_refs_missing": len(np.unique(ways.refs[missing])),
    }
    return WayEdges(
        u=ways.node_id[u],
        v=ways.node_id[v],
        length_m=np.concatenate([length[f], length[b]]),
        way_id=ways.way_id[np.concatenate([w[f], w[b]])],
        node_id=ways.node_id[used],
        x=x_all[used],
        y=y_all[used],
        meta=meta,
    )


def build_network_from_ways(ways: OsmWays, *, mode: str, polygon: shapely.Geometry | None = None) -> Network:
    """A :class:`Network` for ``mode`` from parsed OSM ways (see :func:`collect_way_edges`).

    Nodes are the OSM nodes used by kept ways, ordered by OSM id. Duplicate
    edges (two ways over the same node pair) keep the shortest; self-loops go.
    Raises :class:`DataFileError` when no way is usable for the mode.
    """
    if ways.n_ways == 0:
        raise DataFileError(f"'{ways.source}' has no OSM ways with a highway tag; expected a street network extract.")
    edges = collect_way_edges(ways, mode=mode, polygon=polygon)
    meta = edges.meta
    if len(edges.u) == 0:
        dropped = "; ".join(f"{k}: {n}" for k, n in list(meta["ways_dropped_by_profile"].items())[:5])
        where = f", {meta['ways_outside_clip']} outside the clip polygon" if polygon is not None else ""
        raise DataFileError(
            f"'{ways.source}': none of its {ways.n_ways} highway ways is usable for {mode}{where}"
            f"{' (dropped – ' + dropped + ')' if dropped else ''}; expected streets or paths for {mode}."
        )
    src = np.searchsorted(edges.node_id, edges.u)
    dst = np.searchsorted(edges.node_id, edges.v)
    network = from_edges(
        edges.x, edges.y, src, dst, edges.length_m, mode=mode, node_id=edges.node_id, meta=meta
    )
    network.meta.update({"nodes": network.n_nodes, "edges": network.n_edges})
    return network
