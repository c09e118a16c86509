"""geo/data/build.py: the default Utrecht dataset is built from the shared open data (the in-repo copy in
tests/fixtures/shared), and the committed data/utrecht is exactly what the build gives (so the embedded
default is reproducible)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal

from geo.data import files
from geo.data.build import build_default
from geo.data.paths import DEFAULT_DATA_DIR


@pytest.fixture(scope="module")
def built(data_root: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    out = tmp_path_factory.mktemp("utrecht")
    meta = build_default(data_root, out)
    return meta, out


def read_layers(folder: Path) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    gpkg = folder / "dataset.gpkg"
    return gpd.read_file(gpkg, layer="buurten"), gpd.read_file(gpkg, layer="facilities")


def test_buurten(built: tuple[dict, Path]) -> None:
    meta, out = built
    buurten, _ = read_layers(out)
    assert meta["n_buurten"] == 111 == len(buurten)
    assert buurten.crs.to_epsg() == 28992
    assert buurten["buurt_code"].is_unique and buurten["buurt_code"].str.fullmatch(r"BU0344\d{4}").all()
    assert buurten["wijk_code"].str.fullmatch(r"WK0344\d{2}").all() and buurten["wijk_code"].nunique() == 10
    assert (buurten["municipality_code"] == "GM0344").all()
    assert buurten.is_valid.all() and set(buurten.geom_type) <= {"Polygon", "MultiPolygon"}
    row = buurten.set_index("buurt_code").loc["BU03440111"]  # PROVENANCE: a_inw 1810, a_00_14 200, WOZ 430
    assert (row["buurt_name"], row["a_inw"], row["a_00_14"], row["g_wozbag"]) == (
        "Welgelegen, Den Hommel",
        1810,
        200,
        430,
    )
    assert buurten["a_inw"].sum() == 367_715  # PROVENANCE: sum over the 111 buurten


def test_facilities(built: tuple[dict, Path]) -> None:
    meta, out = built
    _, fac = read_layers(out)
    counts = {"primary_school": 98, "sport": 257, "swimming_pool": 9}
    assert meta["n_facilities"] == counts
    assert fac["facility_type"].value_counts().to_dict() == counts
    assert fac.crs.to_epsg() == 28992 and set(fac.geom_type) == {"Point"} and fac["facility_id"].is_unique
    schools = fac[fac["facility_type"] == "primary_school"]
    assert schools["capacity"].notna().all() and (schools["capacity"] > 0).all()  # pupils joined for all 98
    assert schools["location_precision"].value_counts().to_dict() == {"pc4_centroid": 58, "address": 23, "pc6": 17}
    assert (fac.loc[fac["facility_type"] != "primary_school", "location_precision"] == "source").all()


def test_bad_mulier_coordinate_is_dropped_and_reported(built: tuple[dict, Path]) -> None:
    meta, out = built
    _, fac = read_layers(out)
    assert "mulier-21770" not in set(fac["facility_id"]) and "De Wilg" not in set(fac["name"])
    notes = [n for n in meta["build_notes"] if "De Wilg" in n]
    assert len(notes) == 1 and "mulier-21770" in notes[0] and "outside the municipality" in notes[0]


def test_committed_default_is_reproducible(built: tuple[dict, Path]) -> None:
    meta, out = built
    committed_meta = json.loads((DEFAULT_DATA_DIR / "dataset.json").read_text(encoding="utf-8"))
    assert meta == committed_meta
    new_b, new_f = read_layers(out)
    old_b, old_f = read_layers(DEFAULT_DATA_DIR)
    # Key columns first, so that a failure says which part changed.
    assert new_b["buurt_code"].tolist() == old_b["buurt_code"].tolist()
    for col in ("buurt_name", "wijk_code", "a_inw", "a_00_14", "a_soz_wb", "cbs_dist_library_m"):
        pd.testing.assert_series_equal(new_b[col], old_b[col], check_names=True)
    assert new_f["facility_id"].tolist() == old_f["facility_id"].tolist()
    for col in ("facility_type", "name", "capacity", "location_precision"):
        pd.testing.assert_series_equal(new_f[col], old_f[col])
    # Then everything, geometry and CRS included.
    assert_geodataframe_equal(new_b, old_b, check_crs=True)
    assert_geodataframe_equal(new_f, old_f, check_crs=True)


def test_built_folder_loads_as_a_dataset(built: tuple[dict, Path]) -> None:
    _, out = built
    d = files.load_dataset(out)
    assert d.name == "Utrecht" and len(d.buurten) == 111 and len(d.facilities) == 364
