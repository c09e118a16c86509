"""The map: choropleth of the chosen column, buurt outlines, facility points."""

from __future__ import annotations

import geopandas as gpd
import streamlit as st
from streamlit_folium import st_folium

from geo import schema as S
from geo.catalog import INDICATORS
from geo.pipeline import PipelineResult
from layers import (
    build_base_map,
    build_choropleth_layer,
    build_facility_layer,
    build_facility_legend,
    finish_map,
)
from layers.basemap import APP_LEAFLET_BASE
from layers.geometry import from_lonlat
from layers.isochrones import build_isochrone_layer
from layers.scenario import build_scenario_layer
from ui.i18n import t
from ui.sidebar import column_label
from ui.state import AppParams


def _higher_is_more_need(column: str) -> bool:
    if column in INDICATORS:
        return INDICATORS[column].direction > 0
    return True


def _label_with_measure(result: PipelineResult, column: str, lang: str) -> str:
    """Layer label; distances say how they were measured ('hemelsbreed, benadering')."""
    label = column_label(column, lang)
    ind = INDICATORS.get(column)
    if ind is not None and ind.facility_type is not None:
        measure = result.prepared.access.measures.get(ind.facility_type)
        if measure is not None:
            label = f"{label} ({measure.label(lang)})"
    return label


def render_map(
    result: PipelineResult, params: AppParams, *, selected: str | None, isochrones: gpd.GeoDataFrame | None = None
) -> str | None:
    """Draw the map; return the buurt code the user clicked, if any."""
    lang = params.lang
    table = result.table
    m = build_base_map(table, lang=lang, leaflet_base=APP_LEAFLET_BASE)
    layer, legend = build_choropleth_layer(
        table,
        column=params.map_column,
        label=_label_with_measure(result, params.map_column, lang),
        lang=lang,
        higher_is_more_need=_higher_is_more_need(params.map_column),
        tooltip_fields=(S.WIJK_NAME, S.CHILDREN_0_14, S.PRIORITY_SCORE, S.RANK),
        selected_code=selected,
    )
    layer.add_to(m)
    legend.add_to(m)
    if isochrones is not None and not isochrones.empty:
        for key in params.facility_types:
            build_isochrone_layer(isochrones, facility_type=key, mode=params.access.mode, lang=lang).add_to(m)
    fac = result.prepared.dataset.facilities
    shown = [k for k in params.facility_types if (fac[S.FACILITY_TYPE] == k).any()]
    for key in shown:
        build_facility_layer(fac, facility_type=key, lang=lang).add_to(m)
    if shown:
        counts = {k: int((fac[S.FACILITY_TYPE] == k).sum()) for k in shown}
        build_facility_legend(shown, lang=lang, counts=counts).add_to(m)
    kept = st.session_state.get("scenarios") or []
    if kept:
        build_scenario_layer(kept, fac, lang=lang).add_to(m)
    finish_map(m, collapsed=True)
    out = st_folium(m, key="map", height=560, use_container_width=True,
                    returned_objects=["last_active_drawing", "last_clicked"])
    st.caption(t("map_caption", lang))
    clicked = (out or {}).get("last_clicked") or {}
    if isinstance(clicked, dict) and {"lat", "lng"} <= set(clicked):
        try:
            st.session_state["clicked_xy"] = from_lonlat(float(clicked["lng"]), float(clicked["lat"]))
        except (TypeError, ValueError):
            pass
    drawing = (out or {}).get("last_active_drawing") or {}
    code = drawing.get("id") or (drawing.get("properties") or {}).get(S.BUURT_CODE)
    return str(code) if code else None
