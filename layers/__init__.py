"""Map layers built from results: the only package that imports folium and uses EPSG:4326.

Typical use::

    m = build_base_map(ranking)
    layer, legend = build_choropleth_layer(ranking, column="priority_score", label="Prioriteit")
    layer.add_to(m)
    legend.add_to(m)
    for key in facility_types:
        build_facility_layer(facilities, facility_type=key).add_to(m)
    finish_map(m)
"""

from layers.basemap import build_base_map, finish_map
from layers.choropleth import SCHEMES, build_choropleth_layer, classify
from layers.facilities import build_facility_layer, build_facility_legend
from layers.format import format_number
from layers.labels import column_label
from layers.legend import Legend, LegendEntry

__all__ = [
    "SCHEMES",
    "Legend",
    "LegendEntry",
    "build_base_map",
    "build_choropleth_layer",
    "build_facility_layer",
    "build_facility_legend",
    "classify",
    "column_label",
    "finish_map",
    "format_number",
]
