"""Facility points of one municipality from OpenStreetMap, with one Overpass query.

``build_facilities_query`` writes one Overpass QL query for a gemeente: its boundary is found by
``ref:gemeentecode`` (the CBS code *without* leading zeros: GM0935 → ``"935"``, ``admin_level=8``,
inside the Netherlands), and every tag of :data:`TAG_TABLE` is asked for in one union, printed
with ``out center tags`` (nodes at their position, ways and relations at the centre of their
bounding box). ``fetch_facilities`` posts it through the one HTTP client
(:class:`geo.data.http.Client`: identifying User-Agent, 2 slots per host, ``Retry-After`` on 429,
cached answer), checks the answer with the street download's Overpass checks
(:func:`geo.data.overpass.parse_overpass_json`), and returns the facility frame the loaders return
(EPSG:28992, :mod:`geo.schema` columns, validated by :func:`geo.data.files.validate_facilities`),
the source record for ``dataset.json`` and notes on everything left out or changed.

Nothing is dropped silently: objects of a type the catalog does not have,
private pools, objects without a position, points outside the clip polygon and objects mapped
twice are each counted in the notes.
"""

from __future__ import annotations

import re
import urllib.parse
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import schema
from geo.catalog import FACILITY_TYPES
from geo.data.files import LoadReport, validate_facilities
from geo.data.http import Client, service_url
from geo.data.overpass import parse_overpass_json
from geo.errors import DownloadError, ParameterError
from geo.network.ways import check_polygon_rd

#: Server-side limit of the query, seconds (``[timeout:N]``). Give the client a read timeout above it.
DEFAULT_TIMEOUT_S = 180
#: A node and an area (way/relation) of the same type and name closer than this are one place mapped twice.
DUPLICATE_DISTANCE_M = 25.0
#: ``facility_source`` of every row.
SOURCE_NAME = "OpenStreetMap"
#: Tags copied into ``detail`` when present (after the tag that chose the type).
DETAIL_TAGS = ("sport", "operator")
#: ``access`` values that keep a swimming pool out (not open to a school class).
CLOSED_ACCESS = ("private", "no")


@dataclass(frozen=True)
class TagRule:
    """Objects tagged ``key=value`` are facilities of ``facility_type``.

    ``also``: further tags that must be present, each value matched as one item of OSM's
    ``;``-separated list (``sport=swimming;fitness`` has ``swimming``). ``unless``: tags that
    disqualify (same matching). Rules are tried in order; the first that matches decides.
    """

    key: str
    value: str
    facility_type: str
    also: tuple[tuple[str, str], ...] = ()
    unless: tuple[tuple[str, str], ...] = ()

    def matches(self, tags: Mapping[str, str]) -> bool:
        if tags.get(self.key) != self.value:
            return False
        return all(_has(tags, k, v) for k, v in self.also) and not any(_has(tags, k, v) for k, v in self.unless)

    @property
    def tag(self) -> str:
        return f"{self.key}={self.value}"


def _has(tags: Mapping[str, str], key: str, value: str) -> bool:
    return value in (item.strip() for item in str(tags.get(key, "")).split(";"))


#: Which OSM tags make which facility type (first match wins; see :class:`TagRule`).
#: Pitches are kept one by one: a sports park mapped as many pitches gives many sport points.
#: A rule whose type is not in the catalog would be counted in the notes, not returned.
#:
#: Only documented tags (OSM wiki) are used. A youth centre is ``amenity=community_centre`` with
#: ``community_centre=youth_centre``, so that rule comes before the plain community-centre rule;
#: ``leisure=youth_centre`` and ``amenity=youth_centre`` are not documented tags, and
#: ``amenity=social_facility`` with ``social_facility:for=juvenile`` is mostly residential youth care
#: (group homes, shelters), not a place children go to after school, so neither is read.
#: Nature is a nature reserve or a kinderboerderij (``tourism=zoo`` with ``zoo=petting_zoo``; other zoos
#: are not a neighbourhood's provider); ``boundary=protected_area`` is left out: such areas are large
#: (Natura 2000, national parks) and their centre says nothing about how far a child walks to them.
#: A makerspace, hackerspace or fablab is ``leisure=hackerspace`` (``amenity=makerspace`` is not a tag).
TAG_TABLE: tuple[TagRule, ...] = (
    TagRule("amenity", "library", "library"),
    TagRule("amenity", "community_centre", "youth_work", also=(("community_centre", "youth_centre"),)),
    TagRule("amenity", "community_centre", "community_centre"),
    TagRule("amenity", "theatre", "culture"),
    TagRule("amenity", "arts_centre", "culture"),
    TagRule("amenity", "music_school", "culture"),
    TagRule("amenity", "school", "culture", also=(("school", "music"),)),
    TagRule("tourism", "museum", "museum"),
    TagRule("tourism", "zoo", "nature", also=(("zoo", "petting_zoo"),)),
    TagRule("leisure", "nature_reserve", "nature"),
    TagRule("leisure", "hackerspace", "makerspace"),
    TagRule("leisure", "sports_centre", "swimming_pool", also=(("sport", "swimming"),)),
    TagRule("leisure", "sports_centre", "sport"),
    TagRule("leisure", "sports_hall", "sport"),
    TagRule("leisure", "pitch", "sport"),
    TagRule("leisure", "stadium", "sport"),
    TagRule("leisure", "swimming_pool", "swimming_pool", unless=tuple(("access", a) for a in CLOSED_ACCESS)),
    TagRule("leisure", "playground", "playground"),
)

_CODE = re.compile(r"(?:GM)?(\d{1,4})")
_POSTCODE = re.compile(r"^(\d{4})\s*([A-Z]{2})$")
_ORDER = {"relation": 0, "way": 1, "node": 2}


# --------------------------------------------------------------------------- the query


def gemeente_ref(gemeente_code: str) -> str:
    """The ``ref:gemeentecode`` value OSM uses for a CBS gemeente code: GM0935, 0935 or 935 → ``"935"``."""
    found = _CODE.fullmatch(str(gemeente_code).strip().upper())
    if found is None or int(found.group(1)) == 0:
        raise ParameterError(
            f"Gemeente code: expected a CBS code such as GM0935 (or 0935, 935), found '{gemeente_code}'."
        )
    return str(int(found.group(1)))


def _regex(values: list[str]) -> str:
    return "^(" + "|".join(sorted(values)) + ")$"


def _statement(key: str, values: set[str]) -> str:
    test = f'~"{_regex(sorted(values))}"' if len(values) > 1 else f'="{min(values)}"'
    return f'nwr["{key}"{test}](area.g);'


def _filters() -> list[str]:
    """One ``nwr[…]`` statement per table key (values in one regex), plus one per rule that needs other tags.

    Tags that only disqualify (``access=private``) are checked here, not on the server, so they can be counted.
    """
    plain: dict[str, set[str]] = {}
    for rule in TAG_TABLE:
        if not rule.also:
            plain.setdefault(rule.key, set()).add(rule.value)
    lines = [_statement(key, values) for key, values in sorted(plain.items())]
    for rule in TAG_TABLE:
        if rule.also and rule.value not in plain.get(rule.key, set()):
            extra = "".join(f'["{k}"~"(^|;) *{v} *(;|$)"]' for k, v in rule.also)
            lines.append(f'nwr["{rule.key}"="{rule.value}"]{extra}(area.g);')
    return lines


def build_facilities_query(gemeente_code: str, *, timeout_s: int = DEFAULT_TIMEOUT_S) -> str:
    """Overpass QL for every object of :data:`TAG_TABLE` in one gemeente, as JSON with centres and tags.

    The gemeente is the ``admin_level=8`` boundary relation with ``ref:gemeentecode`` = the code
    without leading zeros, among the relations inside ``area["ISO3166-1"="NL"]``. After the
    facilities, ``.gem out count;`` says how many such relations there were, so an unknown code
    (no area, no elements) is told apart from a gemeente without facilities.
    """
    if int(timeout_s) < 1:
        raise ParameterError(f"Overpass timeout: expected a number of seconds ≥ 1, found {timeout_s}.")
    ref = gemeente_ref(gemeente_code)
    union = "\n  ".join(_filters())
    return (
        f"[out:json][timeout:{int(timeout_s)}];\n"
        'area["ISO3166-1"="NL"]->.nl;\n'
        f'rel(area.nl)["boundary"="administrative"]["admin_level"="8"]["ref:gemeentecode"="{ref}"]->.gem;\n'
        ".gem map_to_area->.g;\n"
        f"(\n  {union}\n);\n"
        "out center tags;\n"
        ".gem out count;"
    )


# --------------------------------------------------------------------------- the answer


def facility_type_of(tags: Mapping[str, str]) -> TagRule | None:
    """The first rule of :data:`TAG_TABLE` that ``tags`` match, or None."""
    return next((rule for rule in TAG_TABLE if rule.matches(tags)), None)


def _position(element: Mapping[str, Any]) -> tuple[float, float] | None:
    """(lon, lat) of a node, or of the ``center`` of a way or relation; None when absent or not numbers."""
    where = element if element.get("type") == "node" else element.get("center")
    if not isinstance(where, Mapping):
        return None
    try:
        lon, lat = float(where["lon"]), float(where["lat"])
    except (KeyError, TypeError, ValueError):
        return None
    return (lon, lat) if np.isfinite(lon) and np.isfinite(lat) else None


def _postcode(value: str) -> str | None:
    text = " ".join(str(value).upper().split())
    if not text:
        return None
    found = _POSTCODE.match(text)
    return f"{found.group(1)} {found.group(2)}" if found else text


def _address(tags: Mapping[str, str]) -> str | None:
    street = " ".join(p for p in (tags.get("addr:street", ""), tags.get("addr:housenumber", "")) if p).strip()
    place = " ".join(p for p in (_postcode(tags.get("addr:postcode", "")) or "", tags.get("addr:city", "")) if p)
    text = ", ".join(p for p in (street, place.strip()) if p)
    return text or None


def _detail(rule: TagRule, tags: Mapping[str, str]) -> str:
    """The tag that chose the type, the further tags its rule needed (a youth centre's ``community_centre``), then
    :data:`DETAIL_TAGS`; each key once."""
    keys = dict.fromkeys([*(k for k, _ in rule.also), *DETAIL_TAGS])
    return "; ".join([rule.tag] + [f"{k}={tags[k]}" for k in keys if str(tags.get(k, "")).strip()])


def _count_element(elements: list[Any]) -> int | None:
    """The number of gemeente relations from the ``out count`` element, or None when the answer has none."""
    for element in elements:
        if isinstance(element, Mapping) and element.get("type") == "count":
            try:
                return int((element.get("tags") or {}).get("relations", 0))
            except (TypeError, ValueError):
                return None
    return None


def _empty_frame() -> gpd.GeoDataFrame:
    columns = [
        schema.FACILITY_ID, schema.FACILITY_TYPE, schema.FACILITY_NAME, schema.FACILITY_CAPACITY,
        schema.FACILITY_ADDRESS, schema.FACILITY_POSTCODE, schema.FACILITY_DETAIL, schema.FACILITY_SOURCE,
        schema.LOCATION_PRECISION,
    ]
    return gpd.GeoDataFrame({c: pd.Series(dtype=float if c == schema.FACILITY_CAPACITY else object) for c in columns},
                            geometry=gpd.GeoSeries([], crs=schema.WORK_CRS), crs=schema.WORK_CRS)


def _deduplicate(rows: list[dict[str, Any]], xy: np.ndarray) -> tuple[list[int], list[tuple[str, str]]]:
    """Indices of the rows to keep, and (dropped id, kept id) for each node that repeats an area.

    A node and a way or relation with the same facility type and the same (non-empty) name within
    :data:`DUPLICATE_DISTANCE_M` are one place: the area is kept (its centre, usually more tags).
    Two objects of the same OSM kind are never merged (neighbouring pitches share a name).
    """
    groups: dict[tuple[str, str], list[int]] = {}
    for i, row in enumerate(rows):
        if row["named"]:
            key = (row[schema.FACILITY_TYPE], " ".join(str(row[schema.FACILITY_NAME]).casefold().split()))
            groups.setdefault(key, []).append(i)
    dropped: dict[int, int] = {}
    for members in groups.values():
        areas = [i for i in members if rows[i]["osm_type"] != "node"]
        for i in (i for i in members if rows[i]["osm_type"] == "node"):
            near = [(float(np.hypot(*(xy[i] - xy[a]))), a) for a in areas]
            near = [d for d in near if d[0] <= DUPLICATE_DISTANCE_M]
            if near:
                dropped[i] = min(near)[1]
    keep = [i for i in range(len(rows)) if i not in dropped]
    pairs = [(rows[i][schema.FACILITY_ID], rows[a][schema.FACILITY_ID]) for i, a in dropped.items()]
    return keep, pairs


def _summary(counter: Counter[str]) -> str:
    return ", ".join(f"{tag}: {n}" for tag, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def _shown(ids: list[str], at_most: int = 5) -> str:
    return ", ".join(ids[:at_most]) + (" …" if len(ids) > at_most else "")


def parse_facilities(
    data: Mapping[str, Any], *, gemeente_code: str, polygon: shapely.Geometry | None = None
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """The facility frame (EPSG:28992) and notes from a parsed Overpass answer of :func:`build_facilities_query`."""
    ref = gemeente_ref(gemeente_code)
    code = f"GM{int(ref):04d}"
    elements = list(data.get("elements") or [])
    found = _count_element(elements)
    objects = [e for e in elements if isinstance(e, Mapping) and e.get("type") in _ORDER]
    if found == 0 or (found is None and not objects):
        raise DownloadError(
            f"OpenStreetMap has no gemeente {code}: Overpass found no boundary relation with "
            f'admin_level=8 and ref:gemeentecode="{ref}" in the Netherlands, so the answer is empty. '
            "Check the code (CBS gemeentecode, the current year's), or whether the gemeente's relation in "
            "OSM carries ref:gemeentecode."
        )
    notes: list[str] = []
    if found is not None and found > 1:
        notes.append(f'{found} boundary relations carry ref:gemeentecode="{ref}"; their facilities are combined')
    area = check_polygon_rd(polygon, what="clip polygon") if polygon is not None else None

    rows: list[dict[str, Any]] = []
    lonlat: list[tuple[float, float]] = []
    not_yet: Counter[str] = Counter()
    outside_table: Counter[str] = Counter()
    no_position: list[str] = []
    for element in objects:
        osm_type, osm_id = str(element.get("type")), element.get("id")
        ident = f"osm-{osm_type}-{osm_id}"
        raw_tags = element.get("tags")
        tags = {str(k): str(v) for k, v in raw_tags.items()} if isinstance(raw_tags, Mapping) else {}
        rule = facility_type_of(tags)
        if rule is None:
            first = next((f"{k}={tags[k]}" for k in ("leisure", "amenity", "tourism") if k in tags), "no such tag")
            access = f" (access={tags['access']})" if "access" in tags else ""
            outside_table[first + access] += 1
            continue
        if rule.facility_type not in FACILITY_TYPES:
            not_yet[rule.facility_type] += 1
            continue
        where = _position(element)
        if where is None:
            no_position.append(ident)
            continue
        name = " ".join(str(tags.get("name", "")).split())
        label = FACILITY_TYPES[rule.facility_type].label_nl
        rows.append(
            {
                schema.FACILITY_ID: ident,
                schema.FACILITY_TYPE: rule.facility_type,
                schema.FACILITY_NAME: name or f"{label} (OSM {osm_type} {osm_id})",
                schema.FACILITY_CAPACITY: np.nan,
                schema.FACILITY_ADDRESS: _address(tags),
                schema.FACILITY_POSTCODE: _postcode(tags.get("addr:postcode", "")),
                schema.FACILITY_DETAIL: _detail(rule, tags),
                schema.FACILITY_SOURCE: SOURCE_NAME,
                schema.LOCATION_PRECISION: "source",
                "named": bool(name),
                "osm_type": osm_type,
                "tag": rule.tag,
            }
        )
        lonlat.append(where)

    read = len(objects)
    for kind, n in sorted(not_yet.items()):
        notes.append(f"{n} {kind} objects left out: {kind} is not a facility type of the product yet")
    if outside_table:
        notes.append(f"{sum(outside_table.values())} objects whose tags match no facility type left out "
                     f"({_summary(outside_table)})")
    if no_position:
        notes.append(f"{len(no_position)} objects without a position left out ({_shown(no_position)})")

    points = gpd.GeoSeries(gpd.points_from_xy([p[0] for p in lonlat], [p[1] for p in lonlat]), crs=schema.MAP_CRS)
    points = points.to_crs(schema.WORK_CRS)
    xy = np.column_stack([points.x.to_numpy(), points.y.to_numpy()]) if len(points) else np.empty((0, 2))
    if area is not None and rows:
        inside = shapely.intersects_xy(area, xy[:, 0], xy[:, 1])
        outside = [rows[i][schema.FACILITY_ID] for i in np.flatnonzero(~inside)]
        if outside:
            notes.append(f"{len(outside)} facilities outside the clip polygon left out ({_shown(outside)})")
        rows = [r for r, ok in zip(rows, inside, strict=True) if ok]
        xy = xy[inside]
    keep, pairs = _deduplicate(rows, xy)
    if pairs:
        notes.append(
            f"{len(pairs)} places mapped twice in OSM (a node and an area of the same type and name within "
            f"{DUPLICATE_DISTANCE_M:g} m) kept once, as the area ("
            + _shown([f"{a} → {b}" for a, b in pairs]) + ")"
        )
    rows, xy = [rows[i] for i in keep], xy[keep]
    unnamed = sum(not r["named"] for r in rows)
    if unnamed:
        notes.append(f"{unnamed} facilities without a name in OSM: named after their type and OSM id")
    pitches = sum(r["tag"] == "leisure=pitch" for r in rows)
    if pitches:
        notes.append(f"{pitches} sport facilities are single pitches (leisure=pitch), each counted as one facility")
    counts = Counter(r[schema.FACILITY_TYPE] for r in rows)
    notes.insert(
        0,
        f"OpenStreetMap via Overpass, gemeente {code}: {read} objects read, {len(rows)} facilities kept"
        + (f" ({_summary(counts)})" if counts else ""),
    )
    if not rows:
        notes.append(f"gemeente {code} was found in OpenStreetMap, but no object in it has a facility tag")
        return _empty_frame(), notes

    frame = pd.DataFrame([{k: v for k, v in r.items() if k not in ("named", "osm_type", "tag")} for r in rows])
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=schema.WORK_CRS)
    order = np.lexsort((gdf[schema.FACILITY_ID].to_numpy(), gdf[schema.FACILITY_TYPE].to_numpy()))
    gdf = gdf.iloc[order].reset_index(drop=True)
    report = LoadReport(source=f"Overpass {code}", rows_read=len(gdf))
    gdf = validate_facilities(gdf, source=f"Overpass answer for {code}", facility_type=None, report=report)
    notes.extend(report.notes)
    return gdf, notes


def source_record(data: Mapping[str, Any], *, gemeente_code: str, url: str) -> dict[str, Any]:
    """The ``dataset.json`` source entry for an Overpass answer (year = the year of its OSM data)."""
    osm3s = data.get("osm3s") if isinstance(data.get("osm3s"), Mapping) else {}
    stamp = str((osm3s or {}).get("timestamp_osm_base") or "")
    year = int(stamp[:4]) if re.match(r"^\d{4}-", stamp) else None
    return {
        "id": f"osm_facilities_gm{int(gemeente_ref(gemeente_code)):04d}",
        "title": "OpenStreetMap via Overpass API",
        "publisher": "OpenStreetMap contributors",
        "year": year,
        "licence": "ODbL 1.0",
        "attribution": "© OpenStreetMap contributors",
        "url": url,
        "data_timestamp": stamp or None,
    }


def fetch_facilities(
    client: Client,
    gemeente_code: str,
    *,
    polygon: shapely.Geometry | None = None,
    timeout_s: int = DEFAULT_TIMEOUT_S,
) -> tuple[gpd.GeoDataFrame, dict[str, Any], list[str]]:
    """The OSM facilities of one gemeente: (frame in EPSG:28992, source record, notes).

    One POST of :func:`build_facilities_query` (form field ``data``) to ``$GEO_URL_OVERPASS/interpreter``
    through ``client``, which retries politely and caches the answer; use a client whose ``timeout_s``
    is above ``timeout_s`` (Overpass sends nothing until the query is done). ``polygon`` (EPSG:28992)
    clips the points; those outside are counted in the notes.

    Raises
    ------
    DownloadError
        The server could not be reached or kept failing, the answer is cut off or not Overpass JSON,
        Overpass stopped with a runtime error (its ``remark``), or the gemeente code is not in OSM.
        Such an answer is not kept in the cache.
    """
    ref = gemeente_ref(gemeente_code)
    code = f"GM{int(ref):04d}"
    if polygon is not None:
        polygon = check_polygon_rd(polygon, what="clip polygon")  # before asking the server anything
    query = build_facilities_query(ref, timeout_s=timeout_s)
    url = service_url("OVERPASS", "interpreter")
    body = urllib.parse.urlencode({"data": query}).encode()
    what = f"OpenStreetMap facilities of {code} (Overpass)"
    raw = client.get(
        url, what=what, data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
    )
    try:
        data = parse_overpass_json(raw, source=f"{what}: the answer of {url}", error=DownloadError)
        frame, notes = parse_facilities(data, gemeente_code=ref, polygon=polygon)
    except DownloadError:
        client.cache_file(url, body).unlink(missing_ok=True)  # never keep an answer that cannot be used
        raise
    return frame, source_record(data, gemeente_code=ref, url=url), notes
