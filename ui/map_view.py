"""The map in the app: the same results map as the HTML export (``layers.results_map``), plus scenarios and clicks.

The choropleth is drawn without the selection; the selected buurt's outline is a separate small layer that
streamlit-folium swaps on the drawn map (``feature_group_to_add``), and a national map moves to a
municipality by centre and zoom level. So picking a buurt or a municipality does not send and draw the
whole map again, which matters with thousands of buurten. The geometry (simplified shapes, municipal
boundaries, the view of each municipality) is made once per dataset (:func:`ui.state.load_map_geometry`).
"""

from __future__ import annotations

import contextlib

import geopandas as gpd
import streamlit as st
from streamlit_folium import st_folium

from geo import schema
from geo.data.national import name_sort_key
from geo.decide.pipeline import PipelineResult
from layers.basemap import APP_LEAFLET_BASE
from layers.choropleth import build_selected_layer
from layers.geometry import drawable, fitted_view, from_lonlat
from layers.results_map import build_results_map, is_national
from layers.scenario import build_scenario_layer
from ui import share
from ui.i18n import t
from ui.scenario_view import CLICKED_XY, SCENARIOS
from ui.state import AppParams, MapGeometry

MAP_HEIGHT = 560
#: The width (px) a municipality's view is fitted to: about the map column of the wide layout at 1,400 px.
MAP_WIDTH = 640
#: Session-state key of the "Zoom naar gemeente" select box ('' = the whole map).
ZOOM_KEY = "map_zoom"
#: The selected buurt the zoom was last brought in line with (see :func:`render_zoom_choice`).
_ZOOM_SYNCED = "_map_zoom_synced"
_SELECTED = share.WIDGET_KEYS["buurt"]


def render_map(
    result: PipelineResult,
    params: AppParams,
    geometry: MapGeometry,
    *,
    selected: str | None,
    isochrones: gpd.GeoDataFrame | None = None,
) -> str | None:
    """Draw the map; return the buurt code the user clicked, if any."""
    lang = params.lang
    table = result.table
    shown = drawable(table)  # a base-layer municipality may have buurten without a (2014) shape: ranked, not drawn
    national = is_national(table)
    if len(shown) < len(table) and not national:  # the country's notice says how many it draws
        st.info(t("map_no_shapes", lang) + f" ({len(table) - len(shown)} / {len(table)})")
    if shown.empty:
        return None
    center = zoom = None
    if national:
        target = render_zoom_choice(result, geometry, selected, lang)
        center, zoom = geometry.views.get(target) or fitted_view(shown, width_px=MAP_WIDTH, height_px=MAP_HEIGHT)
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
        selected_code=None,  # drawn on its own below, so that a new selection does not redraw the map
        collapsed_control=True,
        leaflet_base=APP_LEAFLET_BASE,
        extra_layers=[build_scenario_layer(kept, fac, lang=lang)] if kept else [],
        shapes=geometry.shapes,
        outlines=geometry.outlines,
    )
    # render=False: st_folium renders the map itself once more anyway (the same output: tests/test_map_view.py).
    out = st_folium(m, key="map", height=MAP_HEIGHT, use_container_width=True, render=False,
                    returned_objects=["last_active_drawing", "last_clicked"],
                    center=center, zoom=zoom, feature_group_to_add=build_selected_layer(geometry.shapes, selected))
    st.caption(t("national_map_note", lang) if national else t("map_caption", lang))
    clicked = (out or {}).get("last_clicked") or {}
    if isinstance(clicked, dict) and {"lat", "lng"} <= set(clicked):
        with contextlib.suppress(TypeError, ValueError):  # a click without numbers is ignored
            st.session_state[CLICKED_XY] = from_lonlat(float(clicked["lng"]), float(clicked["lat"]))
    drawing = (out or {}).get("last_active_drawing") or {}
    code = drawing.get("id") or (drawing.get("properties") or {}).get(schema.BUURT_CODE)
    return str(code) if code else None


def render_zoom_choice(result: PipelineResult, geometry: MapGeometry, selected: str | None, lang: str) -> str:
    """The "Zoom naar gemeente" select box above a national map; returns the municipality code ('' = all).

    Picking a municipality zooms to it and selects its highest-ranked buurt. The zoom follows a buurt picked
    elsewhere (ranking table, buurt list, a link's ``b=``) to its municipality, but not a click on the map: that
    buurt is already in view, and moving the map under the mouse would be unkind.
    """
    table = result.table
    firsts = table.drop_duplicates(schema.MUNICIPALITY_CODE)  # the table is in rank order: each one's top buurt
    codes = firsts[schema.MUNICIPALITY_CODE].astype(str).tolist()
    names = dict(zip(codes, firsts[schema.MUNICIPALITY_NAME].fillna(firsts[schema.MUNICIPALITY_CODE]).astype(str),
                     strict=True))
    top = dict(zip(codes, firsts[schema.BUURT_CODE].astype(str), strict=True))
    options = ["", *sorted(codes, key=lambda c: (name_sort_key(names[c]), c))]
    if st.session_state.get(ZOOM_KEY) not in options:
        st.session_state[ZOOM_KEY] = ""
    if selected is not None and st.session_state.get(_ZOOM_SYNCED) != selected and selected in table.index:
        # The first run shows the whole country, unless a link named another buurt than the top one: then its
        # municipality, as the view the link was made from.
        first = _ZOOM_SYNCED not in st.session_state
        if not first or selected != table.index[0]:
            own = str(table.at[selected, schema.MUNICIPALITY_CODE])
            if own in geometry.views:
                st.session_state[ZOOM_KEY] = own
        st.session_state[_ZOOM_SYNCED] = selected

    def label(code: str) -> str:
        if not code:
            return t("whole_country", lang)
        return names[code] if code in geometry.views else t("zoom_not_drawn", lang, name=names[code])

    return st.selectbox(t("zoom_municipality", lang), options, format_func=label, key=ZOOM_KEY,
                        help=t("zoom_help", lang), on_change=_zoomed, args=(top,))


def _zoomed(top: dict[str, str]) -> None:
    """On picking a municipality to zoom to: select its highest-ranked buurt (before the widgets are drawn)."""
    code = st.session_state.get(ZOOM_KEY)
    if code in top:
        st.session_state[_SELECTED] = top[code]
        st.session_state[_ZOOM_SYNCED] = top[code]


def keep_zoom(code: str) -> None:
    """A buurt was clicked on the map: select it without moving the map (see :func:`render_zoom_choice`)."""
    st.session_state[_ZOOM_SYNCED] = code


#: Session-state keys of the map that belong to one dataset (dropped when the municipality changes).
DATA_KEYS = (ZOOM_KEY, _ZOOM_SYNCED)
