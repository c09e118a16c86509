"""The standalone map (layers.standalone): one HTML file that opens offline, on the real Utrecht default."""

from __future__ import annotations

import re
from html import escape

import pytest

from geo import schema
from geo.decide.pipeline import run
from layers.standalone import (
    ExportError,
    build_standalone_map_html,
    external_resources,
    inline_leaflet,
    result_map_html,
)
from tests.helpers import HOSTILE_NAME, Doc, with_hostile_top_name


@pytest.fixture(scope="module")
def result():
    return run()


@pytest.fixture(scope="module")
def facility_types(result) -> list[str]:
    return sorted(set(result.prepared.dataset.facilities[schema.FACILITY_TYPE]))


@pytest.fixture(scope="module")
def map_html(result) -> str:
    return result_map_html(result)


def test_standalone_map_needs_nothing_from_the_internet(map_html):
    html = map_html
    doc = Doc(html)
    assert doc.errors == []
    # No script, stylesheet, image or frame is loaded from anywhere: Leaflet is inline.
    assert doc.resources == []
    assert doc.inline_scripts >= 2
    assert "leafletjs.com" in html and ".leaflet-pane" in html
    for cdn in ("cdn.jsdelivr", "code.jquery", "bootstrapcdn", "cdnjs", "unpkg", "/app/static"):
        assert cdn not in html
    # The only tile URL is the optional OpenStreetMap layer.
    tiles = set(re.findall(r"https?://[a-z.]*tile[^\"']*", html))
    assert tiles == {"https://tile.openstreetmap.org/{z}/{x}/{y}.png"}


def test_result_map_is_titled_with_municipality_weighting_and_sources(result, map_html):
    assert "Rijke schooldag — Utrecht" in map_html
    assert "Weging: Rijke schooldag (standaard)" in map_html
    untitled = result_map_html(result, titled=False, lang="en")
    assert "Rijke schooldag — Utrecht" not in untitled and "Weighting:" not in untitled


def test_standalone_map_has_all_buurten_layers_and_legends(result, facility_types):
    html = build_standalone_map_html(
        result.table,
        map_column=schema.PRIORITY_SCORE,
        facilities=result.prepared.dataset.facilities,
        facility_types=facility_types,
        lang="nl",
        measures=result.prepared.access.measures,
    )
    for code in result.table[schema.BUURT_CODE]:
        assert f'"id": "{code}"' in html
    assert "Prioriteitsscore" in html  # legend title
    assert "Voorzieningen" in html  # facility legend
    assert "Basisschool (98)" in html and "Sportaccommodatie (257)" in html  # layer names
    assert "Lichte achtergrond (offline)" in html


def test_standalone_map_in_english_labels_distances(result):
    html = build_standalone_map_html(
        result.table,
        map_column="dist_sport_m",
        facilities=None,
        facility_types=(),
        lang="en",
        measures=result.prepared.access.measures,
    )
    assert "Distance to sports facility (straight line from a point in the buurt (approximation))" in html
    assert '<html lang="en">' in html


def test_standalone_map_escapes_buurt_names(result):
    hostile = with_hostile_top_name(result)
    html = build_standalone_map_html(
        hostile.table, map_column=schema.PRIORITY_SCORE, facilities=None, facility_types=()
    )
    assert "<img src=x" not in html
    # HTML-escaped for the tooltip, then JSON-encoded into the script (& as \u0026).
    assert escape(HOSTILE_NAME).replace("&", "\\u0026") in html


def test_inline_leaflet_refuses_a_page_without_the_local_links():
    with pytest.raises(ExportError, match="expected one Leaflet script"):
        inline_leaflet('<html><script src="https://cdn.example/leaflet.js"></script></html>')


def test_external_resources_lists_what_a_page_would_fetch():
    page = (
        '<script src="https://cdn.example/a.js"></script><link href="b.css" rel="stylesheet">'
        '<img src="data:image/png;base64,AA"><a href="https://osm.org">OSM</a><iframe src="#x"></iframe>'
    )
    assert external_resources(page) == ["https://cdn.example/a.js", "b.css"]
