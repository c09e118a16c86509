"""Facility points: one toggleable layer per facility type, and their legend.

Each type is a :class:`folium.FeatureGroup` (so the layer control can switch
it on and off) holding one GeoJSON layer of circle markers in the catalog
colour. Points whose location is only a postcode centre get a dashed,
translucent marker and a note in the tooltip and popup.

folium's ``Tooltip`` and ``Popup`` paste their text into a JavaScript template
string unescaped; here the tooltip and popup HTML travel as GeoJSON
properties (JSON-encoded) and every data text in them is HTML-escaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from folium.utilities import JsCode

from geo import schema
from geo.catalog import get_facility_type
from layers.format import format_number, is_missing
from layers.geometry import (
    require_columns,
    require_geometry,
    require_work_crs,
    to_lonlat,
)
from layers.labels import check_lang, facility_type_with_domain, precision_note, word
from layers.legend import Legend, LegendEntry

#: Precision values drawn as approximate (dashed, translucent). PC6 is usually
#: within ~100 m, close enough to draw as a normal point (its note still shows).
APPROXIMATE_PRECISIONS = frozenset({"pc4_centroid"})
MARKER_RADIUS_PX = 5
#: How opaque a marker's type colour is drawn (the colours are tested as drawn: tests/test_colour_vision.py).
MARKER_FILL_OPACITY = 0.9

_BIND_TOOLTIP_AND_POPUP = JsCode(
    """
    function (feature, layer) {
        layer.bindTooltip(feature.properties.tooltip);
        layer.bindPopup(feature.properties.popup, {maxWidth: 320});
    }
    """
)
_NOTE_STYLE = "margin-top:4px;color:#8a3b00;font-size:11px;"


def build_facility_layer(
    facilities: gpd.GeoDataFrame,
    *,
    facility_type: str,
    lang: str = "nl",
    show: bool = True,
) -> folium.FeatureGroup:
    """Build the toggleable layer of one facility type.

    Parameters
    ----------
    facilities
        Facility points in EPSG:28992 with ``facility_id``, ``facility_type``
        and ``name``; ``capacity``, ``address``, ``detail`` and
        ``location_precision`` are shown when present. Rows of other types
        are ignored.
    facility_type
        A key of :data:`geo.catalog.FACILITY_TYPES`.
    lang
        ``"nl"`` or ``"en"``.
    show
        Whether the layer is switched on when the map opens.

    Returns
    -------
    folium.FeatureGroup
        Named "<swatch> <type label> (<count>)" in the layer control.
    """
    check_lang(lang)
    ftype = get_facility_type(facility_type)
    require_columns(facilities, [schema.FACILITY_ID, schema.FACILITY_TYPE, schema.FACILITY_NAME], "facilities")
    require_work_crs(facilities, "facilities")
    points = facilities[facilities[schema.FACILITY_TYPE] == facility_type]
    require_geometry(points, "facilities", schema.FACILITY_ID)

    label = ftype.label(lang)
    group = folium.FeatureGroup(
        name=(
            f'<span style="color:{escape(ftype.color)};">&#9679;</span> '
            f"{escape(label)} ({len(points)})"
        ),
        show=show,
    )
    if points.empty:
        return group

    lonlat = to_lonlat(points.geometry)
    features = []
    for i, (_, row) in enumerate(points.iterrows()):
        precision = _get(row, schema.LOCATION_PRECISION)
        features.append(
            {
                "type": "Feature",
                "id": str(i),
                "properties": {
                    schema.FACILITY_ID: escape(str(row[schema.FACILITY_ID])),
                    "approximate": precision in APPROXIMATE_PRECISIONS,
                    "tooltip": _tooltip_html(row, label, lang),
                    "popup": _popup_html(row, label, lang),
                },
                "geometry": lonlat[i].__geo_interface__,
            }
        )

    base_style = {
        "radius": MARKER_RADIUS_PX,
        "color": "#222222",
        "weight": 1,
        "fillColor": ftype.color,
        "fillOpacity": MARKER_FILL_OPACITY,
    }

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        if feature["properties"]["approximate"]:
            return {**base_style, "weight": 1.5, "dashArray": "3 3", "fillOpacity": 0.35}
        return base_style

    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=escape(label),
        control=False,
        # folium's CircleMarker has no fill unless asked; the style function alone does not turn it on.
        marker=folium.CircleMarker(
            radius=MARKER_RADIUS_PX, color="#222222", weight=1, fill=True, fill_color=ftype.color,
            fill_opacity=MARKER_FILL_OPACITY,
        ),
        style_function=style,
        on_each_feature=_BIND_TOOLTIP_AND_POPUP,
    ).add_to(group)
    return group


def build_facility_legend(
    types: Iterable[str],
    *,
    lang: str = "nl",
    counts: Mapping[str, int] | None = None,
    approximate: bool = False,
    position: str = "bottomleft",
) -> Legend:
    """A legend of facility colours, each type named with its rijke-schooldag domain.

    Parameters
    ----------
    types
        Facility type keys, in the order to list them.
    lang
        ``"nl"`` or ``"en"``.
    counts
        Number of points per type, shown as "(n)" when given.
    approximate
        Add the line explaining dashed markers (set it when any point is a PC4 centre).
    position
        Map corner of the legend.
    """
    check_lang(lang)
    entries = []
    for key in dict.fromkeys(types):
        ftype = get_facility_type(key)
        count = None if counts is None else int(counts.get(key, 0))
        label = facility_type_with_domain(key, lang)
        entries.append(LegendEntry(label, ftype.color, count, shape="circle", border="1px solid #222"))
    note = word("approximate_legend", lang) if approximate else None
    return Legend(word("facilities", lang), entries, note=note, position=position)


def _tooltip_html(row: pd.Series, label: str, lang: str) -> str:
    name = _get(row, schema.FACILITY_NAME) or ""
    html = f"<b>{escape(str(name))}</b><br>{escape(label)}"
    note = precision_note(_get(row, schema.LOCATION_PRECISION), lang)
    if note:
        html += f'<div style="{_NOTE_STYLE}">&#9888; {escape(note)}</div>'
    return html


def _popup_html(row: pd.Series, label: str, lang: str) -> str:
    lines = [
        f'<b>{escape(str(_get(row, schema.FACILITY_NAME) or ""))}</b>',
        f"{escape(word('type', lang))}: {escape(label)}",
    ]
    capacity = _get(row, schema.FACILITY_CAPACITY)
    if capacity is not None:
        try:
            capacity_text = format_number(float(capacity), lang=lang, decimals=0)
        except (TypeError, ValueError):
            capacity_text = str(capacity)
        lines.append(f"{escape(word('capacity', lang))}: {escape(capacity_text)}")
    address = _get(row, schema.FACILITY_ADDRESS)
    if address is not None:
        lines.append(f"{escape(word('address', lang))}: {escape(str(address))}")
    detail = _get(row, schema.FACILITY_DETAIL)
    if detail is not None:
        lines.append(f'<span style="color:#555;">{escape(str(detail))}</span>')
    html = "<br>".join(lines)
    note = precision_note(_get(row, schema.LOCATION_PRECISION), lang)
    if note:
        html += f'<div style="{_NOTE_STYLE}">&#9888; {escape(note)}</div>'
    return f'<div style="min-width:180px;">{html}</div>'


def _get(row: pd.Series, column: str) -> Any:
    """The value of ``column`` in ``row``, or ``None`` if the column is absent or the value missing."""
    if column not in row.index:
        return None
    value = row[column]
    if is_missing(value):
        return None
    if isinstance(value, str) and not value.strip():
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value
