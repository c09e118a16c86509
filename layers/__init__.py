"""Map layers and documents built from results: the only package that imports folium and uses EPSG:4326.

- one map for the app and the exports: :func:`build_results_map` (:mod:`layers.results_map`),
  built from the layers in :mod:`layers.basemap`, :mod:`layers.choropleth`,
  :mod:`layers.facilities`, :mod:`layers.isochrones`, :mod:`layers.legend`;
- the map as one offline HTML file: :func:`build_standalone_map_html`, :func:`result_map_html`
  (:mod:`layers.standalone`);
- the print map :func:`build_choropleth_svg` (:mod:`layers.svg_map`) and the decision pack
  :func:`build_decision_pack_html` (:mod:`layers.decision_pack`);
- a school's gap card :func:`card_html` (:mod:`layers.school_card`) and the schools map
  :func:`schools_map` / :func:`schools_layer` (:mod:`layers.schools_map`);
- all exports of a ranking: :func:`write_exports` and the download bytes (:mod:`layers.exports`).

Typical use::

    m = build_base_map(ranking)
    layer, legend = build_choropleth_layer(ranking, column="priority_score", label="Prioriteitsscore")
    layer.add_to(m)
    legend.add_to(m)
    for key in facility_types:
        build_facility_layer(facilities, facility_type=key).add_to(m)
    finish_map(m)
"""

from layers.basemap import build_base_map, finish_map
from layers.choropleth import SCHEMES, build_choropleth_layer, classify
from layers.decision_pack import build_decision_pack_html
from layers.exports import decision_pack_bytes, map_html_bytes, write_exports
from layers.facilities import build_facility_layer, build_facility_legend
from layers.format import format_number
from layers.labels import column_label, higher_is_more_need, map_label
from layers.legend import Legend, LegendEntry
from layers.results_map import build_results_map
from layers.school_card import card_html
from layers.schools_map import schools_layer, schools_map
from layers.standalone import ExportError, build_standalone_map_html, result_map_html
from layers.svg_map import build_choropleth_svg

__all__ = [
    "SCHEMES",
    "ExportError",
    "Legend",
    "LegendEntry",
    "build_base_map",
    "build_choropleth_layer",
    "build_choropleth_svg",
    "build_decision_pack_html",
    "build_facility_layer",
    "build_facility_legend",
    "build_results_map",
    "build_standalone_map_html",
    "card_html",
    "classify",
    "column_label",
    "decision_pack_bytes",
    "finish_map",
    "format_number",
    "higher_is_more_need",
    "map_html_bytes",
    "map_label",
    "result_map_html",
    "schools_layer",
    "schools_map",
    "write_exports",
]
