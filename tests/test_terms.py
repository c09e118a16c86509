"""geo/terms.py: one name per concept, and the app, the map, the exports and the pack all use it.

The outputs are collected for real (the decision pack and the standalone map for Utrecht,
the app through Streamlit's AppTest) and every text they print is checked against the table:
each concept appears under its one name, no drifted synonym appears anywhere, and a Dutch
output never carries the English name of a concept (nor the other way round).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo import schema
from geo.catalog import DOMAINS, FACILITY_TYPES
from geo.decide.pipeline import run
from geo.errors import ParameterError
from geo.lang import LANGUAGES
from geo.terms import TERMS, column_label, facility_type_with_domain, group_name, group_score_name, term
from layers.decision_pack import build_decision_pack_html
from layers.standalone import result_map_html

APP = str(Path(__file__).resolve().parents[1] / "app.py")
#: Concepts every output names (the scores a buurt is ranked on).
CONCEPTS = (schema.PRIORITY_SCORE, schema.NEED_INDEX, schema.ACCESS_GAP)
#: Names the same concepts had in different places before the one table (code review 2026-12, finding 4).
DRIFTED = (
    "Achterstandsindex", "Bereikbaarheidstekort", "toegangskloof", "Afstandsachterstandsindex",
    "Neighbourhood code", "Deprivation index", "Rang (1 = hoogste prioriteit)",
)


def _text(markup: str) -> str:
    """The visible text of an HTML page, one line per text run (tags, scripts and styles removed)."""
    markup = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", markup)
    return html.unescape(re.sub(r"<[^>]+>", "\n", markup))


@pytest.fixture(scope="module")
def result():
    return run()


@pytest.fixture(scope="module")
def outputs(result) -> dict[str, dict[str, str]]:
    """Per language: the decision pack's text, the map's text (legend, tooltips, title) and the app's text."""
    out: dict[str, dict[str, str]] = {}
    for lang in LANGUAGES:
        app = AppTest.from_file(APP, default_timeout=120)
        app.query_params["lang"] = lang  # as a shared link opens it
        app.run()
        assert not app.exception
        app_text = "\n".join(
            [str(m.value) for m in (*app.markdown, *app.info, *app.caption, *app.subheader, *app.title)]
            + [str(c) for df in app.dataframe for c in df.value.columns]
            + [str(m.label) for m in app.metric]
            + [str(e.label) for e in app.expander]
        )
        out[lang] = {
            "pack": _text(build_decision_pack_html(result, lang=lang, interactive_map=False)),
            # the map keeps its tooltip labels and legend in the Leaflet script: read the raw page, unescaped
            "map": html.unescape(result_map_html(result, lang=lang)),
            "app": app_text,
        }
    return out


def test_every_concept_has_one_name_per_language():
    for lang in LANGUAGES:
        names = [term(k, lang) for k in TERMS if "{}" not in term(k, lang)]
        repeated = {n for n in names if names.count(n) > 1}
        assert not repeated, f"two concepts share the {lang} name(s) {sorted(repeated)}"
    for key, (nl, en) in TERMS.items():
        assert nl.strip() and en.strip(), key


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("where", ["pack", "map", "app"])
def test_outputs_name_the_scores_by_the_table(outputs, lang, where):
    text = outputs[lang][where]
    # The map shows one layer (the priority score by default); the pack and the app show all three scores.
    for column in CONCEPTS if where != "map" else (schema.PRIORITY_SCORE,):
        assert column_label(column, lang) in text, f"{where} ({lang}) does not say '{column_label(column, lang)}'"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("where", ["pack", "map", "app"])
def test_no_drifted_or_other_language_name(outputs, lang, where):
    text = outputs[lang][where]
    for old in DRIFTED:
        assert old not in text, f"{where} ({lang}) still says '{old}'"
    other = next(x for x in LANGUAGES if x != lang)
    for column in (*CONCEPTS, schema.REACH_SCORE):
        mine, theirs = column_label(column, lang), column_label(column, other)
        if mine != theirs:
            assert theirs not in text, f"{where} ({lang}) says the {other} name '{theirs}'"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_pack_weights_table_names_groups_as_the_sidebar_does(result, outputs, lang):
    from geo.catalog import ACCESS, NEED, REACH

    for group in (NEED, ACCESS):
        assert group_name(group, lang) in outputs[lang]["pack"]
        assert group_name(group, lang) in outputs[lang]["app"]  # the sidebar's weight sections
    assert group_score_name(REACH, lang) == column_label(schema.REACH_SCORE, lang)


def test_a_facility_type_is_named_with_its_domain_in_one_language():
    assert facility_type_with_domain("library", "nl") == "Bibliotheek — Cognitieve ontwikkeling"
    assert facility_type_with_domain("library", "en") == "Library — Cognitive development"
    nature = "Nature and petting farm — Orientation on yourself and the world"
    assert facility_type_with_domain("nature", "en") == nature
    assert facility_type_with_domain("childcare", "nl") == "Kinderdagverblijf"  # no domain: the name alone
    for key, ft in FACILITY_TYPES.items():
        for lang in LANGUAGES:
            assert facility_type_with_domain(key, lang).startswith(ft.label(lang))
    with pytest.raises(ParameterError):
        facility_type_with_domain("cinema", "nl")
    with pytest.raises(ParameterError):
        facility_type_with_domain("library", "de")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_map_legend_names_facility_types_with_their_domain(outputs, lang):
    # the legend reaches Leaflet as a JSON string, where "—" is written \u2014
    text = outputs[lang]["map"].replace("\\u2014", "—")
    assert facility_type_with_domain("sport", lang) in text
    other = next(x for x in LANGUAGES if x != lang)
    for names in DOMAINS.values():
        theirs = names[1] if lang == "nl" else names[0]
        if names[0] != names[1]:
            assert f"— {theirs}" not in text, f"the {lang} map names the {other} domain '{theirs}'"
