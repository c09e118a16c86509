"""Municipal boundaries on a map of many municipalities: the buurt shapes dissolved per municipality, as thin lines.

On a national map the buurten are too small to see where one municipality ends and the next begins; a line
around each municipality gives the map its structure. The outlines are made from the buurt shapes the map
draws (the base layer's 2014 shapes, a full dataset's own), so they fit the buurten exactly, and they are
made once per dataset (:func:`municipality_outlines`; the app caches the result) and drawn on top of the
choropleth by :func:`build_outline_layer`, without a fill and without catching the mouse, so a click or a
tooltip still reaches the buurt underneath.
"""

from __future__ import annotations

from html import escape

import folium
import geopandas as gpd
import numpy as np
import shapely

from geo import schema
from layers.choropleth import BoundedGeoJson
from layers.geometry import (
    display_tolerance_m,
    drawable,
    lonlat_box,
    lonlat_decimals,
    require_columns,
    require_work_crs,
    to_lonlat,
)
from layers.labels import check_lang, word

__all__ = ["BOUNDARY_COLOR", "build_outline_layer", "municipality_outlines"]

BOUNDARY_COLOR = "#1a1a1a"
BOUNDARY_WEIGHT = 1.2


def municipality_outlines(buurten: gpd.GeoDataFrame, tolerance_m: float | None = None) -> gpd.GeoDataFrame:
    """One outline per municipality with at least one buurt shape, in EPSG:28992.

    The buurt shapes of each municipality are unioned; holes are filled (a hole is where buurten have no
    shape, e.g. codes newer than the 2014 shapes, not a gap in the municipality), and the result is simplified
    with ``tolerance_m`` (default :func:`layers.geometry.display_tolerance_m` of all the buurten, as the
    choropleth). Columns ``municipality_code``, ``municipality_name`` (the code when the data has no name)
    and ``geometry`` (Polygon or MultiPolygon), sorted by code.
    """
    require_columns(buurten, [schema.MUNICIPALITY_CODE], "municipality outlines")
    require_work_crs(buurten, "municipality outlines")
    shown = drawable(buurten)
    if tolerance_m is None:
        tolerance_m = display_tolerance_m(shown)
    codes = shown[schema.MUNICIPALITY_CODE].astype(str).to_numpy()
    names = (
        shown[schema.MUNICIPALITY_NAME].fillna(shown[schema.MUNICIPALITY_CODE]).astype(str).to_numpy()
        if schema.MUNICIPALITY_NAME in shown.columns else codes
    )
    order = np.argsort(codes, kind="mergesort")
    uniq, first = np.unique(codes[order], return_index=True)
    parts = np.split(np.asarray(shown.geometry.values)[order], first[1:]) if len(uniq) else []
    # A gap between neighbouring buurten (a quantised file's sliver) becomes a hole of the union: filled below.
    filled = [_without_holes(shapely.union_all(p)) for p in parts]
    geometry = gpd.GeoSeries(filled, crs=schema.WORK_CRS)
    if tolerance_m > 0:
        geometry = geometry.simplify(tolerance_m, preserve_topology=True)
    return gpd.GeoDataFrame(
        {schema.MUNICIPALITY_CODE: uniq, schema.MUNICIPALITY_NAME: names[order][first] if len(uniq) else []},
        geometry=geometry.values,
        crs=schema.WORK_CRS,
    )


def _without_holes(geometry: shapely.Geometry) -> shapely.Geometry:
    """The polygons of ``geometry`` with their exterior rings only (anything else in a collection dropped)."""
    polygons = [g for g in shapely.get_parts(geometry) if isinstance(g, shapely.Polygon) and not g.is_empty]
    shells = [shapely.Polygon(p.exterior) for p in polygons]
    if not shells:
        return shapely.Polygon()
    return shells[0] if len(shells) == 1 else shapely.union_all(shells)


def build_outline_layer(outlines: gpd.GeoDataFrame, *, lang: str = "nl", show: bool = True) -> folium.GeoJson:
    """The outlines (from :func:`municipality_outlines`) as one thin-line layer that ignores the mouse.

    Each feature carries only its code as ``id``: nothing else is shown, so nothing else travels.
    """
    check_lang(lang)
    require_work_crs(outlines, "municipality outlines")
    shown = outlines[~(outlines.geometry.isna() | outlines.geometry.is_empty)]
    tolerance = display_tolerance_m(shown) if len(shown) else 0.0
    geometry = to_lonlat(shown.geometry, decimals=lonlat_decimals(tolerance))
    features = [
        {"type": "Feature", "id": str(code), "properties": {}, "geometry": g.__geo_interface__}
        for code, g in zip(shown[schema.MUNICIPALITY_CODE], geometry, strict=True)
    ]
    return BoundedGeoJson(
        {"type": "FeatureCollection", "features": features},
        bounds=lonlat_box(shown) if len(shown) else [[0.0, 0.0], [0.0, 0.0]],
        name=escape(word("municipal_boundaries", lang)),
        style_function=lambda _: {"color": BOUNDARY_COLOR, "weight": BOUNDARY_WEIGHT, "opacity": 0.9, "fill": False},
        interactive=False,
        show=show,
    )
