"""The schools map (layers.schools_map): circles by pupils and relative score over pale buurten."""

from __future__ import annotations

import re
import shutil
import subprocess

import folium
import numpy as np
import pytest
from markupsafe import escape

from geo import schema
from geo.data import files, national
from geo.data.paths import DEFAULT_DATA_DIR
from geo.decide.pipeline import prepare, rank
from geo.decide.ranking import RankingParams
from geo.decide.schools import analyse_schools, with_need
from geo.errors import CrsError, MissingColumnError
from layers.basemap import APP_LEAFLET_BASE
from layers.choropleth import NO_DATA_COLOR, SELECTED_COLOR, classify
from layers.schools_map import (
    ELIGIBLE_OUTLINE_COLOR,
    ELIGIBLE_OUTLINE_PX,
    RADIUS_MAX_PX,
    RADIUS_MIN_PX,
    SCHOOL_PALETTE,
    marker_radius,
    school_code_from_tooltip,
    schools_layer,
    schools_legend,
    schools_map,
)
from layers.standalone import external_resources, inline_leaflet
from tests.helpers import (
    HOSTILE_SCHOOL,
    SCHOOL_A,
    SCHOOL_B,
    SCHOOL_C,
    town_buurt_table,
    town_dataset,
    town_history,
    town_scores,
)


@pytest.fixture(scope="module")
def town_table():
    ds = town_dataset()
    result = analyse_schools(ds, scores=town_scores(), history=town_history())
    return with_need(result, town_buurt_table())


@pytest.fixture(scope="module")
def town_buurten():
    ds = town_dataset()
    return ds.buurten.merge(town_buurt_table().drop(columns=schema.BUURT_NAME), on=schema.BUURT_CODE)


@pytest.fixture(scope="module")
def utrecht():
    ds = files.load_dataset(DEFAULT_DATA_DIR)
    result = analyse_schools(ds, scores=national.school_scores(), history=national.pupil_history())
    ranking = rank(prepare(ds), RankingParams.from_preset("rijke_schooldag")).table
    return with_need(result, ranking), ranking


def _schools_geojson(group: folium.FeatureGroup) -> folium.GeoJson:
    return next(c for c in group._children.values() if isinstance(c, folium.GeoJson))


def _features(group: folium.FeatureGroup) -> dict[str, dict]:
    return {f["id"]: f for f in _schools_geojson(group).data["features"]}


def _style(group: folium.FeatureGroup, code: str) -> dict:
    layer = _schools_geojson(group)
    return layer.style_function(_features(group)[code])


def test_one_marker_per_branch_with_a_location(town_table):
    group = schools_layer(town_table, selected=None, lang="nl")
    assert set(_features(group)) == {SCHOOL_A, SCHOOL_B, SCHOOL_C}
    assert group.layer_name == "Scholen (3)"
    moved = town_table.copy()
    moved.loc[SCHOOL_C, "geometry"] = None
    assert set(_features(schools_layer(moved, selected=None, lang="nl"))) == {SCHOOL_A, SCHOOL_B}


def test_tooltip_starts_with_the_code_in_brackets(town_table):
    features = _features(schools_layer(town_table, selected=None, lang="nl"))
    tooltip = features[SCHOOL_A]["properties"]["tooltip"]
    assert tooltip.startswith("<b>[AA0000] De Regenboog</b>")
    assert "Relatieve achterstandsscore: 0,62" in tooltip
    text = re.sub(r"<[^>]+>", "", tooltip)  # what streamlit-folium returns: the tooltip's text content
    assert school_code_from_tooltip(text) == SCHOOL_A
    assert school_code_from_tooltip("no code here") is None and school_code_from_tooltip(None) is None
    assert "geen score (nieuwe school)" in features[SCHOOL_C]["properties"]["tooltip"]


def test_fill_colour_is_the_relative_score_class_and_grey_without_score(town_table):
    group = schools_layer(town_table, selected=None, lang="nl")
    classes = classify(np.array([0.62, 0.25, np.nan]), k=5, palette=SCHOOL_PALETTE)
    assert _style(group, SCHOOL_A)["fillColor"] == classes.colors[classes.class_of[0]]
    assert _style(group, SCHOOL_B)["fillColor"] == classes.colors[classes.class_of[1]]
    assert _style(group, SCHOOL_A)["fillColor"] != _style(group, SCHOOL_B)["fillColor"]
    assert _style(group, SCHOOL_C)["fillColor"] == NO_DATA_COLOR
    legend = schools_legend(town_table, lang="nl")
    rows = {e.label: e for e in legend.entries}
    assert rows["geen score (nieuwe school)"].color == NO_DATA_COLOR and rows["geen score (nieuwe school)"].count == 1
    # Most disadvantaged class first.
    assert legend.entries[0].color == classes.colors[classes.class_of[0]]


def test_eligible_like_is_outlined_and_explained_as_an_estimate(town_table):
    group = schools_layer(town_table, selected=None, lang="nl")
    a, b = _style(group, SCHOOL_A), _style(group, SCHOOL_B)
    assert (a["color"], a["weight"]) == (ELIGIBLE_OUTLINE_COLOR, ELIGIBLE_OUTLINE_PX)
    assert b["weight"] == 1 and b["color"] != ELIGIBLE_OUTLINE_COLOR
    legend = schools_legend(town_table, lang="nl")
    outline = next(e for e in legend.entries if e.label.startswith("dikke rand"))
    assert "schatting op CBS-scores 2019" in outline.label and outline.count == 1
    assert "3px solid" in outline.border
    en = schools_legend(town_table, lang="en")
    assert any("an estimate from the CBS scores of 2019" in e.label for e in en.entries)


def test_pc4_location_is_dashed_and_said(town_table):
    group = schools_layer(town_table, selected=None, lang="nl")
    assert _style(group, SCHOOL_B).get("dashArray") and "dashArray" not in _style(group, SCHOOL_A)
    popup = _features(group)[SCHOOL_B]["properties"]["popup"]
    assert "midden van postcodegebied (PC4)" in popup
    assert any("PC4" in e.label for e in schools_legend(town_table, lang="nl").entries)


def test_size_grows_with_the_square_root_of_pupils_within_bounds(town_table):
    assert marker_radius(400) == pytest.approx(2 * marker_radius(100))
    assert marker_radius(0) == RADIUS_MIN_PX == marker_radius(np.nan) == marker_radius(None)
    assert marker_radius(1_000_000) == RADIUS_MAX_PX
    features = _features(schools_layer(town_table, selected=None, lang="nl"))
    assert features[SCHOOL_A]["properties"]["radius"] > features[SCHOOL_C]["properties"]["radius"]


def test_selected_school_is_ringed_and_drawn_last(town_table):
    group = schools_layer(town_table, selected=SCHOOL_B, lang="nl")
    rings = [c for c in group._children.values() if isinstance(c, folium.CircleMarker)]
    assert len(rings) == 1 and rings[0].options["color"] == SELECTED_COLOR
    assert rings[0].options["interactive"] is False
    assert _schools_geojson(group).data["features"][-1]["id"] == SCHOOL_B
    assert not [c for c in schools_layer(town_table, selected="XX0000", lang="nl")._children.values()
                if isinstance(c, folium.CircleMarker)]
    assert any(e.label == "blauwe ring: gekozen school" for e in schools_legend(town_table, lang="nl",
                                                                                selected=SCHOOL_B).entries)


def test_popup_has_the_key_figures(town_table):
    popup = _features(schools_layer(town_table, selected=None, lang="nl"))[SCHOOL_A]["properties"]["popup"]
    for text in ("Leerlingen: <b>412 (2025)</b>", "Relatieve achterstandsscore: <b>0,62</b>",
                 "Landelijk percentiel (leerlingen): <b>96,4</b>",
                 "Vergelijkbaar met categorie A (schatting): <b>ja</b>", "schatting op CBS-scores 2019",
                 "Tekortscore: <b>511</b>", "Behoefte-index rond de school: <b>1,31</b>"):
        assert text in popup, text


def test_names_are_escaped(town_table, town_buurten):
    html = schools_map(town_table, town_buurten, selected=SCHOOL_B, lang="nl").get_root().render()
    assert HOSTILE_SCHOOL not in html and "<script>alert(1)</script>" not in html
    props = _features(schools_layer(town_table, selected=None, lang="nl"))[SCHOOL_B]["properties"]
    assert props["tooltip"].startswith(f"<b>[BB0000] {escape(HOSTILE_SCHOOL)}</b>")
    assert str(escape(HOSTILE_SCHOOL)) in props["popup"]


def test_map_loads_nothing_beyond_the_basemap(town_table, town_buurten):
    m = schools_map(town_table, town_buurten, selected=SCHOOL_A, lang="nl")
    html = inline_leaflet(m.get_root().render())
    assert external_resources(html) == []
    app = schools_map(town_table, None, selected=None, lang="en", leaflet_base=APP_LEAFLET_BASE).get_root().render()
    assert {u for u in external_resources(app)} == {f"{APP_LEAFLET_BASE}/leaflet.js", f"{APP_LEAFLET_BASE}/leaflet.css"}


def test_buurten_are_a_pale_need_choropleth_or_outlines(town_table, town_buurten):
    m = schools_map(town_table, town_buurten, selected=None, lang="nl")
    m.get_root().render()  # the layer control lists its layers when it is rendered
    control = next(c for c in m._children.values() if isinstance(c, folium.LayerControl))
    assert list(control.overlays) == ["Behoefte-index", "Scholen (3)"]
    buurt_layer = next(c for c in m._children.values() if isinstance(c, folium.GeoJson))
    style = buurt_layer.style_function(buurt_layer.data["features"][0])
    assert style["fillOpacity"] < 0.5 and style["weight"] < 1
    without_need = town_buurten.drop(columns=schema.NEED_INDEX)
    plain = schools_map(town_table, without_need, selected=None, lang="nl")
    layer = next(c for c in plain._children.values() if isinstance(c, folium.GeoJson))
    assert layer.style_function(layer.data["features"][0])["fillOpacity"] == 0.0


def test_wrong_input_is_refused(town_table):
    with pytest.raises(CrsError):
        schools_layer(town_table.to_crs(schema.MAP_CRS), selected=None, lang="nl")
    with pytest.raises(MissingColumnError, match="relative_score"):
        schools_layer(town_table.drop(columns=schema.RELATIVE_SCORE), selected=None, lang="nl")


def test_map_scripts_are_valid_javascript(town_table, town_buurten, tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    rendered = schools_map(town_table, town_buurten, selected=SCHOOL_A, lang="nl").get_root().render()
    path = tmp_path / "map.js"
    path.write_text("\n".join(re.findall(r"<script>(.*?)</script>", rendered, flags=re.DOTALL)), encoding="utf-8")
    result = subprocess.run([node, "--check", str(path)], check=False, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr


def test_utrecht_schools_map(utrecht):
    table, ranking = utrecht
    m = schools_map(table, ranking, selected="17ZR00", lang="nl")
    group = next(c for c in m._children.values() if isinstance(c, folium.FeatureGroup) and "Scholen" in c.layer_name)
    features = _features(group)
    assert len(features) == 98 == int((table.geometry.notna() & ~table.geometry.is_empty).sum())
    assert features["17ZR00"]["properties"]["tooltip"].startswith("<b>[17ZR00] PCB Buurtschool Hart van Noord</b>")
    assert sum(f["properties"]["fill"] == NO_DATA_COLOR for f in features.values()) == 4
    assert sum(f["properties"]["eligible"] for f in features.values()) == int(table[schema.ELIGIBLE_LIKE].sum())
