"""ui/map_view.py's use of streamlit-folium: what goes to the browser, and what makes it draw the map again.

streamlit-folium keys its component on the map's script: the same script keeps the drawn map, and only the
``feature_group`` (the selected outline) and the centre and zoom are swapped. These tests catch the component's
arguments (no browser) to check the two things the app relies on.
"""

from __future__ import annotations

import re

import pytest
import streamlit_folium
from streamlit_folium import st_folium

from geo import schema
from layers.basemap import APP_LEAFLET_BASE
from layers.choropleth import build_selected_layer
from layers.geometry import display_shapes
from layers.results_map import build_results_map
from tests.helpers import HIGHEST, utrecht_buurten, utrecht_facilities

OTHER = "BU03440121"


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch):
    """``sent(map, **st_folium_kwargs)`` → the arguments streamlit-folium hands to its browser component."""
    calls: list[dict] = []
    monkeypatch.setattr(streamlit_folium, "_component_func", lambda **kwargs: calls.append(kwargs) or {})

    def send(m, **kwargs) -> dict:
        st_folium(m, key="map", returned_objects=["last_active_drawing", "last_clicked"], **kwargs)
        return calls[-1]

    return send


def _map(ranking, facilities, shapes):
    return build_results_map(ranking, map_column=schema.PRIORITY_SCORE, facilities=facilities,
                             facility_types=("sport", "primary_school", "swimming_pool"), lang="nl",
                             leaflet_base=APP_LEAFLET_BASE, collapsed_control=True, shapes=shapes)


def test_without_its_own_render_streamlit_folium_sends_the_same_map(sent) -> None:
    ranking, facilities = utrecht_buurten(), utrecht_facilities()
    shapes = display_shapes(ranking)
    full = sent(_map(ranking, facilities, shapes), render=True)
    lean = sent(_map(ranking, facilities, shapes), render=False)  # what the app does: one render fewer

    def same(text: str) -> str:
        return re.sub(r"_[0-9a-f]{32}", "_id", text)  # folium's element ids differ between two maps

    for arg in ("script", "header", "html"):
        assert same(full[arg]) == same(lean[arg]), arg
    assert full["key"] == lean["key"] and full["css_links"] == lean["css_links"]
    assert "Prioriteitsscore" in lean["script"] and "Voorzieningen" in lean["script"]


def test_another_selection_keeps_the_drawn_map_and_swaps_only_its_outline(sent) -> None:
    ranking, facilities = utrecht_buurten(), utrecht_facilities()
    shapes = display_shapes(ranking)
    first = sent(_map(ranking, facilities, shapes), render=False,
                 feature_group_to_add=build_selected_layer(shapes, HIGHEST))
    second = sent(_map(ranking, facilities, shapes), render=False,
                  feature_group_to_add=build_selected_layer(shapes, OTHER), center=(52.08, 5.1), zoom=13)
    assert first["key"] == second["key"]  # the same component: the browser keeps the map it drew
    assert first["feature_group"] != second["feature_group"]
    assert (second["center"], second["zoom"]) == ((52.08, 5.1), 13)
    assert "#0057b8" in second["feature_group"] and "#0057b8" not in second["script"]  # the outline travels apart
