"""The map edge: checks the working CRS, simplifies in metres, converts to lon/lat.

This is the only place where geometry leaves EPSG:28992. Simplification
happens before the conversion, so its tolerance is in metres.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from geo import schema
from geo.errors import CrsError, GeometryError, MissingColumnError

#: Decimals kept in lon/lat output: 6 decimals is about 0.1 m, far below screen resolution.
LONLAT_DECIMALS = 6

_WORK_CRS = CRS.from_user_input(schema.WORK_CRS)


def require_work_crs(gdf: gpd.GeoDataFrame, what: str) -> None:
    """Raise :class:`CrsError` unless ``gdf`` is in the working CRS (EPSG:28992)."""
    if gdf.crs is None:
        raise CrsError(f"{what}: expected CRS {schema.WORK_CRS}; found no CRS.")
    if not CRS.from_user_input(gdf.crs).equals(_WORK_CRS):
        raise CrsError(f"{what}: expected CRS {schema.WORK_CRS}; found {gdf.crs.to_string()}.")


def require_columns(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise :class:`MissingColumnError` naming every column of ``columns`` that ``df`` lacks."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise MissingColumnError(
            f"{what}: expected column(s) {', '.join(missing)}; found: {', '.join(map(str, df.columns))}."
        )


def require_geometry(gdf: gpd.GeoDataFrame, what: str, id_column: str) -> None:
    """Raise :class:`GeometryError` if ``gdf`` has rows without a geometry."""
    geoms = gdf.geometry.values
    bad = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if bad.any():
        ids = gdf.loc[bad, id_column].astype(str).tolist()
        shown = ", ".join(ids[:5]) + (" …" if len(ids) > 5 else "")
        raise GeometryError(f"{what}: {len(ids)} row(s) have no geometry: {shown}.")


def simplify_polygons(geometry: gpd.GeoSeries, tolerance_m: float) -> gpd.GeoSeries:
    """Simplify polygons for display, keeping shared edges between neighbours shared.

    Simplifying each polygon on its own opens slivers between neighbouring
    buurten; coverage simplification moves shared edges together. Real buurt
    files are not always a clean coverage (Utrecht's has two small overlaps),
    so a polygon that comes out invalid or empty falls back to simplifying it
    on its own.
    """
    if tolerance_m <= 0:
        return geometry
    try:
        simplified = geometry.simplify_coverage(tolerance_m)
    except shapely.errors.GEOSException:
        # A degenerate ring somewhere (e.g. a quantised file with collapsed polygons) makes GEOS refuse
        # the whole coverage: simplify every polygon on its own instead (small slivers may open).
        return geometry.simplify(tolerance_m, preserve_topology=True)
    bad = ~simplified.is_valid | simplified.is_empty
    if bad.any():
        fallback = geometry[bad].simplify(tolerance_m, preserve_topology=True)
        simplified = simplified.where(~bad, fallback)
    return simplified


#: Map width in screen pixels the simplification aims at: one pixel of that width is the tolerance.
_SCREEN_PX = 4000
MIN_TOLERANCE_M = 5.0


def display_tolerance_m(gdf: gpd.GeoDataFrame) -> float:
    """Simplification tolerance for display: the larger side of the extent / 4,000 px, at least 5 m.

    A municipality (~15 km) keeps 5 m; the whole country (~300 km) gets ~75 m,
    which is invisible at the zoom level that shows it all but shrinks the
    GeoJSON the browser has to parse several times over.
    """
    if len(gdf) == 0:
        return MIN_TOLERANCE_M
    x0, y0, x1, y1 = gdf.total_bounds
    return max(MIN_TOLERANCE_M, max(x1 - x0, y1 - y0) / _SCREEN_PX)


def lonlat_decimals(tolerance_m: float) -> int:
    """Decimals of lon/lat that keep a position to well within ``tolerance_m`` (1e-5° ≈ 1.1 m, 1e-4° ≈ 11 m)."""
    if tolerance_m >= 50:
        return 4
    if tolerance_m >= 5:
        return 5
    return LONLAT_DECIMALS


def to_lonlat(geometry: gpd.GeoSeries, decimals: int = LONLAT_DECIMALS) -> np.ndarray:
    """Shapely geometries in EPSG:4326 with coordinates rounded to ``decimals`` (default 6, ~0.1 m)."""
    lonlat = geometry.to_crs(schema.MAP_CRS).values
    return shapely.transform(np.asarray(lonlat), lambda xy: np.round(xy, decimals))


def lonlat_bounds(gdf: gpd.GeoDataFrame) -> list[list[float]]:
    """Bounds of ``gdf`` as Leaflet expects them: ``[[south, west], [north, east]]``."""
    west, south, east, north = gdf.geometry.to_crs(schema.MAP_CRS).total_bounds
    return [[float(south), float(west)], [float(north), float(east)]]


def lonlat_box(gdf: gpd.GeoDataFrame) -> list[list[float]]:
    """Like :func:`lonlat_bounds`, but from the extent alone (its outline, densified, converted): cheap for
    thousands of shapes, and never smaller than the exact bounds (a little larger at the scale of the country)."""
    x0, y0, x1, y1 = (float(v) for v in gdf.total_bounds)
    # Remembered per extent: pyproj sets a transformer up again in every new thread, and the app runs each rerun
    # in a new thread (that set-up was most of the time of a rerun's map).
    return [list(corner) for corner in _extent_lonlat(x0, y0, x1, y1, CRS.from_user_input(gdf.crs).to_wkt())]


@functools.lru_cache(maxsize=256)
def _extent_lonlat(x0: float, y0: float, x1: float, y1: float, crs_wkt: str) -> tuple[tuple[float, float], ...]:
    outline = shapely.get_coordinates(shapely.box(x0, y0, x1, y1).segmentize(max(x1 - x0, y1 - y0, 1.0) / 16))
    lon, lat = Transformer.from_crs(CRS.from_wkt(crs_wkt), schema.MAP_CRS, always_xy=True).transform(
        outline[:, 0], outline[:, 1])
    return (float(np.min(lat)), float(np.min(lon))), (float(np.max(lat)), float(np.max(lon)))


def display_shapes(gdf: gpd.GeoDataFrame, tolerance_m: float | None = None) -> dict[str, dict]:
    """The shape of every buurt as the map draws it: buurt code → GeoJSON geometry in lon/lat.

    Simplified together (:func:`simplify_polygons`) with ``tolerance_m`` (default :func:`display_tolerance_m`),
    then rounded (:func:`lonlat_decimals`). The shapes do not depend on a ranking, so the app computes them once
    per dataset and hands them to every map it draws of that dataset.
    """
    shown = drawable(gdf)
    if tolerance_m is None:
        tolerance_m = display_tolerance_m(shown)
    geometry = to_lonlat(simplify_polygons(shown.geometry, tolerance_m), decimals=lonlat_decimals(tolerance_m))
    return {str(code): g.__geo_interface__ for code, g in zip(shown[schema.BUURT_CODE], geometry, strict=True)}


#: Zoom levels a fitted view stays within (Leaflet; 7 shows the whole country, 13 a town).
MIN_ZOOM, MAX_ZOOM = 6, 16
_TILE_PX = 256


def fitted_view(gdf: gpd.GeoDataFrame, *, width_px: int, height_px: int) -> tuple[tuple[float, float], int]:
    """Centre (lat, lon) and the largest whole Leaflet zoom level at which ``gdf`` fits in a map of this size.

    What ``fitBounds`` would do, computed here because streamlit-folium can move a drawn map only to a centre
    and a zoom level (without drawing it again).
    """
    west, south, east, north = gdf.geometry.to_crs(schema.MAP_CRS).total_bounds
    return _view(float(west), float(south), float(east), float(north), width_px, height_px)


def fitted_views(gdf: gpd.GeoDataFrame, key_column: str, *, width_px: int, height_px: int
                 ) -> dict[str, tuple[tuple[float, float], int]]:
    """:func:`fitted_view` of every row of ``gdf``, by the value of ``key_column`` (one conversion for all)."""
    bounds = gdf.geometry.to_crs(schema.MAP_CRS).bounds.to_numpy()
    return {
        str(key): _view(float(b[0]), float(b[1]), float(b[2]), float(b[3]), width_px, height_px)
        for key, b in zip(gdf[key_column], bounds, strict=True)
        if np.isfinite(b).all()
    }


def _mercator_y(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def _view(west: float, south: float, east: float, north: float, width_px: int, height_px: int
          ) -> tuple[tuple[float, float], int]:
    span_x = max(east - west, 1e-9) / 360.0
    span_y = max(_mercator_y(north) - _mercator_y(south), 1e-9) / (2 * math.pi)
    zoom = math.floor(min(math.log2(width_px / _TILE_PX / span_x), math.log2(height_px / _TILE_PX / span_y)))
    centre_lat = math.degrees(2 * math.atan(math.exp((_mercator_y(north) + _mercator_y(south)) / 2)) - math.pi / 2)
    return (round(centre_lat, 5), round((west + east) / 2, 5)), max(MIN_ZOOM, min(MAX_ZOOM, zoom))


_FROM_LONLAT = Transformer.from_crs(schema.MAP_CRS, schema.WORK_CRS, always_xy=True)


def from_lonlat(lon: float, lat: float) -> tuple[float, float]:
    """A point clicked on the map (EPSG:4326) in the working CRS (EPSG:28992), metres rounded to 0.1."""
    x, y = _FROM_LONLAT.transform(float(lon), float(lat))
    return round(float(x), 1), round(float(y), 1)


def drawable(table: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The rows that have a shape to draw: a base-layer buurt without one is ranked, but not on a map."""
    return table[table.geometry.notna() & ~table.geometry.is_empty]
