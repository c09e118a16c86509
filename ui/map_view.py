"""The map in the app: the same results map as the HTML export (``layers.results_map``), plus scenarios and clicks.

The choropleth is drawn without the selection; the selected buurt's outline is a separate small layer that
streamlit-folium swaps on the drawn map (``feature_group_to_add``), and a national map moves to a
municipality by centre and zoom level. So picking a buurt or a municipality does not send and draw the
whole map again, which matters with thousands of buurten. The geometry (simplified shapes, municipal
boundaries, the view of each municipality) is made once per dataset (:func:`ui.state.load_map_geometry`).

The map is sent in two parts. The *base map* (background, facility points, isochrones, municipal boundaries,
scenario facilities, layer control) does not depend on the weights: what streamlit-folium sends for it is
rendered once per dataset and layer choice and shared by every session (:func:`_cached_base`). The buurten and
their legend are a feature group (:func:`layers.results_map.build_choropleth_group`), rendered once per ranking
and map layer (:func:`_cached_choropleth`): a weight or map layer changed swaps that group on the drawn map, so
the user's zoom and position stay, and a new session renders nothing that another session rendered before.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass

import folium
import geopandas as gpd
import streamlit as st
import streamlit_folium
from streamlit_folium import _get_feature_group_string, _get_header, _get_html, _get_map_string, generate_js_hash

from geo import schema
from geo.data.national import name_sort_key
from geo.decide.pipeline import PipelineResult
from layers.choropleth import build_selected_layer
from layers.geometry import drawable, fitted_view, from_lonlat
from layers.results_map import build_choropleth_group, build_results_map, is_national
from layers.scenario import build_scenario_layer
from ui import share
from ui.i18n import t
from ui.scenario_view import CLICKED_XY, SCENARIOS
from ui.serving import leaflet_base
from ui.state import AppParams, MapGeometry

MAP_HEIGHT = 560
#: The width (px) a municipality's view is fitted to: about the map column of the wide layout at 1,400 px.
MAP_WIDTH = 640
#: Session-state key of the "Zoom naar gemeente" select box ('' = the whole map).
ZOOM_KEY = "map_zoom"
#: The selected buurt the zoom was last brought in line with (see :func:`render_zoom_choice`).
_ZOOM_SYNCED = "_map_zoom_synced"
_SELECTED = share.WIDGET_KEYS["buurt"]


@dataclass(frozen=True)
class BasePayload:
    """What streamlit-folium sends for the base map (its component's arguments), rendered once and shared."""

    script: str
    header: str
    html: str
    map_id: str
    css_links: tuple[str, ...]
    js_links: tuple[str, ...]
    #: The component's key: the same script keeps the map the browser drew.
    component_key: str


#: What the map sends back (st_folium's ``returned_objects``): the point clicked and a click on a buurt, in the
#: order of the component's own data: it compares its first value with these defaults as JSON text, and a
#: different key order made it send that value back, rerunning every new session once more for nothing.
RETURNED = ("last_clicked", "last_active_drawing")
MAP_KEY = "map"


def render_map(
    result: PipelineResult,
    params: AppParams,
    geometry: MapGeometry,
    *,
    selected: str | None,
    isochrones: gpd.GeoDataFrame | None,
    result_key: tuple,
    base_key: tuple,
) -> str | None:
    """Draw the map; return the buurt code the user clicked, if any.

    ``result_key`` identifies the ranking (cache key of the buurten's group) and ``base_key`` the dataset, network
    and travel choice the isochrones come from (cache key of the base map).
    """
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
    kept = tuple(st.session_state.get(SCENARIOS) or [])
    types = tuple(params.facility_types)
    base = _cached_base((base_key, types, lang, params.access.mode, repr(kept), leaflet_base()), result, geometry,
                        types, lang, isochrones, params.access.mode, kept)
    groups = _cached_choropleth((result_key, params.map_column, lang), result, geometry, params.map_column, lang)
    groups += _group_script(build_selected_layer(geometry.shapes, selected), 1)
    out = _send(base, groups, center=center, zoom=zoom)
    st.caption(t("national_map_note", lang) if national else t("map_caption", lang))
    clicked = (out or {}).get("last_clicked") or {}
    if isinstance(clicked, dict) and {"lat", "lng"} <= set(clicked):
        with contextlib.suppress(TypeError, ValueError):  # a click without numbers is ignored
            st.session_state[CLICKED_XY] = from_lonlat(float(clicked["lng"]), float(clicked["lat"]))
    drawing = (out or {}).get("last_active_drawing") or {}
    code = drawing.get("id") or (drawing.get("properties") or {}).get(schema.BUURT_CODE)
    return str(code) if code else None


def base_map(result: PipelineResult, geometry: MapGeometry, facility_types: Sequence[str], lang: str,
             isochrones: gpd.GeoDataFrame | None, mode: str, scenarios: Sequence) -> folium.Map:
    """The app's map without its buurten (they travel apart: :func:`layers.results_map.build_choropleth_group`)."""
    fac = result.prepared.dataset.facilities
    return build_results_map(
        result.table,
        map_column=schema.PRIORITY_SCORE,  # not drawn: the choropleth is left out
        facilities=fac,
        facility_types=facility_types,
        lang=lang,
        isochrones=isochrones,
        isochrone_mode=mode,
        collapsed_control=True,
        leaflet_base=leaflet_base(),  # under the server's base path (ui/serving.py)
        extra_layers=[build_scenario_layer(list(scenarios), fac, lang=lang)] if scenarios else [],
        shapes=geometry.shapes,
        outlines=geometry.outlines,
        choropleth=False,
    )


def base_payload(m: folium.Map) -> BasePayload:
    """What streamlit-folium's ``st_folium`` would send for ``m`` (its own steps, in its order), as a value."""
    m.render()
    html, header = _get_html(m), _get_header(m)
    script = _get_map_string(m)
    css: list[str] = []
    js: list[str] = []
    for element in _walk(m):
        css.extend(href for _, href in getattr(element, "default_css", []))
        js.extend(src for _, src in getattr(element, "default_js", []))
    return BasePayload(script=script, header=header, html=html, map_id=streamlit_folium.get_full_id(m),
                       css_links=tuple(dict.fromkeys(css)), js_links=tuple(dict.fromkeys(js)),
                       component_key=generate_js_hash(script, MAP_KEY, False))


def _walk(element):
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


@st.cache_resource(show_spinner=False, max_entries=32)  # bounded: one entry per dataset and layer choice
def _cached_base(key: tuple, _result: PipelineResult, _geometry: MapGeometry, facility_types: tuple[str, ...],
                 lang: str, _isochrones: gpd.GeoDataFrame | None, mode: str, _scenarios: tuple) -> BasePayload:
    del key  # the dataset, the isochrones' key and the scenarios: what the underscored arguments are
    return base_payload(base_map(_result, _geometry, facility_types, lang, _isochrones, mode, _scenarios))


def _group_script(group: folium.FeatureGroup, index: int) -> str:
    """The script that adds ``group`` to the drawn map (streamlit-folium's own rendering of a feature group)."""
    return _get_feature_group_string(group, map=folium.Map(tiles=None), idx=index)


@st.cache_resource(show_spinner=False, max_entries=64)  # bounded: one entry per ranking and map layer
def _cached_choropleth(key: tuple, _result: PipelineResult, _geometry: MapGeometry, map_column: str,
                       lang: str) -> str:
    """The script that swaps in the buurten of this ranking and their legend (shared: a string, never changed)."""
    del key  # the ranking's key: what ``_result`` is
    group = build_choropleth_group(_result.table, map_column=map_column, lang=lang,
                                   measures=_result.prepared.access.measures, shapes=_geometry.shapes)
    return _group_script(group, 0)


def _send(base: BasePayload, groups: str, *, center, zoom) -> dict | None:
    """streamlit-folium's component with the base map and the swapped groups (what ``st_folium`` would send)."""
    defaults = dict.fromkeys(RETURNED)
    return streamlit_folium._component_func(
        script=base.script, header=base.header, html=base.html, id=base.map_id, key=base.component_key,
        height=MAP_HEIGHT, width=None, returned_objects=list(RETURNED), default=defaults, zoom=zoom, center=center,
        feature_group=groups, return_on_hover=False, layer_control=None, pixelated=False,
        css_links=list(base.css_links), js_links=list(base.js_links), wrap_longitude=False,
    )


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
