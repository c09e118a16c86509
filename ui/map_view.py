"""The map in the app: the same results map as the HTML export (``layers.results_map``), plus scenarios and clicks."""

from __future__ import annotations

import contextlib

import geopandas as gpd
import streamlit as st
from streamlit_folium import st_folium

from geo import schema
from geo.decide.pipeline import PipelineResult
from layers.basemap import APP_LEAFLET_BASE
from layers.geometry import drawable, from_lonlat
from layers.results_map import build_results_map
from layers.scenario import build_scenario_layer
from ui.i18n import t
from ui.scenario_view import CLICKED_XY, SCENARIOS
from ui.state import AppParams


def render_map(
    result: PipelineResult, params: AppParams, *, selected: str | None, isochrones: gpd.GeoDataFrame | None = None
) -> str | None:
    """Draw the map; return the buurt code the user clicked, if any."""
    lang = params.lang
    table = result.table
    shown = drawable(table)  # a base-layer municipality may have buurten without a (2014) shape: ranked, not drawn
    if len(shown) < len(table):
        st.info(t("map_no_shapes", lang) + f" ({len(table) - len(shown)} / {len(table)})")
        if shown.empty:
            return None
    fac = result.prepared.dataset.facilities
    kept = st.session_state.get(SCENARIOS) or []
    m = build_results_map(
        table,
        map_column=params.map_column,
        facilities=fac,
        facility_types=params.facility_types,
        lang=lang,
        isochrones=isochrones,
        isochrone_mode=params.access.mode,
        measures=result.prepared.access.measures,
        selected_code=selected,
        collapsed_control=True,
        leaflet_base=APP_LEAFLET_BASE,
        extra_layers=[build_scenario_layer(kept, fac, lang=lang)] if kept else [],
    )
    out = st_folium(m, key="map", height=560, use_container_width=True,
                    returned_objects=["last_active_drawing", "last_clicked"])
    st.caption(t("map_caption", lang))
    clicked = (out or {}).get("last_clicked") or {}
    if isinstance(clicked, dict) and {"lat", "lng"} <= set(clicked):
        with contextlib.suppress(TypeError, ValueError):  # a click without numbers is ignored
            st.session_state[CLICKED_XY] = from_lonlat(float(clicked["lng"]), float(clicked["lat"]))
    drawing = (out or {}).get("last_active_drawing") or {}
    code = drawing.get("id") or (drawing.get("properties") or {}).get(schema.BUURT_CODE)
    return str(code) if code else None
