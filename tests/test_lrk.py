"""geo/data/lrk.py against a loopback server that, like the real LRK server, refuses Python's default User-Agent.

The export (tests/fixtures/services/lrk/export_opendata_lrk.csv) is constructed for the format test:
real header, separator, encoding and codes, made-up locations (see its PROVENANCE.md). The made-up
postcodes (letters SS, never issued) find nothing at the Locatieserver, so every location is
placed on its real PC4 centroid.
"""

from __future__ import annotations

import importlib.util
import json
import urllib.error
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from geo import schema
from geo.data import geocode, http, lrk
from geo.data.geocode import Geocoder
from geo.errors import DataFileError, DownloadError
from tests.helpers import (
    LOCATIESERVER_EMPTY,
    LOCATIESERVER_FREE,
    LRK_CSV_PATH,
    LRK_EXPORT,
    UTRECHT_PC4_CSV,
    Reply,
    StrictUserAgent,
    serve_lrk,
)

EXPORT = LRK_EXPORT
CSV_PATH = LRK_CSV_PATH
FREE = LOCATIESERVER_FREE
EMPTY = LOCATIESERVER_EMPTY


@pytest.fixture
def server(monkeypatch):
    s = StrictUserAgent()
    monkeypatch.setenv("GEO_URL_LRK", s.url + "/opendata")
    monkeypatch.setenv("GEO_URL_LOCATIESERVER", s.url + "/bzk/locatieserver/search/v3_1")
    s.route(FREE, Reply(json.dumps(EMPTY).encode()))
    yield s
    s.close()


@pytest.fixture
def client(tmp_path: Path) -> http.Client:
    return http.Client(cache_dir=tmp_path / "cache", timeout_s=2.0, sleep=lambda s: None)


@pytest.fixture(scope="module")
def pc4() -> pd.DataFrame:
    return geocode.load_pc4_table(UTRECHT_PC4_CSV)


def test_the_default_python_user_agent_is_refused_by_the_mimic(server):
    serve_lrk(server)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(server.url + CSV_PATH, timeout=2)
    assert refused.value.code == 400
    assert server.requests[-1][3]["User-Agent"].startswith("Python-urllib/")


def test_kdv_and_bso_of_utrecht_with_the_identifying_user_agent(server, client, pc4):
    serve_lrk(server)
    care, source, notes = lrk.fetch_childcare(client, "Utrecht", Geocoder(client, pc4_table=pc4))

    lrk_requests = [r for r in server.requests if r[1] == CSV_PATH]
    assert len(lrk_requests) == 1
    agent = lrk_requests[0][3]["User-Agent"]
    assert agent.startswith("RijkeSchooldagPlanner/") and not agent.startswith(StrictUserAgent.DEFAULTS)

    assert care.crs.to_epsg() == 28992
    assert care[schema.FACILITY_TYPE].to_dict() == {
        "lrk-900000001": "childcare", "lrk-900000002": "childcare", "lrk-900000003": "childcare",
        "lrk-900000004": "after_school_care", "lrk-900000005": "after_school_care",
        "lrk-900000006": "after_school_care",
    }
    assert care[schema.FACILITY_CAPACITY].to_dict() == {
        "lrk-900000001": 48.0, "lrk-900000002": 16.0, "lrk-900000003": 80.0, "lrk-900000004": 40.0,
        "lrk-900000005": 20.0, "lrk-900000006": 60.0,
    }
    row = care.loc["lrk-900000002"]
    assert row[schema.FACILITY_NAME] == "Formaattest KDV Twee; met puntkomma"  # a quoted ';' in a field
    assert row[schema.FACILITY_ADDRESS] == "Proefrijenlaan 3-bis, 3521 SS Utrecht"
    assert row[schema.FACILITY_POSTCODE] == "3521 SS" and row[schema.FACILITY_SOURCE] == "lrk"
    assert row[schema.FACILITY_DETAIL] == "KDV; houder Formaattest Houder B.V."
    # Made-up postcodes: no address, no PC6, so the real PC4 centroid.
    assert set(care[schema.LOCATION_PRECISION]) == {"pc4_centroid"}
    assert (care.loc["lrk-900000003"].geometry.x, care.loc["lrk-900000003"].geometry.y) == tuple(pc4.loc["3453"])
    # The geocoder was asked postcode + the house number parsed from opvanglocatie_adres.
    asked = {(r[2]["q"], r[2]["fq"]) for r in server.requests if r[1] == FREE}
    assert {("3511SS 12", "type:adres"), ("3521SS 3BIS", "type:adres"), ("3453SS 201A", "type:adres"),
            ("3511SS 14A", "type:adres"), ("3521SS", "type:postcode")} <= asked

    assert "LRK: 1 locations in Utrecht not registered (left out): 1 Uitgeschreven" in notes
    assert "LRK: 4 registered locations of other types not used: 1 GOB, 1 PSZ, 2 VGO" in notes
    assert "LRK: 7 registered KDV/BSO locations in Utrecht (3 after_school_care, 4 childcare); placed 0 by address, " \
           "0 by pc6, 6 by pc4_centroid" in notes
    lost = next(n for n in notes if "could not be placed" in n)
    assert "lrk-900000014 'Formaattest KDV zonder plek' (Formaatteststraat 1, 3599SS)" in lost
    assert source["licence"] == "CC0 1.0" and source["url"] == server.url + CSV_PATH and source["notes"] == notes


@pytest.mark.parametrize("name", [" utrecht ", "UTRECHT", "GM0344", "0344"])
def test_the_municipality_is_matched_by_normalised_name_or_code(server, client, pc4, name):
    serve_lrk(server)
    care, _, _ = lrk.fetch_childcare(client, name, Geocoder(client, pc4_table=pc4))
    assert len(care) == 6


def test_a_location_outside_the_pc4_table_and_other_municipalities(server, client, pc4):
    serve_lrk(server)
    with pytest.raises(DownloadError, match=r"none of the 1 KDV/BSO locations of Nieuwegein could be placed"):
        lrk.fetch_childcare(client, "Nieuwegein", Geocoder(client, pc4_table=pc4))  # 3431 is not a Utrecht PC4
    with pytest.raises(DownloadError, match=r"no location has verantwoordelijke_gemeente 'Den Haag'.*e\.g\. "
                                            r"Nieuwegein, Stichtse Vecht, Utrecht"):
        lrk.fetch_childcare(client, "Den Haag", Geocoder(client, pc4_table=pc4))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<!DOCTYPE html><html><body>Onderhoud</body></html>", r"missing lrk_id.*starts with '<!DOCTYPE html>"),
        ("\ufefflrk_id;naam;status\r\n1;x;Ingeschreven\r\n".encode(), r"missing type_oko, actuele_naam_oko"),
    ],
)
def test_an_unexpected_export_is_a_plain_download_error(server, client, data, message):
    serve_lrk(server, data)
    with pytest.raises(DownloadError, match=message):
        lrk.fetch_childcare(client, "Utrecht", Geocoder(client))


def test_an_export_on_disk(server, tmp_path, client, pc4):
    care, _, notes = lrk.childcare_from_file(EXPORT, "Utrecht", Geocoder(client, pc4_table=pc4))
    assert len(care) == 6 and any("could not be placed" in n for n in notes)
    assert not [r for r in server.requests if r[1] == CSV_PATH]  # read from disk; only the geocoder asked
    bad = tmp_path / "lrk.csv"
    bad.write_text("a;b\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="expected an LRK export with the columns lrk_id.*missing lrk_id, type_oko"):
        lrk.childcare_from_file(bad, "Utrecht", Geocoder(client))


def test_municipality_names_are_normalised():
    assert lrk.normalise_gemeente("'s-Gravenhage") == lrk.normalise_gemeente("s-Gravenhage") == "s gravenhage"
    assert lrk.normalise_gemeente("Den Haag") == "s gravenhage"
    assert lrk.normalise_gemeente(" Súdwest-Fryslân ") == "sudwest fryslan"
    assert lrk.normalise_gemeente("'s-Hertogenbosch") == lrk.normalise_gemeente("Den Bosch")


def test_the_export_is_what_the_script_writes():
    spec = importlib.util.spec_from_file_location("make_lrk_fixture", LRK_EXPORT.parent / "make_lrk_fixture.py")
    assert spec and spec.loader
    maker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(maker)
    data = maker.export()
    assert data == EXPORT.read_bytes()
    assert data.startswith(b"\xef\xbb\xbflrk_id;type_oko;") and data.endswith(b"\r\n") and b"\n" not in data.replace(
        b"\r\n", b"")
    assert len(lrk.read_lrk(data)) == 14
