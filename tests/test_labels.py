"""Map words (layers.labels): concept names from geo.terms, distance labels, the direction of colours."""

from __future__ import annotations

import pytest

from geo import schema
from geo.decide.access import AccessMeasure
from geo.errors import ParameterError
from geo.terms import column_label
from layers.labels import higher_is_more_need, map_label, word


def test_map_label_is_the_term_and_says_how_a_distance_was_measured():
    assert map_label(schema.PRIORITY_SCORE, "nl") == column_label(schema.PRIORITY_SCORE, "nl") == "Prioriteitsscore"
    measures = {"sport": AccessMeasure("sport", schema.STRAIGHT_LINE, 3, 6)}
    assert map_label("dist_sport_m", "en", measures) == (
        "Distance to sports facility (straight line from a point in the buurt (approximation))"
    )
    network = {"sport": AccessMeasure("sport", schema.NETWORK, 3, 6, mode="walk", speed_kmh=4.5)}
    assert map_label("dist_sport_m", "nl", network) == (
        "Afstand tot sportaccommodatie (over het straten-netwerk (lopen, 4,5 km/u))"
    )
    # Without a measure for the type the label is the indicator's name alone.
    assert map_label("dist_sport_m", "nl") == "Afstand tot sportaccommodatie"


def test_higher_is_more_need_follows_the_indicator_direction_and_rank():
    assert higher_is_more_need(schema.PRIORITY_SCORE)
    assert higher_is_more_need("dist_sport_m")
    assert not higher_is_more_need("income_per_inhabitant_keur")
    assert not higher_is_more_need(schema.RANK)


def test_words_are_bilingual_and_fill_templates():
    assert word("no_data", "nl") == "Geen gegevens" and word("no_data", "en") == "No data"
    assert "top 5" in word("print_map_caption", "en", label="X", n=5)
    with pytest.raises(ParameterError):
        word("no_data", "de")
