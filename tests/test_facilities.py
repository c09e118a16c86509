"""Facility layers (layers.facilities): one toggleable layer per type, popups, approximate locations."""

from __future__ import annotations

import folium
import pytest

from geo import schema
from geo.catalog import FACILITY_TYPES
from geo.errors import ParameterError
from layers import build_facility_layer, build_facility_legend
from layers.basemap import OSM_LAYER_NAME
from tests.helpers import full_map, utrecht_buurten, utrecht_facilities


@pytest.fixture(scope="module")
def ranking():
    return utrecht_buurten()


@pytest.fixture(scope="module")
def facilities():
    return utrecht_facilities()


def test_each_facility_type_is_its_own_toggleable_layer(ranking, facilities):
    m = full_map(ranking, facilities)
    control = next(c for c in m._children.values() if isinstance(c, folium.LayerControl))
    m.get_root().render()
    overlays = list(control.overlays)
    for key, count in (("sport", 3), ("primary_school", 3), ("swimming_pool", 1)):
        label = FACILITY_TYPES[key].label_nl
        assert sum(label in name and f"({count})" in name for name in overlays) == 1
    assert "Prioriteitsscore" in overlays
    assert list(control.base_layers) == ["Lichte achtergrond (offline)", OSM_LAYER_NAME]


def test_facility_markers_use_the_catalog_colour(facilities):
    group = build_facility_layer(facilities, facility_type="swimming_pool")
    geojson = next(iter(group._children.values()))
    f = geojson.data["features"][0]
    assert geojson.style_function(f)["fillColor"] == FACILITY_TYPES["swimming_pool"].color
    lon, lat = f["geometry"]["coordinates"]
    assert 5.0 < lon < 5.2 and 52.0 < lat < 52.2


def test_facility_popup_shows_details_and_location_notes(facilities):
    group = build_facility_layer(facilities, facility_type="primary_school")
    geojson = next(iter(group._children.values()))
    props = {f["properties"][schema.FACILITY_ID]: f["properties"] for f in geojson.data["features"]}
    pc4, pc6, exact = props["duo-1"], props["duo-2"], props["duo-3"]
    note_pc4 = "locatie bij benadering: midden van postcodegebied (PC4), gemiddeld ~0,5 km afwijking"
    assert note_pc4 in pc4["tooltip"] and note_pc4 in pc4["popup"]
    assert "Capaciteit: 1.050" in pc4["popup"]
    assert "Marshallaan 2, 3527 TK Utrecht" in pc4["popup"]
    assert "Basisschool" in pc4["popup"] and "De Pijlstaart" in pc4["tooltip"]
    assert "PC6" in pc6["popup"] and "Capaciteit" not in pc6["popup"] and "Adres" not in pc6["popup"]
    assert "bij benadering" not in exact["popup"]
    # A PC4 point is drawn dashed and translucent, an exact one solid.
    approx = geojson.style_function({"properties": pc4})
    solid = geojson.style_function({"properties": exact})
    assert approx.get("dashArray") and approx["fillOpacity"] < solid["fillOpacity"]
    assert "dashArray" not in solid


def test_facility_layer_in_english(facilities):
    group = build_facility_layer(facilities, facility_type="primary_school", lang="en")
    assert "Primary school (3)" in group.layer_name
    geojson = next(iter(group._children.values()))
    popups = " ".join(f["properties"]["popup"] for f in geojson.data["features"])
    assert "centre of the postcode area (PC4)" in popups and "Capacity: 1,050" in popups


def test_facility_legend_lists_types_with_colours_and_their_domain():
    legend = build_facility_legend(["sport", "library", "primary_school"], counts={"sport": 3}, approximate=True)
    assert [(e.label, e.color, e.count) for e in legend.entries] == [
        ("Sportaccommodatie — Sport, bewegen en gezondheid", FACILITY_TYPES["sport"].color, 3),
        ("Bibliotheek — Cognitieve ontwikkeling", FACILITY_TYPES["library"].color, 0),
        ("Basisschool", FACILITY_TYPES["primary_school"].color, 0),  # the school itself serves no domain
    ]
    assert "gestippelde rand" in legend.html
    english = build_facility_legend(["museum", "youth_work"], lang="en")
    assert [e.label for e in english.entries] == [
        "Museum — Orientation on yourself and the world", "Youth work / youth centre — Social-emotional development",
    ]
    with pytest.raises(ParameterError):
        build_facility_legend(["cinema"])


def test_unknown_facility_type_is_an_error(facilities):
    with pytest.raises(ParameterError, match="cinema"):
        build_facility_layer(facilities, facility_type="cinema")
