"""The one results map (layers.results_map) that the app and the exports share."""

from __future__ import annotations

import html
import re
import shutil
import subprocess

import folium
import pytest

from geo import schema
from layers.basemap import APP_LEAFLET_BASE
from layers.geometry import display_shapes
from layers.outlines import municipality_outlines
from layers.results_map import INLINE_LEAFLET_BASE, NATIONAL_EDGE_WEIGHT, build_results_map, is_national
from tests.helpers import (
    HIGHEST,
    HOSTILE_NAME,
    OTHER_MUNICIPALITY,
    SHAPELESS,
    full_map,
    two_municipalities,
    utrecht_buurten,
    utrecht_facilities,
)


@pytest.fixture(scope="module")
def ranking():
    return utrecht_buurten()


@pytest.fixture(scope="module")
def facilities():
    return utrecht_facilities()


def _results_map(ranking, facilities, **kwargs) -> folium.Map:
    return build_results_map(
        ranking, map_column=schema.PRIORITY_SCORE, facilities=facilities,
        facility_types=("sport", "primary_school", "swimming_pool", "library"), **kwargs,
    )


def _check_javascript(rendered: str, tmp_path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    scripts = re.findall(r"<script>(.*?)</script>", rendered, flags=re.DOTALL)
    assert scripts
    path = tmp_path / "map.js"
    path.write_text("\n".join(scripts), encoding="utf-8")
    result = subprocess.run([node, "--check", str(path)], check=False, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr


def test_rendered_map_scripts_are_valid_javascript(ranking, facilities, tmp_path):
    rendered = full_map(ranking, facilities, selected_code=HIGHEST).get_root().render()
    _check_javascript(rendered, tmp_path)


def test_results_map_scripts_are_valid_javascript(ranking, facilities, tmp_path):
    rendered = _results_map(ranking, facilities, selected_code=HIGHEST, title="Utrecht").get_root().render()
    _check_javascript(rendered, tmp_path)


def test_results_map_has_layers_legends_and_control(ranking, facilities):
    m = _results_map(ranking, facilities)
    html = m.get_root().render()
    control = next(c for c in m._children.values() if isinstance(c, folium.LayerControl))
    overlays = list(control.overlays)
    # Types without points (library) are left out; the choropleth is titled by its column's term.
    assert "Prioriteitsscore" in overlays
    assert sum("Bibliotheek" in name for name in overlays) == 0
    assert sum("Basisschool (3)" in name for name in overlays) == 1
    assert "Voorzieningen" in html
    assert f"{INLINE_LEAFLET_BASE}/leaflet.js" in html


def test_results_map_links_leaflet_where_asked_and_adds_extra_layers(ranking, facilities):
    extra = folium.FeatureGroup(name="Scenario X")
    html = _results_map(ranking, facilities, leaflet_base=APP_LEAFLET_BASE, extra_layers=[extra]).get_root().render()
    assert f"{APP_LEAFLET_BASE}/leaflet.js" in html and INLINE_LEAFLET_BASE not in html
    assert "Scenario X" in html


def test_results_map_title_box_is_escaped(ranking, facilities):
    m = _results_map(ranking, facilities, title=HOSTILE_NAME, note="<b>n</b>")
    html = m.get_root().render()
    assert HOSTILE_NAME not in html and "<b>n</b>" not in html
    assert m.get_root().title == "&lt;img src=x onerror=alert(1)&gt;"


def test_rank_map_colours_rank_one_darkest(ranking):
    m = build_results_map(ranking, map_column=schema.RANK, facilities=None, facility_types=())
    layer = next(c for c in m._children.values() if isinstance(c, folium.GeoJson))
    fills = {f["id"]: layer.style_function(f)["fillColor"] for f in layer.data["features"]}
    legend = next(c for c in m._children.values() if type(c).__name__ == "Legend")
    assert fills[HIGHEST] == legend.entries[0].color


# --------------------------------------------------------------------------- a map of several municipalities


def _layers(m: folium.Map) -> list[folium.GeoJson]:
    return [c for c in m._children.values() if isinstance(c, folium.GeoJson)]


def test_a_national_map_sends_code_name_municipality_value_and_rank_only(facilities):
    table = two_municipalities()
    assert is_national(table) and not is_national(utrecht_buurten())
    m = _results_map(table, facilities)
    choropleth, outlines = _layers(m)
    features = choropleth.data["features"]
    assert SHAPELESS not in {f["id"] for f in features} and len(features) == 6  # ranked, but without a shape
    for f in features:
        assert set(f["properties"]) == {
            schema.BUURT_CODE, schema.BUURT_NAME, schema.PRIORITY_SCORE, schema.MUNICIPALITY_NAME, schema.RANK,
        }
    other = next(f for f in features if f["properties"][schema.MUNICIPALITY_NAME] != "Utrecht")
    assert other["properties"][schema.MUNICIPALITY_NAME] == html.escape(HOSTILE_NAME)  # the tooltip inserts HTML
    assert choropleth.style_function(features[0])["weight"] == NATIONAL_EDGE_WEIGHT
    # The municipal boundaries on top, one per municipality with a shape; no facility points at this scale.
    assert [f["id"] for f in outlines.data["features"]] == ["GM0344", OTHER_MUNICIPALITY]
    rendered = m.get_root().render()
    assert "Gemeentegrenzen" in rendered and "Basisschool" not in rendered and HOSTILE_NAME not in rendered


def test_a_national_map_uses_the_shapes_and_boundaries_it_is_given(facilities):
    table = two_municipalities()
    shapes = display_shapes(table, 50.0)
    outlines = municipality_outlines(table).iloc[:1]
    m = build_results_map(table, map_column=schema.PRIORITY_SCORE, facilities=None, facility_types=(),
                          shapes=shapes, outlines=outlines)
    choropleth, boundaries = _layers(m)
    assert {f["id"]: f["geometry"] for f in choropleth.data["features"]} == shapes
    assert [f["id"] for f in boundaries.data["features"]] == ["GM0344"]


def test_a_municipality_map_keeps_its_tooltip_and_draws_no_boundaries(ranking, facilities):
    m = _results_map(ranking, facilities)
    (choropleth,) = [layer for layer in _layers(m) if layer.layer_name == "Prioriteitsscore"]
    assert schema.WIJK_NAME in choropleth.data["features"][0]["properties"]
    assert "Gemeentegrenzen" not in m.get_root().render()
