"""The 'access' and 'isochrones' commands on the real OSM fixtures, checked against networkx.

Origins and facilities are placed exactly on network nodes (snap distance 0), so
the CLI's figures must equal networkx Dijkstra over the same directed edges to
the metre.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.cli import main
from geo.data.networks import build_network
from geo.network.graph import Network
from geo.schema import WORK_CRS

SPEED_KMH = 4.0


def _points(net: Network, nodes: np.ndarray, id_column: str, prefix: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {id_column: [f"{prefix}{i}" for i in range(len(nodes))], "node": nodes},
        geometry=shapely.points(net.x[nodes], net.y[nodes]),
        crs=WORK_CRS,
    )


@pytest.fixture(scope="module")
def placed(delft_walk: Network, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Five facilities and 40 origins on random nodes of the largest component (seed 7)."""
    rng = np.random.default_rng(7)
    lcc = np.flatnonzero(delft_walk.largest_component())
    fac_nodes = rng.choice(lcc, 5, replace=False)
    org_nodes = rng.choice(np.setdiff1d(lcc, fac_nodes), 40, replace=False)
    folder = tmp_path_factory.mktemp("placed")
    fac = _points(delft_walk, fac_nodes, "facility_id", "F").assign(facility_type="library")
    org = _points(delft_walk, org_nodes, "id", "O")
    fac.to_file(folder / "fac.gpkg")
    org.to_file(folder / "origins.gpkg")
    return {"fac": fac, "org": org, "folder": folder}


def _graph(net: Network) -> nx.DiGraph:
    g = nx.DiGraph()
    for a, b, w in zip(net.edge_from().tolist(), net.indices.tolist(), net.length_m.tolist(), strict=True):
        if not g.has_edge(a, b) or g[a][b]["w"] > w:  # parallel edges: the shortest counts
            g.add_edge(a, b, w=w)
    return g


def _access(args: list[str], out: Path) -> pd.DataFrame:
    assert main(["access", *args, "--out", str(out)]) == 0
    return pd.read_csv(out, dtype={"origin_id": str, "facility_id": str}).set_index("origin_id")


def test_access_nearest_equals_networkx_to_the_metre(delft_graphml: Path, delft_walk: Network, placed: dict) -> None:
    folder = placed["folder"]
    table = _access(["--network", str(delft_graphml), "--facilities", str(folder / "fac.gpkg"),
                     "--origins", str(folder / "origins.gpkg"), "--speed-kmh", str(SPEED_KMH)], folder / "near.csv")
    assert {"time_min", "dist_m", "facility_id"} <= set(table.columns)
    assert len(table) == 40
    # Travel origin → facility = facility → origin on the reversed graph, from all facilities at once.
    rev = _graph(delft_walk).reverse(copy=True)
    fac_node = dict(zip(placed["fac"]["node"], placed["fac"]["facility_id"], strict=True))
    dist, paths = nx.multi_source_dijkstra(rev, set(fac_node), weight="w")
    for oid, node in zip(placed["org"]["id"], placed["org"]["node"], strict=True):
        row = table.loc[oid]
        assert row["dist_m"] == pytest.approx(dist[node], abs=1e-6)
        assert row["time_min"] == pytest.approx(dist[node] / (SPEED_KMH * 1000 / 60), abs=1e-9)
        # The named facility is at that distance (ties may name another of equal distance).
        own = nx.shortest_path_length(rev, placed["fac"].set_index("facility_id").loc[row["facility_id"], "node"],
                                      node, weight="w")
        assert own == pytest.approx(dist[node], abs=1e-6)
        assert fac_node[paths[node][0]] == row["facility_id"] or own == pytest.approx(dist[node], abs=1e-6)


def test_access_cumulative_counts_match_networkx(delft_graphml: Path, delft_walk: Network, placed: dict) -> None:
    folder = placed["folder"]
    table = _access(["--network", str(delft_graphml), "--facilities", str(folder / "fac.gpkg"),
                     "--origins", str(folder / "origins.gpkg"), "--method", "cumulative", "--minutes", "5,10"],
                    folder / "cum.csv")
    g = _graph(delft_walk)
    per_fac = {f: nx.single_source_dijkstra_path_length(g.reverse(copy=False), f, weight="w")
               for f in placed["fac"]["node"]}
    metres_per_min = SPEED_KMH * 1000 / 60
    for oid, node in zip(placed["org"]["id"], placed["org"]["node"], strict=True):
        for minutes in (5, 10):
            expected = sum(d.get(node, np.inf) <= minutes * metres_per_min for d in per_fac.values())
            assert table.loc[oid, f"n_within_{minutes}min"] == expected


def test_access_2sfca_conserves_supply_when_everyone_reaches(delft_graphml: Path, placed: dict) -> None:
    """With a catchment larger than the graph every facility's capacity is shared out in full."""
    folder = placed["folder"]
    table = _access(["--network", str(delft_graphml), "--facilities", str(folder / "fac.gpkg"),
                     "--origins", str(folder / "origins.gpkg"), "--method", "2sfca", "--minutes", "120"],
                    folder / "fca.csv")
    # One band, weight 1, demand 1 per origin: Σ_i A_i = Σ_j capacity_j = 5 facilities.
    assert table["access_2sfca"].sum() == pytest.approx(5.0, rel=1e-9)
    assert (table["access_2sfca"] > 0).all()


def test_access_without_origins_outside_utrecht_says_what_to_pass(
    capsys: pytest.CaptureFixture[str], delft_graphml: Path, placed: dict
) -> None:
    code = main(["access", "--network", str(delft_graphml), "--facilities", str(placed["folder"] / "fac.gpkg"),
                 "--out", str(placed["folder"] / "x.csv")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.count("\n") == 0 and "--origins" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [(["--minutes", "5,abc"], "--minutes"), (["--minutes", "0"], "between 0 and 120"),
     (["--speed-kmh", "0"], "--speed-kmh"), (["--method", "nearest", "--out-name", "x.gpkg"], ".csv")],
)
def test_access_bad_arguments_exit_2(
    capsys: pytest.CaptureFixture[str], delft_graphml: Path, placed: dict, extra: list[str], message: str
) -> None:
    folder = placed["folder"]
    out = folder / "bad.csv"
    if "--out-name" in extra:
        i = extra.index("--out-name")
        out = folder / extra[i + 1]
        extra = extra[:i]
    code = main(["access", "--network", str(delft_graphml), "--facilities", str(folder / "fac.gpkg"),
                 "--origins", str(folder / "origins.gpkg"), *extra, "--out", str(out)])
    assert code == 2
    assert message in capsys.readouterr().err


def test_isochrones_on_amsterdam_osm(data_root: Path, tmp_path: Path) -> None:
    """Bike isochrones from the raw OSM extract: one polygon per facility and band, nested, around the facility."""
    osm = data_root / "osm_amsterdam_fixtures" / "amsterdam_centre.osm.gz"
    net = build_network(osm, mode="bike")
    lcc = np.flatnonzero(net.largest_component())
    nodes = np.random.default_rng(3).choice(lcc, 3, replace=False)
    fac = _points(net, nodes, "facility_id", "S").assign(facility_type="sport")
    fac.to_file(tmp_path / "fac.gpkg")
    out = tmp_path / "iso.gpkg"
    code = main(["isochrones", "--network", str(osm), "--mode", "bike", "--facilities", str(tmp_path / "fac.gpkg"),
                 "--minutes", "1,2,3", "--out", str(out)])
    assert code == 0
    iso = gpd.read_file(out)
    assert iso.crs.to_epsg() == 28992
    assert {"facility_id", "minutes"} <= set(iso.columns)
    assert len(iso) == 9 and iso.is_valid.all()
    for fid, point in zip(fac["facility_id"], fac.geometry, strict=True):
        own = iso[iso["facility_id"] == fid].sort_values("minutes")
        assert list(own["minutes"]) == [1, 2, 3]
        assert own.geometry.iloc[0].contains(point)
        areas = own.geometry.area.to_numpy()
        assert (np.diff(areas) > 0).all()
        # Nested up to the simplification tolerance (10 m cells).
        assert own.geometry.iloc[0].difference(own.geometry.iloc[2].buffer(10.0)).area < 1.0
        # Never a hull: 3 min of cycling at 12 km/h is 600 m, the polygon stays within it (+ walk-off + cell).
        assert own.geometry.iloc[2].hausdorff_distance(point) < 600 + 40 + 20


def test_isochrones_dissolve_gives_one_polygon_per_band(delft_graphml: Path, placed: dict, tmp_path: Path) -> None:
    out = tmp_path / "iso.gpkg"
    code = main(["isochrones", "--network", str(delft_graphml), "--facilities", str(placed["folder"] / "fac.gpkg"),
                 "--minutes", "5,10", "--dissolve", "--out", str(out)])
    assert code == 0
    iso = gpd.read_file(out)
    assert sorted(iso["minutes"]) == [5, 10]
    assert iso.geometry.contains(shapely.MultiPoint(list(placed["fac"].geometry))).all()
