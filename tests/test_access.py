"""Access step: nearest distances, the choice of measure per type, labels."""

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo import schema
from geo.data import files
from geo.data.paths import DEFAULT_DATA_DIR
from geo.decide.access import (
    CBS_ROAD,
    NETWORK,
    NO_DATA,
    STRAIGHT_LINE,
    NetworkEngine,
    StraightLineEngine,
    compute_access,
    compute_origin_points,
)
from tests.helpers import grid_network


@pytest.fixture(scope="module")
def dataset() -> files.Dataset:
    return files.load_dataset(DEFAULT_DATA_DIR)


def test_origin_points_lie_inside_their_buurt(dataset):
    pts = compute_origin_points(dataset.buurten)
    assert pts.within(dataset.buurten.geometry).all()
    assert pts.crs.to_epsg() == 28992


def test_straight_line_nearest_equals_brute_force(dataset):
    origins = compute_origin_points(dataset.buurten)
    sport = dataset.facilities[dataset.facilities[schema.FACILITY_TYPE] == "sport"]
    d, i = StraightLineEngine().nearest(origins, sport.geometry)
    ox, oy = shapely.get_x(origins.values), shapely.get_y(origins.values)
    fx, fy = shapely.get_x(sport.geometry.values), shapely.get_y(sport.geometry.values)
    full = np.hypot(ox[:, None] - fx[None, :], oy[:, None] - fy[None, :])
    np.testing.assert_allclose(d, full.min(axis=1))
    np.testing.assert_allclose(full[np.arange(len(d)), i], d)


def test_measure_per_type_follows_the_documented_order(dataset):
    res = compute_access(dataset.buurten, dataset.facilities)
    m = res.measures
    # CBS publishes road distances for these in nabijheid 2023:
    for key in ("library", "childcare", "after_school_care", "swimming_pool"):
        assert m[key].method == CBS_ROAD
        np.testing.assert_allclose(
            res.distances[f"dist_{key}_m"], dataset.buurten[f"cbs_dist_{key}_m"], equal_nan=True
        )
    # Only points for these: straight line, labelled as an approximation.
    assert m["sport"].method == STRAIGHT_LINE and m["sport"].is_approximation
    assert "hemelsbreed" in m["sport"].label("nl")
    assert m["primary_school"].method == STRAIGHT_LINE
    assert "58 van 98" in m["primary_school"].caveat_nl  # PC4-centroid schools are flagged
    # No data at all: missing, never zero.
    assert m["culture"].method == NO_DATA
    assert res.distances["dist_culture_m"].isna().all()
    assert res.nearest_ids["nearest_sport_id"].str.startswith("mulier-").all()


def test_a_network_engine_takes_precedence_over_cbs_and_gives_minutes(dataset):
    net = grid_network(dataset.buurten.total_bounds, 200.0)
    engine = NetworkEngine(net, speed_kmh=4.0)
    res = compute_access(dataset.buurten, dataset.facilities, engine=engine, facility_types=("swimming_pool", "sport"))
    m = res.measures["swimming_pool"]
    assert m.method == NETWORK and m.n_facilities == 9 and m.mode == "walk" and m.speed_kmh == 4.0
    assert m.n_unsnapped == 0
    assert m.label("nl") == "over het straten-netwerk (lopen, 4 km/u)"
    d = res.distances
    np.testing.assert_allclose(d["time_sport_min"], d["dist_sport_m"] / (4000 / 60))
    # On a grid, walking distance is at least the straight line and at most the Manhattan distance + snapping.
    straight = compute_access(dataset.buurten, dataset.facilities, facility_types=("sport",)).distances["dist_sport_m"]
    assert (d["dist_sport_m"] >= straight - 1e-6).all()
    assert (d["dist_sport_m"] <= straight * np.sqrt(2) + 2 * 200.0).all()


def test_facility_at_the_origin_gives_zero(dataset):
    origins = compute_origin_points(dataset.buurten)
    fac = gpd.GeoDataFrame(
        {schema.FACILITY_ID: ["x"], schema.FACILITY_TYPE: ["culture"], schema.FACILITY_NAME: ["Podium"]},
        geometry=[origins.iloc[5]],
        crs=schema.WORK_CRS,
    )
    res = compute_access(dataset.buurten, fac, facility_types=("culture",))
    assert res.distances["dist_culture_m"].iloc[5] == 0
    assert (res.distances["dist_culture_m"] >= 0).all()
