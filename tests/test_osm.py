"""Street networks from OSM data (geo/osm.py): profiles, the pyosmium reader, bad files, the CLI.

Known answers come from two places: a hand-made file (tests/fixtures/osm/oneway_rules.osm,
one way per rule, the expected directed edges worked out by hand below) and the real
Amsterdam/Delft files in tests/fixtures/shared (copies of ../shared/data), whose counts are
pinned (see the comment at ``REAL_COUNTS`` for how they were checked).
"""

from __future__ import annotations

import bz2
import gzip
import itertools
from pathlib import Path

import numpy as np
import osmium
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.cli import main
from geo.data.networks import build_network
from geo.data.osm_files import build_network_from_osm, read_osm_ways
from geo.errors import (
    CrsError,
    DataFileError,
    GeometryError,
    ParameterError,
    PlanningError,
)
from geo.network.graph import MIN_EDGE_M, Network
from geo.network.ways import BIKE, KEPT, WALK, collect_way_edges, to_rd

OSM_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "osm"
ONEWAY = OSM_FIXTURES / "oneway_rules.osm"


def edges_by_osm_id(network: Network) -> set[tuple[int, int]]:
    src = network.node_id[network.edge_from()]
    dst = network.node_id[network.indices]
    return set(zip(src.tolist(), dst.tolist(), strict=True))


def both(*pairs: tuple[int, int]) -> set[tuple[int, int]]:
    return {p for a, b in pairs for p in ((a, b), (b, a))}


# --------------------------------------------------------------------------- hand-made file: known answers

#: Walking: every usable way both ways. Not there: 106 motorway (7-8), 107 footway foot=no (1-9),
#: 108 private service road (9-10), 117 building; 118 only 15-18 (node 99 is missing from the file).
EXPECTED_WALK = both(
    (1, 2), (2, 3), (3, 4), (4, 5),          # 101-104: one-way rules do not apply to walking
    (5, 6), (6, 7), (7, 5),                  # 105 roundabout
    (1, 10), (2, 11), (10, 11), (11, 12),    # 109 footway, 110 one-way cycleway, 111, 112
    (12, 13),                                # 113 access=private + foot=yes
    (13, 14), (14, 15),                      # 114, 115 trunk + foot=yes
    (15, 18),                                # 118 up to the missing node
)
#: Cycling: one-way rules; footways only with bicycle=yes; no trunk, no private road.
EXPECTED_BIKE = (
    {(1, 2)}                      # 101 oneway=yes
    | {(3, 2)}                    # 102 oneway=-1
    | both((3, 4))                # 103 oneway=yes + oneway:bicycle=no
    | both((4, 5))                # 104 oneway=yes + cycleway=opposite
    | {(5, 6), (6, 7), (7, 5)}    # 105 junction=roundabout
    | {(2, 11)}                   # 110 one-way cycleway
    | both((10, 11))              # 111 footway + bicycle=yes
    | {(11, 12)}                  # 112 oneway:bicycle=yes on a two-way street
    | both((13, 14))              # 114 oneway=yes + cycleway:right=opposite_track
)


@pytest.mark.parametrize(("mode", "expected"), [("walk", EXPECTED_WALK), ("bike", EXPECTED_BIKE)])
def test_handmade_file_gives_exactly_the_expected_directed_edges(mode: str, expected: set) -> None:
    network = build_network_from_osm(ONEWAY, mode=mode)
    assert edges_by_osm_id(network) == expected
    assert set(network.node_id.tolist()) == {n for e in expected for n in e}
    assert list(network.node_id) == sorted(network.node_id)  # nodes ordered by OSM id


def test_handmade_file_meta_says_what_was_dropped_and_why() -> None:
    walk = build_network_from_osm(ONEWAY, mode="walk")
    assert walk.meta["profile"] == "walk"
    assert walk.meta["profile_rules"]["oneway_rules"] is False
    assert walk.meta["filters"] == {"highway_ways_only": True, "clip": None}
    assert walk.meta["ways_read"] == 16 and walk.meta["ways_kept"] == 13  # 15 + way 118; 117 is a building
    assert walk.meta["ways_dropped_by_profile"] == {
        "access=private without foot permission": 1,
        "foot=no": 1,
        "highway=motorway without foot=yes/designated/permissive": 1,
    }
    assert walk.meta["node_refs_missing"] == 1  # node 99 of way 118
    bike = build_network_from_osm(ONEWAY, mode="bike")
    assert bike.meta["profile_rules"]["oneway_rules"] is True
    assert bike.meta["ways_dropped_by_profile"]["highway=footway without bicycle=yes/designated/permissive"] == 3


def test_edge_length_is_the_rd_distance_between_the_two_nodes() -> None:
    network = build_network_from_osm(ONEWAY, mode="walk")
    # Nodes 1 and 2: 52.37 N, 4.900 and 4.901 E – 0.001° of longitude, about 68 m there.
    x, y = to_rd(np.array([4.9000, 4.9010]), np.array([52.3700, 52.3700]))
    expected = float(np.hypot(x[1] - x[0], y[1] - y[0]))
    i, j = (int(np.flatnonzero(network.node_id == n)[0]) for n in (1, 2))
    row = network.indices[network.indptr[i]:network.indptr[i + 1]]
    assert network.length_m[network.indptr[i] + int(np.flatnonzero(row == j)[0])] == pytest.approx(expected, abs=1e-9)
    assert 67 < expected < 69


def test_way_edges_trace_every_edge_to_its_way() -> None:
    ways = read_osm_ways(ONEWAY)
    edges = collect_way_edges(ways, mode="bike")
    by_pair = dict(zip(zip(edges.u.tolist(), edges.v.tolist(), strict=True), edges.way_id.tolist(), strict=True))
    assert by_pair[(3, 2)] == 102 and by_pair[(7, 5)] == 105 and by_pair[(14, 13)] == 114


def test_clip_keeps_whole_ways_with_a_node_inside() -> None:
    # A 20 m square around node 14 (52.368 N, 4.904 E): ways 114 (13-14) and 115 (14-15) touch it.
    x, y = to_rd(np.array([4.9040]), np.array([52.3680]))
    square = shapely.box(x[0] - 10, y[0] - 10, x[0] + 10, y[0] + 10)
    walk = build_network_from_osm(ONEWAY, mode="walk", polygon=square)
    assert edges_by_osm_id(walk) == both((13, 14), (14, 15))
    clip = walk.meta["filters"]["clip"]
    assert clip["rule"].startswith("ways with at least one node inside") and clip["area_km2"] == 0.0
    assert walk.meta["ways_outside_clip"] == 11
    bike = build_network_from_osm(ONEWAY, mode="bike", polygon=square)
    assert edges_by_osm_id(bike) == both((13, 14))


@pytest.mark.parametrize("suffix", [".osm.gz", ".osm.bz2"])
def test_compressed_osm_xml_reads_the_same(tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"oneway{suffix}"
    opener = gzip.open if suffix.endswith("gz") else bz2.open
    with opener(target, "wb") as out:
        out.write(ONEWAY.read_bytes())
    assert edges_by_osm_id(build_network_from_osm(target, mode="bike")) == EXPECTED_BIKE


def test_pbf_reads_the_same_as_xml(tmp_path: Path) -> None:
    target = tmp_path / "oneway.osm.pbf"
    with osmium.SimpleWriter(str(target)) as writer:
        for obj in osmium.FileProcessor(str(ONEWAY)):
            writer.add(obj)
    assert edges_by_osm_id(build_network_from_osm(target, mode="walk")) == EXPECTED_WALK


# --------------------------------------------------------------------------- profiles, rule by rule

#: (tags, walk (forward, backward), bike (forward, backward))
RULES = [
    ({"highway": "residential"}, (True, True), (True, True)),
    ({"highway": "residential", "oneway": "yes"}, (True, True), (True, False)),
    ({"highway": "residential", "oneway": "true"}, (True, True), (True, False)),
    ({"highway": "residential", "oneway": "1"}, (True, True), (True, False)),
    ({"highway": "residential", "oneway": "-1"}, (True, True), (False, True)),
    ({"highway": "residential", "oneway": "reverse"}, (True, True), (False, True)),
    ({"highway": "primary", "junction": "roundabout"}, (True, True), (True, False)),
    ({"highway": "primary", "junction": "roundabout", "oneway:bicycle": "no"}, (True, True), (True, True)),
    ({"highway": "residential", "oneway": "yes", "cycleway:left": "opposite_lane"}, (True, True), (True, True)),
    ({"highway": "residential", "oneway": "yes", "cycleway:left": "lane", "cycleway:left:oneway": "-1"},
     (True, True), (True, True)),
    ({"highway": "residential", "oneway": "-1", "oneway:bicycle": "no"}, (True, True), (True, True)),
    ({"highway": "cycleway"}, (True, True), (True, True)),                   # fietspad: walkable
    ({"highway": "cycleway", "foot": "no"}, (False, False), (True, True)),
    ({"highway": "cycleway", "oneway": "-1"}, (True, True), (False, True)),
    ({"highway": "footway"}, (True, True), (False, False)),
    ({"highway": "footway", "bicycle": "designated"}, (True, True), (True, True)),
    ({"highway": "footway", "bicycle": "dismount"}, (True, True), (False, False)),
    ({"highway": "pedestrian", "bicycle": "yes", "oneway": "yes"}, (True, True), (True, False)),
    ({"highway": "steps"}, (True, True), (False, False)),
    ({"highway": "path"}, (True, True), (True, True)),
    ({"highway": "path", "bicycle": "no"}, (True, True), (False, False)),
    ({"highway": "corridor"}, (True, True), (False, False)),
    ({"highway": "motorway"}, (False, False), (False, False)),
    ({"highway": "trunk_link", "foot": "permissive"}, (True, True), (False, False)),
    ({"highway": "trunk", "bicycle": "yes"}, (False, False), (True, True)),
    ({"highway": "busway"}, (False, False), (False, False)),
    ({"highway": "busway", "foot": "yes", "bicycle": "yes"}, (True, True), (True, True)),
    ({"highway": "construction", "foot": "designated"}, (False, False), (False, False)),
    ({"highway": "service", "access": "private"}, (False, False), (False, False)),
    ({"highway": "service", "access": "no", "foot": "yes"}, (True, True), (False, False)),
    ({"highway": "service", "access": "private", "bicycle": "permissive"}, (False, False), (True, True)),
    ({"highway": "residential", "vehicle": "no"}, (True, True), (False, False)),
    ({"highway": "primary", "bicycle": "use_sidepath"}, (True, True), (False, False)),
    ({"highway": "primary", "foot": "use_sidepath"}, (False, False), (True, True)),
    ({"highway": "bus_stop"}, (False, False), (False, False)),
    ({"building": "yes"}, (False, False), (False, False)),
    ({"highway": " Residential ", "oneway": "YES"}, (True, True), (True, False)),  # values are normalised
]


@pytest.mark.parametrize(("tags", "walk", "bike"), RULES, ids=[str(r[0]) for r in RULES])
def test_profile_rule(tags: dict, walk: tuple, bike: tuple) -> None:
    assert WALK.classify(tags)[:2] == walk
    assert BIKE.classify(tags)[:2] == bike


TAG_VALUES = {
    "highway": st.sampled_from(["footway", "cycleway", "residential", "primary", "motorway", "steps", "busway",
                                "service", "path", "track", "trunk", "pedestrian", "platform"]),
    "foot": st.sampled_from(["yes", "no", "designated", "permissive", "use_sidepath"]),
    "bicycle": st.sampled_from(["yes", "no", "designated", "dismount", "use_sidepath"]),
    "access": st.sampled_from(["yes", "no", "private", "destination"]),
    "oneway": st.sampled_from(["yes", "no", "-1", "reverse", "1"]),
    "oneway:bicycle": st.sampled_from(["yes", "no", "-1"]),
    "junction": st.sampled_from(["roundabout", "circular"]),
    "cycleway": st.sampled_from(["lane", "opposite", "opposite_track", "track"]),
}
tag_dicts = st.fixed_dictionaries({"highway": TAG_VALUES["highway"]},
                                  optional={k: v for k, v in TAG_VALUES.items() if k != "highway"})


@settings(max_examples=300, deadline=None)
@given(tags=tag_dicts)
def test_profile_invariants(tags: dict) -> None:
    walk_f, walk_b, walk_reason = WALK.classify(tags)
    bike_f, bike_b, bike_reason = BIKE.classify(tags)
    assert walk_f == walk_b  # walking is always both ways
    assert (walk_f or walk_b) == (walk_reason == KEPT) and (bike_f or bike_b) == (bike_reason == KEPT)
    assert not WALK.classify({**tags, "foot": "no"})[0]
    assert not any(BIKE.classify({**tags, "bicycle": "no"})[:2])
    if bike_f or bike_b:  # lifting one-way for bikes only ever adds the other direction
        assert BIKE.classify({**tags, "oneway:bicycle": "no"})[:2] == (True, True)


# --------------------------------------------------------------------------- real fixtures

#: (file, mode) → (nodes, directed edges, nodes in the largest strongly connected component).
#: Measured with this reader; checked by hand: the ways_read/kept counts in meta agree with
#: counting highway ways in the file independently (782 in amsterdam_centre: PROVENANCE lists
#: GDAL's 'lines' layer, which also holds non-highway lines), the walk network is symmetric,
#: and the excluded-way check below finds the excluded ways' node pairs absent. Delft: the
#: GraphML's 1,257 nodes plus the interior vertices of its curved edges (see load_graphml_network).
REAL_COUNTS = {
    ("osm_amsterdam_fixtures/amsterdam_centre.osm.gz", "walk"): (3071, 6768, 2889),
    ("osm_amsterdam_fixtures/amsterdam_centre.osm.gz", "bike"): (1243, 1979, 1019),
    ("osm_amsterdam_fixtures/amsterdam_valhalla_test.osm.pbf", "walk"): (266, 556, 200),
    ("osm_amsterdam_fixtures/amsterdam_valhalla_test.osm.pbf", "bike"): (122, 200, 78),
    ("osm_delft_centre_walk_graphml/delft_centre_walk.graphml", "walk"): (3452, 7858, 3452),
}
#: lon0, lat0, lon1, lat1 of each fixture: the .osm.gz <bounds>, PROVENANCE.md for the others.
BBOX = {
    "amsterdam_centre.osm.gz": (4.89063, 52.36568, 4.90368, 52.37372),
    "amsterdam_valhalla_test.osm.pbf": (4.925, 52.339, 4.940, 52.348),
    "delft_centre_walk.graphml": (4.35052, 52.00522, 4.36909, 52.01834),
}
_networks: dict[tuple[str, str], Network] = {}


def real_network(data_root: Path, name: str, mode: str) -> Network:
    if (name, mode) not in _networks:
        _networks[(name, mode)] = build_network(data_root / name, mode=mode)
    return _networks[(name, mode)]


@pytest.mark.parametrize(("name", "mode"), list(REAL_COUNTS), ids=[f"{Path(n).name}-{m}" for n, m in REAL_COUNTS])
def test_real_fixture_counts_are_stable(data_root: Path, name: str, mode: str) -> None:
    network = real_network(data_root, name, mode)
    assert (network.n_nodes, network.n_edges, int(network.largest_component().sum())) == REAL_COUNTS[(name, mode)]


@pytest.mark.parametrize(("name", "mode"), list(REAL_COUNTS), ids=[f"{Path(n).name}-{m}" for n, m in REAL_COUNTS])
def test_real_fixture_network_is_well_formed_and_in_its_bbox(data_root: Path, name: str, mode: str) -> None:
    network = real_network(data_root, name, mode)
    src, dst = network.edge_from(), network.indices.astype(np.int64)
    assert not np.any(src == dst)
    assert len(np.unique(src * network.n_nodes + dst)) == network.n_edges
    assert network.length_m.min() >= MIN_EDGE_M
    if not name.endswith(".graphml"):  # OSM edges are straight: length = RD distance of the end nodes
        straight = np.hypot(network.x[dst] - network.x[src], network.y[dst] - network.y[src])
        np.testing.assert_allclose(network.length_m, np.maximum(straight, MIN_EDGE_M), rtol=0, atol=1e-9)
        assert (network.node_id > 0).all()
    if mode == "walk":
        seg = network.segments()
        assert (seg["fwd"] & seg["bwd"]).all()
    lon0, lat0, lon1, lat1 = BBOX[Path(name).name]
    bx, by = to_rd(np.array([lon0, lon1, lon0, lon1]), np.array([lat0, lat0, lat1, lat1]))
    # Extracts keep whole ways, so nodes reach past the bbox: at most 500 m (measured: 351 m).
    margin = 500.0
    assert network.x.min() >= bx.min() - margin and network.x.max() <= bx.max() + margin
    assert network.y.min() >= by.min() - margin and network.y.max() <= by.max() + margin
    inside = (network.x >= bx.min()) & (network.x <= bx.max()) & (network.y >= by.min()) & (network.y <= by.max())
    assert inside.mean() > 0.85


def _independent_way_pairs(path: Path) -> tuple[dict[int, dict], dict[tuple[int, int], set[int]]]:
    """Tags per highway way and the ways over each node pair, read here without geo.data.osm_files."""
    tags, pairs = {}, {}
    for way in osmium.FileProcessor(str(path), osmium.osm.WAY):
        t = {x.k: x.v for x in way.tags}
        if "highway" not in t:
            continue
        tags[way.id] = t
        refs = [n.ref for n in way.nodes]
        for a, b in itertools.pairwise(refs):
            pairs.setdefault((min(a, b), max(a, b)), set()).add(way.id)
    return tags, pairs


def _walk_forbidden(t: dict) -> bool:
    permitted = t.get("foot") in {"yes", "designated", "permissive"}
    motor = t["highway"] in {"motorway", "motorway_link", "trunk", "trunk_link"}
    return t.get("foot") == "no" or (motor and not permitted) or (
        t.get("access") in {"no", "private"} and not permitted)


@pytest.mark.parametrize("name", ["amsterdam_centre.osm.gz", "amsterdam_valhalla_test.osm.pbf"])
def test_walk_network_has_no_motorway_trunk_or_foot_no_edges(data_root: Path, name: str) -> None:
    path = data_root / "osm_amsterdam_fixtures" / name
    tags, pairs = _independent_way_pairs(path)
    forbidden_only = {p for p, ways in pairs.items() if all(_walk_forbidden(tags[w]) for w in ways)}
    assert len(forbidden_only) >= 8  # not vacuous: 8 pairs in the .pbf (6 trunk ways), 144 in the .osm.gz
    walk = real_network(data_root, f"osm_amsterdam_fixtures/{name}", "walk")
    present = {(min(a, b), max(a, b)) for a, b in edges_by_osm_id(walk)}
    assert not (present & forbidden_only)
    # …and every edge comes from a way the independent rule allows.
    edges = collect_way_edges(read_osm_ways(path), mode="walk")
    assert not any(_walk_forbidden(tags[w]) for w in set(edges.way_id.tolist()))


def test_amsterdam_meta_and_round_trip(data_root: Path, tmp_path: Path) -> None:
    network = real_network(data_root, "osm_amsterdam_fixtures/amsterdam_centre.osm.gz", "walk")
    assert network.meta["ways_read"] == 782 and network.meta["ways_kept"] == 705
    assert network.meta["data_timestamp"] == "2026-02-11T14:07:18Z"
    assert "OpenStreetMap" in network.meta["licence"]
    # Total street length (each segment once): 40.7 km in this ~0.9 x 0.9 km clip with its footways.
    assert network.segments()["length_m"].sum() / 1000 == pytest.approx(40.745, abs=0.01)
    back = Network.load(network.save(tmp_path / "ams_walk.npz"))
    for key in ("x", "y", "indptr", "indices", "length_m", "node_id"):
        np.testing.assert_array_equal(getattr(back, key), getattr(network, key))
    assert back.meta["profile_rules"] == network.meta["profile_rules"]


def test_clip_on_real_data_keeps_fewer_nodes(data_root: Path) -> None:
    path = data_root / "osm_amsterdam_fixtures" / "amsterdam_centre.osm.gz"
    x, y = to_rd(np.array([4.8970]), np.array([52.3697]))  # ~ Nieuwmarkt
    clipped = build_network_from_osm(path, mode="walk", polygon=shapely.Point(x[0], y[0]).buffer(200))
    full = real_network(data_root, "osm_amsterdam_fixtures/amsterdam_centre.osm.gz", "walk")
    assert 0 < clipped.n_nodes < full.n_nodes
    assert edges_by_osm_id(clipped) <= edges_by_osm_id(full)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("name", "mode", "message"),
    [
        ("empty.osm", "walk", "is empty"),
        ("truncated_centre.osm.gz", "walk", "gzip error"),
        ("truncated_valhalla.osm.pbf", "bike", "PBF error"),
        ("html_page.osm", "walk", "Could not read 'html_page.osm'"),
        ("no_highways.osm", "walk", "no OSM ways with a highway tag"),
        ("only_motorway.osm", "walk", "none of its 2 highway ways is usable for walk"),
        ("only_motorway.osm", "bike", "usable for bike"),
        ("does_not_exist.osm.pbf", "walk", "not found"),
    ],
)
def test_bad_osm_file_raises_data_file_error(name: str, mode: str, message: str) -> None:
    with pytest.raises(DataFileError, match=message.replace("(", r"\(")):
        build_network_from_osm(OSM_FIXTURES / name, mode=mode)


def test_bad_arguments() -> None:
    with pytest.raises(ParameterError, match="Unknown mode 'car'"):
        build_network_from_osm(ONEWAY, mode="car")
    with pytest.raises(DataFileError, match="unknown OSM file type"):
        build_network_from_osm(OSM_FIXTURES / "make_osm_fixtures.py", mode="walk")
    with pytest.raises(CrsError, match="lon/lat"):
        build_network_from_osm(ONEWAY, mode="walk", polygon=shapely.box(4.89, 52.36, 4.91, 52.38))
    with pytest.raises(GeometryError, match="Polygon"):
        build_network_from_osm(ONEWAY, mode="walk", polygon=shapely.Point(121_000, 487_000))
    far = shapely.box(150_000, 450_000, 151_000, 451_000)  # Utrecht, nowhere near the file
    with pytest.raises(DataFileError, match="16 highway ways is usable for walk, 13 outside the clip polygon"):
        build_network_from_osm(ONEWAY, mode="walk", polygon=far)
    assert issubclass(DataFileError, PlanningError)
    # build_network (which file type goes to which reader, and what it refuses): tests/test_networks.py


# --------------------------------------------------------------------------- CLI


def test_cli_network_build(capsys: pytest.CaptureFixture[str], data_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "ams_bike.npz"
    code = main(["network", "build", "--osm", str(data_root / "osm_amsterdam_fixtures" / "amsterdam_centre.osm.gz"),
                 "--mode", "bike", "--out", str(out)])
    stdout, stderr = capsys.readouterr()
    assert (code, stderr) == (0, "")
    assert "bike network, 1,243 nodes, 1,979 edges; largest component 1,019 nodes (82.0%)" in stdout
    assert Network.load(out).n_edges == 1979


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--osm", str(OSM_FIXTURES / "empty.osm"), "--mode", "walk", "--out", "{tmp}/x.npz"], "is empty"),
        (["--osm", str(OSM_FIXTURES / "truncated_centre.osm.gz"), "--mode", "walk", "--out", "{tmp}/x.npz"],
         "truncated"),
        (["--osm", str(ONEWAY), "--mode", "walk", "--out", "{tmp}/x.csv"], "expected a .npz file"),
        (["--osm", str(ONEWAY), "--mode", "walk", "--out", "{tmp}/no/such/dir/x.npz"], "existing folder"),
        (["--osm", str(ONEWAY), "--mode", "walk", "--out", "{tmp}/x.npz", "--polygon", str(ONEWAY)],
         "expected a map layer"),
    ],
)
def test_cli_network_build_bad_input_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], message: str
) -> None:
    code = main(["network", "build", *[a.replace("{tmp}", str(tmp_path)) for a in argv]])
    _stdout, stderr = capsys.readouterr()
    assert code == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], stderr


# --------------------------------------------------------------------------- the fixtures themselves


def test_osm_fixtures_are_small_and_reproducible(data_root: Path, tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_osm_fixtures", OSM_FIXTURES / "make_osm_fixtures.py")
    maker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(maker)
    for path in maker.make_all(data_root, tmp_path):
        assert path.read_bytes() == (OSM_FIXTURES / path.name).read_bytes(), path.name
    assert sum(p.stat().st_size for p in OSM_FIXTURES.iterdir() if p.is_file()) < 100_000
