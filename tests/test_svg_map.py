"""The static print map (layers.svg_map): one path per buurt, the app's colours, escaped names."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from geo import schema
from geo.errors import CrsError, GeometryError
from layers import build_choropleth_layer
from layers.svg_map import build_choropleth_svg
from tests.helpers import HIGHEST, HOSTILE_NAME, Doc, feature, utrecht_buurten, utrecht_facilities


@pytest.fixture(scope="module")
def ranking():
    return utrecht_buurten()


@pytest.fixture(scope="module")
def facilities():
    return utrecht_facilities()


def test_svg_has_a_titled_path_per_buurt_and_numbered_top(ranking, facilities):
    svg, legend = build_choropleth_svg(
        ranking, column=schema.PRIORITY_SCORE, label="Prioriteitsscore", numbered={HIGHEST: 1, "BU03440832": 2},
        facilities=facilities, facility_types=["primary_school", "swimming_pool"],
    )
    assert isinstance(svg, Markup) and svg.startswith('<svg class="map"')
    doc = Doc(f"<html><body>{svg}</body></html>")
    assert doc.errors == []
    assert doc.svg_paths == len(ranking) == 6
    assert set(doc.svg_titles) == set(ranking[schema.BUURT_NAME])
    assert svg.count('<g class="num">') == 2
    assert svg.count("<circle") == 2 + 4  # two rank markers, four facility dots
    assert svg.count('stroke-dasharray="2 1.5"') == 1  # the PC4 school
    assert legend.title == "Prioriteitsscore" and legend.entries[-1].label == "Geen gegevens"


def test_svg_colours_buurten_like_the_interactive_map(ranking):
    svg, _ = build_choropleth_svg(ranking, column=schema.PRIORITY_SCORE, label="P")
    layer, _ = build_choropleth_layer(ranking, column=schema.PRIORITY_SCORE, label="P")
    darkest = layer.style_function(feature(layer, HIGHEST))["fillColor"]
    name = ranking.loc[HIGHEST, schema.BUURT_NAME]
    assert f'fill="{darkest}"><title>{name}</title>' in svg


def test_svg_escapes_buurt_names_and_its_label(ranking):
    gdf = ranking.copy()
    gdf.loc[HIGHEST, schema.BUURT_NAME] = HOSTILE_NAME
    svg, _ = build_choropleth_svg(gdf, column=schema.PRIORITY_SCORE, label='"><script>x</script>', lang="en")
    assert "<img" not in svg and "<script" not in svg
    assert "&lt;img src=x onerror=alert(1)&gt;" in svg
    assert HOSTILE_NAME in Doc(f"<html><body>{svg}</body></html>").svg_titles


def test_svg_refuses_wrong_crs_and_an_empty_table(ranking):
    with pytest.raises(CrsError):
        build_choropleth_svg(ranking.to_crs(4326), column=schema.PRIORITY_SCORE, label="P")
    with pytest.raises(GeometryError, match="at least one buurt"):
        build_choropleth_svg(ranking.iloc[:0], column=schema.PRIORITY_SCORE, label="P")
