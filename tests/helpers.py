"""Plain helpers shared by several test modules (test modules never import each other).

Synthetic street networks (no street network of Utrecht ships, and hand-made graphs give
hand-checkable answers), the small frame the ranking tests rank, map and HTML helpers, and the
loopback HTTP server with one ``serve_<service>`` per data service (the recorded answers of
``tests/fixtures/services``; ``point_env`` points every ``GEO_URL_*`` at one server). Fixtures
(paths to the real data, the Delft network, ``loopback``) are in ``tests/conftest.py``.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import gzip
import json
import urllib.parse
from collections.abc import Callable, Sequence
from html.parser import HTMLParser
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from geo import schema
from geo.network.graph import Network, from_edges
from layers import build_base_map, build_choropleth_layer, build_facility_layer, build_facility_legend, finish_map


def straight_network(
    x: Sequence[float],
    y: Sequence[float],
    two_way: Sequence[tuple[int, int]] = (),
    one_way: Sequence[tuple[int, int]] = (),
    *,
    mode: str = "walk",
) -> Network:
    """Straight streets between node pairs, each edge exactly as long as the straight line.

    ``two_way`` pairs get an edge in both directions, ``one_way`` pairs ``(a, b)`` only a → b.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    both = np.array(two_way, dtype=np.int64).reshape(-1, 2)
    single = np.array(one_way, dtype=np.int64).reshape(-1, 2)
    src = np.r_[both[:, 0], both[:, 1], single[:, 0]]
    dst = np.r_[both[:, 1], both[:, 0], single[:, 1]]
    return from_edges(x, y, src, dst, np.hypot(x[dst] - x[src], y[dst] - y[src]), mode=mode)


def grid_network(bounds: Sequence[float], spacing_m: float, mode: str = "walk") -> Network:
    """A two-way street grid over ``bounds`` (x0, y0, x1, y1) with one block of margin on every side."""
    x0, y0, x1, y1 = bounds
    xs = np.arange(x0 - spacing_m, x1 + 2 * spacing_m, spacing_m)
    ys = np.arange(y0 - spacing_m, y1 + 2 * spacing_m, spacing_m)
    gx, gy = np.meshgrid(xs, ys)
    ids = np.arange(gx.size).reshape(gx.shape)
    e = np.vstack(
        [
            np.column_stack([ids[:, :-1].ravel(), ids[:, 1:].ravel()]),
            np.column_stack([ids[:-1, :].ravel(), ids[1:, :].ravel()]),
        ]
    )
    src, dst = np.r_[e[:, 0], e[:, 1]], np.r_[e[:, 1], e[:, 0]]
    return from_edges(gx.ravel(), gy.ravel(), src, dst, np.full(len(src), spacing_m), mode=mode)


def ranking_frame(**cols) -> pd.DataFrame:
    """Indicator columns for buurten ``BU00000000, BU00000001, …``; 100 inhabitants each unless given."""
    n = len(next(iter(cols.values())))
    df = pd.DataFrame(cols, index=[f"BU{i:08d}" for i in range(n)])
    if schema.INHABITANTS not in df:
        df[schema.INHABITANTS] = 100.0
    return df


# --------------------------------------------------------------------------- map layers and exports
# (Test helpers for the layers and export tests (not a test module).)






HOSTILE_NAME = "<img src=x onerror=alert(1)>"
HOSTILE_LINK = "https://planner.example/?preset=rijke_schooldag&w=dist_sport_m:2<script>alert('x')</script>"
XSS_FACILITY = "<script>alert(1)</script>"

#: The in-repo copies of the shared open data (tests/fixtures/shared, with provenance).
FIXTURE_DATA = Path(__file__).resolve().parent / "fixtures" / "shared"
BUURTEN_GPKG = FIXTURE_DATA / "utrecht_buurten_gemeente_2013" / "utrecht_buurten_kwb2023_rd.gpkg"
MULIER_CSV = FIXTURE_DATA / "utrecht_sport_mulier" / "mulier-instituut_sportaccomodaties_Utrecht.csv"

#: Six real buurten and the priority score we give each (Oog in Al has no value).
PRIORITY = {
    "BU03440831": 2.5,  # Kanaleneiland-Zuid: highest need
    "BU03440832": 1.8,  # Kanaleneiland-Noord
    "BU03440812": 0.9,  # Rivierenwijk
    "BU03440123": 0.1,  # Lombok-West
    "BU03440121": -0.6,  # Lombok-Oost
    "BU03440112": np.nan,  # Oog in Al
}
HIGHEST = "BU03440831"
MISSING = "BU03440112"

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# SVG elements that may be written self-closing (<circle .../>).
_SELF_CLOSING_OK = {"circle", "rect", "path"}


class Doc(HTMLParser):
    """Reads an HTML page: checks that tags nest, lists resources, collects table cells and SVG paths."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.resources: list[tuple[str, str]] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.svg_paths = 0
        self.svg_titles: list[str] = []
        self.iframe_srcdoc: list[str] = []
        self.inline_scripts = 0
        self.text: list[str] = []
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._in_map_svg = False
        self._in_title = False
        self.feed(html)
        self.close()
        if self.stack:
            self.errors.append(f"unclosed: {self.stack[-5:]}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        for key in ("src", "href"):
            if key in a and tag in ("script", "link", "img", "iframe"):
                self.resources.append((tag, a[key]))
        if tag == "script" and "src" not in a:
            self.inline_scripts += 1
        if tag == "iframe" and "srcdoc" in a:
            self.iframe_srcdoc.append(a["srcdoc"])
        if tag == "svg" and "map" in a.get("class", "").split():
            self._in_map_svg = True
        if self._in_map_svg and tag == "path" and self.stack and self.stack[-1] == "g":
            self.svg_paths += 1
        if self._in_map_svg and tag == "title":
            self._in_title = True
            self.svg_titles.append("")
        if tag == "table":
            self._table = a.get("class", "")
            self.tables.setdefault(self._table, [])
        if tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        if tag in ("td", "th") and self._table is not None:
            self._cell = []
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _VOID and tag not in _SELF_CLOSING_OK:
            self.errors.append(f"self-closing <{tag}/>")
        a = {k: v or "" for k, v in attrs}
        if tag == "link" and "href" in a:
            self.resources.append((tag, a["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()
        if tag == "svg":
            self._in_map_svg = False
        if tag == "title":
            self._in_title = False
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        if tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._in_title and self.svg_titles:
            self.svg_titles[-1] += data


def with_hostile_top_name(result):
    """The ranking with the name of the #1 buurt replaced by HTML, as a user's file could have it."""
    table = result.table.copy()
    table.iloc[0, table.columns.get_loc(schema.BUURT_NAME)] = HOSTILE_NAME
    return dataclasses.replace(result, table=table)


def utrecht_buurten() -> gpd.GeoDataFrame:
    """Six real Utrecht buurten (EPSG:28992) with the scores of :data:`PRIORITY`."""
    raw = gpd.read_file(BUURTEN_GPKG, layer="buurten", where=f"bu_code IN {tuple(PRIORITY)}")
    assert raw.crs.to_epsg() == 28992
    gdf = gpd.GeoDataFrame(
        {
            schema.BUURT_CODE: raw["bu_code"],
            schema.BUURT_NAME: raw["bu_naam"],
            schema.WIJK_NAME: np.where(raw["bu_code"].str.startswith("BU034408"), "Zuidwest", "West"),
            schema.CHILDREN_0_14: raw["a_00_14"].astype(float),
            "woz_mean_keur": raw["g_wozbag"],
            schema.PRIORITY_SCORE: raw["bu_code"].map(PRIORITY),
        },
        geometry=raw.geometry,
        crs=raw.crs,
    )
    gdf[schema.NEED_INDEX] = gdf[schema.PRIORITY_SCORE] * 0.6
    gdf[schema.ACCESS_GAP] = gdf[schema.PRIORITY_SCORE] * 0.4
    gdf[schema.RANK] = gdf[schema.PRIORITY_SCORE].rank(ascending=False, method="min").astype("Int64")
    gdf[schema.STATUS] = np.where(gdf[schema.PRIORITY_SCORE].isna(), schema.STATUS_NO_INHABITANTS, schema.STATUS_RANKED)
    gdf.index = gdf[schema.BUURT_CODE].rename(None)
    assert len(gdf) == 6
    return gdf


#: The second municipality of :func:`two_municipalities` (its name is HTML, as a user's file could have it).
OTHER_MUNICIPALITY = "GM9001"
#: The buurt of :func:`two_municipalities` without a shape (ranked, not drawn).
SHAPELESS = "BU90010099"


def two_municipalities() -> gpd.GeoDataFrame:
    """:func:`utrecht_buurten` over two municipalities – Zuidwest in GM0344 Utrecht, West in
    :data:`OTHER_MUNICIPALITY` named :data:`HOSTILE_NAME` – plus :data:`SHAPELESS` there: a small national table."""
    gdf = utrecht_buurten()
    west = ~gdf[schema.BUURT_CODE].str.startswith("BU034408")
    gdf[schema.MUNICIPALITY_CODE] = np.where(west, OTHER_MUNICIPALITY, "GM0344")
    gdf[schema.MUNICIPALITY_NAME] = np.where(west, HOSTILE_NAME, "Utrecht")
    extra = gdf.loc[[gdf.index[-1]]].copy()
    extra.index = [SHAPELESS]
    extra[schema.BUURT_CODE] = SHAPELESS
    extra[schema.BUURT_NAME] = "Nieuwbouw"
    extra[schema.MUNICIPALITY_CODE], extra[schema.MUNICIPALITY_NAME] = OTHER_MUNICIPALITY, HOSTILE_NAME
    extra = extra.set_geometry(gpd.GeoSeries([None], index=extra.index, crs=gdf.crs))
    return gpd.GeoDataFrame(pd.concat([gdf, extra]), geometry="geometry", crs=gdf.crs)


def utrecht_facilities() -> gpd.GeoDataFrame:
    """Three real sports accommodations, four schools (PC4, PC6, exact, one hostile) and a pool."""
    sport = pd.read_csv(MULIER_CSV, sep=";", dtype=str).drop_duplicates("accommodatie_id")
    names = ["Sportcentrum Olympos", "Gymzaal Ridderlaan", "skipiste nieuwegein"]
    sport = sport[sport["accommodatie naam"].isin(names)]
    rows = [
        {
            schema.FACILITY_ID: f"mulier-{r['accommodatie_id']}",
            schema.FACILITY_TYPE: "sport",
            schema.FACILITY_NAME: r["accommodatie naam"],
            schema.FACILITY_CAPACITY: float(r["aantal voorzieningen"]),
            schema.FACILITY_ADDRESS: f"{r['adres']}, {r['postcode'].upper()} Utrecht",
            schema.FACILITY_DETAIL: r["sport"],
            schema.LOCATION_PRECISION: "source",
            # RD coordinates, sometimes with a decimal comma.
            "x": float(r["X"].replace(",", ".")),
            "y": float(r["Y"].replace(",", ".")),
        }
        for _, r in sport.iterrows()
    ]
    rows += [
        {schema.FACILITY_ID: "duo-1", schema.FACILITY_TYPE: "primary_school", schema.FACILITY_NAME: "De Pijlstaart",
         schema.FACILITY_CAPACITY: 1050.0, schema.FACILITY_ADDRESS: "Marshallaan 2, 3527 TK Utrecht",
         schema.FACILITY_DETAIL: None,
         schema.LOCATION_PRECISION: "pc4_centroid", "x": 134300.0, "y": 454400.0},
        {schema.FACILITY_ID: "duo-2", schema.FACILITY_TYPE: "primary_school", schema.FACILITY_NAME: "Lombokschool",
         schema.FACILITY_CAPACITY: np.nan, schema.FACILITY_ADDRESS: None, schema.FACILITY_DETAIL: None,
         schema.LOCATION_PRECISION: "pc6", "x": 134700.0, "y": 455700.0},
        {schema.FACILITY_ID: "duo-3", schema.FACILITY_TYPE: "primary_school", schema.FACILITY_NAME: XSS_FACILITY,
         schema.FACILITY_CAPACITY: 200.0, schema.FACILITY_ADDRESS: "<b>Straat</b> 1",
         schema.FACILITY_DETAIL: "<i>x</i>`${1}`",
         schema.LOCATION_PRECISION: "address", "x": 135000.0, "y": 455000.0},
        {schema.FACILITY_ID: "pool-1", schema.FACILITY_TYPE: "swimming_pool",
         schema.FACILITY_NAME: "Zwembad Kanaleneiland",
         schema.FACILITY_CAPACITY: np.nan, schema.FACILITY_ADDRESS: "Vasco da Gamalaan 1, 3526 TA Utrecht",
         schema.FACILITY_DETAIL: None, schema.LOCATION_PRECISION: "source", "x": 134100.0, "y": 453700.0},
    ]
    df = pd.DataFrame(rows)
    assert (df[schema.FACILITY_TYPE] == "sport").sum() == 3
    return gpd.GeoDataFrame(
        df.drop(columns=["x", "y"]), geometry=gpd.points_from_xy(df["x"], df["y"]), crs=schema.WORK_CRS
    )


# --------------------------------------------------------------------------- a hand-made town with three schools
# Four square buurten (1 km; 'Hoek' 500 m) at RD (150000, 450000); three schools on the line y = 450500; a gym and
# an after-school care as points, the library only as a CBS road distance; no culture data. Every answer of
# geo.decide.schools on it can be worked out by hand (the tests of the gap card and the school map do so).

#: Branch codes of the three schools: A has a score, B a hostile name and a PC4 location, C no score (new).
SCHOOL_A, SCHOOL_B, SCHOOL_C = "AA0000", "BB0000", "CC0000"
HOSTILE_SCHOOL = "<script>alert(1)</script> De Boog"


def town_dataset():
    """The hand-made town as a :class:`geo.data.files.Dataset` (EPSG:28992)."""
    from shapely.geometry import box

    from geo.data.files import Dataset

    buurten = gpd.GeoDataFrame(
        {
            schema.BUURT_CODE: ["BU00000001", "BU00000002", "BU00000003", "BU00000004"],
            schema.BUURT_NAME: ["West", "Midden", "Oost", "Hoek"],
            schema.cbs_dist_col("library"): [900.0, 400.0, np.nan, np.nan],
        },
        geometry=[box(150000, 450000, 151000, 451000), box(151000, 450000, 152000, 451000),
                  box(152000, 450000, 153000, 451000), box(150000, 451000, 150500, 451500)],
        crs=schema.WORK_CRS,
    )
    rows = [
        ("duo-AA0000", "primary_school", "De Regenboog", 412.0, "Schoolstraat 1, 1234 AB Testdorp", "leerlingen 2025",
         "address", 150500, 450500),
        ("duo-BB0000", "primary_school", HOSTILE_SCHOOL, 200.0, None, "leerlingen 2025", "pc4_centroid",
         152500, 450500),
        ("duo-CC0000", "primary_school", "Nieuwe School", 100.0, "Nieuweweg 3, 1234 AC Testdorp", "leerlingen 2025",
         "address", 151500, 450500),
        ("gym-1", "sport", "Gymzaal Oost", np.nan, None, None, "source", 151300, 450500),
        ("bso-1", "after_school_care", "BSO De Zon", np.nan, None, None, "source", 151000, 450500),
    ]
    cols = [schema.FACILITY_ID, schema.FACILITY_TYPE, schema.FACILITY_NAME, schema.FACILITY_CAPACITY,
            schema.FACILITY_ADDRESS, schema.FACILITY_DETAIL, schema.LOCATION_PRECISION, "x", "y"]
    df = pd.DataFrame(rows, columns=cols)
    facilities = gpd.GeoDataFrame(df.drop(columns=["x", "y"]), geometry=gpd.points_from_xy(df["x"], df["y"]),
                                  crs=schema.WORK_CRS)
    return Dataset(buurten=buurten, facilities=facilities, meta={"name": "Testdorp"}, directory="")


def town_scores() -> pd.DataFrame:
    """CBS scores: A 248 on 400 funded pupils (0.62), B 200 on 800 (0.25), a big school elsewhere (0.01); C none.

    Of the 11,200 pupils, A's 400 are the top 3.6 % (category-A-like); with B the top reaches 10.7 % (B is not).
    """
    from geo.data import build

    t = pd.DataFrame(
        {build.DISADVANTAGE_SCORE: [248.0, 200.0, 100.0], build.DISADVANTAGE_PUPILS: [400.0, 800.0, 10000.0],
         build.DISADVANTAGE_UNRELIABLE: [False, False, False]},
        index=pd.Index(["AA0000", "BB0000", "ZZ0000"], name="VESTIGINGSCODE"),
    )
    t.attrs["year"] = 2019
    return t


def town_history() -> pd.DataFrame:
    """DUO pupils 2019–2025: A 400 → 412 (+3 %), B 250 → 200 (−20 %) from 2020; C opened in 2024."""
    years = list(range(2019, 2026))
    return pd.DataFrame(
        [[390, 400, 405, 410, 410, 411, 412], [260, 250, 240, 230, 220, 210, 200],
         [np.nan] * 5 + [80, 100]],
        index=pd.Index(["AA0000", "BB0000", "CC0000"], name="VESTIGINGSCODE"), columns=years,
    )


def town_buurt_table() -> pd.DataFrame:
    """A ranking's buurt table for the town: children 0–14 and need index per buurt."""
    return pd.DataFrame(
        {
            schema.BUURT_CODE: ["BU00000001", "BU00000002", "BU00000003", "BU00000004"],
            schema.BUURT_NAME: ["West", "Midden", "Oost", "Hoek"],
            schema.CHILDREN_0_14: [300.0, 200.0, 100.0, 50.0],
            schema.NEED_INDEX: [1.2, 0.4, -0.5, 2.0],
        }
    )


def full_map(ranking: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, **choropleth_kwargs) -> folium.Map:
    """A map with the choropleth, three facility layers and their legend, built layer by layer."""
    m = build_base_map(ranking)
    layer, legend = build_choropleth_layer(
        ranking, column=schema.PRIORITY_SCORE, label="Prioriteitsscore", **choropleth_kwargs
    )
    layer.add_to(m)
    legend.add_to(m)
    for key in ("sport", "primary_school", "swimming_pool"):
        build_facility_layer(facilities, facility_type=key).add_to(m)
    build_facility_legend(["sport", "primary_school", "swimming_pool"], approximate=True).add_to(m)
    return finish_map(m)


def feature(layer: folium.GeoJson, code: str) -> dict:
    """The GeoJSON feature of buurt ``code`` in a choropleth layer."""
    return next(f for f in layer.data["features"] if f["id"] == code)


def map_with(*layers) -> folium.Map:
    """A bare map holding ``layers``."""
    m = folium.Map(tiles=None)
    for layer in layers:
        layer.add_to(m)
    return m


# --------------------------------------------------------------------------- a loopback HTTP server
# Recorded answers in the real services' shapes, replayed on 127.0.0.1 with faults on demand. The code under test
# reaches it through the GEO_URL_* variables, so every request it makes is a real HTTP request.


@dataclasses.dataclass
class Reply:
    """One recorded answer. ``fault``: None, "timeout" (no answer), "reset" (close mid-body) or "truncate"
    (announce more bytes than are sent, then close)."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    fault: str | None = None
    delay_s: float = 0.0


class Loopback:
    """A threaded HTTP server on 127.0.0.1 that answers from a table of routes.

    ``route(path, *replies, query=None)``: the replies are given in order to successive requests of that path
    (and query, when given: a dict the request's query must contain); the last one repeats. Every request is
    recorded in ``requests`` as (method, path, query dict, headers dict, body).
    """

    def __init__(self) -> None:
        import http.server
        import threading
        import urllib.parse

        self.routes: list[tuple[str, dict[str, str] | None, list[Reply]]] = []
        self.requests: list[tuple[str, str, dict[str, str], dict[str, str], bytes]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet
                return

            def _answer(self) -> None:
                parts = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                outer.requests.append((self.command, parts.path, query, dict(self.headers), body))
                reply = outer._match(parts.path, query)
                if reply is None:
                    reply = Reply(b'{"error": "no such route in the loopback table"}', status=404)
                if reply.delay_s or reply.fault == "timeout":
                    import time

                    time.sleep(reply.delay_s or 5.0)
                    if reply.fault == "timeout":
                        return
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                announced = len(reply.body) * 2 if reply.fault == "truncate" else len(reply.body)
                self.send_header("Content-Length", str(announced))
                self.end_headers()
                if reply.fault in ("reset", "truncate"):
                    self.wfile.write(reply.body[: len(reply.body) // 2] if reply.fault == "reset" else reply.body)
                    self.wfile.flush()
                    self.close_connection = True
                    import socket

                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(reply.body)

            do_GET = _answer  # noqa: N815  (http.server's naming)
            do_POST = _answer  # noqa: N815

        class Server(http.server.ThreadingHTTPServer):
            def handle_error(self, request, client_address) -> None:
                import sys

                if isinstance(sys.exc_info()[1], ConnectionError):  # the client went away (killed, timed out)
                    return
                super().handle_error(request, client_address)

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, path: str, *replies: Reply, query: dict[str, str] | None = None) -> Loopback:
        self.routes.append((path, query, list(replies)))
        return self

    def _match(self, path: str, query: dict[str, str]) -> Reply | None:
        for r_path, r_query, replies in self.routes:
            if r_path == path and all(query.get(k) == v for k, v in (r_query or {}).items()):
                return replies.pop(0) if len(replies) > 1 else replies[0]
        return None

    def hits(self, path: str) -> int:
        return sum(1 for r in self.requests if r[1] == path)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


# --------------------------------------------------------------------------- the data services on the loopback
# One section per service: the recorded answers of tests/fixtures/services/<service> (see each PROVENANCE.md), routed
# on a Loopback under the real service's path. ``point_env`` points every GEO_URL_* variable at one server, so a
# single server can play all services at once (tests/test_fetch.py) or one of them (the service tests).

SERVICE_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "services"
#: The path of each service on the loopback: the path part of its official base URL (``geo.data.http.SERVICES``).
SERVICE_PATHS = {
    "CBS_ODATA4": "/odata/v1/CBS",
    "CBS_ODATA3": "/ODataApi/odata",
    "PDOK_OGC": "",
    "LOCATIESERVER": "/bzk/locatieserver/search/v3_1",
    "DUO": "/open_onderwijsdata/images",
    "LRK": "/opendata",
    "OVERPASS": "/api",
}


def service_env(server: Loopback) -> dict[str, str]:
    """``GEO_URL_<SERVICE>`` → the loopback URL of that service, for every service (also for a subprocess's env)."""
    return {f"GEO_URL_{name}": server.url + path for name, path in SERVICE_PATHS.items()}


def point_env(monkeypatch, server: Loopback) -> dict[str, str]:
    """Point every ``GEO_URL_*`` variable at ``server`` (for this test); returns the variables set."""
    env = service_env(server)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


# --- CBS OData v4 and v3 (tests/fixtures/services/cbs)

CBS_FIXTURES = SERVICE_FIXTURES / "cbs"
CBS_V4 = SERVICE_PATHS["CBS_ODATA4"]
CBS_V3 = SERVICE_PATHS["CBS_ODATA3"]
CBS_OFFICIAL_V4 = "https://datasets.cbs.nl/odata/v1/CBS"


def cbs_body(name: str) -> bytes:
    """The bytes of the recorded CBS answer ``name`` (``odata4/85984NED/Properties.json.gz`` …), unzipped."""
    return gzip.decompress((CBS_FIXTURES / name).read_bytes())


def cbs_answer(name: str) -> dict:
    return json.loads(cbs_body(name))


def serve_cbs(
    server: Loopback,
    *tables: str,
    apis: tuple[str, ...] = ("odata4", "odata3"),
    regions: tuple[str, ...] = ("BU0344", "GM"),
    tweak: Callable[[str, bytes], Reply | list[Reply] | None] | None = None,
    nextlink_to_loopback: bool = False,
) -> None:
    """Route every recorded answer of ``tables`` (pages after the first matched by their ``$skip``).

    ``tweak(name, body)`` may return replies to send instead (a fault); ``nextlink_to_loopback`` makes
    the next-page links point at the loopback URL itself instead of CBS's official base URL.
    """
    specific: list[tuple[str, list[Reply], dict[str, str] | None]] = []
    generic: list[tuple[str, list[Reply], dict[str, str] | None]] = []
    for table in tables:
        for api in apis:
            for path in sorted((CBS_FIXTURES / api / table).glob("*.json.gz")):
                name = path.relative_to(CBS_FIXTURES).as_posix()
                endpoint, *rest = path.name.removesuffix(".json.gz").split("~")
                region = rest[0] if rest else None
                page = int(rest[1]) if len(rest) > 1 else 1
                if region is not None and region not in regions:
                    continue
                data = cbs_body(name)
                base = server.url + (CBS_V4 if api == "odata4" else CBS_V3)
                if nextlink_to_loopback:
                    data = data.replace(CBS_OFFICIAL_V4.encode(), (server.url + CBS_V4).encode())
                replies = tweak(name, data) if tweak else None
                replies = [Reply(data)] if replies is None else replies if isinstance(replies, list) else [replies]
                route_path = urllib.parse.urlsplit(f"{base}/{table}/{endpoint}").path
                query = None
                if page > 1:
                    previous = cbs_answer(name.replace(f"~{page}.json.gz", f"~{page - 1}.json.gz"))
                    link = urllib.parse.urlsplit(previous["@odata.nextLink"])
                    query = {"$skip": dict(urllib.parse.parse_qsl(link.query))["$skip"]}
                elif region is not None and endpoint in ("WijkenEnBuurtenCodes", "WijkenEnBuurten"):
                    field = "Identifier" if api == "odata4" else "Key"
                    query = {"$filter": f"startswith({field},'{region}')"}
                (specific if query else generic).append((route_path, replies, query))
    for route_path, replies, query in specific + generic:
        server.route(route_path, *replies, query=query)


# --- PDOK OGC API, CBS Wijken en Buurten (tests/fixtures/services/pdok)

PDOK_FIXTURES = SERVICE_FIXTURES / "pdok"
PDOK_BUURTEN = "/cbs/wijken-en-buurten-2023/ogc/v1/collections/buurten/items"
PDOK_WIJKEN = "/cbs/wijken-en-buurten-2023/ogc/v1/collections/wijken/items"
PDOK_OFFICIAL = "https://api.pdok.nl"


def pdok_page(name: str, base: str) -> dict:
    """A recorded page with its links pointing at ``base`` instead of api.pdok.nl."""
    text = gzip.decompress((PDOK_FIXTURES / name).read_bytes()).decode("utf-8")
    return json.loads(text.replace(PDOK_OFFICIAL, base))


def geojson_reply(obj: object) -> Reply:
    return Reply(json.dumps(obj).encode(), headers={"Content-Type": "application/geo+json"})


def pdok_next_href(page: dict) -> str | None:
    return next((link["href"] for link in page["links"] if link["rel"] == "next"), None)


def serve_pdok(server: Loopback, prefix: str, code: str, n_pages: int, *first: Reply) -> list[dict]:
    """Route the recorded buurten pages (the first one answered by ``first`` when given) and the wijken page.

    ``prefix``: ``utrecht`` (GM0344, 3 pages of ``limit=50``) or ``delft`` (GM0503, 1 page). Returns the pages.
    """
    base = server.url + SERVICE_PATHS["PDOK_OGC"]
    pages = [pdok_page(f"{prefix}_buurten_p{i}.json.gz", base) for i in range(1, n_pages + 1)]
    for previous, this in zip(pages, pages[1:], strict=False):
        cursor = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(pdok_next_href(previous) or "").query))["cursor"]
        server.route(PDOK_BUURTEN, geojson_reply(this), query={"cursor": cursor})  # first: the page-1 query is a subset
    server.route(PDOK_BUURTEN, *(first or (geojson_reply(pages[0]),)), query={"gemeentecode": code})
    wijken = geojson_reply(pdok_page(f"{prefix}_wijken_p1.json.gz", base))
    server.route(PDOK_WIJKEN, wijken, query={"gemeentecode": code})
    return pages


# --- PDOK Locatieserver (tests/fixtures/services/locatieserver)

LOCATIESERVER_FIXTURES = SERVICE_FIXTURES / "locatieserver"
LOCATIESERVER_FREE = SERVICE_PATHS["LOCATIESERVER"] + "/free"
#: The Locatieserver's answer when nothing matches.
LOCATIESERVER_EMPTY = {"response": {"numFound": 0, "start": 0, "maxScore": 0.0, "numFoundExact": True, "docs": []}}
UTRECHT_PC4_CSV = LOCATIESERVER_FIXTURES / "utrecht_pc4_centroids.csv"


@functools.cache
def _locatieserver_answers() -> tuple[dict, ...]:
    return tuple(json.loads((LOCATIESERVER_FIXTURES / "answers.json").read_text(encoding="utf-8")))


def locatieserver_answers() -> list[dict]:
    """The recorded answers: ``[{"params": {"q": …, "fq": …}, "answer": {…}}, …]`` (a fresh copy)."""
    return copy.deepcopy(list(_locatieserver_answers()))


def locatieserver_answer(q: str, fq: str) -> dict:
    return next(a["answer"] for a in locatieserver_answers() if a["params"] == {"q": q, "fq": fq})


def serve_locatieserver(server: Loopback, answers: Sequence[dict] | None = None, *, before: tuple = ()) -> None:
    """Route every recorded answer by its query (``before``: (q, fq, reply) routes that win over them), then an
    empty answer for any other query."""
    for q, fq, reply in before:
        server.route(LOCATIESERVER_FREE, reply, query={"q": q, "fq": fq})
    for a in _locatieserver_answers() if answers is None else answers:
        server.route(LOCATIESERVER_FREE, Reply(json.dumps(a["answer"]).encode()), query=a["params"])
    server.route(LOCATIESERVER_FREE, Reply(json.dumps(LOCATIESERVER_EMPTY).encode()))


# --- DUO open onderwijsdata (tests/fixtures/services/duo)

DUO_FIXTURES = SERVICE_FIXTURES / "duo"
DUO_IMAGES = SERVICE_PATHS["DUO"]
DUO_ADDRESSES_FILE = "02.-alle-schoolvestigingen-basisonderwijs.csv"
DUO_PUPILS_FILE = "06.-historisch-overzicht-aantal-leerlingen-per-schoolvestiging.csv"


def serve_duo(server: Loopback, addresses: bytes | None = None, pupils: bytes | None = None) -> None:
    """Route DUO's two national files (by default the recorded subsets) under their real names."""
    server.route(f"{DUO_IMAGES}/{DUO_ADDRESSES_FILE}",
                 Reply(addresses or (DUO_FIXTURES / DUO_ADDRESSES_FILE).read_bytes(),
                       headers={"Content-Type": "text/csv"}))
    server.route(f"{DUO_IMAGES}/{DUO_PUPILS_FILE}",
                 Reply(pupils or (DUO_FIXTURES / DUO_PUPILS_FILE).read_bytes(), headers={"Content-Type": "text/csv"}))


# --- LRK, Landelijk Register Kinderopvang (tests/fixtures/services/lrk)

LRK_EXPORT = SERVICE_FIXTURES / "lrk" / "export_opendata_lrk.csv"
LRK_CSV_PATH = SERVICE_PATHS["LRK"] + "/export_opendata_lrk.csv"


class StrictUserAgent(Loopback):
    """Answers HTTP 400 on the LRK path to an anonymous or default Python User-Agent, as the real server does."""

    DEFAULTS = ("Python-urllib/", "python-requests/")

    def _match(self, path: str, query: dict[str, str]) -> Reply | None:
        agent = self.requests[-1][3].get("User-Agent", "")  # the request being answered (one at a time here)
        if path.startswith(SERVICE_PATHS["LRK"] + "/") and (not agent or agent.startswith(self.DEFAULTS)):
            return Reply(b"<html><body><h1>400 Bad Request</h1></body></html>", status=400)
        return super()._match(path, query)


def serve_lrk(server: Loopback, data: bytes | None = None) -> None:
    """Route the LRK export (by default the constructed format-test rows)."""
    body = data if data is not None else LRK_EXPORT.read_bytes()
    server.route(LRK_CSV_PATH, Reply(body, headers={"Content-Type": "text/csv"}))


# --- Overpass (tests/fixtures/services/overpass_pois)

OVERPASS_FIXTURES = SERVICE_FIXTURES / "overpass_pois"
OVERPASS_INTERPRETER = SERVICE_PATHS["OVERPASS"] + "/interpreter"


def serve_overpass(server: Loopback, *replies: Reply | bytes | Path) -> None:
    """Route the Overpass interpreter: replies in order (a path or bytes is sent as a JSON answer)."""
    server.route(OVERPASS_INTERPRETER, *(
        r if isinstance(r, Reply)
        else Reply(r.read_bytes() if isinstance(r, Path) else r, headers={"Content-Type": "application/json"})
        for r in replies
    ))


#: Session-state key of app.py's tabs (its value is the open tab's label).
APP_TABS_KEY = "tabs"


def open_app_tab(at, label: str):
    """Open the app's tab called ``label`` as a click on it would (only the open tab runs), and run the app."""
    at.session_state[APP_TABS_KEY] = label
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at
