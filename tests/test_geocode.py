"""geo/data/geocode.py against the loopback server: Locatieserver answers, the strict matcher, PC6 and PC4 fallbacks.

The answers (tests/fixtures/services/locatieserver/answers.json, made by make_answers.py from the
project's offline geocoding of the 98 Utrecht DUO branches: real RD points, see PROVENANCE.md) are
replayed per query; anything else gets an empty answer.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pandas as pd
import pytest

from geo.data import geocode, http
from geo.data.geocode import Geocoder, Location
from geo.errors import DataFileError, DownloadError
from tests.helpers import (
    FIXTURE_DATA,
    LOCATIESERVER_FIXTURES,
    LOCATIESERVER_FREE,
    SERVICE_PATHS,
    UTRECHT_PC4_CSV,
    Reply,
    locatieserver_answer,
    serve_locatieserver,
)

SERVICE = LOCATIESERVER_FIXTURES
PC4_CSV = UTRECHT_PC4_CSV
GEOCODED = FIXTURE_DATA / "duo_basisonderwijs_geocoded" / "utrecht_basisscholen_geocoded.csv"
PREFIX = SERVICE_PATHS["LOCATIESERVER"]
FREE = LOCATIESERVER_FREE
_PRECISION = {"address_mulier": "address", "pc6_mulier": "pc6", "pc4_centroid": "pc4_centroid"}


@pytest.fixture
def server(loopback, monkeypatch):
    monkeypatch.setenv("GEO_URL_LOCATIESERVER", loopback.url + PREFIX)
    return loopback


@pytest.fixture
def client(tmp_path: Path) -> http.Client:
    return http.Client(cache_dir=tmp_path / "cache", timeout_s=2.0, sleep=lambda s: None)


@pytest.fixture(scope="module")
def pc4() -> pd.DataFrame:
    return geocode.load_pc4_table(PC4_CSV)


def queries(server) -> list[tuple[str, str]]:
    return [(r[2].get("q", ""), r[2].get("fq", "")) for r in server.requests]


def test_an_exact_hit_is_the_real_rd_point(server, client, pc4):
    serve_locatieserver(server)
    found = Geocoder(client, pc4_table=pc4).locate("3512 JR", 10)
    assert found == Location(137046.0, 455912.0, "address", "Pieterskerkhof 10, 3512JR Utrecht")
    assert queries(server) == [("3512JR 10", "type:adres")]
    query = server.requests[0][2]
    assert query["fl"] == geocode.FIELDS and "centroide_rd" in query["fl"] and query["rows"] == "5"


def test_a_fuzzy_doc_with_another_postcode_is_rejected_then_the_pc6(server, client, pc4):
    serve_locatieserver(server)
    first = locatieserver_answer("3521EX 1", "type:adres")["response"]["docs"]
    assert first and all(d["postcode"] != "3521EX" for d in first)  # what the fuzzy matcher sends first
    found = Geocoder(client, pc4_table=pc4).locate("3521 EX", "1")
    assert found == Location(136132.0, 454616.0, "pc6", "Heycopplein, 3521EX Utrecht")
    assert queries(server) == [("3521EX 1", "type:adres"), ("3521EX", "type:postcode")]


def test_the_same_postcode_with_another_number_is_rejected(server, client, pc4):
    serve_locatieserver(server)
    docs = locatieserver_answer("3544DB 12", "type:adres")["response"]["docs"]
    assert any(d["postcode"] == "3544DB" and d["huisnummer"] == 18 for d in docs)
    found = Geocoder(client, pc4_table=pc4).locate("3544DB", 12)
    assert found is not None and found.precision == "pc6" and (found.x, found.y) == (131689.0, 456385.0)


def test_the_addition_must_match_when_given(server, client, pc4):
    serve_locatieserver(server)
    g = Geocoder(client, pc4_table=pc4)
    plain, letter = g.locate("3515VB", 33), g.locate("3515VB", "33-A")
    assert plain is not None and plain.precision == "address" and plain.label == "Nolenslaan 33, 3515VB Utrecht"
    assert letter is not None and letter.precision == "address" and letter.label == "Nolenslaan 33A, 3515VB Utrecht"
    # 33-B is not in the answer (33 and 33A are): no address hit, no postcode hit, so the PC4 centroid.
    other = g.locate("3515VB", 33, "B")
    assert other is not None and other.precision == "pc4_centroid" and other.label == "PC4 3515 (centroid)"
    assert ("3515VB 33B", "type:adres") in queries(server)


def test_no_hit_falls_back_to_the_pc4_centroid_or_none(server, client, pc4):
    serve_locatieserver(server)
    found = Geocoder(client, pc4_table=pc4).locate("3453 RA", 3)  # Van Lawick van Pabstlaan 3, De Meern
    assert found == Location(129431.2, 454939.5, "pc4_centroid", "PC4 3453 (centroid)")
    assert queries(server) == [("3453RA 3", "type:adres"), ("3453RA", "type:postcode")]
    bare = Geocoder(client)
    assert bare.locate("3453RA", 3) is None and bare.counts == {"none": 1}
    assert Geocoder(client, pc4_table=pc4).locate("9999ZZ", 1) is None  # not in the Utrecht PC4 table


def test_a_4_digit_postcode_goes_straight_to_the_pc4_table(server, client, pc4):
    serve_locatieserver(server)
    assert Geocoder(client, pc4_table=pc4).locate("3512", None) == Location(
        float(pc4.loc["3512", "x"]), float(pc4.loc["3512", "y"]), "pc4_centroid", "PC4 3512 (centroid)"
    )
    assert server.requests == []


@pytest.mark.parametrize(
    ("wkt", "note"),
    [
        ("POINT(137046.0)", "is not a WKT point"),
        ("POLYGON((0 0, 1 0, 1 1, 0 0))", "is not a WKT point"),
        ("", "is not a WKT point"),
        ("POINT(5.12522422 52.09117469)", "lies outside the Netherlands"),
    ],
)
def test_bad_wkt_is_no_hit_with_a_note(server, client, pc4, wkt, note):
    broken = json.loads(json.dumps(locatieserver_answer("3512JR 10", "type:adres")))
    broken["response"]["docs"][0]["centroide_rd"] = wkt
    postcode = {"response": {"numFound": 1, "docs": [{"type": "postcode", "postcode": "3512JR",
                                                      "weergavenaam": "Pieterskerkhof, 3512JR Utrecht",
                                                      "centroide_rd": "POINT(137040.5 455920.25)"}]}}
    serve_locatieserver(server, before=(("3512JR 10", "type:adres", Reply(json.dumps(broken).encode())),
                                  ("3512JR", "type:postcode", Reply(json.dumps(postcode).encode()))))
    g = Geocoder(client, pc4_table=pc4)
    found = g.locate("3512JR", 10)
    assert found == Location(137040.5, 455920.25, "pc6", "Pieterskerkhof, 3512JR Utrecht")
    assert len(g.notes) == 1 and note in g.notes[0] and "3512JR 10" in g.notes[0]


@pytest.mark.parametrize("answer", [b'{"error": "bad request"}', b'{"response": {"docs": {}}}', b"[]"])
def test_an_answer_without_response_docs_is_a_plain_error(server, client, answer):
    server.route(FREE, Reply(answer))
    with pytest.raises(DownloadError, match=r"expected a Locatieserver answer \{\"response\": \{\"docs\""):
        Geocoder(client).locate("3512JR", 10)


def test_each_address_is_asked_once_and_then_comes_from_the_cache(server, client, pc4, tmp_path):
    serve_locatieserver(server)
    g = Geocoder(client, pc4_table=pc4)
    assert g.locate("3512JR", 10) == g.locate("3512 jr", "10")
    assert len(server.requests) == 1 and g.counts == {"address": 2}
    again = Geocoder(http.Client(cache_dir=tmp_path / "cache", offline=True), pc4_table=pc4)
    assert again.locate("3512JR", 10) == g.locate("3512JR", 10)
    assert len(server.requests) == 1


def test_the_98_utrecht_schools_replay_the_offline_geocoding(server, client, pc4):
    serve_locatieserver(server)
    schools = pd.read_csv(GEOCODED, dtype=str, keep_default_na=False)
    g = Geocoder(client, pc4_table=pc4)
    found = g.locate_many(
        (r["POSTCODE"], *(geocode.parse_house_number(r["HUISNUMMER-TOEVOEGING"]) or (None, None)))
        for _, r in schools.iterrows()
    )
    assert all(found)
    assert [f.precision for f in found if f] == schools["geocode_precision"].map(_PRECISION).tolist()
    for f, (_, r) in zip(found, schools.iterrows(), strict=True):
        assert f is not None and abs(f.x - float(r["x_rd"])) < 0.05 and abs(f.y - float(r["y_rd"])) < 0.05
    assert g.counts == {"address": 23, "pc6": 17, "pc4_centroid": 58}
    assert g.summary() == "23 on the address, 17 on the postcode (PC6), 58 on a PC4 centroid, 0 not placed"
    assert g.notes == []


def test_locate_many_takes_mappings_too(server, client, pc4):
    serve_locatieserver(server)
    g = Geocoder(client, pc4_table=pc4)
    rows = [{"postcode": "3512JR", "number": 10}, {"postcode": "3515VB", "number": 33, "addition": "A"}, ("", None)]
    found = g.locate_many(rows)
    assert [f.precision if f else None for f in found] == ["address", "address", None]
    assert g.counts == {"address": 2, "none": 1}


def test_house_numbers_wkt_and_postcodes():
    assert geocode.parse_house_number("3") == (3, None)
    assert geocode.parse_house_number("1-A") == (1, "A")
    assert geocode.parse_house_number("26-28") == (26, None)  # DUO's number range
    assert geocode.parse_house_number("12-2") == (12, "2")
    assert geocode.parse_house_number("Oudegracht 245 bis") == (245, "BIS")
    assert geocode.parse_house_number("Laan 1940-1945 12") == (12, None)
    assert geocode.parse_house_number("Postbus") is None
    assert geocode.parse_wkt_point("POINT(133230.698 448750.088)") == (133230.698, 448750.088)
    assert geocode.parse_wkt_point(" point ( 1e5 4.5E5 ) ") == (100000.0, 450000.0)
    assert geocode.parse_wkt_point("POINT(1 2 3)") is None and geocode.parse_wkt_point(None) is None
    assert geocode.normalise_postcode(" 3512 xg ") == "3512XG"


def test_pc4_tables_in_the_three_shared_formats(tmp_path, pc4):
    raw = pd.read_csv(PC4_CSV, dtype=str)
    assert len(pc4) == 49 and "3450" not in pc4.index  # 59 codes, 10 PO-box only
    assert pc4.loc["3453"].tolist() == [129431.2, 454939.5]
    adres = raw[raw["soort"] != "Postbus"]
    postcodetabel = {r["pc4"]: {"city": r["woonplaats"], "c": [float(r["lat"]), float(r["lon"])]}
                     for _, r in adres.iterrows()}
    (tmp_path / "pc4.json").write_text(json.dumps(postcodetabel), encoding="utf-8")
    pd.DataFrame({"id": range(len(adres)), "postcode": adres["pc4"].to_numpy(), "latitude": adres["lat"].to_numpy(),
                  "longitude": adres["lon"].to_numpy(), "soort": "Adres"}).to_csv(tmp_path / "4pp.csv", index=False)
    for name in ("pc4.json", "4pp.csv"):
        table = geocode.load_pc4_table(tmp_path / name)
        assert list(table.index) == list(pc4.index)
        assert ((table - pc4).abs().to_numpy() < 0.5).all()  # the same points (x_rd, y_rd are rounded to 0.1 m)
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="expected columns pc4, x_rd, y_rd"):
        geocode.load_pc4_table(tmp_path / "bad.csv")
    with pytest.raises(DataFileError, match="expected a file"):
        geocode.load_pc4_table(tmp_path / "missing.csv")
    with pytest.raises(DataFileError, match="expected columns x and y"):
        Geocoder(http.Client(cache_dir=tmp_path), pc4_table=pd.DataFrame({"lat": [1.0]}))


def test_the_answers_are_what_the_script_writes(tmp_path, data_root):
    spec = importlib.util.spec_from_file_location("make_answers", SERVICE / "make_answers.py")
    assert spec and spec.loader
    maker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(maker)
    written = maker.make(out=tmp_path, in_repo=data_root, copy_pc4=False)
    assert written.read_bytes() == (SERVICE / "answers.json").read_bytes()
