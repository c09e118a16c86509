"""geo/data/pdok.py against the loopback server: buurt polygons from the PDOK OGC API, paged, validated.

The pages (tests/fixtures/services/pdok, made by make_pdok_pages.py from the real Utrecht and Delft
boundaries, see PROVENANCE.md) are served with their ``rel=next`` links rewritten to the loopback.
"""

from __future__ import annotations

import importlib.util
import json
import urllib.parse
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Transformer

from geo import schema
from geo.data import http, pdok
from geo.errors import DownloadError, DuplicateCodeError, GeometryError, ParameterError
from tests.helpers import (
    FIXTURE_DATA,
    PDOK_BUURTEN,
    PDOK_FIXTURES,
    PDOK_WIJKEN,
    Reply,
    geojson_reply,
    pdok_next_href,
    pdok_page,
    serve_pdok,
)

PAGES = PDOK_FIXTURES
BUURTEN, WIJKEN = PDOK_BUURTEN, PDOK_WIJKEN


@pytest.fixture
def client(tmp_path: Path) -> http.Client:
    waits: list[float] = []
    c = http.Client(cache_dir=tmp_path / "cache", timeout_s=2.0, sleep=waits.append, backoff_s=0.5)
    c.waits = waits  # type: ignore[attr-defined]  # the recorded back-off waits
    return c


@pytest.fixture
def server(loopback, monkeypatch):
    monkeypatch.setenv("GEO_URL_PDOK_OGC", loopback.url)
    return loopback


def utrecht_truth() -> gpd.GeoDataFrame:
    g = gpd.read_file(FIXTURE_DATA / "utrecht_buurten_gemeente_2013" / "utrecht_buurten_kwb2023_rd.gpkg")
    return g.set_index("bu_code").sort_index()


def test_utrecht_111_buurten_over_three_pages(server, client):
    pages = serve_pdok(server, "utrecht", "GM0344", 3)
    assert [len(p["features"]) for p in pages] == [50, 50, 11]
    buurten, source = pdok.fetch_buurten(client, "GM0344", 2023, limit=50)

    truth = utrecht_truth()
    assert len(buurten) == 111 and buurten.crs.to_epsg() == 28992
    assert list(buurten.index) == list(truth.index) == list(buurten[schema.BUURT_CODE])
    assert buurten.geometry.is_valid.all() and set(buurten.geom_type) <= {"Polygon", "MultiPolygon"}
    assert (buurten[schema.BUURT_NAME] == truth["bu_naam"]).all()
    assert (buurten[schema.WIJK_CODE] == truth["wk_code"]).all()
    assert set(buurten[schema.MUNICIPALITY_CODE]) == {"GM0344"}
    assert set(buurten[schema.MUNICIPALITY_NAME]) == {"Utrecht"}
    # Wijk names from the wijken collection, "Wijk 08 Zuidwest" read as "Zuidwest" (as build.py names them).
    assert buurten.loc["BU03440831", schema.WIJK_NAME] == "Zuidwest"
    assert buurten[schema.WIJK_NAME].nunique() == 10 and buurten[schema.WIJK_NAME].notna().all()
    # The same polygons as the real boundaries (to the millimetre the service rounds to).
    assert buurten.geometry.hausdorff_distance(truth.geometry).max() < 0.001
    assert abs(buurten.area.sum() / truth.area.sum() - 1) < 1e-6
    assert source["publisher"] == "PDOK / CBS" and source["year"] == 2023 and source["licence"] == "CC BY 4.0"
    assert source["attribution"] == "Bron: CBS, Kadaster" and source["url"].startswith(server.url + BUURTEN)


def test_requests_ask_for_rd_and_json_and_follow_next_links_exactly(server, client):
    pages = serve_pdok(server, "utrecht", "GM0344", 3)
    pdok.fetch_buurten(client, "0344", 2023, limit=50)
    asked = [(r[1], r[2]) for r in server.requests]
    assert [path for path, _ in asked] == [BUURTEN, BUURTEN, BUURTEN, WIJKEN]
    first = asked[0][1]
    assert first == {"gemeentecode": "GM0344", "crs": pdok.RD_CRS_URI, "f": "json", "limit": "50"}
    for (path, query), previous in zip(asked[1:3], pages[:2], strict=True):
        href = urllib.parse.urlsplit(pdok_next_href(previous))
        assert path == href.path and query == dict(urllib.parse.parse_qsl(href.query))  # the link, as given
        assert query["crs"] == pdok.RD_CRS_URI and query["f"] == "json"
    assert asked[3][1]["crs"] == pdok.RD_CRS_URI and asked[3][1]["f"] == "json"
    ua = server.requests[0][3]["User-Agent"]
    assert ua.startswith("RijkeSchooldagPlanner/")


def test_a_500_once_is_retried(server, client):
    first_page = geojson_reply(pdok_page("utrecht_buurten_p1.json.gz", server.url))
    serve_pdok(server, "utrecht", "GM0344", 3, Reply(b"oops", status=500), first_page)
    buurten, _ = pdok.fetch_buurten(client, "GM0344", 2023, limit=50)
    assert len(buurten) == 111
    assert client.stats["retries"] == 1 and client.waits == [0.5]
    assert server.hits(BUURTEN) == 4


def test_cached_pages_are_reused_offline(server, client, tmp_path):
    serve_pdok(server, "utrecht", "GM0344", 3)
    online, _ = pdok.fetch_buurten(client, "GM0344", 2023, limit=50)
    offline, _ = pdok.fetch_buurten(http.Client(cache_dir=tmp_path / "cache", offline=True), "GM0344", 2023, limit=50)
    assert list(offline.index) == list(online.index) and offline.geometry.equals(online.geometry)
    assert len(server.requests) == 4


def test_names_are_stripped_and_a_wijknaam_on_the_buurten_is_used(server, client):
    p = pdok_page("utrecht_buurten_p3.json.gz", server.url)
    p["links"] = []
    for f in p["features"]:
        f["properties"].update(buurtnaam=f"  {f['properties']['buurtnaam']} ", gemeentenaam="Utrecht   ",
                               wijknaam="Wijk 10 Vleuten-De Meern ")
    server.route(BUURTEN, geojson_reply(p))
    buurten, _ = pdok.fetch_buurten(client, "GM0344", 2023)
    assert buurten.loc["BU03441041", schema.BUURT_NAME] == "Rijnenburg"
    assert set(buurten[schema.MUNICIPALITY_NAME]) == {"Utrecht"}
    assert set(buurten[schema.WIJK_NAME]) == {"Vleuten-De Meern"}
    assert server.hits(WIJKEN) == 0 and server.hits(BUURTEN) == 1


def test_an_empty_answer_names_the_municipality_and_year(server, client):
    empty = {"links": [], "numberReturned": 0, "timeStamp": "2026-12-02T10:00:00Z", "type": "FeatureCollection",
             "features": []}
    server.route(BUURTEN, geojson_reply(empty))
    with pytest.raises(DownloadError, match=r"no buurten for GM9999 in 2023 \(0 features"):
        pdok.fetch_buurten(client, "GM9999", 2023)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (b"<!DOCTYPE html><html><body>Service unavailable</body></html>", r"not complete JSON.*<!DOCTYPE html>"),
        (b'{"type": "FeatureCollection", "links": []}', r"expected a GeoJSON FeatureCollection with 'features'.*"
         r"found an object with keys type, links"),
        (b'[1, 2]', r"expected a GeoJSON FeatureCollection.*found a JSON list"),
    ],
)
def test_an_answer_that_is_not_buurt_geojson_is_a_plain_error(server, client, answer, message):
    server.route(BUURTEN, Reply(answer))
    with pytest.raises(DownloadError, match=message):
        pdok.fetch_buurten(client, "GM0344", 2023)


def test_missing_properties_are_named(server, client):
    p = pdok_page("utrecht_buurten_p3.json.gz", server.url)
    for f in p["features"]:
        f["properties"] = {"code": f["properties"]["buurtcode"]}
    p["links"] = []
    server.route(BUURTEN, geojson_reply(p))
    with pytest.raises(DownloadError, match=r"buurtcode, buurtnaam, wijkcode, gemeentecode, gemeentenaam missing "
                                            r"\(found code\)"):
        pdok.fetch_buurten(client, "GM0344", 2023)


def test_an_answer_in_lon_lat_is_refused(server, client):
    p = pdok_page("utrecht_buurten_p3.json.gz", server.url)
    to_ll = Transformer.from_crs(28992, 4326, always_xy=True)
    for f in p["features"]:
        rd = shapely.geometry.shape(f["geometry"])
        geom = shapely.transform(rd, lambda xy: np.column_stack(to_ll.transform(*xy.T)))
        f["geometry"] = json.loads(shapely.to_geojson(geom))
    p["links"] = []
    server.route(BUURTEN, geojson_reply(p))
    with pytest.raises(DownloadError, match=r"expected RD coordinates.*lon/lat-like values"):
        pdok.fetch_buurten(client, "GM0344", 2023)


def test_buurten_of_other_municipalities_mean_the_filter_was_ignored(server, client):
    p = pdok_page("utrecht_buurten_p3.json.gz", server.url)
    p["features"] += pdok_page("delft_buurten_p1.json.gz", server.url)["features"][:2]
    p["links"] = []
    server.route(BUURTEN, geojson_reply(p))
    with pytest.raises(DownloadError, match=r"expected only buurten with gemeentecode GM0344, found also GM0503"):
        pdok.fetch_buurten(client, "GM0344", 2023)


def test_duplicated_codes_and_endless_pages_are_errors(server, client):
    p = pdok_page("utrecht_buurten_p3.json.gz", server.url)
    p["links"] = [{"rel": "next", "href": server.url + BUURTEN + "?gemeentecode=GM0344&cursor=again"}]
    server.route(BUURTEN, geojson_reply(p))
    with pytest.raises(DownloadError, match="the pages do not end"):
        pdok.fetch_buurten(client, "GM0344", 2023)

    p["links"] = []
    p["features"].append(p["features"][0])
    server.routes.clear()
    server.route(BUURTEN, geojson_reply(p))
    with pytest.raises(DuplicateCodeError, match=r"expected each buurt code once, found 1 duplicated: BU03441012"):
        pdok.fetch_buurten(http.Client(cache_dir=client.cache_dir / "other"), "GM0344", 2023)


def test_delft_coarse_polygons_are_repaired_or_refused(server, client):
    """The CBS 2014 TopoJSON shapes of Delft: 21 of 91 invalid, 15 with no area left after repair."""
    full = pdok_page("delft_buurten_p1.json.gz", server.url)
    collapsed = [
        f["properties"]["buurtcode"] for f in full["features"]
        if shapely.make_valid(shapely.geometry.shape(f["geometry"])).geom_type not in ("Polygon", "MultiPolygon",
                                                                                        "GeometryCollection")
    ]
    assert collapsed
    serve_pdok(server, "delft", "GM0503", 1)
    with pytest.raises(GeometryError, match=r": 15 buurt polygons have no area left after repair: BU0503"):
        pdok.fetch_buurten(client, "GM0503", 2023)

    repairable = [f for f in full["features"] if f["properties"]["buurtcode"] not in collapsed]
    repairable = [f for f in repairable if shapely.make_valid(shapely.geometry.shape(f["geometry"])).area > 0]
    n_invalid = sum(not shapely.geometry.shape(f["geometry"]).is_valid for f in repairable)
    server.routes.clear()
    server.route(BUURTEN, geojson_reply({**full, "features": repairable}))
    server.route(WIJKEN, geojson_reply(pdok_page("delft_wijken_p1.json.gz", server.url)))
    buurten, source = pdok.fetch_buurten(http.Client(cache_dir=client.cache_dir / "b"), "GM0503", 2023)
    assert n_invalid > 0 and f"repaired {n_invalid} invalid polygons with make_valid" in source["notes"]
    assert buurten.geometry.is_valid.all() and set(buurten.geom_type) <= {"Polygon", "MultiPolygon"}
    assert buurten.loc["BU05032902", schema.BUURT_NAME] == "Ackersdijk"
    assert buurten.loc["BU05032902", schema.WIJK_NAME] == "Ruiven"
    assert set(buurten[schema.MUNICIPALITY_NAME]) == {"Delft"}


def test_municipality_codes():
    assert pdok.gemeente_code("GM0855") == pdok.gemeente_code("0855") == pdok.gemeente_code("855") == "GM0855"
    assert pdok.gemeente_code(" gm0344 ") == "GM0344"
    with pytest.raises(ParameterError, match="Expected a municipality code such as GM0855"):
        pdok.gemeente_code("Utrecht")


def _maker():
    spec = importlib.util.spec_from_file_location("make_pdok_pages", PAGES / "make_pdok_pages.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_utrecht_pages_are_what_the_script_writes(tmp_path, data_root):
    written = _maker().make(out=tmp_path, in_repo=data_root, delft_too=False)
    assert [p.name for p in written] == [n for n in _maker().OUTPUTS if n.startswith("utrecht")]
    for path in written:
        assert path.read_bytes() == (PAGES / path.name).read_bytes(), path.name


def test_the_delft_pages_are_what_the_script_writes(tmp_path, data_root, full_shared_data):
    for path in _maker().make(full_shared_data, out=tmp_path, in_repo=data_root):
        assert path.read_bytes() == (PAGES / path.name).read_bytes(), path.name
