"""Plain helpers shared by several test modules (test modules never import each other).

Synthetic street networks (no street network of Utrecht ships, and hand-made graphs give
hand-checkable answers) and the small frame the ranking tests rank. Fixtures (paths to the
real data, the Delft network) are in ``tests/conftest.py``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
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

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
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
