"""The scenario layer (layers.scenario): added and removed facilities, with escaped names."""

from __future__ import annotations

import folium

from geo.data.files import load_dataset
from geo.data.paths import DEFAULT_DATA_DIR
from geo.decide.scenario import Scenario, ScenarioFacility
from layers.scenario import build_scenario_layer


def test_scenario_layer_escapes_names_and_marks_added_and_removed() -> None:
    fac = load_dataset(DEFAULT_DATA_DIR).facilities
    removed = fac.index[0]
    sc = Scenario(name="<img src=x onerror=alert(1)>", added=(ScenarioFacility("sport", 136000, 456000),),
                  removed=(removed,))
    m = folium.Map()
    build_scenario_layer([sc], fac, lang="nl").add_to(m)
    html = m.get_root().render()
    # folium JSON-encodes properties (< as \u003c); the name inside is HTML-escaped first.
    assert "<img src=x" not in html and "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in html
    assert "toegevoegd in" in html and "weggehaald in" in html
    assert html.count('"added": true') == 1 and html.count('"added": false') == 1
