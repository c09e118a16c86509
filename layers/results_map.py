"""The one map of the results, shared by the app and the exports.

:func:`build_results_map` puts the choropleth, the facility layers, the
isochrones, their legends, an optional title box and the layer control on one
:class:`folium.Map`. A table of several municipalities (the country) is a
*national map*: the tooltip carries only the municipality and the rank besides
the name and the value, the municipal boundaries are drawn on top
(:mod:`layers.outlines`), and facility points and isochrones are left out
(thousands of schools would outweigh the buurten). The app (:mod:`ui.map_view`) links Leaflet from its static
folder; the standalone export (:mod:`layers.standalone`) links it from
:data:`INLINE_LEAFLET_BASE` and then copies the files into the page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import TYPE_CHECKING

import folium
import geopandas as gpd
from branca.element import Figure, MacroElement
from jinja2 import Template

from geo import schema
from geo.decide.ranking import n_municipalities
from layers.basemap import build_base_map, finish_map
from layers.choropleth import DEFAULT_TOOLTIP_FIELDS, NATIONAL_TOOLTIP_FIELDS, build_choropleth_layer
from layers.facilities import APPROXIMATE_PRECISIONS, build_facility_layer, build_facility_legend
from layers.geometry import drawable
from layers.isochrones import build_isochrone_layer
from layers.labels import check_lang, higher_is_more_need, map_label
from layers.legend import Legend
from layers.outlines import build_outline_layer, municipality_outlines

if TYPE_CHECKING:
    from geo.decide.access import AccessMeasure

__all__ = ["INLINE_LEAFLET_BASE", "build_choropleth_group", "build_results_map", "is_national"]

#: A URL folder that cannot occur in real output: the map links Leaflet from
#: here, and :func:`layers.standalone.inline_leaflet` replaces exactly these two links.
INLINE_LEAFLET_BASE = "rsp-inline-leaflet:"
#: The line between buurten on a national map: thin, so that thousands of them leave the colours and the
#: municipal boundaries readable.
NATIONAL_EDGE_WEIGHT = 0.2
#: The legend slot of the choropleth in a swapped feature group (:func:`build_choropleth_group`).
CHOROPLETH_SLOT = "choropleth"


class _SendToBack(MacroElement):
    """Once its group is on the map, draw the group beneath the layers already there (facility points,
    isochrones, municipal boundaries), as the choropleth is on a map drawn in one piece."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.once('add', function (e) { e.target.bringToBack(); });
        {% endmacro %}
        """
    )


def is_national(table: gpd.GeoDataFrame) -> bool:
    """A map of several municipalities (the country): trimmed tooltips, municipal boundaries, no facility points."""
    return n_municipalities(table) > 1


def build_results_map(
    table: gpd.GeoDataFrame,
    *,
    map_column: str,
    facilities: gpd.GeoDataFrame | None,
    facility_types: Sequence[str],
    lang: str = "nl",
    isochrones: gpd.GeoDataFrame | None = None,
    isochrone_mode: str = "walk",
    label: str | None = None,
    measures: Mapping[str, AccessMeasure] | None = None,
    title: str | None = None,
    note: str | None = None,
    selected_code: str | None = None,
    collapsed_control: bool = False,
    leaflet_base: str | None = INLINE_LEAFLET_BASE,
    extra_layers: Sequence[folium.map.Layer] = (),
    shapes: Mapping[str, dict] | None = None,
    outlines: gpd.GeoDataFrame | None = None,
    choropleth: bool = True,
) -> folium.Map:
    """The map of the results (choropleth, facilities, isochrones, legends, layer control) as a folium Map.

    The app (``ui.map_view``, with ``leaflet_base`` = the app's static folder) and
    the standalone export draw the same map with this. Parameters are those of
    :func:`layers.standalone.build_standalone_map_html`; ``leaflet_base`` is where
    the page links Leaflet from; ``extra_layers`` (e.g. scenario facilities) go on
    top before the layer control is added. ``shapes`` is the display geometry of the buurten
    (:func:`layers.geometry.display_shapes`) and ``outlines`` the municipal boundaries of a national map
    (:func:`layers.outlines.municipality_outlines`), when the caller keeps them (the app, once per dataset);
    by default they are made here. ``choropleth=False`` leaves the buurten out: the app draws them apart, in the
    group of :func:`build_choropleth_group`, so that new weights recolour the drawn map instead of drawing it again.
    """
    check_lang(lang)
    national = is_national(table)
    table = _map_columns(table, map_column)
    m = build_base_map(table, lang=lang, leaflet_base=leaflet_base)
    if choropleth:
        layer, legend = _choropleth(table, map_column=map_column, lang=lang, label=label, measures=measures,
                                    selected_code=selected_code, shapes=shapes)
        layer.add_to(m)
        legend.add_to(m)
    if national:
        build_outline_layer(municipality_outlines(table) if outlines is None else outlines, lang=lang).add_to(m)
        facilities = isochrones = None
    shown: list[str] = []
    if facilities is not None and len(facility_types):
        present = set(facilities[schema.FACILITY_TYPE])
        shown = [k for k in dict.fromkeys(facility_types) if k in present]
    if isochrones is not None and not isochrones.empty:
        for key in dict.fromkeys(facility_types):
            build_isochrone_layer(isochrones, facility_type=key, mode=isochrone_mode, lang=lang).add_to(m)
    if facilities is not None and shown:
        for key in shown:
            build_facility_layer(facilities, facility_type=key, lang=lang).add_to(m)
        rows = facilities[facilities[schema.FACILITY_TYPE].isin(shown)]
        approximate = schema.LOCATION_PRECISION in rows.columns and bool(
            rows[schema.LOCATION_PRECISION].isin(APPROXIMATE_PRECISIONS).any()
        )
        counts = {k: int((facilities[schema.FACILITY_TYPE] == k).sum()) for k in shown}
        build_facility_legend(shown, lang=lang, counts=counts, approximate=approximate).add_to(m)
    if title:
        # A legend without rows is a titled box: the map says what it shows even when printed or shared alone.
        Legend(title, [], note=note, position="topleft").add_to(m)
        root = m.get_root()
        if isinstance(root, Figure):  # always, for a folium.Map; the check tells the type checker
            root.title = escape(title)
    for extra in extra_layers:
        extra.add_to(m)
    finish_map(m, collapsed=collapsed_control)
    return m


def build_choropleth_group(
    table: gpd.GeoDataFrame,
    *,
    map_column: str,
    lang: str = "nl",
    label: str | None = None,
    measures: Mapping[str, AccessMeasure] | None = None,
    shapes: Mapping[str, dict] | None = None,
) -> folium.FeatureGroup:
    """The choropleth of ``map_column`` and its legend as one feature group, for a map drawn with
    ``build_results_map(…, choropleth=False)``.

    The app hands the group to streamlit-folium, which swaps it on the drawn map: a weight or a map layer changed
    keeps the user's zoom and position. The buurten go beneath the map's other layers, and the legend takes the
    place of the previous one. Same buurten, colours, tooltips and legend as the map drawn in one piece.
    """
    check_lang(lang)
    table = _map_columns(table, map_column)
    layer, legend = _choropleth(table, map_column=map_column, lang=lang, label=label, measures=measures,
                                selected_code=None, shapes=shapes)
    group = folium.FeatureGroup(name=layer.layer_name, control=False)
    layer.add_to(group)
    Legend(legend.title, legend.entries, note=legend.note, position=legend.position,
           slot=CHOROPLETH_SLOT).add_to(group)
    _SendToBack().add_to(group)
    return group


def _map_columns(table: gpd.GeoDataFrame, map_column: str) -> gpd.GeoDataFrame:
    """Only the columns the map shows (a ranked table has a hundred; the country's 14,000 rows of them), drawable."""
    fields = NATIONAL_TOOLTIP_FIELDS if is_national(table) else DEFAULT_TOOLTIP_FIELDS
    needed = dict.fromkeys([schema.BUURT_CODE, schema.BUURT_NAME, map_column, *fields, schema.MUNICIPALITY_CODE,
                            schema.MUNICIPALITY_NAME, table.geometry.name])
    return drawable(table[[c for c in needed if c in table.columns]])


def _choropleth(table: gpd.GeoDataFrame, *, map_column: str, lang: str, label: str | None,
                measures: Mapping[str, AccessMeasure] | None, selected_code: str | None,
                shapes: Mapping[str, dict] | None) -> tuple[folium.GeoJson, Legend]:
    national = is_national(table)
    return build_choropleth_layer(
        table,
        column=map_column,
        label=label or map_label(map_column, lang, measures),
        lang=lang,
        higher_is_more_need=higher_is_more_need(map_column),
        tooltip_fields=NATIONAL_TOOLTIP_FIELDS if national else DEFAULT_TOOLTIP_FIELDS,
        selected_code=selected_code,
        shapes=shapes,
        edge_weight=NATIONAL_EDGE_WEIGHT if national else 0.8,
    )
