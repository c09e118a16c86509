"""geo/catalog.py: the facility types, indicators and weight presets a planner chooses from.

The catalog is data, but a preset naming an unknown indicator, a negative weight or a
missing label breaks the app's sidebar or silently drops a weight, so it is checked here.
"""

from __future__ import annotations

import re

import pytest

from geo.catalog import (
    ACCESS,
    DEFAULT_PRESET,
    DOMAINS,
    FACILITY_TYPES,
    GROUPS,
    INDICATORS,
    PRESET_LABELS,
    PRESETS,
    domain_facility_types,
    domain_label,
    get_facility_type,
    get_indicator,
    get_preset,
)
from geo.decide.ranking import RankingParams
from geo.errors import ParameterError


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_names_known_indicators_with_usable_weights(name: str) -> None:
    weights = PRESETS[name]
    unknown = set(weights) - set(INDICATORS)
    assert not unknown, f"preset {name} names unknown indicators {sorted(unknown)}"
    assert all(isinstance(w, int | float) and w >= 0 for w in weights.values()), weights
    assert sum(weights.values()) > 0  # at least one indicator counts
    # A preset always builds valid ranking parameters.
    assert dict(RankingParams.from_preset(name).weights) == dict(weights)


def test_presets_have_dutch_and_english_labels_and_the_default_exists() -> None:
    assert set(PRESET_LABELS) == set(PRESETS)
    for nl, en in PRESET_LABELS.values():
        assert nl.strip() and en.strip()
    assert DEFAULT_PRESET in PRESETS


def test_get_preset_returns_a_copy_and_the_catalog_cannot_be_changed() -> None:
    weights = get_preset(DEFAULT_PRESET)
    weights["dist_sport_m"] = 99.0  # e.g. a planner's slider
    assert PRESETS[DEFAULT_PRESET]["dist_sport_m"] == 1.0
    with pytest.raises(TypeError):
        PRESETS[DEFAULT_PRESET]["dist_sport_m"] = 99.0  # type: ignore[index]
    with pytest.raises(TypeError):
        FACILITY_TYPES["sport"] = FACILITY_TYPES["library"]  # type: ignore[index]


#: Types whose name is the same word in Dutch and English (every other type must have two different labels).
SAME_WORD_IN_BOTH_LANGUAGES = {"museum"}


def test_every_facility_type_has_labels_a_domain_a_distinct_colour_and_an_access_indicator() -> None:
    colours = [ft.color for ft in FACILITY_TYPES.values()]
    assert len(set(colours)) == len(colours)  # one colour per layer on the map
    for key, ft in FACILITY_TYPES.items():
        assert ft.key == key
        assert ft.label("nl") == ft.label_nl and ft.label("en") == ft.label_en
        assert (ft.label_nl == ft.label_en) == (key in SAME_WORD_IN_BOTH_LANGUAGES), key
        assert ft.domain is None or ft.domain in DOMAINS
        assert re.fullmatch(r"#[0-9A-F]{6}", ft.color), ft.color
        ind = INDICATORS[f"dist_{key}_m"]
        assert (ind.group, ind.direction, ind.facility_type) == (ACCESS, +1, key)


def test_every_indicator_has_a_group_a_direction_and_two_labels() -> None:
    for key, ind in INDICATORS.items():
        assert ind.key == key
        assert ind.group in GROUPS and ind.direction in (+1, -1)
        assert ind.label("nl").strip() and ind.label("en").strip() and ind.unit and ind.definition
        assert (ind.facility_type is not None) == (ind.group == ACCESS), key
    # Higher WOZ and higher income mean less need: they count the other way round.
    assert INDICATORS["woz_mean_keur"].direction == INDICATORS["income_per_inhabitant_keur"].direction == -1


@pytest.mark.parametrize(
    ("lookup", "bad", "listed"),
    [
        (get_facility_type, "zwembad", "swimming_pool"),
        (get_indicator, "dist_pool_m", "dist_swimming_pool_m"),
        (get_preset, "rijk", "rijke_schooldag"),
    ],
)
def test_an_unknown_name_is_a_parameter_error_that_lists_the_choices(lookup, bad: str, listed: str) -> None:
    with pytest.raises(ParameterError, match=f"Unknown .*'{bad}'; expected one of: .*{listed}"):
        lookup(bad)


def test_lookups_find_what_the_catalog_holds() -> None:
    assert get_facility_type("library") is FACILITY_TYPES["library"]
    assert get_indicator("children_0_14") is INDICATORS["children_0_14"]
    assert get_preset("need_only") == dict(PRESETS["need_only"])


#: The documented mapping (product issue, School en Omgeving): which rijke-schooldag domain each type serves.
DOCUMENTED_DOMAINS = {
    "sport": "sport_health",
    "swimming_pool": "sport_health",
    "library": "cognitive",
    "culture": "culture",  # theatre, arts centre, music school
    "after_school_care": "social_emotional",
    "community_centre": "social_emotional",
    "playground": "social_emotional",
    "youth_work": "social_emotional",
    "nature": "orientation",
    "museum": "orientation",
    "makerspace": "orientation",
    # Not partners for a school's activities: the school itself and the day nursery (children under 4).
    "primary_school": None,
    "childcare": None,
}


def test_the_documented_domain_mapping_of_facility_types() -> None:
    assert {key: ft.domain for key, ft in FACILITY_TYPES.items()} == DOCUMENTED_DOMAINS
    assert domain_facility_types("sport_health") == ("sport", "swimming_pool")
    assert domain_facility_types("cognitive") == ("library",)
    assert domain_facility_types("culture") == ("culture",)
    assert domain_facility_types("social_emotional") == ("after_school_care", "community_centre", "playground",
                                                          "youth_work")
    assert domain_facility_types("orientation") == ("nature", "museum", "makerspace")
    with pytest.raises(ParameterError, match="Unknown domain"):
        domain_facility_types("nonsense")


@pytest.mark.parametrize("domain", list(DOMAINS))
def test_every_domain_has_a_facility_type_and_two_names(domain: str) -> None:
    assert domain_facility_types(domain), f"no facility type offers {domain}"
    nl, en = DOMAINS[domain]
    assert domain_label(domain, "nl") == nl and domain_label(domain, "en") == en and nl != en
    with pytest.raises(ParameterError, match="Unknown domain"):
        domain_label("sport", "nl")  # a facility type, not a domain


def test_the_default_preset_weighs_a_facility_type_of_every_domain() -> None:
    weighted = {INDICATORS[k].facility_type for k in PRESETS[DEFAULT_PRESET] if INDICATORS[k].group == ACCESS}
    served = {FACILITY_TYPES[t].domain for t in weighted}
    assert served == set(DOMAINS)
    # orientation counts through nature only; museum, makerspace and youth work carry no default weight
    assert {"dist_museum_m", "dist_makerspace_m", "dist_youth_work_m"}.isdisjoint(PRESETS[DEFAULT_PRESET])
