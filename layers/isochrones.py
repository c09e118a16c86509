"""Isochrone bands on the map: one toggleable layer per facility type.

Input: the dissolved isochrones of :func:`geo.network.isochrones.facility_isochrones`
(``facility_type, minutes, geometry`` in EPSG:28992). Larger bands are drawn
first and lighter, so the 5-minute area reads darkest.
"""

from __future__ import annotations

from html import escape

import folium
import geopandas as gpd

from geo.catalog import get_facility_type
from geo.terms import MODE_NAMES
from layers.geometry import require_columns, require_work_crs, to_lonlat
from layers.labels import check_lang, pick, word


def build_isochrone_layer(
    isochrones: gpd.GeoDataFrame, *, facility_type: str, mode: str, lang: str = "nl", show: bool = True
) -> folium.FeatureGroup:
    """The isochrone bands of one facility type as a FeatureGroup named e.g. 'Isochronen: Zwembad (lopen)'."""
    check_lang(lang)
    require_work_crs(isochrones, "isochrones")
    require_columns(isochrones, ["facility_type", "minutes"], "isochrones")
    ftype = get_facility_type(facility_type)
    rows = isochrones[(isochrones["facility_type"] == facility_type) & ~isochrones.geometry.is_empty]
    rows = rows.sort_values("minutes", ascending=False)
    mode_word = pick(MODE_NAMES.get(mode, (mode, mode)), lang)
    title = word("isochrones", lang)
    group = folium.FeatureGroup(name=f"{title}: {escape(ftype.label(lang))} ({escape(mode_word)})", show=show)
    if rows.empty:
        return group
    geoms = to_lonlat(rows.geometry)
    n = len(rows)
    for k, (geom, minutes) in enumerate(zip(geoms, rows["minutes"], strict=True)):
        # k = 0 is the largest band: lightest fill.
        opacity = 0.12 + 0.18 * k / max(1, n - 1)
        tip = f"≤ {minutes:g} min {mode_word} — {ftype.label(lang)}"
        folium.GeoJson(
            geom.__geo_interface__,
            style_function=lambda _f, o=opacity: {
                "fillColor": ftype.color, "color": ftype.color, "weight": 1, "fillOpacity": o, "opacity": 0.8,
            },
            tooltip=folium.Tooltip(escape(tip)),
        ).add_to(group)
    return group
