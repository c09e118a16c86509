"""Overpass download and Overpass JSON networks (geo/sources/overpass.py), against a local server.

The machines that run the tests have no internet. A stub Overpass server on the
loopback interface answers with real OSM data in Overpass's JSON format
(tests/fixtures/overpass/amsterdam_centre_highways.json.gz, made from the shared
Amsterdam extract by make_overpass_fixture.py) or with the failures a real server
produces: HTTP 429/504, a 400 page for a bad query, a cut-off body, an HTML page
and a JSON answer with a runtime-error "remark".
"""

from __future__ import annotations

import gzip
import itertools
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.cli import main
from geo.data.networks import build_network
from geo.data.osm_files import build_network_from_osm
from geo.data.overpass import (
    build_network_from_overpass_json,
    build_overpass_query,
    cache_path,
    download_network,
    download_osm,
    read_overpass_json,
)
from geo.errors import DataFileError, DownloadError, ParameterError
from geo.network.graph import Network
from geo.network.ways import to_rd

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "overpass" / "amsterdam_centre_highways.json.gz"
#: The <bounds> of amsterdam_centre.osm.gz (lon0, lat0, lon1, lat1).
BOUNDS = (4.89063, 52.36568, 4.90368, 52.37372)
OVERPASS_400 = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html><html><head><title>OSM3S Response</title></head>'
    b'<body><p>The data included in this document is from www.openstreetmap.org.</p>\n'
    b'<p><strong style="color:#FF0000">Error</strong>: line 1: parse error: Unknown type "wya" </p>\n</body></html>'
)
REMARK = (
    b'{"version":0.6,"generator":"Overpass API 0.7.62.5 1bd436f1",'
    b'"osm3s":{"timestamp_osm_base":"2025-01-01T00:00:00Z"},'
    b'"elements":[{"type":"node","id":1,"lat":52.37,"lon":4.9}],'
    b'"remark":"runtime error: Query timed out in \\"query\\" at line 1 after 26 seconds."}'
)
HTML_200 = b"<html><head><title>Service temporarily unavailable</title></head><body>Try later</body></html>"


def area_rd(bounds: tuple[float, float, float, float] = BOUNDS) -> shapely.Polygon:
    lon0, lat0, lon1, lat1 = bounds
    ring_lon = np.array([lon0, lon1, lon1, lon0])
    ring_lat = np.array([lat0, lat0, lat1, lat1])
    x, y = to_rd(ring_lon, ring_lat)
    return shapely.Polygon(zip(x, y, strict=True))


# --------------------------------------------------------------------------- the stub server


@dataclass
class Stub:
    """What the stub answers next, and what it received."""

    body: bytes
    behaviour: str = "ok"
    requests: list[dict] = field(default_factory=list)
    url: str = ""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:  # keep pytest output clean
        pass

    def _send(self, code: int, body: bytes, content_type: str, *, length: int | None = None, **headers: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.send_header("Connection", "close")
        for key, value in headers.items():
            self.send_header(key.replace("_", "-"), value)
        self.end_headers()
        try:
            self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            pass
        self.close_connection = True

    def do_GET(self) -> None:
        self._send(405, b"POST only", "text/plain")

    def do_POST(self) -> None:
        stub: Stub = self.server.stub  # type: ignore[attr-defined]
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        query = urllib.parse.parse_qs(raw.decode()).get("data", [""])[0]
        stub.requests.append({
            "path": self.path,
            "query": query,
            "user_agent": self.headers.get("User-Agent", ""),
            "content_type": self.headers.get("Content-Type", ""),
        })
        if self.path != "/api/interpreter" or "poly:" not in query or 'way["highway"]' not in query:
            self._send(400, OVERPASS_400, "text/html; charset=utf-8")
            return
        behaviour = stub.behaviour
        if behaviour == "ok":
            self._send(200, stub.body, "application/json")
        elif behaviour == "gzip":
            self._send(200, gzip.compress(stub.body, mtime=0), "application/json", Content_Encoding="gzip")
        elif behaviour in {"429", "504"}:
            self._send(int(behaviour), b"<html><body><p>Too busy</p></body></html>", "text/html")
        elif behaviour == "truncated":  # promise the whole body, send half, hang up
            self._send(200, stub.body[: len(stub.body) // 2], "application/json", length=len(stub.body))
        elif behaviour == "truncated_no_length":  # no Content-Length: only the JSON shows the cut
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(stub.body[: len(stub.body) // 2])
            self.close_connection = True
        elif behaviour == "html":
            self._send(200, HTML_200, "text/html")
        elif behaviour == "remark":
            self._send(200, REMARK, "application/json")
        elif behaviour == "slow":
            time.sleep(1.0)
            self._send(200, stub.body, "application/json")
        else:  # pragma: no cover
            raise AssertionError(behaviour)


@pytest.fixture(scope="module")
def server() -> Iterator[Stub]:
    stub = Stub(body=gzip.decompress(FIXTURE.read_bytes()))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.stub = stub  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    stub.url = f"http://127.0.0.1:{httpd.server_address[1]}/api/interpreter"
    yield stub
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def stub(server: Stub) -> Stub:
    server.behaviour = "ok"
    server.requests.clear()
    return server


# --------------------------------------------------------------------------- query


def test_query_has_poly_filter_and_covers_the_area() -> None:
    area = area_rd()
    query = build_overpass_query(area, timeout=90)
    assert query.startswith("[out:json][timeout:90]; way[\"highway\"](poly:\"")
    assert query.endswith('"); (._;>;); out body;')
    numbers = [float(v) for v in query.split('poly:"')[1].split('"')[0].split()]
    lat, lon = np.array(numbers[0::2]), np.array(numbers[1::2])
    assert 52.3 < lat.min() <= lat.max() < 52.4 and 4.8 < lon.min() <= lon.max() < 4.95  # lat first
    x, y = to_rd(lon, lat)
    assert shapely.Polygon(zip(x, y, strict=True)).buffer(0.5).covers(area)


def test_query_simplifies_a_detailed_polygon_outwards() -> None:
    circle = shapely.Point(136_000, 456_000).buffer(3000, quad_segs=500)  # 2,000 vertices
    query = build_overpass_query(circle, max_vertices=60)
    numbers = [float(v) for v in query.split('poly:"')[1].split('"')[0].split()]
    assert len(numbers) // 2 <= 60
    x, y = to_rd(np.array(numbers[1::2]), np.array(numbers[0::2]))
    assert shapely.Polygon(zip(x, y, strict=True)).buffer(0.5).covers(circle)
    assert len(query) < 2500


def test_query_for_a_multipolygon_is_a_union() -> None:
    parts = shapely.MultiPolygon([shapely.box(120_000, 480_000, 121_000, 481_000),
                                  shapely.box(130_000, 480_000, 131_000, 481_000)])
    query = build_overpass_query(parts)
    assert query.count('way["highway"](poly:') == 2 and query.split("]; ")[1].startswith("(")


# --------------------------------------------------------------------------- download


@pytest.mark.parametrize("behaviour", ["ok", "gzip"])
def test_download_posts_the_query_streams_with_progress_and_caches(stub: Stub, tmp_path: Path, behaviour: str) -> None:
    stub.behaviour = behaviour
    calls: list[tuple[int, int | None]] = []
    path = download_osm(area_rd(), url=stub.url, cache_dir=tmp_path, progress=lambda d, t: calls.append((d, t)))
    assert len(stub.requests) == 1
    request = stub.requests[0]
    assert "poly:" in request["query"] and 'way["highway"]' in request["query"]
    assert request["user_agent"].startswith("RijkeSchooldagPlanner/")
    assert request["content_type"] == "application/x-www-form-urlencoded"
    assert path.read_bytes() == stub.body  # the raw JSON, decompressed when sent gzipped
    assert path == cache_path(request["query"], stub.url, tmp_path)
    sent = len(stub.body) if behaviour == "ok" else len(gzip.compress(stub.body, mtime=0))
    done = [d for d, _ in calls]
    assert len(calls) >= 2 and all(b > a for a, b in itertools.pairwise(done))
    assert calls[-1] == (sent, sent)
    # Second call: served from the cache, no request.
    assert download_osm(area_rd(), url=stub.url, cache_dir=tmp_path) == path
    assert len(stub.requests) == 1
    # refresh=True, or another server, asks again.
    download_osm(area_rd(), url=stub.url, cache_dir=tmp_path, refresh=True)
    assert len(stub.requests) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([path.name, path.with_suffix(".overpassql").name])


@pytest.mark.parametrize("mode", ["walk", "bike"])
def test_network_from_downloaded_json_equals_the_pyosmium_network(
    stub: Stub, tmp_path: Path, data_root: Path, mode: str
) -> None:
    """Same OSM data, two formats and two readers: the same nodes, edges and lengths."""
    path = download_osm(area_rd(), url=stub.url, cache_dir=tmp_path)
    osm = data_root / "osm_amsterdam_fixtures" / "amsterdam_centre.osm.gz"
    # The fixture holds every highway way of the .osm.gz, so "the same ways" is the whole file;
    # the clip then restricts both to the same, smaller set.
    clip = shapely.Point(*[float(v[0]) for v in to_rd(np.array([4.8970]), np.array([52.3697]))]).buffer(250)
    for polygon in (None, clip):
        from_json = build_network_from_overpass_json(path, mode=mode, polygon=polygon)
        from_osm = build_network_from_osm(osm, mode=mode, polygon=polygon)
        for key in ("node_id", "x", "y", "indptr", "indices", "length_m"):
            np.testing.assert_array_equal(getattr(from_json, key), getattr(from_osm, key), err_msg=key)
        for key in ("ways_read", "ways_kept", "ways_dropped_by_profile", "filters", "profile_rules"):
            assert from_json.meta[key] == from_osm.meta[key], key
    assert from_json.meta["source_format"] == "overpass json"
    # build_network dispatches a .json file to the Overpass reader.
    whole = build_network_from_osm(osm, mode=mode)
    np.testing.assert_array_equal(build_network(path, mode=mode).indices, whole.indices)
    assert from_json.meta["data_timestamp"] == "2026-02-11T14:07:18Z"


def test_download_network_writes_both_modes_once(stub: Stub, tmp_path: Path) -> None:
    paths = download_network(area_rd(), name="ams_centre", url=stub.url, data_dir=tmp_path)
    assert paths == {"walk": tmp_path / "ams_centre_walk.npz", "bike": tmp_path / "ams_centre_bike.npz"}
    walk, bike = Network.load(paths["walk"]), Network.load(paths["bike"])
    assert (walk.mode, bike.mode) == ("walk", "bike")
    # Clipped to the bounds (ways with a node inside): a little less than the whole file (3,071 / 1,243).
    assert 2500 < walk.n_nodes <= 3071 and 1000 < bike.n_nodes <= 1243
    assert walk.meta["download"]["url"] == stub.url and walk.meta["filters"]["clip"] is not None
    assert len(list((tmp_path / "cache").glob("overpass_*.json"))) == 1
    assert len(stub.requests) == 1
    download_network(area_rd(), name="ams_centre", modes=["bike"], url=stub.url, data_dir=tmp_path)
    assert len(stub.requests) == 1  # cached


ERRORS = [
    ("429", "too many requests from this address (HTTP 429)"),
    ("504", "overloaded or the query took too long (HTTP 504)"),
    ("truncated", "cut off after"),
    ("truncated_no_length", "not complete Overpass JSON"),
    ("html", "HTML/XML page, not Overpass JSON: Service temporarily unavailable"),
    ("remark", "runtime error: Query timed out"),
]


@pytest.mark.parametrize(("behaviour", "message"), ERRORS, ids=[e[0] for e in ERRORS])
def test_download_failure_is_a_clear_download_error_and_not_cached(
    stub: Stub, tmp_path: Path, behaviour: str, message: str
) -> None:
    stub.behaviour = behaviour
    with pytest.raises(DownloadError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        download_osm(area_rd(), url=stub.url, cache_dir=tmp_path)
    assert len(str(info.value).splitlines()) == 1
    assert list(tmp_path.iterdir()) == []  # nothing cached, no .part left behind
    stub.behaviour = "ok"
    download_osm(area_rd(), url=stub.url, cache_dir=tmp_path)
    assert len(stub.requests) == 2  # the failure did not poison the cache


def test_bad_query_gets_the_overpass_error_text(stub: Stub, tmp_path: Path) -> None:
    bad_url = stub.url.replace("/api/interpreter", "/api/other")  # the stub answers 400 like Overpass
    with pytest.raises(
        DownloadError, match='rejected the query \\(HTTP 400\\): line 1: parse error: Unknown type "wya"'
    ):
        download_osm(area_rd(), url=bad_url, cache_dir=tmp_path)


def test_timeout_and_no_connection(stub: Stub, tmp_path: Path) -> None:
    stub.behaviour = "slow"
    with pytest.raises(DownloadError, match="no answer within 0.2 s"):
        download_osm(area_rd(), url=stub.url, cache_dir=tmp_path, read_timeout=0.2)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DownloadError, match="could not connect"):
        download_osm(area_rd(), url=f"http://127.0.0.1:{port}/api/interpreter", cache_dir=tmp_path)
    with pytest.raises(DownloadError, match="must start with http"):
        download_osm(area_rd(), url="file:///etc/passwd", cache_dir=tmp_path)


def test_bad_download_arguments(stub: Stub, tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="Network name"):
        download_network(area_rd(), name="../evil", url=stub.url, data_dir=tmp_path)
    with pytest.raises(ParameterError, match="Unknown mode 'car'"):
        download_network(area_rd(), name="x", modes=("car",), url=stub.url, data_dir=tmp_path)
    assert stub.requests == []


# --------------------------------------------------------------------------- reading Overpass JSON files


def test_read_overpass_json_bad_files(tmp_path: Path) -> None:
    body = gzip.decompress(FIXTURE.read_bytes())
    cases = {
        "empty.json": (b"", "is empty"),
        "cut.json": (body[:5000], "not complete Overpass JSON"),
        "list.json": (b"[1, 2]", "expected Overpass JSON with an 'elements' list"),
        "page.json": (HTML_200, "HTML/XML page"),
        "remark.json": (REMARK, "Overpass stopped with an error"),
        "no_ways.json": (b'{"elements": [{"type": "node", "id": 1, "lat": 52.37, "lon": 4.9}]}',
                         "no OSM ways with a highway tag"),
    }
    for name, (data, message) in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(DataFileError, match=message):
            build_network_from_overpass_json(tmp_path / name, mode="walk")
    with pytest.raises(DataFileError, match="not found"):
        read_overpass_json(tmp_path / "missing.json")


# --------------------------------------------------------------------------- CLI


def _area_file(tmp_path: Path) -> Path:
    """The fixture's bounds as a municipality polygon file, in lon/lat like most downloads."""
    path = tmp_path / "gemeente.geojson"
    gpd.GeoDataFrame({"name": ["centrum"]}, geometry=[area_rd()], crs="EPSG:28992").to_crs("EPSG:4326").to_file(path)
    return path


def test_cli_network_download(capsys: pytest.CaptureFixture[str], stub: Stub, tmp_path: Path) -> None:
    argv = ["network", "download", "--polygon", str(_area_file(tmp_path)), "--name", "ams",
            "--url", stub.url, "--out-dir", str(tmp_path / "nets")]
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Overpass: downloaded 0.5 MB of 0.5 MB" in err and err.endswith("\n")
    assert f"Wrote {tmp_path / 'nets' / 'ams_walk.npz'}: walk network" in out
    assert f"Wrote {tmp_path / 'nets' / 'ams_bike.npz'}: bike network" in out
    assert main([*argv, "--modes", "bike"]) == 0 and len(stub.requests) == 1


@pytest.mark.parametrize(
    ("behaviour", "extra", "message"),
    [
        ("429", [], "HTTP 429"),
        ("remark", [], "runtime error"),
        ("ok", ["--modes", "walk,car"], "--modes: expected walk, bike or walk,bike"),
        ("ok", ["--name", "a/b"], "Network name"),
    ],
)
def test_cli_network_download_errors_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str], stub: Stub, tmp_path: Path, behaviour: str, extra: list[str], message: str
) -> None:
    stub.behaviour = behaviour
    code = main(["network", "download", "--polygon", str(_area_file(tmp_path)), "--name", "ams",
                 "--url", stub.url, "--out-dir", str(tmp_path / "nets"), *extra])
    _out, err = capsys.readouterr()
    # A progress line drawn before the failure is erased ("\r"), so the terminal shows one line.
    lines = err.strip().split("\n")
    shown = lines[0].split("\r")[-1]
    assert code == 2 and len(lines) == 1 and shown.startswith("error: ") and message in shown, err
    assert "Traceback" not in err


def test_cli_network_download_bad_polygon_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    points = tmp_path / "points.geojson"
    gpd.GeoDataFrame(geometry=[shapely.Point(4.9, 52.37)], crs="EPSG:4326").to_file(points)
    for path, message in [(points, "expected polygons"), (tmp_path / "nope.gpkg", "File not found")]:
        code = main(["network", "download", "--polygon", str(path), "--name", "x", "--url", "http://127.0.0.1:9/"])
        _out, err = capsys.readouterr()
        assert code == 2 and len(err.strip().splitlines()) == 1 and message in err, err


def test_overpass_fixture_is_small_and_reproducible(data_root: Path, tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_overpass_fixture", FIXTURE.parent / "make_overpass_fixture.py")
    maker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(maker)
    assert maker.make(data_root, tmp_path).read_bytes() == FIXTURE.read_bytes()
    assert FIXTURE.stat().st_size < 600_000
