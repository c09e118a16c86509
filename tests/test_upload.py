"""geo/data/upload.py: uploads checked like ``python -m geo check``, mapped, bounded, combined and saved (no app).

The files are real exports (Mulier, DUO, OpenStreetMap, CBS, Gemeente Utrecht) shaped as planners get them,
made by ``tests/fixtures/uploads/make_upload_fixtures.py``; the CBS table and the buurten GeoPackage are the
shared copies themselves.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import io
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo import schema
from geo.catalog import FACILITY_TYPES
from geo.data import files, upload
from geo.data.paths import DEFAULT_DATA_DIR
from geo.decide.indicators import REQUIRED_CBS
from geo.decide.pipeline import prepare, rank
from geo.decide.ranking import RankingParams
from geo.errors import (
    CrsError,
    DataFileError,
    DuplicateCodeError,
    InvalidValueError,
    MissingColumnError,
    ParameterError,
    PlanningError,
)

UPLOADS = Path(__file__).resolve().parent / "fixtures" / "uploads"
SHARED = Path(__file__).resolve().parent / "fixtures" / "shared"
KWB_XLSX = SHARED / "utrecht_cbs_kwb_2023_2024" / "CBS-Utrecht-kwb-2023.xlsx"
BUURTEN_GPKG = SHARED / "utrecht_buurten_gemeente_2013" / "utrecht_buurten_kwb2023_rd.gpkg"
DUO_CSV = SHARED / "duo_basisonderwijs_geocoded" / "utrecht_basisscholen_geocoded.csv"
MULIER_CSV = SHARED / "utrecht_sport_mulier" / "mulier-instituut_sportaccomodaties_Utrecht.csv"


def read(kind: str, path: Path, folder: Path, **kwargs) -> upload.Upload:
    return upload.read_upload(kind, path.name, path.read_bytes(), folder, **kwargs)


def read_text(kind: str, name: str, text: str, folder: Path, **kwargs) -> upload.Upload:
    return upload.read_upload(kind, name, text.encode("utf-8"), folder, **kwargs)


@pytest.fixture(scope="module")
def base() -> files.Dataset:
    return files.load_dataset(DEFAULT_DATA_DIR)


@pytest.fixture(scope="module")
def duo_rd() -> pd.DataFrame:
    """The DUO branches with their RD coordinates (the reference for converted lon/lat)."""
    duo = pd.read_csv(DUO_CSV, dtype=str, keep_default_na=False)
    return duo.set_index("VESTIGINGSNAAM")[["x_rd", "y_rd"]].astype(float)


# --------------------------------------------------------------------------- column names real exports use


def _sport_rows(n: int = 6) -> pd.DataFrame:
    """The first ``n`` rows of the Mulier fixture whose ``soort`` is a facility type."""
    rows = pd.read_csv(UPLOADS / "sport_soort_rd.csv", sep=";", dtype=str)
    return rows[rows["soort"].map(upload.map_facility_type).notna()].head(n)


@pytest.mark.parametrize("type_col", ["type", "soort", "categorie", "amenity", "TYPE", "Soort", "facility_type"])
@pytest.mark.parametrize("name_col", ["naam", "name", "Naam"])
@pytest.mark.parametrize("id_col", ["id", "ID"])
def test_type_name_and_id_columns_by_their_export_names(tmp_path, type_col, name_col, id_col):
    rows = _sport_rows()
    text = f"{id_col};{name_col};{type_col};x;y\n" + "".join(
        f"{r.id};{r.naam};{r.soort};{r.x};{r.y}\n" for r in rows.itertuples()
    )
    up = read_text(upload.FACILITIES, "f.csv", text, tmp_path)
    assert up.report.columns == {"type": type_col, "name": name_col, "id": id_col}
    assert list(up.frame[schema.FACILITY_ID]) == [f"upload-{i}" for i in rows["id"]]
    assert list(up.frame[schema.FACILITY_NAME]) == list(rows["naam"])
    assert set(up.frame[schema.FACILITY_TYPE]) <= set(FACILITY_TYPES)
    assert up.frame.crs == schema.WORK_CRS


@pytest.mark.parametrize(
    ("x_col", "y_col", "assumed"),
    [
        ("x", "y", upload.RD),
        ("X", "Y", upload.RD),
        ("lon", "lat", upload.LONLAT),
        ("longitude", "latitude", upload.LONLAT),
        ("Longitude", "Latitude", upload.LONLAT),
        ("x", "y", upload.LONLAT),  # degrees in x/y columns
        ("lon", "lat", upload.RD),  # metres in lon/lat columns
    ],
)
def test_coordinate_columns_and_the_system_their_values_fit(tmp_path, duo_rd, x_col, y_col, assumed):
    duo = pd.read_csv(DUO_CSV, dtype=str, keep_default_na=False).head(8)
    xs, ys = (duo["lon"], duo["lat"]) if assumed == upload.LONLAT else (duo["x_rd"], duo["y_rd"])
    text = f"name,type,{x_col},{y_col}\n" + "".join(
        f'"{n}",basisschool,{x},{y}\n' for n, x, y in zip(duo["VESTIGINGSNAAM"], xs, ys, strict=True)
    )
    up = read_text(upload.FACILITIES, "scholen.csv", text, tmp_path)
    assert up.report.crs_assumed == assumed
    assert up.report.coordinate_columns == (x_col, y_col)
    assert up.report.crs == (schema.WORK_CRS if assumed == upload.RD else schema.MAP_CRS)
    # Either way the points land where DUO's own RD coordinates put them (to the metre).
    ref = duo_rd.loc[up.frame[schema.FACILITY_NAME]]
    assert np.allclose(up.frame.geometry.x, ref["x_rd"], atol=1.0)
    assert np.allclose(up.frame.geometry.y, ref["y_rd"], atol=1.0)


def test_detect_coordinates_by_value_ranges():
    assert upload.detect_coordinates([136_000, 140_500], [455_000, 452_100]) == upload.RD
    assert upload.detect_coordinates([5.1, 5.12], [52.09, 52.1]) == upload.LONLAT
    assert upload.detect_coordinates(["5.1", None, "x"], [52.09, 52.1, 52.0]) == upload.LONLAT
    assert upload.detect_coordinates([None], [None]) is None
    with pytest.raises(InvalidValueError, match="swapped"):
        upload.detect_coordinates([52.09, 52.1], [5.1, 5.12])
    with pytest.raises(CrsError, match="neither RD New"):
        upload.detect_coordinates([2_500_000], [9_000_000])
    lon0, lat0, lon1, lat1 = upload.NL_BOUNDS_LONLAT
    assert 2.5 < lon0 < 3.5 and 7.0 < lon1 < 8.0 and 50.0 < lat0 < 51.0 and 53.5 < lat1 < 54.5


def test_semicolons_and_dutch_decimal_commas(tmp_path, duo_rd):
    up = read(upload.FACILITIES, UPLOADS / "scholen_lonlat_komma.csv", tmp_path)
    assert up.report.rows_read == up.report.rows_kept == 15
    assert up.report.crs_assumed == upload.LONLAT
    assert up.report.coordinate_columns == ("Longitude", "Latitude")
    assert up.report.columns == {"type": "Categorie", "name": "Naam", "id": "id"}
    assert up.report.type_counts == {"primary_school": 15}
    ref = duo_rd.loc[up.frame[schema.FACILITY_NAME]]
    assert np.allclose(up.frame.geometry.x, ref["x_rd"], atol=1.0)
    assert np.allclose(up.frame.geometry.y, ref["y_rd"], atol=1.0)


def test_excel_geopackage_and_geojson_facilities(tmp_path):
    xlsx = read(upload.FACILITIES, UPLOADS / "sport_hoofdletters.xlsx", tmp_path)
    assert xlsx.report.columns == {"type": "Type", "name": "Naam", "id": "ID"}
    assert xlsx.report.crs_assumed == upload.RD
    assert sum(xlsx.report.type_counts.values()) == 12 and not xlsx.report.unrecognised

    osm = read(upload.FACILITIES, UPLOADS / "amsterdam_osm_amenities.geojson", tmp_path)
    assert osm.report.crs == "EPSG:4326" and osm.report.crs_assumed is None
    assert osm.report.columns["type"] == "amenity"
    assert osm.report.type_counts == {"culture": 12, "community_centre": 3, "library": 1}

    gpkg = tmp_path / "osm.gpkg"
    gpd.read_file(UPLOADS / "amsterdam_osm_amenities.geojson").to_crs(schema.WORK_CRS).to_file(gpkg, driver="GPKG")
    up = read(upload.FACILITIES, gpkg, tmp_path / "session")
    assert up.report.type_counts == osm.report.type_counts
    assert up.report.crs == "EPSG:28992"


def test_one_type_for_a_file_without_a_type_column(tmp_path):
    with pytest.raises(MissingColumnError, match="column with the facility type") as err:
        read(upload.FACILITIES, MULIER_CSV, tmp_path)
    assert "soort" in str(err.value) and "choose one type for the whole file" in str(err.value)
    up = read(upload.FACILITIES, MULIER_CSV, tmp_path, facility_type="sport")
    assert up.report.type_counts == {"sport": up.report.rows_kept} and up.report.rows_kept == 549
    with pytest.raises(ParameterError, match="Unknown facility type"):
        read(upload.FACILITIES, MULIER_CSV, tmp_path, facility_type="stadion")


def test_duplicate_ids_in_the_id_column_are_refused(tmp_path):
    rows = _sport_rows(3)
    text = "id;naam;soort;x;y\n" + "".join(f"same;{r.naam};{r.soort};{r.x};{r.y}\n" for r in rows.itertuples())
    with pytest.raises(DuplicateCodeError, match="'id' once"):
        read_text(upload.FACILITIES, "dup.csv", text, tmp_path)


# --------------------------------------------------------------------------- type values


@pytest.mark.parametrize(
    ("word", "key"),
    [
        ("sporthal", "sport"), ("Sportveld", "sport"), ("gymzaal", "sport"), ("zwembad", "swimming_pool"),
        ("bibliotheek", "library"), ("bieb", "library"), ("library", "library"), ("Basisschool", "primary_school"),
        ("kinderdagverblijf", "childcare"), ("KDV", "childcare"), ("bso", "after_school_care"),
        ("buitenschoolse opvang", "after_school_care"), ("Buitenschoolse  Opvang ", "after_school_care"),
        ("buurthuis", "community_centre"), ("wijkcentrum", "community_centre"),
        ("community_centre", "community_centre"), ("theater", "culture"), ("theatre", "culture"),
        ("museum", "museum"), ("Musea", "museum"), ("muziekschool", "culture"), ("arts_centre", "culture"),
        ("arts-centre", "culture"), ("kindergarten", "childcare"), ("swimming_pool", "swimming_pool"),
        ("sports_centre", "sport"), ("jongerencentrum", "youth_work"), ("youth_centre", "youth_work"),
        ("Kinderboerderij", "nature"), ("nature_reserve", "nature"), ("petting_zoo", "nature"),
        ("hackerspace", "makerspace"), ("FabLab", "makerspace"),
    ],
)
def test_common_words_and_osm_values_map_onto_the_types(word, key):
    assert upload.map_facility_type(word) == key


def test_every_type_key_and_label_in_both_languages_is_recognised():
    for key, ft in FACILITY_TYPES.items():
        for word in (key, ft.label_nl, ft.label_en, ft.label_nl.upper(), key.replace("_", " ")):
            assert upload.map_facility_type(word) == key, word
    assert set(upload.TYPE_ALIASES.values()) == set(FACILITY_TYPES)
    for unknown in ("golf", "cinema", "school", "", None, float("nan"), "kinderopvang"):
        assert upload.map_facility_type(unknown) is None


def test_unrecognised_values_are_listed_with_their_row_counts(tmp_path):
    up = read(upload.FACILITIES, UPLOADS / "sport_soort_rd.csv", tmp_path)
    r = up.report
    assert r.rows_read == 30 and r.rows_kept == 15
    assert r.type_counts == {"sport": 14, "swimming_pool": 1}
    assert r.unrecognised == {
        "fitness": 4, "jeu de boules": 2, "buitenspelen": 2, "golf": 1, "bridge": 1, "biljart": 1, "roeien": 1,
        "schaatsen": 1, "hockey": 1, "tennis": 1,
    }
    assert sum(r.unrecognised.values()) + r.rows_kept == r.rows_read
    osm = read(upload.FACILITIES, UPLOADS / "amsterdam_osm_amenities.geojson", tmp_path)
    assert osm.report.unrecognised == {"social_facility": 4, "public_bookcase": 3, "cinema": 2, "college": 2}


def test_empty_type_cells_count_as_unrecognised_and_all_unknown_is_refused(tmp_path):
    rows = _sport_rows(3)
    text = "naam;soort;x;y\n" + "".join(
        f"{r.naam};{t};{r.x};{r.y}\n" for r, t in zip(rows.itertuples(), ["", "bieb", ""], strict=True)
    )
    up = read_text(upload.FACILITIES, "f.csv", text, tmp_path)
    assert up.report.unrecognised == {"": 2} and up.report.type_counts == {"library": 1}
    text = "naam;soort;x;y\n" + "".join(f"{r.naam};stadion;{r.x};{r.y}\n" for r in rows.itertuples())
    with pytest.raises(InvalidValueError, match=r"no row has a facility type the app knows.*'stadion' \(3\)"):
        read_text(upload.FACILITIES, "f.csv", text, tmp_path)


# --------------------------------------------------------------------------- bounds


def test_default_bounds_and_the_environment(monkeypatch):
    monkeypatch.delenv(upload.MAX_MB_ENV, raising=False)
    monkeypatch.delenv(upload.MAX_FEATURES_ENV, raising=False)
    limits = upload.limits_from_env()
    assert limits.max_mb == 50 and limits.max_features == 200_000
    assert upload.limits_from_env({upload.MAX_MB_ENV: "2.5", upload.MAX_FEATURES_ENV: "10"}) == upload.Limits(
        2_500_000, 10
    )
    for bad in ("0", "-1", "veel", "nan", "inf"):
        with pytest.raises(ParameterError, match=upload.MAX_MB_ENV):
            upload.limits_from_env({upload.MAX_MB_ENV: bad})


def test_a_file_over_the_size_limit_is_refused_and_nothing_is_written(monkeypatch, tmp_path):
    monkeypatch.setenv(upload.MAX_MB_ENV, "0.001")  # 1,000 bytes
    too_big = r"'sport_soort_rd.csv' is 2 kB; the app reads files up to 0\.001 MB"
    with pytest.raises(DataFileError, match=too_big) as err:
        read(upload.FACILITIES, UPLOADS / "sport_soort_rd.csv", tmp_path)
    assert upload.MAX_MB_ENV in str(err.value) and "Nothing was loaded" in str(err.value)
    assert not any(tmp_path.rglob("*.csv"))


@pytest.mark.parametrize(
    ("kind", "path"),
    [
        (upload.FACILITIES, UPLOADS / "sport_soort_rd.csv"),  # 30 rows
        (upload.FACILITIES, UPLOADS / "sport_hoofdletters.xlsx"),  # 12 rows
        (upload.FACILITIES, UPLOADS / "amsterdam_osm_amenities.geojson"),  # 27 features
        (upload.BUURTEN, BUURTEN_GPKG),  # 111 features
        (upload.CBS, KWB_XLSX),  # 122 rows
    ],
)
def test_a_file_over_the_feature_limit_is_refused(monkeypatch, tmp_path, kind, path):
    monkeypatch.setenv(upload.MAX_FEATURES_ENV, "10")
    with pytest.raises(DataFileError, match=r"reads at most 10 per file") as err:
        read(kind, path, tmp_path)
    assert upload.MAX_FEATURES_ENV in str(err.value)


def test_a_zip_over_the_size_limit_when_unpacked_is_refused(monkeypatch, tmp_path):
    data = (UPLOADS / "buurten_shapefile.zip").read_bytes()
    monkeypatch.setenv(upload.MAX_MB_ENV, f"{(len(data) + 10) / 1_000_000}")  # the zip fits, its content does not
    with pytest.raises(DataFileError, match="MB"):
        upload.read_upload(upload.BUURTEN, "b.zip", data, tmp_path)


# --------------------------------------------------------------------------- content vs extension


@pytest.mark.parametrize(
    ("kind", "name", "looks_like"),
    [
        (upload.BUURTEN, "png_named.geojson", "a PNG image"),
        (upload.FACILITIES, "png_named.geojson", "a PNG image"),
        (upload.FACILITIES, "html_page_named.csv", "an HTML or XML page"),
        (upload.CBS, "html_page_named.csv", "an HTML or XML page"),
        (upload.BUURTEN, "zip_named.gpkg", "a zipped Shapefile"),
        (upload.CBS, "csv_named.xlsx", "plain text (a CSV table)"),
        (upload.FACILITIES, "csv_named.xlsx", "plain text (a CSV table)"),
    ],
)
def test_content_that_is_not_what_the_extension_says_is_refused(tmp_path, kind, name, looks_like):
    with pytest.raises(DataFileError) as err:
        read(kind, UPLOADS / "bad" / name, tmp_path)
    msg = str(err.value)
    assert f"'{name}' is named {Path(name).suffix}" in msg and f"looks like {looks_like}" in msg
    assert "Export the data again" in msg


def test_sniff_names_what_a_file_looks_like():
    assert upload.sniff(b"") == "empty"
    assert upload.sniff(b"SQLite format 3\x00rest") == "sqlite"
    assert upload.sniff((UPLOADS / "sport_hoofdletters.xlsx").read_bytes()) == "xlsx"
    assert upload.sniff((UPLOADS / "buurten_shapefile.zip").read_bytes()) == "shapefile_zip"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "hallo")
    assert upload.sniff(buf.getvalue()) == "zip"
    assert upload.sniff(b"\xef\xbb\xbf  {\"type\": \"FeatureCollection\"}") == "json"
    assert upload.sniff(b"\n <!doctype html>") == "html"
    assert upload.sniff(b"naam;x;y\nSporthal;1;2\n") == "text"
    assert upload.sniff(b"%PDF-1.7") == "pdf"
    assert upload.sniff(b"a,b\x00c") == "binary"
    assert set(upload.CONTENT_LABELS) >= {"empty", "sqlite", "xlsx", "shapefile_zip", "zip", "html", "json", "text"}


def test_wrong_extension_and_empty_file(tmp_path):
    with pytest.raises(DataFileError, match=r"expected facility points as \.gpkg, \.geojson"):
        upload.read_upload(upload.FACILITIES, "punten.kml", b"<kml/>", tmp_path)
    with pytest.raises(DataFileError, match=r"expected a CBS table .* found '\.gpkg'"):
        read(upload.CBS, BUURTEN_GPKG, tmp_path)
    with pytest.raises(DataFileError, match=r"empty \(0 bytes\)"):
        upload.read_upload(upload.BUURTEN, "leeg.geojson", b"", tmp_path)
    with pytest.raises(ParameterError, match="Unknown upload kind"):
        upload.read_upload("wegen", "a.csv", b"a", tmp_path)


def test_a_cbs_upload_with_coordinates_points_to_facilities(tmp_path):
    with pytest.raises(DataFileError, match="looks like facility points"):
        read(upload.CBS, UPLOADS / "sport_soort_rd.csv", tmp_path)


# --------------------------------------------------------------------------- buurten and CBS tables


def test_the_real_cbs_kwb_xlsx_is_accepted(tmp_path):
    up = read(upload.CBS, KWB_XLSX, tmp_path)
    assert up.report.rows_read == 122 and up.report.rows_kept == 111
    assert up.report.suppressed > 0 and set(REQUIRED_CBS) <= set(up.frame.columns)
    assert {"not a buurt row (code starts with 'GM')", "not a buurt row (code starts with 'WK')"} == set(
        up.report.dropped
    )
    assert up.wijk_names["WK034401"] == "Wijk 01 West" and len(up.wijk_names) == 10
    assert up.report.summary == files.load_cbs_table(KWB_XLSX).report.summary()  # what `geo check` says


def test_buurten_geopackage_geojson_and_zipped_shapefile(tmp_path, fixtures):
    gpkg = read(upload.BUURTEN, BUURTEN_GPKG, tmp_path)
    assert len(gpkg.frame) == 111 and gpkg.report.crs == "EPSG:28992"
    geojson = read(upload.BUURTEN, fixtures / "good" / "buurten_wgs84.geojson", tmp_path)
    assert geojson.frame.crs == schema.WORK_CRS and "EPSG:4326" in geojson.report.crs
    shp = read(upload.BUURTEN, UPLOADS / "buurten_shapefile.zip", tmp_path)
    assert list(shp.frame.index) == ["BU03440111", "BU03440112", "BU03440113", "BU03440133"]
    assert shp.frame.crs == schema.WORK_CRS
    assert np.allclose(shp.frame.geometry.area, gpkg.frame.loc[shp.frame.index].geometry.area, rtol=1e-9)
    with pytest.raises(MissingColumnError, match="expected a buurt code column"):
        read(upload.BUURTEN, SHARED / "utrecht_buurten_gemeente_2013" / "buurt.geojson", tmp_path)


def test_zip_members_are_unpacked_flat_and_only_the_shapefile(tmp_path):
    src = zipfile.ZipFile(UPLOADS / "buurten_shapefile.zip")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for info in src.infolist():
            zf.writestr("../../" + Path(info.filename).name, src.read(info))
        zf.writestr("../../evil.py", "print('no')")
    up = upload.read_upload(upload.BUURTEN, "b.zip", buf.getvalue(), tmp_path / "session")
    assert len(up.frame) == 4
    written = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert all(w.startswith("session/buurten/") for w in written)
    assert not any(w.endswith(".py") for w in written)
    two = io.BytesIO()
    with zipfile.ZipFile(two, "w") as zf:
        zf.writestr("a.shp", b"x")
        zf.writestr("b.shp", b"y")
    with pytest.raises(DataFileError, match="expected one Shapefile in the zip, found 2"):
        upload.read_upload(upload.BUURTEN, "two.zip", two.getvalue(), tmp_path)
    only = io.BytesIO()
    with zipfile.ZipFile(only, "w") as zf:
        zf.writestr("a.shp", src.read("buurten_west/buurten_west.shp"))
    with pytest.raises(DataFileError, match=r"needs its \.shx and \.dbf"):
        upload.read_upload(upload.BUURTEN, "only.zip", only.getvalue(), tmp_path)


# --------------------------------------------------------------------------- the session's dataset


def test_uploaded_facilities_are_added_to_the_dataset(tmp_path, base):
    up = read(upload.FACILITIES, UPLOADS / "sport_soort_rd.csv", tmp_path)
    data = upload.combine(base, {upload.FACILITIES: up})
    assert data is not None and not data.own_buurten and data.outside == ()
    assert len(data.facilities) == len(base.facilities) + 15
    assert data.buurten is base.buurten
    assert data.meta["name"] == "Utrecht" and data.meta["uploaded"] == {"facilities": "sport_soort_rd.csv"}
    assert data.meta["sources"][-1]["id"] == "upload_facilities"
    directory = upload.write_session_dataset(data, tmp_path)
    ds = files.load_dataset(directory)  # the app's loader reads it back
    assert (ds.facilities[schema.FACILITY_SOURCE] == upload.UPLOAD_SOURCE).sum() == 15
    result = rank(prepare(ds), RankingParams.from_preset("rijke_schooldag"))
    assert result.prepared.access.measures["sport"].n_facilities == 257 + 14
    assert upload.combine(base, {}) is None


def test_uploaded_facilities_far_outside_the_buurten_are_left_out(tmp_path, base):
    up = read(upload.FACILITIES, UPLOADS / "amsterdam_osm_amenities.geojson", tmp_path)
    data = upload.combine(base, {upload.FACILITIES: up})
    assert data is not None and len(data.outside) == 16
    assert len(data.facilities) == len(base.facilities)
    assert any("more than 2 km outside" in n for n in data.meta["build_notes"])


def test_buurten_and_cbs_table_make_a_dataset_of_their_own(tmp_path, base):
    b = read(upload.BUURTEN, BUURTEN_GPKG, tmp_path)
    c = read(upload.CBS, KWB_XLSX, tmp_path)
    assert upload.combine(base, {upload.BUURTEN: b}) is None  # waits for the CBS table
    data = upload.combine(base, {upload.BUURTEN: b, upload.CBS: c}, required_cbs=REQUIRED_CBS)
    assert data is not None and data.own_buurten
    assert len(data.buurten) == 111 and data.meta["municipality_code"] == "GM0344"
    assert data.meta["name"] == "Utrecht upload"
    row = data.buurten.loc["BU03440111"]
    assert row[schema.WIJK_NAME] == "Wijk 01 West" and row["a_inw"] == 1810
    # The base's facilities in or near the buurten (all of Utrecht's) come along, with their sources.
    assert len(data.facilities) == len(base.facilities)
    assert [s["id"] for s in data.meta["sources"]] == ["mulier_sport", "duo_bo", "upload_buurten", "upload_cbs"]
    ds = files.load_dataset(upload.write_session_dataset(data, tmp_path))
    result = rank(prepare(ds), RankingParams.from_preset("rijke_schooldag"))
    assert result.table[schema.RANK].notna().sum() == 110  # Strijkviertel has no inhabitants, as in the default


def test_a_smaller_upload_keeps_only_the_facilities_near_it(tmp_path, base):
    b = read(upload.BUURTEN, UPLOADS / "buurten_shapefile.zip", tmp_path)
    c = read(upload.CBS, KWB_XLSX, tmp_path)
    data = upload.combine(base, {upload.BUURTEN: b, upload.CBS: c}, required_cbs=REQUIRED_CBS)
    assert data is not None and len(data.buurten) == 4
    area = data.buurten.geometry.union_all()
    assert 0 < len(data.facilities) < len(base.facilities)
    assert (data.facilities.geometry.distance(area) <= 2_000).all()
    assert any("107 rows of 'CBS-Utrecht-kwb-2023.xlsx' without a polygon" in n for n in data.meta["build_notes"])


def test_buurten_and_cbs_that_do_not_fit_are_refused(tmp_path, base):
    b = read(upload.BUURTEN, BUURTEN_GPKG, tmp_path)
    c = read(upload.CBS, KWB_XLSX, tmp_path)
    with pytest.raises(MissingColumnError, match="missing: a_kinderen"):
        upload.combine(base, {upload.BUURTEN: b, upload.CBS: c}, required_cbs=(*REQUIRED_CBS, "a_kinderen"))
    shifted = dataclasses.replace(c, frame=c.frame.rename(index=lambda code: code.replace("BU0344", "BU0363")))
    with pytest.raises(DataFileError, match="have nothing in common"):
        upload.combine(base, {upload.BUURTEN: b, upload.CBS: shifted}, required_cbs=REQUIRED_CBS)


# --------------------------------------------------------------------------- save as dataset


def test_save_as_dataset_writes_a_folder_load_dataset_reads(tmp_path, base):
    shipped = DEFAULT_DATA_DIR / files.DATASET_FILE
    before = (shipped.stat().st_mtime_ns, shipped.read_bytes())
    up = read(upload.FACILITIES, UPLOADS / "scholen_lonlat_komma.csv", tmp_path / "session")
    data = upload.combine(base, {upload.FACILITIES: up})
    target = upload.save_dataset(data, "utrecht-scholen_2025", root=tmp_path / "uploads")
    assert target == tmp_path / "uploads" / "utrecht-scholen_2025"
    ds = files.load_dataset(target)
    assert ds.name == "utrecht-scholen_2025" and len(ds.facilities) == len(base.facilities) + 15
    assert sorted(p.name for p in target.iterdir()) == [files.DATASET_FILE, files.DATASET_META]
    with pytest.raises(ParameterError, match="already exists"):
        upload.save_dataset(data, "utrecht-scholen_2025", root=tmp_path / "uploads")
    assert (shipped.stat().st_mtime_ns, shipped.read_bytes()) == before
    assert DEFAULT_DATA_DIR.parent / "uploads" == upload.UPLOADS_DIR


@pytest.mark.parametrize("name", ["utrecht", "Utrecht", "uploads", "../x", "..", "a/b", "a b", "", "x" * 65, "é"])
def test_save_refuses_shipped_and_unsafe_names(tmp_path, base, name):
    up = read(upload.FACILITIES, UPLOADS / "scholen_xy_graden.csv", tmp_path / "session")
    data = upload.combine(base, {upload.FACILITIES: up})
    with pytest.raises(ParameterError):
        upload.save_dataset(data, name, root=tmp_path / "uploads")
    assert not (tmp_path / "uploads").exists() or not any((tmp_path / "uploads").iterdir())
    assert not (tmp_path / "x").exists()


def test_errors_are_planning_errors_a_user_can_act_on(tmp_path):
    for path, kind in ((UPLOADS / "bad" / "png_named.geojson", upload.FACILITIES), (MULIER_CSV, upload.FACILITIES)):
        with pytest.raises(PlanningError) as err:
            read(kind, path, tmp_path)
        assert "Traceback" not in str(err.value) and path.name in str(err.value)


# --------------------------------------------------------------------------- the fixtures


def test_the_fixture_script_writes_these_files_again(tmp_path):
    spec = importlib.util.spec_from_file_location("make_upload_fixtures", UPLOADS / "make_upload_fixtures.py")
    maker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(maker)
    on_disk = {p.relative_to(UPLOADS).as_posix() for p in UPLOADS.rglob("*") if p.is_file()}
    on_disk -= {"make_upload_fixtures.py", "PROVENANCE.md", ".gitattributes"}
    on_disk = {p for p in on_disk if "__pycache__" not in p}
    assert on_disk == set(maker.FIXTURES)
    assert sum((UPLOADS / p).stat().st_size for p in on_disk) < 60_000
    maker.make_all(SHARED, tmp_path)
    for name in maker.FIXTURES:
        assert (tmp_path / name).read_bytes() == (UPLOADS / name).read_bytes(), name
