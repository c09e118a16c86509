"""geo/data/osm_facilities.py: OSM facilities per gemeente from one Overpass query, against a loopback server.

The answers are the recorded ones in tests/fixtures/services/overpass_pois (real OSM objects of Maastricht and
Amsterdam Centrum, see PROVENANCE.md). Expected counts are worked out here from the fixtures' own tags with
plain Python, not through the module's tag table.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import urllib.parse
from collections import Counter
from pathlib import Path

import pytest
import shapely
from pyproj import Transformer

from geo import schema
from geo.catalog import FACILITY_TYPES
from geo.data import http, osm_facilities
from geo.errors import CrsError, DownloadError, ParameterError
from tests.helpers import OVERPASS_FIXTURES, OVERPASS_INTERPRETER, SERVICE_PATHS, Reply, serve_overpass

POIS = OVERPASS_FIXTURES
MAASTRICHT = POIS / "maastricht_gm0935.json"
AMSTERDAM = POIS / "amsterdam_centre_gm0363.json"
INTERPRETER = OVERPASS_INTERPRETER
TO_RD = Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True)
COLUMNS = {
    schema.FACILITY_ID, schema.FACILITY_TYPE, schema.FACILITY_NAME, schema.FACILITY_CAPACITY,
    schema.FACILITY_ADDRESS, schema.FACILITY_POSTCODE, schema.FACILITY_DETAIL, schema.FACILITY_SOURCE,
    schema.LOCATION_PRECISION,
}


def expected_type(tags: dict[str, str]) -> str | None:
    """What the product should make of these tags, written out independently of the module's table."""
    amenity, leisure, sport = tags.get("amenity"), tags.get("leisure"), tags.get("sport", "").split(";")
    tourism = tags.get("tourism")
    if amenity == "library":
        return amenity
    if amenity == "community_centre":  # a youth centre is a community centre with community_centre=youth_centre
        return "youth_work" if "youth_centre" in tags.get("community_centre", "").split(";") else amenity
    if amenity in ("theatre", "arts_centre", "music_school"):
        return "culture"
    if amenity == "school" and "music" in tags.get("school", "").split(";"):
        return "culture"
    if tourism == "museum":
        return "museum"
    if tourism == "zoo" and "petting_zoo" in tags.get("zoo", "").split(";"):  # a kinderboerderij; not every zoo
        return "nature"
    if leisure == "nature_reserve":
        return "nature"
    if leisure == "hackerspace":
        return "makerspace"
    if leisure == "sports_centre":
        return "swimming_pool" if "swimming" in sport else "sport"
    if leisure in ("sports_hall", "pitch", "stadium"):
        return "sport"
    if leisure == "swimming_pool":
        return None if tags.get("access") in ("private", "no") else "swimming_pool"
    if leisure == "playground":
        return "playground"
    return None


def objects(path: Path) -> list[dict]:
    return [e for e in json.loads(path.read_bytes())["elements"] if e["type"] != "count"]


def rd(lon: float, lat: float) -> tuple[float, float]:
    return TO_RD.transform(lon, lat)


@pytest.fixture
def client(tmp_path: Path) -> http.Client:
    waits: list[float] = []
    c = http.Client(cache_dir=tmp_path / "cache", timeout_s=5.0, sleep=waits.append, backoff_s=0.5)
    c.waits = waits  # type: ignore[attr-defined]  # the recorded waits, for the assertions
    return c


@pytest.fixture
def overpass(loopback, monkeypatch):
    """The loopback server standing in for Overpass (``GEO_URL_OVERPASS``)."""
    monkeypatch.setenv("GEO_URL_OVERPASS", loopback.url + SERVICE_PATHS["OVERPASS"])
    return loopback


def answer(path: Path, **changes) -> bytes:
    data = json.loads(path.read_bytes())
    data.update(changes)
    return json.dumps(data).encode()


# --------------------------------------------------------------------------- the table and the query


def test_every_type_of_the_table_is_a_catalog_type():
    types = {rule.facility_type for rule in osm_facilities.TAG_TABLE}
    assert types <= set(FACILITY_TYPES)
    assert {"library", "community_centre", "culture", "sport", "swimming_pool"} <= types
    assert {"youth_work", "nature", "museum", "makerspace", "playground"} <= types


def test_a_youth_centre_rule_comes_before_the_community_centre_rule():
    rules = [(r.key, r.value, r.facility_type) for r in osm_facilities.TAG_TABLE]
    youth = rules.index(("amenity", "community_centre", "youth_work"))
    assert youth < rules.index(("amenity", "community_centre", "community_centre"))


@pytest.mark.parametrize("code", ["GM0935", "gm0935", " 0935 ", "935", "GM935"])
def test_gemeente_code_loses_its_leading_zeros(code):
    assert osm_facilities.gemeente_ref(code) == "935"


@pytest.mark.parametrize("code", ["", "GM0000", "GM12345", "Maastricht", "BU09350000", "-935"])
def test_a_bad_gemeente_code_is_a_parameter_error(code):
    with pytest.raises(ParameterError, match="expected a CBS code such as GM0935"):
        osm_facilities.gemeente_ref(code)


def test_one_query_scoped_to_the_gemeente_in_the_netherlands():
    query = osm_facilities.build_facilities_query("GM0344", timeout_s=90)
    assert query.startswith("[out:json][timeout:90];")
    assert 'area["ISO3166-1"="NL"]->.nl;' in query
    assert '["boundary"="administrative"]["admin_level"="8"]["ref:gemeentecode"="344"](' not in query
    assert 'rel(area.nl)["boundary"="administrative"]["admin_level"="8"]["ref:gemeentecode"="344"]->.gem;' in query
    assert '"0344"' not in query and query.count("(area.g);") == 5
    assert query.index("out center tags;") < query.index(".gem out count;")
    # every tag of the table is asked for
    for rule in osm_facilities.TAG_TABLE:
        assert f'"{rule.key}"' in query and rule.value in query
    assert '["school"~"(^|;) *music *(;|$)"]' in query  # not every school: only music schools
    assert 'nwr["tourism"="zoo"]["zoo"~"(^|;) *petting_zoo *(;|$)"](area.g);' in query  # not every zoo
    # a youth centre is an amenity=community_centre, which the amenity statement already asks for
    assert '["community_centre"' not in query and "community_centre|" in query
    assert "protected_area" not in query and "social_facility" not in query
    with pytest.raises(ParameterError, match="timeout"):
        osm_facilities.build_facilities_query("344", timeout_s=0)


@pytest.mark.parametrize(
    ("tags", "kind"),
    [
        ({"leisure": "sports_centre", "sport": "swimming"}, "swimming_pool"),
        ({"leisure": "sports_centre", "sport": "fitness;swimming"}, "swimming_pool"),
        ({"leisure": "sports_centre", "sport": "soccer"}, "sport"),
        ({"leisure": "swimming_pool", "access": "yes"}, "swimming_pool"),
        ({"leisure": "swimming_pool"}, "swimming_pool"),
        ({"leisure": "swimming_pool", "access": "private"}, None),
        ({"amenity": "school", "school": "music"}, "culture"),
        ({"amenity": "school"}, None),
        ({"amenity": "music_school"}, "culture"),
        ({"leisure": "stadium"}, "sport"),
        ({"leisure": "playground"}, "playground"),
        ({"amenity": "community_centre"}, "community_centre"),
        ({"amenity": "community_centre", "community_centre": "club_home"}, "community_centre"),
        ({"amenity": "community_centre", "community_centre": "youth_centre"}, "youth_work"),
        ({"amenity": "community_centre", "community_centre": "community_hall;youth_centre"}, "youth_work"),
        ({"leisure": "youth_centre"}, None),  # not a documented tag
        ({"amenity": "social_facility", "social_facility": "group_home", "social_facility:for": "juvenile"}, None),
        ({"tourism": "museum"}, "museum"),
        ({"tourism": "museum", "amenity": "arts_centre"}, "culture"),  # first match wins: amenity rules come first
        ({"tourism": "zoo", "zoo": "petting_zoo"}, "nature"),
        ({"tourism": "zoo", "zoo": "wildlife_park"}, None),
        ({"tourism": "zoo"}, None),
        ({"leisure": "nature_reserve"}, "nature"),
        ({"boundary": "protected_area", "protect_class": "4"}, None),
        ({"leisure": "hackerspace"}, "makerspace"),
        ({"amenity": "makerspace"}, None),  # not a tag: makerspaces are leisure=hackerspace
        ({"amenity": "bench"}, None),
    ],
)
def test_tag_rules(tags, kind):
    rule = osm_facilities.facility_type_of(tags)
    assert (rule.facility_type if rule else None) == kind == expected_type(tags)


# --------------------------------------------------------------------------- the download


def test_maastricht_one_post_counts_per_type_and_the_frame(overpass, client):
    serve_overpass(overpass, Reply(MAASTRICHT.read_bytes(), headers={"Content-Type": "application/json"}))
    frame, source, notes = osm_facilities.fetch_facilities(client, "GM0935")

    elements = objects(MAASTRICHT)
    expected = Counter(expected_type(e["tags"]) for e in elements)
    assert dict(Counter(frame[schema.FACILITY_TYPE])) == {k: v for k, v in expected.items() if k is not None}
    assert dict(Counter(frame[schema.FACILITY_TYPE])) == {"library": 4, "community_centre": 4, "culture": 6}

    # the request: one POST, form-encoded, the code without its leading zero, an identifying User-Agent
    assert overpass.hits(INTERPRETER) == 1
    method, _, _, headers, body = overpass.requests[0]
    assert method == "POST"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert headers["User-Agent"].startswith("RijkeSchooldagPlanner/")
    query = urllib.parse.parse_qs(body.decode())["data"][0]
    assert '"ref:gemeentecode"="935"' in query and "out center tags;" in query

    # the frame: the loaders' columns, EPSG:28992, ids from the OSM type and id
    assert set(frame.columns) >= COLUMNS and frame.crs.to_epsg() == 28992
    assert (frame[schema.FACILITY_SOURCE] == "OpenStreetMap").all()
    assert (frame[schema.LOCATION_PRECISION] == "source").all()
    assert sorted(frame[schema.FACILITY_ID]) == sorted(f"osm-node-{e['id']}" for e in elements)
    assert list(frame.index) == list(frame[schema.FACILITY_ID])
    for e in elements:
        x, y = rd(e["lon"], e["lat"])
        point = frame.loc[f"osm-node-{e['id']}", "geometry"]
        assert point.x == pytest.approx(x, abs=0.01) and point.y == pytest.approx(y, abs=0.01)
    tragos = frame.loc["osm-node-2808485795"]
    assert tragos[schema.FACILITY_NAME] == "Tragos"
    assert tragos[schema.FACILITY_ADDRESS] == "Kastanjelaan 64, 6217 SB Maastricht"
    assert tragos[schema.FACILITY_POSTCODE] == "6217 SB"
    assert tragos[schema.FACILITY_DETAIL] == "amenity=community_centre"

    # the unnamed arts centre is named after its type and id, and counted
    unnamed = [e for e in elements if "name" not in e["tags"]]
    assert len(unnamed) == 1
    assert frame.loc[f"osm-node-{unnamed[0]['id']}", schema.FACILITY_NAME] == "Cultuurvoorziening (OSM node 2804178179)"
    assert any(n.startswith("1 facilities without a name") for n in notes)
    assert notes[0].startswith(f"OpenStreetMap via Overpass, gemeente GM0935: {len(elements)} objects read, 14 ")

    assert source == {
        "id": "osm_facilities_gm0935",
        "title": "OpenStreetMap via Overpass API",
        "publisher": "OpenStreetMap contributors",
        "year": 2023,
        "licence": "ODbL 1.0",
        "attribution": "© OpenStreetMap contributors",
        "url": overpass.url + INTERPRETER,
        "data_timestamp": "2023-07-03T08:32:58Z",
    }

    # the answer is cached: the same fetch again asks nothing
    again, _, _ = osm_facilities.fetch_facilities(client, "0935")
    assert overpass.hits(INTERPRETER) == 1 and len(again) == len(frame)


def test_ways_and_relations_land_at_their_center_and_playgrounds_are_kept(overpass, client):
    serve_overpass(overpass, Reply(AMSTERDAM.read_bytes()))
    frame, source, notes = osm_facilities.fetch_facilities(client, "GM0363")
    elements = objects(AMSTERDAM)
    expected = Counter(expected_type(e["tags"]) for e in elements)
    playgrounds = expected["playground"]
    expected.pop(None, None)
    assert dict(Counter(frame[schema.FACILITY_TYPE])) == dict(expected)
    assert playgrounds == 7 and expected["sport"] == 2
    assert expected["museum"] == 11 and expected["culture"] == 15  # museums are a type of their own

    areas = [e for e in elements if e["type"] != "node" and expected_type(e["tags"]) in FACILITY_TYPES]
    assert {e["type"] for e in areas} == {"way", "relation"}
    for e in areas:
        x, y = rd(e["center"]["lon"], e["center"]["lat"])
        point = frame.loc[f"osm-{e['type']}-{e['id']}", "geometry"]
        assert point.x == pytest.approx(x, abs=0.01) and point.y == pytest.approx(y, abs=0.01)
    theatre = frame.loc["osm-way-267001354"]
    assert theatre[schema.FACILITY_NAME] == "Compagnietheater" and theatre[schema.FACILITY_TYPE] == "culture"
    pitch = frame.loc["osm-way-863586635"]
    assert pitch[schema.FACILITY_DETAIL] == "leisure=pitch; sport=basketball"
    assert pitch[schema.FACILITY_NAME] == "Sportaccommodatie (OSM way 863586635)"
    assert any("single pitches (leisure=pitch)" in n for n in notes)
    assert source["year"] == int(json.loads(AMSTERDAM.read_bytes())["osm3s"]["timestamp_osm_base"][:4])


def test_429_with_retry_after_then_the_complete_answer(overpass, client):
    serve_overpass(
        overpass,
        Reply(b"<html><body>rate limited</body></html>", status=429, headers={"Retry-After": "7"}),
        Reply(MAASTRICHT.read_bytes()),
    )
    frame, _, _ = osm_facilities.fetch_facilities(client, "GM0935")
    assert client.waits == [7.0] and overpass.hits(INTERPRETER) == 2
    assert len(frame) == len(objects(MAASTRICHT))


def test_a_runtime_error_remark_is_a_download_error_with_the_remark_and_not_cached(overpass, client):
    remark = 'runtime error: Query timed out in "query" at line 6 after 181 seconds.'
    serve_overpass(overpass, Reply(answer(MAASTRICHT, remark=remark)))
    with pytest.raises(DownloadError, match="Overpass stopped with an error") as err:
        osm_facilities.fetch_facilities(client, "GM0935")
    assert remark in str(err.value) and "GM0935" in str(err.value)
    assert not list(client.cache_dir.rglob("*.bin"))


def test_truncated_json_is_a_download_error_and_nothing_is_cached(overpass, client):
    body = MAASTRICHT.read_bytes()
    serve_overpass(overpass, Reply(body[: len(body) // 2]))
    with pytest.raises(DownloadError, match="not complete Overpass JSON"):
        osm_facilities.fetch_facilities(client, "GM0935")
    assert not list(client.cache_dir.rglob("*.bin"))


def test_an_html_error_page_is_a_download_error(overpass, client):
    page = b"<html><head><title>OSM3S Response</title></head><body><p><strong>Error</strong>: line 3: parse error</p>"
    serve_overpass(overpass, Reply(page))
    with pytest.raises(DownloadError, match="not Overpass JSON: line 3: parse error"):
        osm_facilities.fetch_facilities(client, "GM0935")


@pytest.mark.parametrize(
    "elements",
    [[], [{"type": "count", "id": 0, "tags": {"nodes": "0", "ways": "0", "relations": "0", "total": "0"}}]],
    ids=["empty", "count-0"],
)
def test_an_unknown_gemeente_code_says_so(overpass, client, elements):
    serve_overpass(overpass, Reply(answer(MAASTRICHT, elements=elements)))
    with pytest.raises(DownloadError, match=r'no gemeente GM0999.*ref:gemeentecode="999"'):
        osm_facilities.fetch_facilities(client, "GM0999")
    assert not list(client.cache_dir.rglob("*.bin"))


def test_a_gemeente_without_facilities_is_an_empty_frame_with_a_note(overpass, client):
    count = {"type": "count", "id": 0, "tags": {"nodes": "0", "ways": "0", "relations": "1", "total": "1"}}
    serve_overpass(overpass, Reply(answer(MAASTRICHT, elements=[count])))
    frame, source, notes = osm_facilities.fetch_facilities(client, "GM0935")
    assert len(frame) == 0 and set(frame.columns) >= COLUMNS and frame.crs.to_epsg() == 28992
    assert any("found in OpenStreetMap, but no object in it has a facility tag" in n for n in notes)
    assert source["year"] == 2023


# --------------------------------------------------------------------------- clipping, duplicates, odd elements


def test_points_outside_the_polygon_are_dropped_and_counted(overpass, client):
    serve_overpass(overpass, Reply(MAASTRICHT.read_bytes()))
    box = (175_000.0, 317_000.0, 177_000.0, 318_500.0)  # Maastricht centre west of the Maas, RD metres
    polygon = shapely.box(*box)
    elements = objects(MAASTRICHT)
    inside = [e for e in elements if box[0] <= rd(e["lon"], e["lat"])[0] <= box[2]
              and box[1] <= rd(e["lon"], e["lat"])[1] <= box[3]]
    assert 0 < len(inside) < len(elements)
    frame, _, notes = osm_facilities.fetch_facilities(client, "GM0935", polygon=polygon)
    assert sorted(frame[schema.FACILITY_ID]) == sorted(f"osm-node-{e['id']}" for e in inside)
    outside = len(elements) - len(inside)
    assert any(n.startswith(f"{outside} facilities outside the clip polygon left out") for n in notes)
    with pytest.raises(CrsError, match="EPSG:28992"):
        osm_facilities.fetch_facilities(client, "GM0344", polygon=shapely.box(5.6, 50.8, 5.8, 50.9))
    assert overpass.hits(INTERPRETER) == 1  # a bad polygon is refused before any request


def _with(data: dict, *extra: dict) -> dict:
    out = copy.deepcopy(data)
    out["elements"] = [e for e in out["elements"] if e["type"] != "count"] + list(extra) + [
        e for e in out["elements"] if e["type"] == "count"
    ]
    return out


def test_a_node_and_an_area_for_one_place_are_kept_once():
    data = json.loads(MAASTRICHT.read_bytes())
    node = next(e for e in data["elements"] if e.get("tags", {}).get("name") == "Theater aan het Vrijthof")
    # the same theatre as a building outline, its center about 11 m north of the node (synthetic copy)
    near = {"type": "way", "id": 1, "center": {"lat": node["lat"] + 0.0001, "lon": node["lon"]}, "tags": node["tags"]}
    far = {"type": "way", "id": 2, "center": {"lat": node["lat"] + 0.0005, "lon": node["lon"]}, "tags": node["tags"]}
    twin = {"type": "node", "id": 3, "lat": node["lat"], "lon": node["lon"] + 0.0001, "tags": node["tags"]}
    frame, notes = osm_facilities.parse_facilities(_with(data, near), gemeente_code="935")
    assert len(frame) == len(objects(MAASTRICHT))
    assert "osm-way-1" in frame.index and f"osm-node-{node['id']}" not in frame.index
    assert any(n.startswith("1 places mapped twice") and f"osm-node-{node['id']} → osm-way-1" in n for n in notes)
    # 55 m apart is two places; two nodes of one kind are never merged
    frame, notes = osm_facilities.parse_facilities(_with(data, far, twin), gemeente_code="935")
    assert len(frame) == len(objects(MAASTRICHT)) + 2
    assert not any("mapped twice" in n for n in notes)


def test_objects_outside_the_table_or_without_a_position_are_counted():
    data = json.loads(MAASTRICHT.read_bytes())
    lat, lon = 50.85, 5.69
    extra = [
        {"type": "node", "id": 11, "lat": lat, "lon": lon, "tags": {"leisure": "swimming_pool", "access": "private"}},
        {"type": "node", "id": 12, "lat": lat, "lon": lon, "tags": {"amenity": "bench"}},
        {"type": "way", "id": 13, "tags": {"leisure": "sports_centre", "sport": "swimming", "name": "Zwembad"}},
        {"type": "way", "id": 14, "center": {"lat": lat, "lon": lon},
         "tags": {"leisure": "sports_centre", "sport": "swimming", "name": "Geusseltbad"}},
    ]
    frame, notes = osm_facilities.parse_facilities(_with(data, *extra), gemeente_code="935")
    assert frame.loc["osm-way-14", schema.FACILITY_TYPE] == "swimming_pool"
    assert frame.loc["osm-way-14", schema.FACILITY_DETAIL] == "leisure=sports_centre; sport=swimming"
    assert len(frame) == len(objects(MAASTRICHT)) + 1
    assert ("2 objects whose tags match no facility type left out "
            "(amenity=bench: 1, leisure=swimming_pool (access=private): 1)") in notes
    assert "1 objects without a position left out (osm-way-13)" in notes


def test_youth_centres_nature_museums_and_makerspaces_from_overpass_elements():
    """Overpass elements shaped as ``out center tags`` prints them (synthetic ids and names, real tagging)."""
    data = json.loads(MAASTRICHT.read_bytes())
    lat, lon = 50.85, 5.69
    extra = [
        {"type": "node", "id": 21, "lat": lat, "lon": lon,
         "tags": {"amenity": "community_centre", "community_centre": "youth_centre", "name": "Jongerencentrum Noord",
                  "operator": "Trajekt"}},
        {"type": "way", "id": 22, "center": {"lat": lat + 0.001, "lon": lon},
         "tags": {"amenity": "community_centre", "community_centre": "club_home", "name": "Buurthuis Oost",
                  "building": "yes"}},
        {"type": "node", "id": 23, "lat": lat + 0.002, "lon": lon,
         "tags": {"tourism": "zoo", "zoo": "petting_zoo", "name": "Kinderboerderij De Hoeve"}},
        {"type": "way", "id": 24, "center": {"lat": lat + 0.003, "lon": lon},
         "tags": {"tourism": "zoo", "zoo": "wildlife_park", "name": "Hertenkamp"}},
        {"type": "relation", "id": 25, "center": {"lat": lat + 0.004, "lon": lon},
         "tags": {"type": "multipolygon", "leisure": "nature_reserve", "boundary": "protected_area",
                  "name": "Natuurgebied De Heide"}},
        {"type": "way", "id": 26, "center": {"lat": lat + 0.005, "lon": lon},
         "tags": {"tourism": "museum", "name": "Natuurhistorisch Museum", "building": "yes"}},
        {"type": "node", "id": 27, "lat": lat + 0.006, "lon": lon,
         "tags": {"leisure": "hackerspace", "name": "FabLab"}},
    ]
    frame, notes = osm_facilities.parse_facilities(_with(data, *extra), gemeente_code="935")
    types = frame[schema.FACILITY_TYPE]
    assert types["osm-node-21"] == "youth_work" and types["osm-way-22"] == "community_centre"
    assert types["osm-node-23"] == types["osm-relation-25"] == "nature"
    assert types["osm-way-26"] == "museum" and types["osm-node-27"] == "makerspace"
    assert "osm-way-24" not in frame.index
    assert all(types[f"osm-{e['type']}-{e['id']}"] == expected_type(e["tags"]) for e in extra if e["id"] != 24)
    detail = frame[schema.FACILITY_DETAIL]
    # the tag the rule needed besides the main one is shown, once, before the other detail tags
    assert detail["osm-node-21"] == "amenity=community_centre; community_centre=youth_centre; operator=Trajekt"
    assert detail["osm-way-22"] == "amenity=community_centre"
    assert detail["osm-node-23"] == "tourism=zoo; zoo=petting_zoo"
    assert detail["osm-relation-25"] == "leisure=nature_reserve"
    x, y = rd(lon, lat + 0.004)  # a relation lands at its center
    assert frame.loc["osm-relation-25", "geometry"].x == pytest.approx(x, abs=0.01)
    assert frame.loc["osm-relation-25", "geometry"].y == pytest.approx(y, abs=0.01)
    assert "1 objects whose tags match no facility type left out (tourism=zoo: 1)" in notes
    assert all(f"{t}: {n}" in notes[0] for t, n in (("nature", 2), ("museum", 1), ("makerspace", 1), ("youth_work", 1)))


# --------------------------------------------------------------------------- the fixtures


def _maker():
    spec = importlib.util.spec_from_file_location("make_overpass_pois", POIS / "make_overpass_pois.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_amsterdam_answer_is_reproducible_from_the_in_repo_extract(data_root):
    assert _maker().amsterdam(data_root / _maker().AMSTERDAM) == AMSTERDAM.read_bytes()
    assert sum(p.stat().st_size for p in POIS.iterdir() if p.is_file()) < 60_000


def test_the_maastricht_answer_is_reproducible_from_the_shared_data(full_shared_data):
    assert _maker().maastricht(full_shared_data / _maker().MAASTRICHT) == MAASTRICHT.read_bytes()
