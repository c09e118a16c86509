"""geo/data/duo.py against the loopback server: the real DUO files (Utrecht subset, exact bytes) → placed schools.

The DUO files (tests/fixtures/services/duo, cut byte for byte from the national files by
make_duo_subset.py) are served under GEO_URL_DUO; the addresses are placed with the recorded
Locatieserver answers and the Utrecht PC4 table (tests/fixtures/services/locatieserver).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo import schema
from geo.data import build, duo, geocode, http
from geo.data.geocode import Geocoder
from geo.errors import DataFileError, DownloadError
from tests.helpers import (
    DUO_FIXTURES,
    DUO_IMAGES,
    FIXTURE_DATA,
    LOCATIESERVER_FIXTURES,
    SERVICE_PATHS,
    serve_duo,
    serve_locatieserver,
)

DUO_DIR = DUO_FIXTURES
LOCATIESERVER = LOCATIESERVER_FIXTURES
IMAGES = DUO_IMAGES


@pytest.fixture
def server(loopback, monkeypatch):
    monkeypatch.setenv("GEO_URL_DUO", loopback.url + IMAGES)
    monkeypatch.setenv("GEO_URL_LOCATIESERVER", loopback.url + SERVICE_PATHS["LOCATIESERVER"])
    serve_locatieserver(loopback)
    return loopback


@pytest.fixture
def client(tmp_path: Path) -> http.Client:
    return http.Client(cache_dir=tmp_path / "cache", timeout_s=2.0, sleep=lambda s: None)


@pytest.fixture(scope="module")
def pc4() -> pd.DataFrame:
    return geocode.load_pc4_table(LOCATIESERVER / "utrecht_pc4_centroids.csv")


@pytest.fixture(scope="module")
def built(data_root: Path) -> pd.DataFrame:
    """The schools as build.py makes them for the embedded Utrecht dataset (from the offline geocoding)."""
    paths = {k: data_root / v for k, v in build.SHARED_FILES.items()}
    school = build.SchoolFiles(paths["duo_addresses"], pupils=paths["duo_pupils"], points=paths["duo_points"])
    return build.duo_schools(school, municipality_number=344).set_index(schema.FACILITY_ID).sort_index()


def test_the_98_utrecht_branches_match_the_offline_build(server, client, pc4, built):
    serve_duo(server)
    schools, source, notes = duo.fetch_schools(client, "GM0344", Geocoder(client, pc4_table=pc4))
    assert len(schools) == 98 and schools.crs.to_epsg() == 28992
    schools = schools.sort_index()
    assert list(schools.index) == list(built.index) and all(i.startswith("duo-") for i in schools.index)
    assert set(schools[schema.FACILITY_TYPE]) == {"primary_school"}
    # Capacity: the pupils of 2025, the newest year of file 06, exactly as build.py counts them.
    assert np.array_equal(schools[schema.FACILITY_CAPACITY].to_numpy(), built[schema.FACILITY_CAPACITY].to_numpy(),
                          equal_nan=True)
    assert schools.loc["duo-03LX00", schema.FACILITY_CAPACITY] == 603.0  # Drie Koningenschool, De Meern
    for column in (schema.FACILITY_NAME, schema.FACILITY_ADDRESS, schema.FACILITY_POSTCODE, schema.FACILITY_DETAIL,
                   schema.LOCATION_PRECISION, schema.FACILITY_SOURCE):
        assert (schools[column] == built[column]).all(), column
    assert schools[schema.LOCATION_PRECISION].value_counts().to_dict() == {"pc4_centroid": 58, "address": 23,
                                                                           "pc6": 17}
    # The same points (the Locatieserver answers were made from the CSV, which rounds to 0.1 m).
    assert schools.geometry.distance(gpd.GeoSeries(built["geometry"], crs=schema.WORK_CRS)).max() < 0.1
    assert source["year"] == 2025 and source["licence"] == "CC0 1.0" and source["id"] == "duo_bo"
    assert notes[0] == "DUO: 98 primary-school branches in GM0344; placed 23 by address, 17 by pc6, 58 by pc4_centroid"
    assert not any("could not be placed" in n for n in notes)
    asked = {r[1] for r in server.requests if r[1].startswith(IMAGES)}
    assert asked == {f"{IMAGES}/{duo.ADDRESSES_FILE}", f"{IMAGES}/{duo.PUPILS_FILE}"}


def test_the_real_files_keep_their_encoding_quoting_and_other_municipalities(pc4):
    raw = (DUO_DIR / duo.ADDRESSES_FILE).read_bytes()
    assert b"\r\n" in raw and raw.startswith(b"PROVINCIE;") and "Hindoeïstisch".encode("cp1252") in raw
    table = duo.read_addresses(raw)
    assert table["GEMEENTENUMMER"].value_counts().to_dict() == {"0344": 98, "0356": 3, "1904": 3, "1641": 1,
                                                                "0327": 1}
    assert table.set_index("VESTIGINGSCODE").loc["18HI00", "VESTIGINGSNAAM"] == 'Basisschool "Kla4"'
    assert table.set_index("VESTIGINGSCODE").loc["28BF00", "DENOMINATIE"] == "Hindoeïstisch"
    pupils, year = duo.read_pupils((DUO_DIR / duo.PUPILS_FILE).read_bytes())
    assert year == 2025 and pupils["00PQ00"] == 410.0 and pupils.name == 2025


def test_the_derived_extracts_give_the_same_schools(server, client, pc4, data_root):
    """schools_from_files for the offline build: the comma-separated UTF-8 Utrecht extracts of the shared data."""
    folder = data_root / "duo_basisonderwijs"
    from_files, _, _ = duo.schools_from_files(
        folder / "utrecht_schoolvestigingen_basisonderwijs.csv",
        folder / "utrecht_leerlingen_per_vestiging_1996_2025.csv",
        "0344",
        Geocoder(client, pc4_table=pc4),
    )
    serve_duo(server)
    fetched, _, _ = duo.fetch_schools(http.Client(cache_dir=client.cache_dir / "f"), "GM0344",
                                      Geocoder(client, pc4_table=pc4))
    assert from_files.sort_index().drop(columns="geometry").equals(fetched.sort_index().drop(columns="geometry"))
    assert from_files.sort_index().geometry.geom_equals(fetched.sort_index().geometry).all()


def test_schools_that_cannot_be_placed_are_named_in_the_notes(server, client):
    serve_duo(server)
    schools, source, notes = duo.fetch_schools(client, "GM0344", Geocoder(client))  # no PC4 table
    assert len(schools) == 40 and set(schools[schema.LOCATION_PRECISION]) == {"address", "pc6"}
    lost = next(n for n in notes if "could not be placed" in n)
    assert lost.startswith("DUO: 58 branches could not be placed and are left out:")
    assert "duo-28BF00 'School v/d Stichting Hindoe Onderwijs Shri Krishna school' (Van Lawick van Pabstlaan 3, " \
           "3453 RA)" in lost
    assert source["notes"] == notes


def test_a_municipality_without_schools_is_a_plain_error(server, client):
    serve_duo(server)
    with pytest.raises(DownloadError, match=r"no branch has GEMEENTENUMMER 9999 \(GM9999\)"):
        duo.fetch_schools(client, "GM9999", Geocoder(client))


@pytest.mark.parametrize(
    ("addresses", "pupils", "message"),
    [
        (b"<!DOCTYPE html><html><head><title>DUO</title></head></html>", None,
         r"expected a DUO CSV with the columns VESTIGINGSCODE, VESTIGINGSNAAM.*starts with '<!DOCTYPE html>"),
        (b"VESTIGINGSCODE;NAAM\r\n28BF00;x\r\n", None, r"missing VESTIGINGSNAAM, STRAATNAAM"),
        (None, b"VESTIGINGSCODE;AANTAL\r\n28BF00;5\r\n", r"expected pupil columns LEERLINGEN_<year>"),
    ],
)
def test_an_unexpected_file_is_a_plain_download_error(server, client, addresses, pupils, message):
    serve_duo(server, addresses, pupils)
    with pytest.raises(DownloadError, match=message):
        duo.fetch_schools(client, "GM0344", Geocoder(client))


def test_files_on_disk_are_checked_too(tmp_path, client):
    bad = tmp_path / "02.csv"
    bad.write_text("a;b\n1;2\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="expected a DUO CSV"):
        duo.schools_from_files(bad, DUO_DIR / duo.PUPILS_FILE, "GM0344", Geocoder(client))
    with pytest.raises(DataFileError, match="File not found"):
        duo.schools_from_files(tmp_path / "none.csv", DUO_DIR / duo.PUPILS_FILE, "GM0344", Geocoder(client))


def test_the_subset_is_what_the_script_cuts(full_shared_data):
    spec = importlib.util.spec_from_file_location("make_duo_subset", DUO_DIR / "make_duo_subset.py")
    assert spec and spec.loader
    maker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(maker)
    for name, data in maker.subset(full_shared_data).items():
        assert data == (DUO_DIR / name).read_bytes(), name


def test_the_utrecht_rows_equal_the_shared_extract(data_root):
    """The 98 Utrecht rows of the national-file subset are the rows of the derived extract build.py reads."""
    national = duo.read_addresses((DUO_DIR / duo.ADDRESSES_FILE).read_bytes())
    national = national[national["GEMEENTENUMMER"] == "0344"].set_index("VESTIGINGSCODE").sort_index()
    extract = pd.read_csv(data_root / "duo_basisonderwijs" / "utrecht_schoolvestigingen_basisonderwijs.csv",
                          dtype=str, keep_default_na=False).set_index("VESTIGINGSCODE").sort_index()
    assert national.index.equals(extract.index)
    for column in duo.ADDRESS_COLUMNS[1:]:
        assert (national[column] == extract[column].str.strip()).all(), column
    assert data_root == FIXTURE_DATA
