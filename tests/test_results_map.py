"""The one results map (layers.results_map) that the app and the exports share."""

from __future__ import annotations

import re
import shutil
import subprocess

import folium
import pytest

from geo import schema
from layers.basemap import APP_LEAFLET_BASE
from layers.results_map import INLINE_LEAFLET_BASE, build_results_map
from tests.helpers import HIGHEST, HOSTILE_NAME, full_map, utrecht_buurten, utrecht_facilities


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
