"""The map legend (layers.legend): it follows its layer and escapes its text."""

from __future__ import annotations

import pytest

from geo import schema
from layers import Legend, LegendEntry, build_choropleth_layer
from tests.helpers import map_with, utrecht_buurten


@pytest.fixture(scope="module")
def ranking():
    return utrecht_buurten()


def test_legend_follows_its_layer(ranking):
    shown_layer, shown = build_choropleth_layer(ranking, column=schema.PRIORITY_SCORE, label="P")
    hidden_layer, hidden = build_choropleth_layer(ranking, column=schema.PRIORITY_SCORE, label="Q", show=False)
    m = map_with(shown_layer, shown, hidden_layer, hidden)
    rendered = m.get_root().render()
    assert rendered.count("div.style.display = 'none';") == 1
    assert rendered.count("overlayremove overlayadd") == 2
    assert f"e.layer === {hidden_layer.get_name()}" in rendered


def test_legend_escapes_title_rows_and_note():
    legend = Legend("<b>T</b>", [LegendEntry("<i>row</i>", "#123456", count=3)], note="<u>n</u>")
    for raw in ("<b>T</b>", "<i>row</i>", "<u>n</u>"):
        assert raw not in legend.html
    assert "&lt;i&gt;row&lt;/i&gt;" in legend.html and "(3)" in legend.html


def test_legend_refuses_an_unknown_corner():
    with pytest.raises(ValueError, match="position"):
        Legend("T", [], position="middle")
