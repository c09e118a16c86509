"""OpenStreetMap street data from an Overpass API server, and networks built from it.

``download_osm`` asks Overpass for every ``highway`` way in an area (plus their
nodes) and keeps the raw JSON answer in a cache file named after a hash of the
query and the server, so the same area is downloaded once.
``read_overpass_json`` parses such a file into :class:`geo.network.ways.OsmWays`, the
same structure the pyosmium reader makes, so walk and bike networks come out of
the same profile code (:func:`geo.network.ways.build_network_from_ways`).
``download_network`` does both for a municipality and saves ``<name>_<mode>.npz``.

Only the standard library's ``urllib`` is used for HTTP.
"""

from __future__ import annotations

import hashlib
import html
import http.client
import json
import re
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import shapely
from pyproj import Transformer

from geo.data.paths import NETWORKS_DIR
from geo.errors import DataFileError, DownloadError, ParameterError, PlanningError
from geo.network.graph import Network
from geo.network.ways import (
    OsmWays,
    build_network_from_ways,
    check_polygon_rd,
    get_profile,
)
from geo.units import MODES

#: The main public Overpass instance (fair use: a few large queries a day).
OVERPASS_URL = "https://overpass-api.de/api/interpreter"
USER_AGENT = "RijkeSchooldagPlanner/1.0 (school-day planning for Dutch municipalities; Python urllib)"
#: Default folder for saved networks and (under ``cache/``) the raw Overpass answers.
#: Server-side time limit of a query, seconds (Overpass ``[timeout:N]``).
DEFAULT_TIMEOUT_S = 180
#: The query polygon is simplified (outwards) until it has at most this many vertices.
MAX_POLY_VERTICES = 200
_CHUNK = 64 * 1024
_TO_WGS84 = Transformer.from_crs("EPSG:28992", "EPSG:4326", always_xy=True)

Progress = Callable[[int, int | None], None]


# --------------------------------------------------------------------------- query


def _simplify_outwards(polygon: shapely.Geometry, max_vertices: int) -> list[shapely.Polygon]:
    """Exterior rings of ``polygon`` simplified so that the result still covers it.

    Buffering by the tolerance before a Douglas–Peucker simplification with the
    same tolerance keeps the original inside: no street at the edge is lost.
    Holes are dropped (Overpass ``poly:`` has none), which only adds data.
    """
    tolerance = 2.0
    while True:
        shape = polygon.buffer(tolerance).simplify(tolerance)
        parts = [shapely.Polygon(p.exterior) for p in getattr(shape, "geoms", [shape]) if not p.is_empty]
        if sum(len(p.exterior.coords) - 1 for p in parts) <= max_vertices or tolerance > 50_000:
            return parts
        tolerance *= 2


def _poly_filter(ring: shapely.Polygon) -> str:
    coords = list(ring.exterior.coords)[:-1]  # Overpass closes the ring itself
    lon, lat = _TO_WGS84.transform([c[0] for c in coords], [c[1] for c in coords])
    return " ".join(f"{la:.6f} {lo:.6f}" for lo, la in zip(lon, lat, strict=True))


def build_overpass_query(
    polygon_rd: shapely.Geometry, *, timeout: int = DEFAULT_TIMEOUT_S, max_vertices: int = MAX_POLY_VERTICES
) -> str:
    """Overpass QL for all ``highway`` ways in ``polygon_rd`` (EPSG:28992) and their nodes, as JSON.

    The polygon is simplified outwards to at most ``max_vertices`` vertices to keep
    the query short; a MultiPolygon becomes a union of one ``poly:`` filter per part.
    """
    polygon = check_polygon_rd(polygon_rd, what="download area")
    parts = _simplify_outwards(polygon, max_vertices)
    ways = [f'way["highway"](poly:"{_poly_filter(p)}");' for p in parts]
    body = ways[0] if len(ways) == 1 else "(" + " ".join(ways) + ");"
    return f"[out:json][timeout:{int(timeout)}]; {body} (._;>;); out body;"


def cache_path(query: str, url: str, cache_dir: str | Path) -> Path:
    """The cache file of one (query, server) pair."""
    key = hashlib.sha256(f"{url}\n{query}".encode()).hexdigest()[:24]
    return Path(cache_dir) / f"overpass_{key}.json"


# --------------------------------------------------------------------------- download


def _html_message(body: bytes) -> str:
    """The error text of an Overpass/proxy HTML page, in one line."""
    text = body.decode("utf-8", errors="replace")
    found = re.findall(r"<strong[^>]*>\s*Error\s*</strong>\s*:?(.*?)</p>", text, flags=re.DOTALL | re.IGNORECASE)
    if not found:
        found = re.findall(r"<title[^>]*>(.*?)</title>", text, flags=re.DOTALL | re.IGNORECASE)
    if not found:
        found = [text]
    one = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found[0])).split())
    return one[:300] or "(empty page)"


def _http_error_message(exc: urllib.error.HTTPError, url: str) -> str:
    try:
        detail = _html_message(exc.read(20_000))
    except (OSError, http.client.HTTPException):
        detail = ""
    code = exc.code
    if code == 429:
        hint = (
            "too many requests from this address (HTTP 429). "
            "Wait a few minutes and try again, or use another Overpass server"
        )
    elif code in (502, 503, 504):
        hint = (f"the server is overloaded or the query took too long (HTTP {code}). "
                "Try again later, with a smaller area, or with another Overpass server")
    elif code == 400:
        hint = f"the server rejected the query (HTTP 400): {detail}"
        detail = ""
    else:
        hint = f"HTTP {code} {exc.reason}"
    return f"Overpass download from {url} failed: {hint}." + (f" Server said: {detail}" if detail else "")


def _fetch(url: str, query: str, out_path: Path, *, read_timeout: float, progress: Progress | None) -> None:
    """POST ``query`` to ``url`` and stream the (un-gzipped) answer into ``out_path``."""
    request = urllib.request.Request(
        url,
        data=urllib.parse.urlencode({"data": query}).encode(),
        method="POST",
        headers={
            "User-Agent": USER_AGENT,
            "Accept-Encoding": "gzip",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    where = f"Overpass download from {url}"
    received = [0]  # bytes so far, for the message when the connection drops
    try:
        with urllib.request.urlopen(request, timeout=read_timeout) as response:  # scheme checked above: http(s) only
            length = response.headers.get("Content-Length", "")
            total = int(length) if length.isdigit() else None
            gzipped = response.headers.get("Content-Encoding", "").lower() == "gzip"
            inflate = zlib.decompressobj(wbits=31) if gzipped else None
            done = 0
            with out_path.open("wb") as out:
                while chunk := response.read(_CHUNK):
                    done += len(chunk)
                    received[0] = done
                    out.write(inflate.decompress(chunk) if inflate else chunk)
                    if progress is not None:
                        progress(done, total)
                if inflate is not None:
                    out.write(inflate.flush())
                    if not inflate.eof:
                        raise DownloadError(f"{where} failed: the compressed answer was cut off after {done:,} bytes.")
            if total is not None and done < total:
                raise DownloadError(f"{where} failed: the answer was cut off after {done:,} of {total:,} bytes.")
    except urllib.error.HTTPError as exc:
        raise DownloadError(_http_error_message(exc, url)) from None
    except TimeoutError:
        raise DownloadError(
            f"{where} failed: no answer within {read_timeout:g} s. "
            "The server may be busy; try again later or a smaller area."
        ) from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise DownloadError(f"{where} failed: no answer within {read_timeout:g} s.") from None
        raise DownloadError(
            f"{where} failed: could not connect ({exc.reason}). Is there an internet connection?"
        ) from None
    except http.client.IncompleteRead:
        raise DownloadError(
            f"{where} failed: the answer was cut off after {received[0]:,} bytes (connection closed early). Try again."
        ) from None
    except (http.client.HTTPException, ConnectionError) as exc:
        raise DownloadError(
            f"{where} failed: the connection broke off ({type(exc).__name__}: {exc}). Try again."
        ) from None
    except zlib.error as exc:
        raise DownloadError(f"{where} failed: the compressed answer is corrupt ({exc}).") from None


def parse_overpass_json(text: bytes, *, source: str, error: type[PlanningError]) -> dict:
    """Parse and check an Overpass JSON answer; ``error`` is the type raised for a bad one."""
    stripped = text.lstrip()
    if not stripped:
        raise error(f"{source} is empty; expected Overpass JSON.")
    if stripped[:1] == b"<":
        raise error(f"{source} is an HTML/XML page, not Overpass JSON: {_html_message(stripped)}")
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise error(
            f"{source} is not complete Overpass JSON ({exc.msg if hasattr(exc, 'msg') else exc} at byte "
            f"{getattr(exc, 'pos', '?')} of {len(text):,}); the answer was probably cut off."
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("elements"), list):
        raise error(
            f"{source}: expected Overpass JSON with an 'elements' list, found {type(data).__name__} without it."
        )
    remark = str(data.get("remark") or "")
    if "error" in remark.lower():
        raise error(
            f"{source}: Overpass stopped with an error, so the data is incomplete: {' '.join(remark.split())[:300]} "
            "Try again later, with a smaller area or a longer timeout."
        )
    return data


def download_osm(
    polygon_rd: shapely.Geometry,
    *,
    url: str = OVERPASS_URL,
    timeout: int = DEFAULT_TIMEOUT_S,
    read_timeout: float | None = None,
    progress: Progress | None = None,
    cache_dir: str | Path = NETWORKS_DIR / "cache",
    refresh: bool = False,
    max_vertices: int = MAX_POLY_VERTICES,
) -> Path:
    """Download all ``highway`` ways in ``polygon_rd`` from Overpass; return the cached JSON file.

    Parameters
    ----------
    polygon_rd
        The area, a shapely (Multi)Polygon in EPSG:28992.
    url
        Overpass interpreter endpoint (``http``/``https``).
    timeout
        Server-side limit of the query in seconds (``[timeout:N]``).
    read_timeout
        Seconds to wait for any bytes from the server (default ``timeout + 60``).
    progress
        Called as ``progress(bytes_received, content_length_or_None)`` after each chunk.
    cache_dir
        Where answers are kept, named from a hash of (query, url). A cached answer
        is returned without a request unless ``refresh``.

    Raises
    ------
    DownloadError
        No connection, a timeout, an HTTP error (429, 504, …), a cut-off answer,
        an HTML page instead of JSON, or an Overpass runtime error ("remark").
        Nothing is cached then.
    """
    scheme = urllib.parse.urlparse(url).scheme
    if scheme not in ("http", "https"):
        raise DownloadError(f"Overpass URL must start with http:// or https://, found '{url}'.")
    query = build_overpass_query(polygon_rd, timeout=timeout, max_vertices=max_vertices)
    target = cache_path(query, url, cache_dir)
    if target.is_file() and not refresh:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    try:
        _fetch(url, query, part, read_timeout=read_timeout or timeout + 60, progress=progress)
        parse_overpass_json(part.read_bytes(), source=f"The answer of {url}", error=DownloadError)
        part.replace(target)
        target.with_suffix(".overpassql").write_text(query + "\n", encoding="utf-8")
    finally:
        part.unlink(missing_ok=True)
    return target


# --------------------------------------------------------------------------- JSON → network


def read_overpass_json(path: str | Path) -> OsmWays:
    """Read an Overpass JSON file (``out body`` of ways and their nodes) as :class:`geo.network.ways.OsmWays`.

    Only ways with a ``highway`` tag are kept. Raises :class:`DataFileError` for a
    missing, empty, cut-off or non-Overpass file, or one with an Overpass error remark.
    """
    p = Path(path)
    if not p.is_file():
        raise DataFileError(f"Overpass JSON file not found: expected '{p}'.")
    data = parse_overpass_json(p.read_bytes(), source=f"'{p.name}'", error=DataFileError)
    positions: dict[int, tuple[float, float]] = {}
    way_ids: list[int] = []
    tags: list[Mapping[str, str]] = []
    refs: list[list[int]] = []
    try:
        for element in data["elements"]:
            kind = element.get("type")
            if kind == "node" and "lat" in element:
                positions[int(element["id"])] = (float(element["lon"]), float(element["lat"]))
            elif kind == "way" and "highway" in (element.get("tags") or {}):
                way_ids.append(int(element["id"]))
                tags.append(element["tags"])
                refs.append([int(n) for n in element.get("nodes", [])])
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise DataFileError(
            f"'{p.name}': an element is not in Overpass JSON form ({type(exc).__name__}: {exc})."
        ) from None
    stamp = (data.get("osm3s") or {}).get("timestamp_osm_base") if isinstance(data.get("osm3s"), dict) else None
    return OsmWays.from_lists(
        way_ids, [dict(t) for t in tags], refs, positions,
        source=p.name, source_format="overpass json", data_timestamp=stamp,
    )


def build_network_from_overpass_json(
    path: str | Path, *, mode: str, polygon: shapely.Geometry | None = None
) -> Network:
    """A :class:`Network` for ``mode`` from an Overpass JSON file, with the same profiles as OSM files."""
    get_profile(mode)
    return build_network_from_ways(read_overpass_json(path), mode=mode, polygon=polygon)


def download_network(
    municipality_polygon_rd: shapely.Geometry,
    *,
    name: str,
    modes: Iterable[str] = ("walk", "bike"),
    data_dir: str | Path = NETWORKS_DIR,
    url: str = OVERPASS_URL,
    timeout: int = DEFAULT_TIMEOUT_S,
    read_timeout: float | None = None,
    buffer_m: float = 0.0,
    progress: Progress | None = None,
    refresh: bool = False,
) -> dict[str, Path]:
    """Download the streets of a municipality once and save one network per mode.

    The area is ``municipality_polygon_rd`` (EPSG:28992) grown by ``buffer_m``;
    the networks keep the ways with at least one node in that area. Writes
    ``<data_dir>/<name>_<mode>.npz`` and caches the raw answer under
    ``<data_dir>/cache/``. Returns ``{mode: path}``.
    """
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name or ""):
        raise ParameterError(
            f"Network name must be letters, digits, '_', '-' or '.', found '{name}' (it becomes a file name)."
        )
    modes = tuple(modes)
    if not modes:
        raise ParameterError(f"Expected at least one mode ({', '.join(MODES)}), found none.")
    for mode in modes:
        get_profile(mode)
    area = check_polygon_rd(municipality_polygon_rd, what="municipality polygon")
    if buffer_m > 0:
        area = area.buffer(buffer_m)
    out_dir = Path(data_dir)
    json_path = download_osm(
        area, url=url, timeout=timeout, read_timeout=read_timeout, progress=progress,
        cache_dir=out_dir / "cache", refresh=refresh,
    )
    ways = read_overpass_json(json_path)
    paths: dict[str, Path] = {}
    for mode in modes:
        network = build_network_from_ways(ways, mode=mode, polygon=area)
        network.meta["download"] = {
            "url": url,
            "cache_file": json_path.name,
            "buffer_m": buffer_m,
            "area_km2": round(float(area.area) / 1e6, 3),
        }
        paths[mode] = network.save(out_dir / f"{name}_{mode}.npz")
    return paths

