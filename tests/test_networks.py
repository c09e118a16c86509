"""geo/data/networks.py: open any network file by its extension, and find the network built for a dataset.

``build_network`` is what the CLI's ``--network`` and the app's network folder go through:
each supported extension must reach its own reader (the result equals that reader's), and
anything else must be a one-line :class:`DataFileError` that lists what is supported.
"""

from __future__ import annotations

import bz2
import gzip
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.data.files import Dataset
from geo.data.networks import build_network, find_network
from geo.data.osm_files import build_network_from_osm
from geo.data.overpass import build_network_from_overpass_json
from geo.errors import DataFileError, ParameterError, PlanningError
from geo.network.graph import Network
from tests.helpers import straight_network

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ONEWAY = FIXTURES / "osm" / "oneway_rules.osm"  # hand-made, answers in tests/test_osm.py
OVERPASS = FIXTURES / "overpass" / "amsterdam_centre_highways.json.gz"
ARRAYS = ("x", "y", "indptr", "indices", "length_m", "node_id")


def assert_same_network(a: Network, b: Network) -> None:
    assert a.mode == b.mode
    for key in ARRAYS:
        np.testing.assert_array_equal(getattr(a, key), getattr(b, key), err_msg=key)


def dataset(name: str, **meta) -> Dataset:
    empty = gpd.GeoDataFrame(geometry=[], crs="EPSG:28992")
    return Dataset(buurten=empty, facilities=empty, meta={"name": name, **meta}, directory=f"data/{name}")


# ---------------------------------------------------------------------- find_network


def test_find_network_finds_name_mode_npz(tmp_path: Path) -> None:
    walk = straight_network([0, 1], [0, 0], [(0, 1)]).save(tmp_path / "utrecht_walk.npz")
    assert find_network(dataset("Utrecht"), "walk", tmp_path) == walk
    assert find_network(dataset("Utrecht"), "bike", tmp_path) is None  # only a walk network was built
    assert find_network(dataset("Amersfoort"), "walk", tmp_path) is None
    assert find_network(dataset("Utrecht"), "walk", tmp_path / "no_such_folder") is None


def test_find_network_names_follow_the_dataset(tmp_path: Path) -> None:
    """Lower case, spaces as underscores; ``network_name`` in dataset.json wins over the name."""
    den_haag = straight_network([0, 1], [0, 0], [(0, 1)], mode="bike").save(tmp_path / "den_haag_bike.npz")
    assert find_network(dataset("Den Haag"), "bike", tmp_path) == den_haag
    shared = straight_network([0, 1], [0, 0], [(0, 1)]).save(tmp_path / "regio_utrecht_walk.npz")
    assert find_network(dataset("Utrecht", network_name="Regio Utrecht"), "walk", tmp_path) == shared


# ---------------------------------------------------------------------- build_network: dispatch


@pytest.mark.parametrize("mode", ["walk", "bike"])
def test_osm_xml_in_any_compression_and_case_goes_to_the_osm_reader(tmp_path: Path, mode: str) -> None:
    expected = build_network_from_osm(ONEWAY, mode=mode)
    data = ONEWAY.read_bytes()
    (tmp_path / "plain.OSM").write_bytes(data)
    (tmp_path / "zipped.osm.gz").write_bytes(gzip.compress(data, mtime=0))
    (tmp_path / "zipped.osm.bz2").write_bytes(bz2.compress(data))
    for name in ("plain.OSM", "zipped.osm.gz", "zipped.osm.bz2"):
        network = build_network(tmp_path / name, mode=mode)
        assert_same_network(network, expected)
        assert network.n_edges > 0, name


def test_pbf_goes_to_the_osm_reader(data_root: Path) -> None:
    pbf = data_root / "osm_amsterdam_fixtures" / "amsterdam_valhalla_test.osm.pbf"
    network = build_network(pbf, mode="bike")
    assert_same_network(network, build_network_from_osm(pbf, mode="bike"))
    assert (network.n_nodes, network.n_edges) == (122, 200)  # pinned in tests/test_osm.py


def test_overpass_json_goes_to_the_overpass_reader(tmp_path: Path) -> None:
    answer = tmp_path / "overpass_answer.json"
    answer.write_bytes(gzip.decompress(OVERPASS.read_bytes()))
    network = build_network(answer, mode="walk")
    assert_same_network(network, build_network_from_overpass_json(answer, mode="walk"))
    assert network.meta["source_format"] == "overpass json"


def test_graphml_goes_to_the_osmnx_reader(delft_graphml: Path, delft_walk: Network) -> None:
    network = build_network(delft_graphml, mode="walk")
    assert_same_network(network, delft_walk)
    assert network.n_nodes == 3452  # the GraphML's 1,257 nodes + interior vertices of curved edges


def test_npz_is_loaded_and_must_hold_the_requested_mode(tmp_path: Path) -> None:
    bike = build_network_from_osm(ONEWAY, mode="bike")
    path = bike.save(tmp_path / "saved.npz")
    assert_same_network(build_network(path, mode="bike"), bike)
    with pytest.raises(DataFileError, match="'saved.npz' holds a bike network; expected a walk network"):
        build_network(path, mode="walk")
    with pytest.raises(DataFileError, match="Network file not found"):
        build_network(tmp_path / "missing.npz", mode="bike")


# ---------------------------------------------------------------------- build_network: what it refuses


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("network.txt", "'.txt'"),
        ("network", "'no extension'"),
        ("overpass_answer.json.gz", "'.gz'"),  # Overpass JSON must be unpacked first
        ("streets.shp", "'.shp'"),
    ],
)
def test_unknown_extension_is_a_data_file_error_listing_the_supported_types(
    tmp_path: Path, name: str, shown: str
) -> None:
    path = tmp_path / name
    path.write_bytes(b"whatever")
    with pytest.raises(DataFileError, match=f"unknown network file type {shown}") as info:
        build_network(path, mode="walk")
    for supported in (".osm.pbf", ".osm", ".osm.gz", ".osm.bz2", ".json (Overpass)", ".graphml (osmnx)", ".npz"):
        assert supported in str(info.value)
    assert isinstance(info.value, PlanningError) and len(str(info.value).splitlines()) == 1


def test_unknown_mode_and_misplaced_clip_polygon_are_parameter_errors(tmp_path: Path, delft_graphml: Path) -> None:
    with pytest.raises(ParameterError, match="car"):
        build_network(ONEWAY, mode="car")
    npz = straight_network([0, 1], [0, 0], [(0, 1)], mode="bike").save(tmp_path / "b.npz")
    clip = shapely.box(0, 300_000, 1, 300_001)
    for path in (npz, delft_graphml):
        with pytest.raises(ParameterError, match="clip polygon applies to OSM extracts and Overpass JSON"):
            build_network(path, mode="bike", polygon=clip)

