"""Buurt polygons of any municipality from the PDOK OGC API *CBS Wijken en Buurten <year>* (CC BY 4.0).

``GET {PDOK_OGC}/cbs/wijken-en-buurten-<year>/ogc/v1/collections/buurten/items?gemeentecode=GM0855
&crs=http://www.opengis.net/def/crs/EPSG/0/28992&f=json&limit=1000`` answers a GeoJSON FeatureCollection
in RD with ``buurtcode``, ``buurtnaam``, ``wijkcode``, ``gemeentecode``, ``gemeentenaam`` and about 240 kwb
attributes; further pages are linked as ``links[rel=next]`` (followed exactly as given). Wijk names come
from the ``wijken`` collection (``wijkcode``, ``wijknaam``) unless the buurten carry ``wijknaam``
themselves. Everything goes through the one client (:mod:`geo.data.http`): cached, polite, retried.

The result passes the same rules as a buurt file (:func:`geo.data.files.load_buurten`): codes present and
unique, polygons only, EPSG:28992 inside the Netherlands, invalid polygons repaired with ``make_valid``
(and said so in the notes).
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import shape

from geo import schema
from geo.data import files
from geo.data.http import Client, service_url
from geo.errors import DownloadError, GeometryError, ParameterError

#: The CRS asked for (and the only one accepted back): RD New as an OGC URI.
RD_CRS_URI = "http://www.opengis.net/def/crs/EPSG/0/28992"
#: Features per page asked for (the service's maximum; Amsterdam's ~520 buurten fit one page).
PAGE_LIMIT = 1000
#: A runaway paging loop stops here (with a :class:`DownloadError`).
MAX_PAGES = 200
#: The properties every buurt feature must carry.
BUURT_PROPERTIES = ("buurtcode", "buurtnaam", "wijkcode", "gemeentecode", "gemeentenaam")

_GM = re.compile(r"^(?:GM)?(\d{1,4})$", re.IGNORECASE)
_WIJK_PREFIX = re.compile(r"^Wijk\s+\d+\s+")  # CBS writes wijk names as "Wijk 01 West" in some releases


def gemeente_code(code: object) -> str:
    """``'GM0855'``, ``'0855'`` and ``'855'`` → ``'GM0855'``; anything else is a :class:`ParameterError`."""
    match = _GM.match(str(code or "").strip())
    if match is None:
        raise ParameterError(f"Expected a municipality code such as GM0855 (or 0855), found {code!r}.")
    return f"GM{int(match.group(1)):04d}"


def collection_path(year: int, collection: str) -> str:
    """``cbs/wijken-en-buurten-<year>/ogc/v1/collections/<collection>/items`` (below ``GEO_URL_PDOK_OGC``)."""
    return f"cbs/wijken-en-buurten-{int(year)}/ogc/v1/collections/{collection}/items"


def items_url(year: int, collection: str, code: str, *, limit: int = PAGE_LIMIT) -> str:
    """The first page of ``collection`` for municipality ``code`` in RD."""
    params = {"gemeentecode": code, "crs": RD_CRS_URI, "f": "json", "limit": limit}
    return service_url("PDOK_OGC", collection_path(year, collection), params)


def fetch_features(client: Client, url: str, *, what: str) -> list[dict[str, Any]]:
    """Every feature of an OGC API items query: the first page and each ``rel=next`` page after it."""
    features: list[dict[str, Any]] = []
    seen: set[str] = set()
    next_url: str | None = url
    while next_url is not None:
        if next_url in seen or len(seen) >= MAX_PAGES:
            why = "links back to an earlier page" if next_url in seen else f"is beyond {MAX_PAGES} pages"
            raise DownloadError(
                f"{what}: the pages do not end (page {len(seen) + 1}, {next_url}, {why}); "
                "expected the last page to have no rel=next link."
            )
        seen.add(next_url)
        page = client.get_json(next_url, what=what)
        if not isinstance(page, dict) or not isinstance(page.get("features"), list):
            found = f"an object with keys {', '.join(map(str, page))[:200]}" if isinstance(page, dict) else (
                f"a JSON {type(page).__name__}"
            )
            raise DownloadError(
                f"{what}: expected a GeoJSON FeatureCollection with 'features' from {next_url}, found {found}."
            )
        features.extend(f for f in page["features"] if isinstance(f, dict))
        next_url = _next_link(page, next_url)
    return features


def _next_link(page: dict[str, Any], current: str) -> str | None:
    for link in page.get("links") or []:
        if isinstance(link, dict) and link.get("rel") == "next" and link.get("href"):
            return urllib.parse.urljoin(current, str(link["href"]))  # absolute links stay exactly as given
    return None


def fetch_buurten(
    client: Client, gemeente: str, year: int, *, limit: int = PAGE_LIMIT
) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """All buurten of ``gemeente`` (``GM0855``) in the CBS/PDOK release of ``year``, and their source record.

    Returns a GeoDataFrame in EPSG:28992, indexed by buurt code, with ``buurt_code``, ``buurt_name``,
    ``wijk_code``, ``wijk_name``, ``municipality_code``, ``municipality_name`` (names stripped) and the
    polygons; and a source record (title, publisher, year, licence, attribution, url, notes).
    Raises :class:`DownloadError` when the service cannot be reached, answers something that is not
    buurt GeoJSON in RD, or has no buurten for the municipality in that year.
    """
    code = gemeente_code(gemeente)
    what = f"PDOK CBS wijken en buurten {year}, buurten of {code}"
    url = items_url(year, "buurten", code, limit=limit)
    features = fetch_features(client, url, what=what)
    if not features:
        raise DownloadError(
            f"{what}: the service has no buurten for {code} in {year} (0 features from {url}). "
            "Check the municipality code (GM + 4 digits, as in that year's CBS indeling) and the year."
        )
    notes: list[str] = []
    out = _validated(_frame(features, what), code, what, notes)
    if out[schema.WIJK_NAME].isna().any():  # the buurten do not carry wijknaam: ask the wijken collection
        wijk_what = f"PDOK CBS wijken en buurten {year}, wijken of {code}"
        wijken = fetch_features(client, items_url(year, "wijken", code, limit=limit), what=wijk_what)
        names = {
            str(p.get("wijkcode") or "").strip(): _wijk_name(p.get("wijknaam"))
            for p in (f.get("properties") or {} for f in wijken)
        }
        out[schema.WIJK_NAME] = out[schema.WIJK_NAME].fillna(out[schema.WIJK_CODE].map(names))
        unnamed = sorted(set(out.loc[out[schema.WIJK_NAME].isna(), schema.WIJK_CODE]))
        if unnamed:
            notes.append(f"no wijk name for {', '.join(unnamed[:5])}{' …' if len(unnamed) > 5 else ''}")
    source = {
        "id": f"pdok_cbs_wijkenbuurten_{year}",
        "title": f"CBS Wijken en Buurten {year} (buurten), PDOK OGC API",
        "publisher": "PDOK / CBS",
        "year": int(year),
        "licence": "CC BY 4.0",
        "attribution": "Bron: CBS, Kadaster",
        "url": url,
        "n_buurten": int(len(out)),
        "notes": notes,
    }
    return out, source


def _frame(features: list[dict[str, Any]], what: str) -> pd.DataFrame:
    props = [f.get("properties") or {} for f in features]
    missing = [k for k in BUURT_PROPERTIES if not any(k in p for p in props)]
    if missing:
        found = sorted({k for p in props for k in p})
        raise DownloadError(
            f"{what}: expected buurt properties {', '.join(BUURT_PROPERTIES)}; {', '.join(missing)} missing "
            f"(found {', '.join(found[:12])}{' …' if len(found) > 12 else ''})."
        )
    geoms = []
    for f in features:
        try:
            geoms.append(shape(f["geometry"]) if f.get("geometry") else None)
        except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.GEOSException) as exc:
            code = (f.get("properties") or {}).get("buurtcode")
            raise DownloadError(f"{what}: the geometry of {code} is not GeoJSON ({exc}).") from None
    columns = [*BUURT_PROPERTIES, "wijknaam"]
    frame = pd.DataFrame({c: [_text(p.get(c)) for p in props] for c in columns})
    frame["geometry"] = geoms
    return frame


def _text(value: object) -> str | None:
    """A property as stripped text; ``None`` for null, NaN or blank."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return str(value).strip() or None


def _wijk_name(value: object) -> str | None:
    """``'Wijk 08 Zuidwest '`` → ``'Zuidwest'``; ``None`` for nothing."""
    text = _text(value)
    return (_WIJK_PREFIX.sub("", text) or None) if text else None


def _validated(frame: pd.DataFrame, code: str, what: str, notes: list[str]) -> gpd.GeoDataFrame:
    """The rules of :func:`geo.data.files.load_buurten`, applied to the service's answer."""
    codes = frame["buurtcode"]
    blank = codes.isna() | (codes == "")
    if blank.any():
        raise DownloadError(f"{what}: {int(blank.sum())} features have no buurtcode.")
    files.raise_duplicates(codes, "buurt code", what)
    others = sorted(set(frame["gemeentecode"].fillna("(none)")) - {code})
    if others:
        raise DownloadError(
            f"{what}: expected only buurten with gemeentecode {code}, found also {', '.join(others[:5])}"
            f"{' …' if len(others) > 5 else ''}; the service did not apply the gemeentecode filter."
        )
    empty = frame["geometry"].isna() | frame["geometry"].map(lambda g: g is None or g.is_empty)
    if empty.any():
        raise GeometryError(
            f"{what}: expected a polygon for every buurt; {int(empty.sum())} have none: "
            f"{', '.join(codes[empty].head(5))}."
        )
    gdf = gpd.GeoDataFrame(frame, geometry="geometry", crs=schema.WORK_CRS)
    kinds = set(gdf.geometry.geom_type)
    if not kinds <= {"Polygon", "MultiPolygon"}:
        raise GeometryError(f"{what}: expected buurt polygons, found {', '.join(sorted(kinds))}.")
    minx, miny, maxx, maxy = gdf.geometry.total_bounds
    if -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90:
        raise DownloadError(
            f"{what}: expected RD coordinates (crs={RD_CRS_URI}), found lon/lat-like values "
            f"(x {minx:.2f}–{maxx:.2f}, y {miny:.2f}–{maxy:.2f}); the service ignored the crs parameter."
        )
    gdf, _ = files.to_work_crs(gdf, source=what)  # NL bounds
    invalid = (~gdf.geometry.is_valid).to_numpy()
    if invalid.any():
        geoms = np.asarray(gdf.geometry.values, dtype=object)
        geoms[invalid] = [files.polygonal_part(g) for g in shapely.make_valid(geoms[invalid])]
        gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=schema.WORK_CRS))
        broken = ~gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"]) | gdf.geometry.is_empty
        if broken.any():
            raise GeometryError(
                f"{what}: {int(broken.sum())} buurt polygons have no area left after repair: "
                f"{', '.join(codes[broken.to_numpy()].head(5))}."
            )
        notes.append(f"repaired {int(invalid.sum())} invalid polygons with make_valid")
    wijk_names = gdf["wijknaam"].map(_wijk_name)
    out = gpd.GeoDataFrame(
        {
            schema.BUURT_CODE: gdf["buurtcode"].to_numpy(dtype=object),
            schema.BUURT_NAME: gdf["buurtnaam"].fillna(gdf["buurtcode"]).to_numpy(dtype=object),
            schema.WIJK_CODE: gdf["wijkcode"].to_numpy(dtype=object),
            schema.WIJK_NAME: wijk_names.to_numpy(dtype=object),
            schema.MUNICIPALITY_CODE: gdf["gemeentecode"].to_numpy(dtype=object),
            schema.MUNICIPALITY_NAME: gdf["gemeentenaam"].to_numpy(dtype=object),
        },
        geometry=gdf.geometry.values,
        crs=schema.WORK_CRS,
    )
    out.index = pd.Index(out[schema.BUURT_CODE].to_numpy(dtype=object))
    return out.sort_index()
