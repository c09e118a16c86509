"""Scenario facilities on the map: added ones as large outlined markers, removed ones crossed out.

Same escaping rule as :mod:`layers.facilities`: tooltip text travels as a
JSON-encoded GeoJSON property and every user text (scenario names come from a
text box or a share link) is HTML-escaped.
"""

from __future__ import annotations

from html import escape
from typing import Any

import folium
import geopandas as gpd
import shapely

from geo import schema
from geo.catalog import FACILITY_TYPES
from layers.geometry import require_work_crs, to_lonlat
from layers.labels import check_lang

_BIND_TOOLTIP = folium.utilities.JsCode(
    "function (feature, layer) { layer.bindTooltip(feature.properties.tooltip); }"
)
ADDED_RADIUS_PX = 9
_TITLE = {"nl": "Scenario's", "en": "Scenarios"}
_ADDED = {"nl": "toegevoegd in", "en": "added in"}
_REMOVED = {"nl": "weggehaald in", "en": "removed in"}


def build_scenario_layer(
    scenarios: list, facilities: gpd.GeoDataFrame, *, lang: str = "nl", show: bool = True
) -> folium.FeatureGroup:
    """One layer with every scenario's added facilities (thick ring in the type colour) and removed ones (grey).

    Parameters
    ----------
    scenarios
        :class:`geo.decide.scenario.Scenario` objects (coordinates in EPSG:28992).
    facilities
        The dataset's facilities (EPSG:28992, index ``facility_id``) to find removed ones.
    """
    check_lang(lang)
    require_work_crs(facilities, "facilities")
    group = folium.FeatureGroup(name=f"&#9733; {_TITLE[lang]}", show=show)
    rows: list[dict[str, Any]] = []
    for sc in scenarios:
        for f in sc.added:
            ftype = FACILITY_TYPES.get(f.facility_type)
            label = ftype.label(lang) if ftype else f.facility_type
            rows.append({"geometry": shapely.Point(f.x, f.y), "color": ftype.color if ftype else "#000000",
                         "added": True, "tooltip": f"{escape(label)} – {_ADDED[lang]} <b>{escape(sc.name)}</b>"})
        for fid in sc.removed:
            if fid not in facilities.index:
                continue
            row = facilities.loc[fid]
            tooltip = f"{escape(str(row[schema.FACILITY_NAME]))} – {_REMOVED[lang]} <b>{escape(sc.name)}</b>"
            rows.append({"geometry": row.geometry, "color": "#777777", "added": False, "tooltip": tooltip})
    if not rows:
        return group
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=schema.WORK_CRS)
    lonlat = to_lonlat(gdf.geometry)
    features = [
        {
            "type": "Feature",
            "properties": {"tooltip": r["tooltip"], "color": r["color"], "added": r["added"]},
            "geometry": lonlat[i].__geo_interface__,
        }
        for i, r in enumerate(rows)
    ]

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        p = feature["properties"]
        if p["added"]:
            return {"radius": ADDED_RADIUS_PX, "color": p["color"], "weight": 4, "fillColor": "#ffffff",
                    "fillOpacity": 0.9}
        return {"radius": ADDED_RADIUS_PX - 2, "color": "#555555", "weight": 2, "dashArray": "2 3",
                "fillColor": "#bbbbbb", "fillOpacity": 0.6}

    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        control=False,
        marker=folium.CircleMarker(radius=ADDED_RADIUS_PX, fill=True),
        style_function=style,
        on_each_feature=_BIND_TOOLTIP,
    ).add_to(group)
    return group
