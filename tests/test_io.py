"""Loaders in geo/files.py: every good fixture loads as documented, every bad one raises the
named error with a message that says what was expected and what was found."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from geo.data import files
from geo.data.paths import DEFAULT_DATA_DIR
from geo.errors import (
    CrsError,
    DataFileError,
    DuplicateCodeError,
    GeometryError,
    InvalidValueError,
    MissingColumnError,
    PlanningError,
)

BUURTEN = ["BU03440111", "BU03440112", "BU03440113", "BU03440133"]
CBS_BUURTEN = [*BUURTEN, "BU03440952"]
#: Utrecht in EPSG:28992 with a margin (metres); degrees or swapped axes fall far outside.
UTRECHT_RD = (120_000, 440_000, 150_000, 475_000)
#: RD coordinates of the DUO schools in the fixtures (source: utrecht_basisscholen_geocoded x_rd/y_rd).
SCHOOLS_RD = {
    "28BF00": (129431.2, 454939.5),
    "03LX00": (130956.5, 454840.5),
    "16BL00": (134369.0, 458504.0),
    "27PN00": (131689.0, 456385.0),
}


def raises(error: type[PlanningError], call, *parts: str) -> PlanningError:
    """Assert ``call()`` raises exactly ``error`` (a ValueError too) and its message holds every part."""
    with pytest.raises(error) as info:
        call()
    assert type(info.value) is error, f"expected {error.__name__}, got {type(info.value).__name__}: {info.value}"
    assert isinstance(info.value, ValueError)
    message = str(info.value)
    missing = [p for p in parts if p not in message]
    assert not missing, f"message lacks {missing}: {message}"
    return info.value


def in_bounds(gdf: gpd.GeoDataFrame, box: tuple[float, float, float, float]) -> bool:
    x0, y0, x1, y1 = gdf.total_bounds
    return box[0] <= x0 and x1 <= box[2] and box[1] <= y0 and y1 <= box[3]


# --------------------------------------------------------------------------- buurten


def test_buurten_geopackage_rd(fixtures: Path) -> None:
    loaded = files.load_buurten(fixtures / "good" / "buurten_rd.gpkg")
    b = loaded.frame
    assert b.crs.to_epsg() == 28992
    assert list(b.index) == BUURTEN and list(b["buurt_code"]) == BUURTEN
    assert b.index.name is None  # an index named like a column makes sort_values("buurt_code") ambiguous
    assert b.sort_values("buurt_code").index.tolist() == BUURTEN
    assert b.loc["BU03440111", "buurt_name"] == "Welgelegen, Den Hommel"  # from bu_naam
    assert b["a_inw"].tolist() == [1810, 4200, 1380, 150]  # other columns are kept
    assert set(b.geom_type) == {"Polygon"} and b.is_valid.all()
    assert in_bounds(b, UTRECHT_RD)
    r = loaded.report
    assert (r.rows_read, r.rows_kept, r.n_dropped, r.notes) == (4, 4, 0, [])


def test_buurten_geojson_wgs84_is_reprojected_to_rd(fixtures: Path) -> None:
    loaded = files.load_buurten(fixtures / "good" / "buurten_wgs84.geojson")
    b = loaded.frame
    assert b.crs.to_epsg() == 28992
    assert in_bounds(b, UTRECHT_RD)  # metres, not degrees
    assert any("reprojected from EPSG:4326 to EPSG:28992" in n for n in loaded.report.notes)
    assert list(b.index) == BUURTEN
    # Independent path: the RD GeoPackage was made from the same features with to_crs(28992).
    rd = files.load_buurten(fixtures / "good" / "buurten_rd.gpkg").frame
    overlap = b.geometry.intersection(rd.geometry).area / b.geometry.union(rd.geometry).area
    assert (overlap > 0.999).all(), overlap


def test_invalid_bowtie_polygon_is_repaired_and_reported(fixtures: Path) -> None:
    path = fixtures / "good" / "buurten_bowtie.gpkg"
    raw = gpd.read_file(path)
    assert not raw.geometry.iloc[0].is_valid  # the fixture really is broken
    loaded = files.load_buurten(path)
    b = loaded.frame
    assert "repaired 1 invalid polygons with make_valid" in loaded.report.notes
    assert loaded.report.rows_kept == 3 and b.is_valid.all()
    assert set(b.geom_type) <= {"Polygon", "MultiPolygon"}
    # A bow-tie over a w × h box is two triangles of w*h/4 each.
    x0, y0, x1, y1 = raw.geometry.iloc[0].bounds
    assert b.geometry.iloc[0].area == pytest.approx((x1 - x0) * (y1 - y0) / 2, rel=1e-9)
    assert shapely.equals_exact(b.geometry.values[1:], raw.geometry.values[1:], tolerance=0).all()  # others untouched


BAD_BUURTEN = [
    ("buurten_no_crs.gpkg", {}, CrsError, ["no coordinate reference system", "Expected EPSG:28992"]),
    (
        "buurten_rd_labelled_4326.gpkg",
        {},
        CrsError,
        ["the file says EPSG:4326 (degrees)", "x 130835–135198", "looks like metres", "EPSG:28992 instead"],
    ),
    (
        "buurten_latlon_swapped.geojson",
        {},
        CrsError,
        ["outside the Netherlands (x -10000–310000, y 280000–640000)", "lat/lon swapped"],
    ),
    (
        "buurten_no_code_column.gpkg",
        {},
        MissingColumnError,
        ["expected a buurt code column (one of buurt_code, bu_code", "found columns: bu_naam, a_inw"],
    ),
    ("buurten_no_code_column.gpkg", {"code_column": "gwb_code"}, MissingColumnError, ["expected a buurt code column"]),
    (
        "buurten_duplicate_codes.gpkg",
        {},
        DuplicateCodeError,
        ["expected each buurt code once", "found 1 duplicated: BU03440111"],
    ),
    (
        "buurten_empty.gpkg",
        {},
        DataFileError,
        ["'buurten_empty.gpkg' is empty (0 bytes)", "expected a table or a map layer"],
    ),
    ("buurten_zero_features.gpkg", {}, DataFileError, ["expected buurt polygons, found 0 features"]),
    (
        "buurten_garbage.gpkg",
        {},
        DataFileError,
        ["Could not read 'buurten_garbage.gpkg' as a map layer", "not recognized as being in a supported file format"],
    ),
    ("buurten_truncated.geojson", {}, DataFileError, ["Could not read 'buurten_truncated.geojson' as a map layer"]),
    ("buurten_points.gpkg", {}, GeometryError, ["expected buurt polygons, found Point"]),
]


@pytest.mark.parametrize(
    ("name", "kwargs", "error", "parts"), BAD_BUURTEN, ids=[f"{c[0]}-{c[2].__name__}" for c in BAD_BUURTEN]
)
def test_bad_buurten(fixtures: Path, name: str, kwargs: dict, error: type[PlanningError], parts: list[str]) -> None:
    raises(error, lambda: files.load_buurten(fixtures / "bad" / name, **kwargs), *parts)


def test_buurten_wrong_kind_or_missing_file(fixtures: Path, tmp_path: Path) -> None:
    raises(
        DataFileError,
        lambda: files.load_buurten(fixtures / "good" / "schools_lonlat.csv"),
        "expected a map layer (",
        "found '.csv'",
    )
    raises(
        DataFileError,
        lambda: files.load_buurten(tmp_path / "nothere.gpkg"),
        "expected a file at",
        "found nothing there",
    )
    raises(DataFileError, lambda: files.load_buurten(tmp_path), "Expected a file but", "is a directory")


# --------------------------------------------------------------------------- CBS tables


def test_kwb_xlsx_suppression_markers_become_nan_and_are_counted(fixtures: Path) -> None:
    loaded = files.load_cbs_table(fixtures / "good" / "kwb2023_sample.xlsx")
    t, r = loaded.frame, loaded.report
    assert list(t.index) == CBS_BUURTEN and t.index.name == "buurt_code"
    # '.' (CBS), the number -99999999 (BU03440112 a_soz_wb) and an empty cell (BU03440113 a_00_14).
    assert r.suppressed == {"a_00_14": 1, "bev_dich": 1, "g_wozbag": 1, "a_soz_wb": 2, "g_ink_pi": 5}
    assert np.isnan(t.loc["BU03440112", "a_soz_wb"]) and np.isnan(t.loc["BU03440113", "a_00_14"])
    assert np.isnan(t.loc["BU03440952", "bev_dich"]) and t["g_ink_pi"].isna().all()
    for col in ("a_inw", "a_00_14", "bev_dich", "g_wozbag", "a_soz_wb", "g_ink_pi"):
        assert t[col].dtype == "float64", col
    # Suppressed values are never numbers: the sentinel does not drag the mean down.
    assert t["a_soz_wb"].min() >= 0
    assert t["a_soz_wb"].mean() == pytest.approx((10 + 10 + 0) / 3)
    assert t["a_00_14"].mean() == pytest.approx((200 + 1050 + 20 + 0) / 4)
    assert t.loc["BU03440111", "a_inw"] == 1810


def test_kwb_codes_keep_leading_zeros(fixtures: Path) -> None:
    path = fixtures / "good" / "kwb2023_sample.xlsx"
    buurt = files.load_cbs_table(path).frame
    assert buurt["gwb_code_8"].tolist() == ["03440111", "03440112", "03440113", "03440133", "03440952"]
    assert files.load_cbs_table(path, level="wijk").frame.loc["WK034401", "gwb_code_8"] == "034401"
    gemeente = files.load_cbs_table(path, level="gemeente").frame
    assert gemeente.index.name == "gemeente_code" and gemeente.loc["GM0344", "gwb_code_8"] == "0344"


def test_kwb_other_levels_are_reported_not_silently_removed(fixtures: Path) -> None:
    r = files.load_cbs_table(fixtures / "good" / "kwb2023_sample.xlsx").report
    assert r.dropped == {
        "not a buurt row (code starts with 'GM')": ["GM0344"],
        "not a buurt row (code starts with 'WK')": ["WK034401"],
    }
    assert r.rows_read == 7 and r.rows_kept == 5 and r.rows_read == r.rows_kept + r.n_dropped
    assert "dropped 1 (not a buurt row (code starts with 'GM'): GM0344)" in r.summary()
    w = files.load_cbs_table(fixtures / "good" / "kwb2023_sample.xlsx", level="wijk").report
    assert w.dropped["not a wijk row (code starts with 'BU')"] == CBS_BUURTEN


def test_nabijheid_csv_bom_padding_and_markers(fixtures: Path) -> None:
    loaded = files.load_cbs_table(fixtures / "good" / "nabijheid2023_sample.csv")
    t, r = loaded.frame, loaded.report
    assert list(t.index) == CBS_BUURTEN  # codes were padded to 10 characters
    assert t.columns[0] == "Wijken en buurten"  # no BOM in the first column name
    assert t.loc["BU03440111", "Regioaanduiding/Gemeentenaam (naam)"] == "Utrecht"  # padding stripped
    kdv = "Kinderopvang/Kinderdagverblijf/Afstand tot kinderdagverblijf (km)"
    library = "Vrije tijd en cultuur/Afstand tot bibliotheek (km)"
    # '.', the text '-99999999' (BU03440111 kinderdagverblijf) and '' (BU03440113 bibliotheek).
    assert r.suppressed == {
        kdv: 2,
        "Kinderopvang/Buitenschoolse opvang/Afstand tot buitenschoolse opvang (km)": 1,
        library: 2,
        "Vrije tijd en cultuur/Sport/Afstand tot zwembad (km)": 1,
        "Onderwijs/Basisonderwijs/Afstand tot school (km)": 5,
        "Vrije tijd en cultuur/Podiumkunsten (excl. festivals)/Afstand tot podiumkunsten totaal (km)": 5,
    }
    assert t[kdv].tolist()[1:4] == [0.3, 0.4, 2.1] and t[kdv].isna().tolist() == [True, False, False, False, True]
    assert t[kdv].mean() == pytest.approx((0.3 + 0.4 + 2.1) / 3)
    assert np.isnan(t.loc["BU03440113", library])
    assert sorted(c for ids in r.dropped.values() for c in ids) == ["GM0344", "NL00", "WK034401"]
    assert r.rows_read == 8 == r.rows_kept + r.n_dropped


BAD_CBS = [
    (
        "kwb_duplicate_buurt.csv",
        {},
        DuplicateCodeError,
        ["kwb_duplicate_buurt.csv", "expected each buurt code once", "found 1 duplicated: BU03440112"],
    ),
    (
        "kwb_no_code_column.csv",
        {},
        MissingColumnError,
        ["kwb_no_code_column.csv", "expected a column with CBS region codes", "found none among: gwb_code_8, regio"],
    ),
    (
        "kwb_wijken_only.csv",
        {},
        DataFileError,
        ["expected buurt rows (codes starting with BU), found none", "GM0344, WK034401"],
    ),
    ("cbs_header_only.csv", {}, DataFileError, ["'cbs_header_only.csv' has no data rows", "expected a CBS table"]),
    ("table_blank_lines.csv", {}, DataFileError, ["has no header line", "found only blank lines"]),
]


@pytest.mark.parametrize(("name", "kwargs", "error", "parts"), BAD_CBS, ids=[c[0] for c in BAD_CBS])
def test_bad_cbs_tables(fixtures: Path, name: str, kwargs: dict, error: type[PlanningError], parts: list[str]) -> None:
    raises(error, lambda: files.load_cbs_table(fixtures / "bad" / name, **kwargs), *parts)


def test_cbs_named_code_column_must_exist(fixtures: Path) -> None:
    raises(
        MissingColumnError,
        lambda: files.load_cbs_table(fixtures / "good" / "kwb2023_sample.xlsx", code_column="CODE"),
        "expected a region code column 'CODE'",
        "found columns: gwb_code_10, gwb_code_8",
    )


# --------------------------------------------------------------------------- facilities


def test_mulier_csv_rd_with_decimal_commas(fixtures: Path) -> None:
    loaded = files.load_facilities(fixtures / "good" / "sport_mulier_rd.csv", facility_type="sport")
    f = loaded.frame
    assert f.crs.to_epsg() == 28992 and len(f) == 8 and set(f.geom_type) == {"Point"}
    assert (f["facility_type"] == "sport").all() and (f["location_precision"] == "source").all()
    gym = f.loc[f["name"] == "Gymzaal Ridderlaan"].geometry.iloc[0]  # X/Y '137264,333' / '453447,757'
    assert (gym.x, gym.y) == (137264.333, 453447.757)
    golf = f.loc[f["name"] == "Golfbaan Amelisweerd"].geometry.iloc[0]
    assert (golf.x, golf.y) == (138791.0, 452777.0)
    assert f["facility_id"].tolist() == [f"sport_mulier_rd-{i}" for i in range(1, 9)]
    assert f.index.tolist() == f["facility_id"].tolist() and f.index.name is None
    assert "no facility_id column; ids made from the row number" in loaded.report.notes


def test_rows_without_coordinates_are_dropped_and_listed(fixtures: Path) -> None:
    loaded = files.load_facilities(fixtures / "good" / "sport_mulier_missing_xy.csv", facility_type="sport")
    f, r = loaded.frame, loaded.report
    # File rows 3 (X blank), 5 (Y '.') and 9 (both blank); ids follow the data row number.
    stem = "sport_mulier_missing_xy"
    assert r.dropped == {"no valid coordinates": [f"row 3 ({stem}-2)", f"row 5 ({stem}-4)", f"row 9 ({stem}-8)"]}
    assert (r.rows_read, r.rows_kept, r.n_dropped) == (8, 5, 3)
    assert r.rows_read == r.rows_kept + r.n_dropped == len(f) + r.n_dropped
    assert f["facility_id"].tolist() == [f"{stem}-{i}" for i in (1, 3, 5, 6, 7)]
    assert "dropped 3 (no valid coordinates" in r.summary()


@pytest.mark.parametrize("name", ["schools_lonlat.csv", "schools_points.geojson"])
def test_schools_in_wgs84_are_reprojected(fixtures: Path, name: str) -> None:
    loaded = files.load_facilities(fixtures / "good" / name)
    f = loaded.frame
    assert f.crs.to_epsg() == 28992 and list(f.index) == list(SCHOOLS_RD)
    assert any("reprojected from EPSG:4326 to EPSG:28992" in n for n in loaded.report.notes)
    for fid, (x, y) in SCHOOLS_RD.items():  # the publisher's RD coordinates, within a metre
        assert f.loc[fid].geometry.distance(shapely.Point(x, y)) < 1.0, fid
    assert f["capacity"].tolist() == [86, 603, 192, 485]
    assert f["location_precision"].tolist() == ["pc4_centroid", "pc4_centroid", "address", "pc6"]
    assert (f["facility_type"] == "primary_school").all()


def test_polygon_facilities_become_points_with_a_note(fixtures: Path) -> None:
    path = fixtures / "good" / "sport_polygon_mixed.geojson"
    loaded = files.load_facilities(path)
    f = loaded.frame
    assert set(f.geom_type) == {"Point"} and len(f) == 2
    assert "1 non-point features (Polygon) reduced to a point inside them" in loaded.report.notes
    park = gpd.read_file(path).to_crs(28992).geometry.iloc[0]
    assert park.contains(f.loc["mulier-241"].geometry)


BAD_FACILITIES = [
    (
        "facilities_missing_name.csv",
        {},
        MissingColumnError,
        ["expected columns name;", "found columns: facility_id, facility_type, capacity"],
    ),
    (
        "facilities_missing_type.csv",
        {},
        MissingColumnError,
        [
            "expected columns facility_type (or pass a facility type for the whole file)",
            "found columns: facility_id, name",
        ],
    ),
    (
        "facilities_duplicate_id.csv",
        {},
        DuplicateCodeError,
        ["expected each facility_id once", "found 1 duplicated: 28BF00"],
    ),
    (
        "facilities_negative_capacity.csv",
        {},
        InvalidValueError,
        ["capacity must be zero or more", "negative values for 03LX00"],
    ),
    (
        "facilities_no_coordinates.csv",
        {},
        GeometryError,
        ["expected numbers in 'x' and 'y'", "found none in any of the 4 rows"],
    ),
]


@pytest.mark.parametrize(("name", "kwargs", "error", "parts"), BAD_FACILITIES, ids=[c[0] for c in BAD_FACILITIES])
def test_bad_facilities(fixtures: Path, name: str, kwargs: dict, error: type[PlanningError], parts: list[str]) -> None:
    raises(error, lambda: files.load_facilities(fixtures / "bad" / name, **kwargs), *parts)


def test_facility_type_is_required_for_real_mulier_file(fixtures: Path) -> None:
    # The published Mulier file has no type column: it needs facility_type=.
    raises(
        MissingColumnError,
        lambda: files.load_facilities(fixtures / "good" / "sport_mulier_rd.csv"),
        "expected columns facility_type",
        "found columns: accommodatie_id, accommodatie naam",
    )
    missing_name = fixtures / "bad" / "facilities_missing_name.csv"
    err = raises(MissingColumnError, lambda: files.load_facilities(missing_name), "expected columns name")
    assert "pass a facility type" not in str(err)  # the hint only when the type is what is missing


# --------------------------------------------------------------------------- datasets


def test_load_dataset_without_gpkg_hints_build_default(fixtures: Path, tmp_path: Path) -> None:
    raises(
        DataFileError,
        lambda: files.load_dataset(fixtures / "bad" / "dataset_without_gpkg"),
        "is incomplete: expected 'dataset.gpkg' there",
        "python -m geo build-default",
    )
    raises(
        DataFileError, lambda: files.load_dataset(tmp_path), "expected 'dataset.gpkg'", "python -m geo build-default"
    )
    shutil.copy(DEFAULT_DATA_DIR / "dataset.gpkg", tmp_path / "dataset.gpkg")
    raises(
        DataFileError, lambda: files.load_dataset(tmp_path), "expected 'dataset.json'", "python -m geo build-default"
    )


def test_load_default_dataset() -> None:
    d = files.load_dataset(DEFAULT_DATA_DIR)
    assert d.name == "Utrecht" and len(d.buurten) == 111 and len(d.facilities) == 257 + 9 + 98
    assert d.buurten.crs.to_epsg() == 28992 and d.facilities.crs.to_epsg() == 28992
    assert d.buurten.index.is_unique and (d.buurten.index == d.buurten["buurt_code"]).all()


# --------------------------------------------------------------------------- the fixtures themselves


def _load_maker(fixtures: Path):
    spec = importlib.util.spec_from_file_location("make_fixtures", fixtures / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fixtures_are_small_and_all_listed(fixtures: Path) -> None:
    maker = _load_maker(fixtures)
    # good/ and bad/ belong to make_fixtures.py; osm/, overpass/ and routing/ have their own makers.
    on_disk = {
        p.relative_to(fixtures).as_posix()
        for sub in ("good", "bad")
        for p in (fixtures / sub).rglob("*")
        if p.is_file()
    }
    on_disk = {p for p in on_disk if "__pycache__" not in p}
    assert on_disk == set(maker.FIXTURES)
    assert sum((fixtures / p).stat().st_size for p in on_disk) < 400_000
    assert max((fixtures / p).stat().st_size for p in on_disk) < 30_000


def test_fixtures_are_reproducible_from_shared_data(fixtures: Path, data_root: Path, tmp_path: Path) -> None:
    maker = _load_maker(fixtures)
    maker.make_all(data_root, tmp_path)
    for name in maker.FIXTURES:
        new, old = tmp_path / name, fixtures / name
        if new.read_bytes() == old.read_bytes():
            continue
        # Other GDAL/openpyxl versions may format the same content differently.
        if new.suffix in {".gpkg", ".geojson"}:
            assert_geodataframe_equal(gpd.read_file(new), gpd.read_file(old), check_crs=True)
        elif new.suffix == ".xlsx":
            pd.testing.assert_frame_equal(pd.read_excel(new), pd.read_excel(old))
        else:
            pytest.fail(f"{name} differs from what make_fixtures.py writes")
