"""The choropleth layer (layers.choropleth): every buurt, its classes and colours, and escaped data text."""

from __future__ import annotations

import html
import json

import folium
import numpy as np
import pytest
import shapely

from geo import schema
from geo.errors import CrsError, GeometryError, MissingColumnError, ParameterError
from layers import build_base_map, build_choropleth_layer, build_facility_layer, finish_map
from layers.choropleth import NO_DATA_COLOR, SELECTED_COLOR, build_selected_layer
from layers.geometry import display_shapes, lonlat_bounds
from tests.helpers import (
    HIGHEST,
    MISSING,
    XSS_FACILITY,
    feature,
    map_with,
    utrecht_buurten,
    utrecht_facilities,
)

XSS_BUURT = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def ranking():
    return utrecht_buurten()


@pytest.fixture(scope="module")
def facilities():
    return utrecht_facilities()


def _coordinates(layer: folium.GeoJson) -> np.ndarray:
    shapes = shapely.from_geojson([json.dumps(f["geometry"]) for f in layer.data["features"]])
    return shapely.get_coordinates(shapes)


def _luminance(hex_color: str) -> float:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_choropleth_shows_every_buurt_with_lonlat_coordinates(ranking):
    layer, _ = build_choropleth_layer(ranking, column=schema.PRIORITY_SCORE, label="Prioriteitsscore")
    rendered = map_with(layer).get_root().render()
    for name in ranking[schema.BUURT_NAME]:
        assert html.escape(name) in rendered
    xy = _coordinates(layer)
    assert xy[:, 0].min() > 5.0 and xy[:, 0].max() < 5.2
    assert xy[:, 1].min() > 52.0 and xy[:, 1].max() < 52.2


def test_choropleth_sends_only_needed_properties(ranking):
    layer, _ = build_choropleth_layer(
        ranking, column=schema.PRIORITY_SCORE, label="Prioriteitsscore", tooltip_fields=(schema.WIJK_NAME, schema.RANK)
    )
    for f in layer.data["features"]:
        assert set(f["properties"]) == {
            schema.BUURT_CODE, schema.BUURT_NAME, schema.PRIORITY_SCORE, schema.WIJK_NAME, schema.RANK
        }
    props = feature(layer, HIGHEST)["properties"]
    assert props[schema.PRIORITY_SCORE] == "2,50"
    assert props[schema.RANK] == "1"
    assert feature(layer, MISSING)["properties"][schema.PRIORITY_SCORE] == "Geen gegevens"


def test_choropleth_legend_has_k_classes_and_no_data_count(ranking):
    _, legend = build_choropleth_layer(ranking, column=schema.PRIORITY_SCORE, label="Prioriteitsscore", k=3)
    labels = [e.label for e in legend.entries]
    assert len(labels) == 4
    assert legend.entries[-1].label == "Geen gegevens"
    assert legend.entries[-1].count == 1
    assert legend.entries[-1].color == NO_DATA_COLOR
    assert sum(e.count for e in legend.entries) == len(ranking)
    assert legend.title == "Prioriteitsscore"
    assert "Geen gegevens" in legend.html and "(1)" in legend.html
    # Most need first, with a real minus sign for negative values.
    assert labels[0].endswith("2,50")
    assert labels[2].startswith("\N{MINUS SIGN}0,60")


def test_highest_need_buurt_gets_the_darkest_colour(ranking):
    layer, legend = build_choropleth_layer(ranking, column=schema.PRIORITY_SCORE, label="Prioriteitsscore")
    darkest = legend.entries[0].color
    assert layer.style_function(feature(layer, HIGHEST))["fillColor"] == darkest
    assert layer.style_function(feature(layer, MISSING))["fillColor"] == NO_DATA_COLOR
    lightest = legend.entries[-2].color
    assert layer.style_function(feature(layer, "BU03440121"))["fillColor"] == lightest
    assert _luminance(darkest) < _luminance(lightest)


def test_rank_map_is_darkest_at_rank_one(ranking):
    layer, legend = build_choropleth_layer(
        ranking, column=schema.RANK, label="Rang", higher_is_more_need=False, scheme="equal_interval", k=5
    )
    rank_one = layer.style_function(feature(layer, HIGHEST))["fillColor"]
    assert rank_one == legend.entries[0].color
    assert legend.entries[0].label == "1"  # whole numbers, no overlapping ranges
    assert [e.label for e in legend.entries[:-1]] == ["1", "2", "3", "4", "5"]


@pytest.mark.parametrize("scheme", ["quantiles", "natural_breaks", "equal_interval"])
def test_fewer_distinct_values_than_classes_reduces_k(ranking, scheme):
    gdf = ranking.copy()
    gdf["few"] = [1.0, 1.0, 2.0, 2.0, np.nan, 1.0]
    _, legend = build_choropleth_layer(gdf, column="few", label="Weinig waarden", scheme=scheme, k=5)
    classes = [e for e in legend.entries if e.label != "Geen gegevens"]
    assert 1 <= len(classes) <= 5
    assert sum(e.count for e in classes) == 5

    gdf["same"] = 7.0
    _, legend = build_choropleth_layer(gdf, column="same", label="Overal gelijk", scheme=scheme)
    assert [(e.label, e.count) for e in legend.entries] == [("7", 6)]


def test_legend_uses_dutch_or_english_number_style(ranking):
    gdf = ranking.copy()
    gdf["big"] = [1234.5, 2500.25, 12000.0, 900.0, 4321.75, np.nan]
    _, nl = build_choropleth_layer(gdf, column="big", label="Groot", k=2)
    _, en = build_choropleth_layer(gdf, column="big", label="Big", k=2, lang="en")
    assert any("12.000" in e.label for e in nl.entries)
    assert any("12,000" in e.label for e in en.entries)
    assert en.entries[-1].label == "No data"


def test_selected_buurt_is_outlined_and_drawn_last(ranking):
    layer, _ = build_choropleth_layer(
        ranking, column=schema.PRIORITY_SCORE, label="Prioriteitsscore", selected_code="BU03440123"
    )
    assert layer.data["features"][-1]["id"] == "BU03440123"
    selected = layer.style_function(feature(layer, "BU03440123"))
    other = layer.style_function(feature(layer, HIGHEST))
    assert selected["color"] == SELECTED_COLOR and selected["weight"] > 2 * other["weight"]
    assert other["weight"] > 0  # outlines are always drawn


def test_geometry_is_simplified_but_keeps_its_shape(ranking):
    layer, _ = build_choropleth_layer(ranking, column=schema.PRIORITY_SCORE, label="P")
    exact, _ = build_choropleth_layer(ranking, column=schema.PRIORITY_SCORE, label="P", simplify_m=0)
    assert len(_coordinates(layer)) < len(_coordinates(exact))
    for simple, full in zip(layer.data["features"], exact.data["features"], strict=True):
        a, b = (shapely.from_geojson(json.dumps(f["geometry"])) for f in (simple, full))
        assert a.is_valid
        assert a.symmetric_difference(b).area / b.area < 0.01


def test_choropleth_rejects_bad_input(ranking):
    with pytest.raises(MissingColumnError, match="nope"):
        build_choropleth_layer(ranking, column="nope", label="x")
    with pytest.raises(CrsError):
        build_choropleth_layer(ranking.to_crs(4326), column=schema.PRIORITY_SCORE, label="x")
    with pytest.raises(ParameterError, match="scheme"):
        build_choropleth_layer(ranking, column=schema.PRIORITY_SCORE, label="x", scheme="jenks")
    with pytest.raises(ParameterError, match="classes"):
        build_choropleth_layer(ranking, column=schema.PRIORITY_SCORE, label="x", k=1)
    with pytest.raises(ParameterError, match="numeric"):
        build_choropleth_layer(ranking, column=schema.BUURT_NAME, label="x")


def test_data_text_is_escaped_everywhere(ranking, facilities):
    gdf = ranking.copy()
    gdf.loc[HIGHEST, schema.BUURT_NAME] = XSS_BUURT
    gdf.loc["BU03440832", schema.WIJK_NAME] = "<svg onload=alert(2)>"
    m = build_base_map(gdf)
    layer, legend = build_choropleth_layer(gdf, column=schema.PRIORITY_SCORE, label="<b>Score</b>")
    layer.add_to(m)
    legend.add_to(m)
    group = build_facility_layer(facilities, facility_type="primary_school")
    group.add_to(m)
    rendered = finish_map(m).get_root().render()

    for raw in (XSS_BUURT, XSS_FACILITY, "<svg onload", "<b>Straat</b>", "<b>Score</b>", "<i>x</i>"):
        assert raw not in rendered
    # What the browser inserts as HTML (GeoJSON properties, tooltip aliases, legend) is escaped text.
    assert feature(layer, HIGHEST)["properties"][schema.BUURT_NAME] == html.escape(XSS_BUURT)
    tooltip = next(c for c in layer._children.values() if isinstance(c, folium.GeoJsonTooltip))
    assert tooltip.aliases[1] == "&lt;b&gt;Score&lt;/b&gt;"
    assert html.escape("<b>Score</b>") in legend.html
    popup = next(
        f["properties"]["popup"]
        for f in next(iter(group._children.values())).data["features"]
        if f["properties"][schema.FACILITY_ID] == "duo-3"
    )
    assert html.escape(XSS_FACILITY) in popup and "&lt;b&gt;Straat&lt;/b&gt;" in popup


# --------------------------------------------------------------------------- shapes made once, the selection apart


def test_shapes_made_beforehand_give_the_same_layer(ranking):
    own, _ = build_choropleth_layer(ranking, column=schema.PRIORITY_SCORE, label="Prioriteitsscore")
    given, _ = build_choropleth_layer(ranking, column=schema.PRIORITY_SCORE, label="Prioriteitsscore",
                                      shapes=display_shapes(ranking))
    assert given.data == own.data
    with pytest.raises(GeometryError, match=f"no display shape for 1 buurt.*{HIGHEST}"):
        build_choropleth_layer(ranking, column=schema.PRIORITY_SCORE, label="Prioriteitsscore",
                               shapes={k: v for k, v in display_shapes(ranking).items() if k != HIGHEST})


def test_the_layer_knows_its_bounds_without_walking_the_coordinates(ranking):
    layer, _ = build_choropleth_layer(ranking, column=schema.PRIORITY_SCORE, label="Prioriteitsscore")
    (s, w), (n, e) = layer.get_bounds()
    (s0, w0), (n0, e0) = lonlat_bounds(ranking)
    assert s <= s0 and w <= w0 and n >= n0 and e >= e0  # never smaller than the exact bounds …
    assert max(s0 - s, w0 - w, n - n0, e - e0) < 0.01  # … and about them


def test_edges_can_be_thin_and_the_selection_stays_thick(ranking):
    layer, _ = build_choropleth_layer(ranking, column=schema.PRIORITY_SCORE, label="Prioriteitsscore",
                                      selected_code=HIGHEST, edge_weight=0.2)
    assert layer.style_function(feature(layer, MISSING))["weight"] == 0.2
    assert layer.style_function(feature(layer, HIGHEST))["weight"] == 4


def test_the_selected_outline_is_its_own_unclickable_layer(ranking):
    shapes = display_shapes(ranking)
    group = build_selected_layer(shapes, HIGHEST)
    assert isinstance(group, folium.FeatureGroup) and group.control is False
    (layer,) = group._children.values()
    (outline,) = layer.data["features"]
    assert outline["geometry"] == shapes[HIGHEST] and outline["properties"] == {}  # no buurt_code: not a buurt
    style = layer.style_function(outline)
    assert style["color"] == SELECTED_COLOR and style["fill"] is False and style["weight"] == 4
    assert layer.options["interactive"] is False
    assert build_selected_layer(shapes, None)._children == {}
    assert build_selected_layer(shapes, "BU99999999")._children == {}  # a buurt without a shape: nothing to outline
