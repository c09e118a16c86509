"""ui/map_view.py's use of streamlit-folium: what goes to the browser, and what makes it draw the map again.

streamlit-folium keys its component on the map's script: the same script keeps the drawn map, and only the
``feature_group`` (the selected outline) and the centre and zoom are swapped. These tests catch the component's
arguments (no browser) to check the two things the app relies on.
"""

from __future__ import annotations

import re

import pytest
import streamlit_folium
from streamlit.testing.v1 import AppTest
from streamlit_folium import st_folium

from geo import schema
from layers.basemap import APP_LEAFLET_BASE
from layers.choropleth import build_selected_layer
from layers.geometry import display_shapes
from layers.results_map import build_results_map
from tests.helpers import HIGHEST, HOSTILE_NAME, utrecht_buurten, utrecht_facilities
from ui.map_view import ZOOM_KEY

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


# --------------------------------------------------------------------------- zoom to a municipality


def _zoom_page(selected: str) -> None:
    """A page with just the zoom select box over a small table of two municipalities (rank order: the top first)."""
    from types import SimpleNamespace

    import streamlit as st

    from geo import schema
    from tests.helpers import two_municipalities
    from ui.map_view import keep_zoom, render_zoom_choice
    from ui.state import MapGeometry

    table = two_municipalities().sort_values(schema.PRIORITY_SCORE, ascending=False, na_position="last")
    views = {"GM0344": ((52.07, 5.09), 14), "GM9001": ((52.09, 5.1), 14)}
    geometry = MapGeometry(shapes={}, outlines=None, views=views)
    st.session_state.setdefault("buurt_select", selected)
    if st.session_state.pop("clicked", None):
        keep_zoom(st.session_state["buurt_select"])
    target = render_zoom_choice(SimpleNamespace(table=table), geometry, st.session_state["buurt_select"], "nl")
    st.text(f"zoom={target} selected={st.session_state['buurt_select']}")


def _shown(at) -> str:
    return at.text[0].value


def test_the_first_view_is_the_whole_map_and_picking_a_municipality_selects_its_top_buurt() -> None:
    at = AppTest.from_function(_zoom_page, args=(HIGHEST,), default_timeout=30).run()
    assert _shown(at) == f"zoom= selected={HIGHEST}"
    assert at.selectbox(key=ZOOM_KEY).options == ["Heel Nederland", HOSTILE_NAME, "Utrecht"]  # by name
    at.selectbox(key=ZOOM_KEY).set_value("GM9001").run()
    assert _shown(at) == "zoom=GM9001 selected=BU90010099"  # its highest-ranked buurt (ranked, without a shape)


def test_the_zoom_follows_a_buurt_picked_elsewhere_but_not_a_click_on_the_map() -> None:
    at = AppTest.from_function(_zoom_page, args=(HIGHEST,), default_timeout=30).run()
    at.session_state["buurt_select"] = "BU03440121"  # picked in the ranking table or the list
    at.run()
    assert _shown(at) == "zoom=GM9001 selected=BU03440121"
    at.session_state["buurt_select"] = "BU03440812"
    at.session_state["clicked"] = True  # clicked on the map: the map stays where the user looks
    at.run()
    assert _shown(at) == "zoom=GM9001 selected=BU03440812"


def test_a_link_to_another_buurt_than_the_top_one_opens_on_its_municipality() -> None:
    at = AppTest.from_function(_zoom_page, args=("BU03440121",), default_timeout=30).run()
    assert _shown(at) == "zoom=GM9001 selected=BU03440121"


# --------------------------------------------------------------------------- the map in two parts


def test_the_shared_base_map_is_what_streamlit_folium_would_send(sent) -> None:
    from ui.map_view import base_payload

    ranking, facilities = utrecht_buurten(), utrecht_facilities()
    shapes = display_shapes(ranking)

    def base():
        return build_results_map(ranking, map_column=schema.PRIORITY_SCORE, facilities=facilities,
                                 facility_types=("sport", "primary_school"), lang="nl", leaflet_base=APP_LEAFLET_BASE,
                                 collapsed_control=True, shapes=shapes, choropleth=False)

    theirs = sent(base(), render=False)
    ours = base_payload(base())
    assert (ours.script, ours.header, ours.html) == (theirs["script"], theirs["header"], theirs["html"])
    assert ours.component_key == theirs["key"]
    assert list(ours.css_links) == theirs["css_links"] and list(ours.js_links) == theirs["js_links"]
    # The base map carries the facilities but no buurt: those travel in the swapped group.
    assert "Voorzieningen" in ours.script and HIGHEST not in ours.script


def test_the_buurten_group_recolours_without_changing_the_base_map() -> None:
    from layers.results_map import build_choropleth_group
    from ui.map_view import _group_script

    ranking = utrecht_buurten()
    shapes = display_shapes(ranking)
    group = _group_script(build_choropleth_group(ranking, map_column=schema.PRIORITY_SCORE, lang="nl",
                                                 shapes=shapes), 0)
    reversed_scores = ranking.assign(**{schema.PRIORITY_SCORE: -ranking[schema.PRIORITY_SCORE]})
    other = _group_script(build_choropleth_group(reversed_scores, map_column=schema.PRIORITY_SCORE, lang="nl",
                                                 shapes=shapes), 0)
    # Every buurt is in the group, on the map the browser already drew (streamlit-folium's ``map_div``).
    assert all(code in group for code in ranking[schema.BUURT_CODE])
    assert "map_div.addLayer(feature_group_feature_group_0)" in group
    # The legend replaces the one drawn before it, and the buurten go beneath the facility points.
    assert "_rspLegends" in group and "Prioriteitsscore" in group and "bringToBack" in group
    same = _group_script(build_choropleth_group(ranking, map_column=schema.PRIORITY_SCORE, lang="nl",
                                                shapes=shapes), 0)
    assert same == group  # the same ranking gives the same script (the browser sees nothing new) …
    assert group != other  # … other scores, other colours: the same buurten
    assert all(code in other for code in ranking[schema.BUURT_CODE])


APP = str(__import__("pathlib").Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def app_sends(monkeypatch: pytest.MonkeyPatch):
    """Run the app; the arguments of every map component it sent (the results map's, by their feature groups)."""
    calls: list[dict] = []
    monkeypatch.setattr(streamlit_folium, "_component_func", lambda **kwargs: calls.append(kwargs) or {})
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at, lambda: [c for c in calls if c.get("feature_group") and "_rspLegends" in c["feature_group"]]


def test_a_weight_change_in_the_app_sends_the_same_map_with_other_buurt_colours(app_sends) -> None:
    at, sent = app_sends
    first = sent()[-1]
    at.slider(key="w_rijke_schooldag_dist_sport_m").set_value(5.0).run()
    assert not at.exception
    second = sent()[-1]
    # The same component with the same base map (the browser keeps its map, zoom and position) …
    assert second["key"] == first["key"] and second["script"] == first["script"]
    # … and new buurt colours in the swapped group.
    assert second["feature_group"] != first["feature_group"]
    assert all(f"/app/static/leaflet/leaflet.{ext}" in " ".join(first[f"{ext}_links"]) for ext in ("js", "css"))


def test_under_a_base_path_the_app_map_loads_leaflet_from_under_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit import config as st_config

    from ui.share import BASE_URL_PATH_OPTION

    calls: list[dict] = []
    monkeypatch.setattr(streamlit_folium, "_component_func", lambda **kwargs: calls.append(kwargs) or {})
    before = st_config.get_option(BASE_URL_PATH_OPTION)
    st_config.set_option(BASE_URL_PATH_OPTION, "rsp")
    try:
        at = AppTest.from_file(APP, default_timeout=120).run()
    finally:
        st_config.set_option(BASE_URL_PATH_OPTION, before)
    assert not at.exception, [e.value for e in at.exception]
    sent = next(c for c in calls if c.get("feature_group") and "_rspLegends" in c["feature_group"])
    assert sent["js_links"] == ["/rsp/app/static/leaflet/leaflet.js"]  # an absolute /app/static/… is a 404 there


def test_the_first_value_the_map_sends_back_is_the_default_so_a_new_session_runs_once(app_sends, sent) -> None:
    # The component sends its first value back unless it equals the default as JSON text, key order included; a
    # value sent back reruns the whole app for every new visitor.
    _, ours = app_sends
    theirs = sent(build_results_map(utrecht_buurten(), map_column=schema.PRIORITY_SCORE, facilities=None,
                                    facility_types=(), leaflet_base=APP_LEAFLET_BASE), render=False)
    assert list(ours()[-1]["default"].items()) == list(theirs["default"].items())
    assert list(theirs["default"]) == ["last_clicked", "last_active_drawing"]  # the component's own data order
