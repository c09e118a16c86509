"""The one method text (geo.report.method) and the app's method expander (ui.method)."""

from __future__ import annotations

import dataclasses

import pytest

from geo import schema
from geo.decide.access import AccessMeasure
from geo.decide.pipeline import run
from geo.report.method import join_words, lower_first, method_sections, n_buurten
from geo.terms import term
from ui.method import method_text


@pytest.fixture(scope="module")
def result():
    return run()


@pytest.fixture(scope="module")
def network_result(result):
    """The ranking as if sport and schools had been measured over a walking network."""
    access = result.prepared.access
    measures = dict(access.measures)
    for key in ("sport", "primary_school"):
        m = measures[key]
        measures[key] = dataclasses.replace(m, method=schema.NETWORK, mode="walk", speed_kmh=4.0)
    prepared = dataclasses.replace(result.prepared, access=dataclasses.replace(access, measures=measures))
    return dataclasses.replace(result, prepared=prepared)


def _text(sections) -> str:
    return " ".join(f"{s.heading} {s.text}" for s in sections)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_method_has_the_same_sections_in_both_languages(result, lang):
    sections = method_sections(result, lang)
    assert len(sections) == len(method_sections(result, "nl")) == 6
    text = _text(sections)
    for key in ("priority_score", "need_index", "access_gap"):
        assert term(key, lang).lower() in text.lower()
    assert "±3" in text and "110" in text and "111" in text


def test_method_says_which_buurten_were_imputed(result):
    text = _text(method_sections(result, "nl"))
    assert "Ontbrekende waarden (beleid: mediaan)." in text
    assert "Dit gebeurde voor: bijstandsuitkeringen per 1.000 inwoners (3 buurten)" in text


def test_method_names_the_measure_each_type_used(result):
    nl = _text(method_sections(result, "nl"))
    assert "Voor sportaccommodatie en basisschool meten we hemelsbreed vanaf een punt in de buurt" in nl
    assert "gebruiken we de afstand over de weg die CBS publiceert" in nl
    assert "straten-netwerk" not in nl


def test_method_is_right_when_a_street_network_is_loaded(network_result):
    nl = _text(method_sections(network_result, "nl"))
    assert "Voor sportaccommodatie en basisschool meten we over het straten-netwerk (lopen, 4 km/u)" in nl
    assert "hemelsbreed" not in nl
    en = _text(method_sections(network_result, "en"))
    assert "For sports facility and primary school we measure over the street network (walking, 4 km/h)" in en
    assert "straight line" not in en


def test_app_method_text_is_the_same_text_as_markdown(network_result):
    md = method_text(network_result, "nl")
    paragraphs = md.split("\n\n")
    assert len(paragraphs) == len(method_sections(network_result, "nl"))
    assert paragraphs[0].startswith("**Welke buurten tellen mee?** Gerangschikt zijn de 110 van de 111 buurten")
    # The stale claim of the old text is gone: the distances say what was measured.
    assert "tot er een straten-netwerk is geladen" not in md and "hemelsbreed" not in md
    assert "straten-netwerk \\(lopen, 4 km/u\\)" in md  # Markdown-escaped


def test_unknown_facility_types_are_named_by_their_key_and_escaped(result):
    access = result.prepared.access
    measures = {"<b>club</b>": AccessMeasure("<b>club</b>", schema.STRAIGHT_LINE, 1, 1)}
    odd = dataclasses.replace(
        result, prepared=dataclasses.replace(result.prepared, access=dataclasses.replace(access, measures=measures))
    )
    assert "Voor <b>club</b> meten we hemelsbreed" in _text(method_sections(odd, "nl"))
    assert "<b>" not in method_text(odd, "nl")


def test_word_helpers():
    assert join_words(["a", "b", "c"], "nl") == "a, b en c"
    assert join_words(["a", "b"], "en") == "a and b"
    assert join_words(["a"], "en") == "a" and join_words([], "nl") == ""
    assert n_buurten(1) == "1 buurt" and n_buurten(2) == "2 buurten"
    assert lower_first("Gemiddelde WOZ-waarde") == "gemiddelde WOZ-waarde" and lower_first("") == ""
