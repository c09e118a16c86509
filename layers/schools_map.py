"""The schools on a map: one circle per primary-school branch over pale buurten.

A circle's area grows with the school's pupils (radius ∝ √pupils, bounded), its fill is the class of the
relative CBS achterstandsscore (quantiles over the branches on the map, a sequential ColorBrewer ramp that
colour-blind readers can tell apart; a branch without a score is grey, "geen score (nieuwe school)"), a thick
dark outline marks a branch comparable to category A (an estimate, and the legend says so), a dashed outline
a location that is only a postcode centre, and a blue ring the selected school. The buurten underneath are a
pale grey choropleth of the need index (or plain outlines), so the schools read on top.

Each circle's tooltip starts with the branch code in brackets, ``[17ZR00] PCB Buurtschool Hart van Noord``:
streamlit-folium returns the clicked tooltip's text (``last_object_clicked_tooltip``) and
:func:`school_code_from_tooltip` reads the code back. As in :mod:`layers.facilities`, tooltip and popup
travel as GeoJSON properties with every data text HTML-escaped (folium's own Tooltip pastes text into a
JavaScript template string).

The table is :func:`geo.decide.schools.with_need` output (EPSG:28992); it becomes lon/lat only here.
"""

from __future__ import annotations

import dataclasses
import re
from html import escape
from types import MappingProxyType
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from folium.utilities import JsCode

from geo import schema
from geo.report.school_card import card_word, eligible_estimate_note
from geo.terms import column_label, precision_note, term
from layers.basemap import BACKGROUND_COLOR, build_base_map, finish_map
from layers.choropleth import NO_DATA_COLOR, SELECTED_COLOR, Classes, build_choropleth_layer, classify
from layers.facilities import APPROXIMATE_PRECISIONS
from layers.format import format_number, is_missing, legend_decimals
from layers.geometry import (
    display_tolerance_m,
    drawable,
    lonlat_decimals,
    require_columns,
    require_work_crs,
    simplify_polygons,
    to_lonlat,
)
from layers.labels import check_lang, pick, word
from layers.legend import Legend, LegendEntry
from layers.results_map import INLINE_LEAFLET_BASE

__all__ = [
    "SCHOOL_CLASSES",
    "SCHOOL_FILL_OPACITY",
    "SCHOOL_PALETTE",
    "marker_radius",
    "school_code_from_tooltip",
    "schools_layer",
    "schools_legend",
    "schools_map",
]

#: Sequential ColorBrewer ramp of the relative score (light = low, dark = high), 5 quantile classes.
SCHOOL_PALETTE = "YlOrRd"
SCHOOL_CLASSES = 5
#: How opaque a school circle's class colour is drawn.
SCHOOL_FILL_OPACITY = 0.92
#: Circle radius in pixels: ``RADIUS_PER_SQRT_PUPIL × √pupils`` between these bounds.
RADIUS_MIN_PX, RADIUS_MAX_PX = 4.0, 16.0
RADIUS_PER_SQRT_PUPIL = 0.55
OUTLINE_COLOR = "#333333"
ELIGIBLE_OUTLINE_COLOR = "#111111"
ELIGIBLE_OUTLINE_PX = 3.5
#: The pale need choropleth under the schools.
BUURT_PALETTE = "Greys"
BUURT_FILL_OPACITY = 0.35
BUURT_OUTLINE_COLOR = "#8c8c8c"

_WORDS = MappingProxyType(
    {
        "eligible_outline": ("dikke rand: {note}", "thick outline: {note}"),
        "selected": ("blauwe ring: gekozen school", "blue ring: selected school"),
        "size_note": (
            "Grootte: aantal leerlingen. Klassen: kwantielen van de scholen op deze kaart.",
            "Size: number of pupils. Classes: quantiles of the schools on this map.",
        ),
        "buurten": ("Buurten", "Buurten"),
    }
)
_TOOLTIP_CODE = re.compile(r"^\s*\[([^\]]+)\]")

_BIND_TOOLTIP_AND_POPUP = JsCode(
    """
    function (feature, layer) {
        layer.bindTooltip(feature.properties.tooltip);
        layer.bindPopup(feature.properties.popup, {maxWidth: 340});
    }
    """
)
_NOTE_STYLE = "margin-top:4px;color:#8a3b00;font-size:11px;"
_POPUP_STYLE = "min-width:200px;font:12.5px/1.4 Arial, Helvetica, sans-serif;"


def _word(key: str, lang: str, **fields: object) -> str:
    text = pick(_WORDS[key], lang)
    return text.format(**fields) if fields else text


def school_code_from_tooltip(text: str | None) -> str | None:
    """The branch code a clicked school's tooltip text starts with (``'[17ZR00] …'`` → ``'17ZR00'``), else None."""
    match = _TOOLTIP_CODE.match(text or "")
    return match.group(1).strip() if match else None


def marker_radius(pupils: object) -> float:
    """The circle radius (px) of a school with ``pupils``: ∝ √pupils, bounded; the smallest when unknown."""
    if is_missing(pupils):
        return RADIUS_MIN_PX
    r = RADIUS_PER_SQRT_PUPIL * float(np.sqrt(max(float(pupils), 0.0)))  # type: ignore[arg-type]
    return float(np.clip(r, RADIUS_MIN_PX, RADIUS_MAX_PX))


def _placed(table: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return table[table.geometry.notna() & ~table.geometry.is_empty]


def _codes(table: pd.DataFrame) -> list[str]:
    if schema.SCHOOL_CODE in table.columns:
        return [str(c) for c in table[schema.SCHOOL_CODE]]
    return [str(c) for c in table.index]


def _classes(table: pd.DataFrame) -> Classes:
    values = pd.to_numeric(table[schema.RELATIVE_SCORE], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return classify(values, k=SCHOOL_CLASSES, palette=SCHOOL_PALETTE)


def _flag(value: Any) -> bool:
    return not is_missing(value) and bool(value)


def _score_year(table: pd.DataFrame) -> object:
    if schema.SCORE_YEAR not in table.columns:
        return None
    years = pd.to_numeric(table[schema.SCORE_YEAR], errors="coerce").dropna()
    return int(years.iloc[0]) if len(years) else None


def _check(table: gpd.GeoDataFrame) -> None:
    require_columns(table, [schema.SCHOOL_NAME, schema.PUPILS, schema.RELATIVE_SCORE, schema.ELIGIBLE_LIKE], "schools")
    require_work_crs(table, "schools")


def schools_layer(table: gpd.GeoDataFrame, *, selected: str | None, lang: str) -> folium.FeatureGroup:
    """The schools as a toggleable layer of circle markers (add it to any map).

    Parameters
    ----------
    table
        One row per branch (:func:`geo.decide.schools.with_need` or ``SchoolsResult.table()``), EPSG:28992,
        with ``school_name``, ``pupils``, ``relative_score``, ``eligible_like``; other school columns are shown
        in the popup when present. Branches without a location are left out.
    selected
        A branch code to ring in blue (drawn on top); a code not on the map selects nothing.
    lang
        ``"nl"`` or ``"en"``.
    """
    check_lang(lang)
    _check(table)
    classes = _classes(table)
    fill = {code: (classes.colors[c] if c >= 0 else NO_DATA_COLOR)
            for code, c in zip(_codes(table), classes.class_of, strict=True)}
    placed = _placed(table)
    group = folium.FeatureGroup(name=f"{escape(term('schools', lang))} ({len(placed)})", show=True)
    if placed.empty:
        return group
    lonlat = to_lonlat(placed.geometry)
    year = _score_year(table)
    features = []
    halo = None
    for i, (code, (_, row)) in enumerate(zip(_codes(placed), placed.iterrows(), strict=True)):
        radius = marker_radius(row[schema.PUPILS])
        approximate = row.get(schema.LOCATION_PRECISION) in APPROXIMATE_PRECISIONS
        features.append(
            {
                "type": "Feature",
                "id": code,
                "properties": {
                    schema.SCHOOL_CODE: escape(code),
                    "fill": fill[code],
                    "radius": radius,
                    "eligible": _flag(row[schema.ELIGIBLE_LIKE]),
                    "approximate": bool(approximate),
                    "tooltip": _tooltip_html(code, row, lang),
                    "popup": _popup_html(code, row, lang, year),
                },
                "geometry": lonlat[i].__geo_interface__,
            }
        )
        if code == selected:
            halo = (lonlat[i], radius)
    # Leaflet draws in order: the selected school last, so that no neighbour covers it.
    features.sort(key=lambda f: f["id"] == selected)
    if halo is not None:
        point, radius = halo
        ring = folium.CircleMarker(location=[point.y, point.x], radius=radius + 5, color=SELECTED_COLOR, weight=3,
                                   fill=False)
        ring.options["interactive"] = False  # a click goes to the school under it, never to the ring
        ring.add_to(group)

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        p = feature["properties"]
        out = {
            "radius": p["radius"],
            "color": ELIGIBLE_OUTLINE_COLOR if p["eligible"] else OUTLINE_COLOR,
            "weight": ELIGIBLE_OUTLINE_PX if p["eligible"] else 1,
            "fillColor": p["fill"],
            "fillOpacity": SCHOOL_FILL_OPACITY,
        }
        if p["approximate"]:
            out["dashArray"] = "4 3"
        return out

    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=escape(term("schools", lang)),
        control=False,
        marker=folium.CircleMarker(radius=RADIUS_MIN_PX, color=OUTLINE_COLOR, weight=1, fill=True,
                                   fill_color=NO_DATA_COLOR, fill_opacity=SCHOOL_FILL_OPACITY),
        style_function=style,
        highlight_function=lambda feature: {"weight": 3, "color": "#000000"},
        on_each_feature=_BIND_TOOLTIP_AND_POPUP,
    ).add_to(group)
    return group


def schools_legend(table: gpd.GeoDataFrame, *, lang: str, selected: str | None = None,
                   layer: folium.FeatureGroup | None = None) -> Legend:
    """The legend of :func:`schools_layer`: score classes (most disadvantaged on top), no score, the outlines."""
    check_lang(lang)
    _check(table)
    classes = _classes(table)
    decimals = legend_decimals((*classes.lower, *classes.upper))
    counts = np.bincount(classes.class_of[classes.class_of >= 0], minlength=classes.k)
    entries = []
    for i in range(classes.k):
        low = format_number(classes.lower[i], lang=lang, decimals=decimals)
        high = format_number(classes.upper[i], lang=lang, decimals=decimals)
        entries.append(LegendEntry(low if low == high else f"{low} – {high}", classes.colors[i], int(counts[i]),
                                   shape="circle", border=f"1px solid {OUTLINE_COLOR}"))
    entries.reverse()
    n_none = int((classes.class_of < 0).sum())
    if n_none:
        entries.append(LegendEntry(card_word("no_score", lang), NO_DATA_COLOR, n_none, shape="circle",
                                   border=f"1px solid {OUTLINE_COLOR}"))
    eligible = table[schema.ELIGIBLE_LIKE].map(_flag)
    if eligible.any():
        listed = schema.ELIGIBLE_LISTED in table.columns and table[schema.ELIGIBLE_LISTED].notna().any()
        note = eligible_estimate_note(lang, _score_year(table), list_loaded=bool(listed))
        entries.append(LegendEntry(_word("eligible_outline", lang, note=note), "#ffffff", int(eligible.sum()),
                                   shape="circle", border=f"3px solid {ELIGIBLE_OUTLINE_COLOR}"))
    if schema.LOCATION_PRECISION in table.columns and table[schema.LOCATION_PRECISION].isin(
        APPROXIMATE_PRECISIONS
    ).any():
        entries.append(LegendEntry(word("approximate_legend", lang), "#ffffff", shape="circle",
                                   border=f"2px dashed {OUTLINE_COLOR}"))
    if selected is not None and selected in set(_codes(_placed(table))):
        entries.append(LegendEntry(_word("selected", lang), "#ffffff", shape="circle",
                                   border=f"3px solid {SELECTED_COLOR}"))
    return Legend(column_label(schema.RELATIVE_SCORE, lang), entries, note=_word("size_note", lang),
                  position="bottomright", layer=layer)


def _buurten_layers(buurten: gpd.GeoDataFrame, lang: str) -> tuple[folium.GeoJson, Legend | None]:
    """The pale need choropleth under the schools (plain outlines when the table has no need index)."""
    shown = drawable(buurten)
    need = (pd.to_numeric(shown[schema.NEED_INDEX], errors="coerce") if schema.NEED_INDEX in shown.columns
            else pd.Series(np.nan, index=shown.index))
    if need.notna().any():
        tooltip = tuple(c for c in (schema.CHILDREN_0_14,) if c in shown.columns)
        layer, legend = build_choropleth_layer(shown, column=schema.NEED_INDEX, label=column_label(schema.NEED_INDEX,
                                               lang), lang=lang, tooltip_fields=tooltip, palette=BUURT_PALETTE)
        strong = layer.style_function

        def pale(feature: dict[str, Any]) -> dict[str, Any]:
            return {**strong(feature), "fillOpacity": BUURT_FILL_OPACITY, "color": BUURT_OUTLINE_COLOR, "weight": 0.7}

        layer.style_function = pale
        # The legend shows the swatches as pale as the map draws them (over the plain background).
        legend.entries = tuple(
            dataclasses.replace(e, color=_blend(e.color, BUURT_FILL_OPACITY)) for e in legend.entries
        )
        legend.position = "bottomleft"
        return layer, legend
    return _outline_layer(shown, lang), None


def _blend(color: str, alpha: float, background: str = BACKGROUND_COLOR) -> str:
    """``color`` drawn at ``alpha`` over ``background`` (both ``#rrggbb``), as one ``#rrggbb``."""
    fg = [int(color[i:i + 2], 16) for i in (1, 3, 5)]
    bg = [int(background[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(alpha * f + (1 - alpha) * b):02x}" for f, b in zip(fg, bg, strict=True))


def _outline_layer(buurten: gpd.GeoDataFrame, lang: str) -> folium.GeoJson:
    """Buurt outlines with the name as tooltip (no figure to colour by)."""
    tolerance = display_tolerance_m(buurten)
    geometry = to_lonlat(simplify_polygons(buurten.geometry, tolerance), decimals=lonlat_decimals(tolerance))
    names = [str(c) if is_missing(n) else str(n)
             for c, n in zip(buurten[schema.BUURT_CODE], buurten[schema.BUURT_NAME], strict=True)]
    features = [
        {"type": "Feature", "id": str(code), "properties": {schema.BUURT_NAME: escape(name)},
         "geometry": geom.__geo_interface__}
        for code, name, geom in zip(buurten[schema.BUURT_CODE], names, geometry, strict=True)
    ]
    return folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=escape(_word("buurten", lang)),
        style_function=lambda feature: {"fillOpacity": 0.0, "color": BUURT_OUTLINE_COLOR, "weight": 0.7},
        tooltip=folium.GeoJsonTooltip(fields=[schema.BUURT_NAME], aliases=[escape(term("buurt", lang))]),
    )


def schools_map(
    table: gpd.GeoDataFrame,
    buurten: gpd.GeoDataFrame | None,
    *,
    selected: str | None,
    lang: str,
    leaflet_base: str | None = INLINE_LEAFLET_BASE,
) -> folium.Map:
    """The schools over pale buurten, with the legends and the layer control.

    Parameters
    ----------
    table
        :func:`geo.decide.schools.with_need` output (EPSG:28992).
    buurten
        A ranking's buurt table (polygons with ``need_index``), drawn pale under the schools; ``None``: none.
    selected
        The branch code to ring in blue.
    lang
        ``"nl"`` or ``"en"``.
    leaflet_base
        Where the page links Leaflet from (:data:`layers.basemap.APP_LEAFLET_BASE` in the app); as
        :func:`layers.results_map.build_results_map`.
    """
    check_lang(lang)
    _check(table)
    if buurten is not None:
        require_work_crs(buurten, "buurten")
    shown = drawable(buurten) if buurten is not None else None
    extent = shown if shown is not None and not shown.empty else _placed(table)
    m = build_base_map(extent, lang=lang, leaflet_base=leaflet_base)
    if shown is not None and not shown.empty:
        layer, legend = _buurten_layers(shown, lang)
        layer.add_to(m)
        if legend is not None:
            legend.add_to(m)
    group = schools_layer(table, selected=selected, lang=lang)
    group.add_to(m)
    schools_legend(table, lang=lang, selected=selected, layer=group).add_to(m)
    return finish_map(m)


def _tooltip_html(code: str, row: pd.Series, lang: str) -> str:
    """'[17ZR00] PCB Buurtschool Hart van Noord' first (the app reads the code back), then the score."""
    html = f"<b>[{escape(code)}] {escape(str(row[schema.SCHOOL_NAME]))}</b>"
    rel = row[schema.RELATIVE_SCORE]
    value = card_word("no_score", lang) if is_missing(rel) else format_number(float(rel), lang=lang, decimals=2)
    html += f"<br>{escape(column_label(schema.RELATIVE_SCORE, lang))}: {escape(value)}"
    return html


def _line(label: str, value: str) -> str:
    return f"{escape(label)}: <b>{escape(value)}</b>"


def _get(row: pd.Series, column: str) -> Any:
    """The value of ``column`` in ``row``, or ``None`` when the column is absent or the value missing."""
    value = row[column] if column in row.index else None
    return None if is_missing(value) else value


def _popup_html(code: str, row: pd.Series, lang: str, year: object) -> str:
    lines = [f"<b>{escape(str(row[schema.SCHOOL_NAME]))}</b>",
             f'<span style="color:#555;">{escape(term("school_code", lang))} {escape(code)}</span>']
    address = _get(row, schema.FACILITY_ADDRESS)
    if address is not None and str(address).strip():
        lines.append(escape(str(address)))
    pupils, pupils_year = _get(row, schema.PUPILS), _get(row, schema.PUPILS_YEAR)
    pupils_text = "–" if pupils is None else format_number(float(pupils), lang=lang, decimals=0)
    if pupils is not None and pupils_year is not None:
        pupils_text = f"{pupils_text} ({int(pupils_year)})"
    lines.append(_line(term("pupils", lang), pupils_text))
    rel = _get(row, schema.RELATIVE_SCORE)
    if rel is None:
        lines.append(_line(term("relative_score", lang), card_word("no_score", lang)))
    else:
        lines.append(_line(term("relative_score", lang), format_number(float(rel), lang=lang, decimals=2)))
        pct = _get(row, schema.NATIONAL_PERCENTILE)
        if pct is not None:
            lines.append(_line(term("national_percentile", lang), format_number(float(pct), lang=lang, decimals=1)))
        like = card_word("yes" if _flag(row[schema.ELIGIBLE_LIKE]) else "no", lang)
        lines.append(_line(term("eligible_like", lang), like)
                     + f'<br><span style="color:#555;font-size:11px;">{escape(eligible_estimate_note(lang, year))}'
                       "</span>")
    listed = _get(row, schema.ELIGIBLE_LISTED)
    if listed is not None:
        lines.append(_line(term("eligible_listed", lang), card_word("yes" if bool(listed) else "no", lang)))
    for col, decimals in ((schema.DOMAINS_MISSING, 0), (schema.GAP_SCORE, 0), (schema.CATCHMENT_NEED, 2)):
        if col in row.index:
            value = _get(row, col)
            text = "–" if value is None else format_number(float(value), lang=lang, decimals=decimals)
            lines.append(_line(column_label(col, lang), text))
    html = "<br>".join(lines)
    note = precision_note(_get(row, schema.LOCATION_PRECISION), lang)
    if note:
        html += f'<div style="{_NOTE_STYLE}">&#9888; {escape(note)}</div>'
    return f'<div style="{_POPUP_STYLE}">{html}</div>'
