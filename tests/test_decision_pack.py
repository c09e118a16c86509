"""The decision pack (layers.decision_pack) on the real Utrecht default.

The HTML is read back with the standard library's parser (tests/layers_fixtures.Doc):
tags balanced, resources listed, table cells read. The pack is rendered by an
autoescaping jinja2 template, so expected escaped text is written with
markupsafe's ``escape`` (which writes ``'`` as ``&#39;``).
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd
import pytest
from markupsafe import escape

from geo import schema
from geo.catalog import INDICATORS
from geo.data import national
from geo.decide.explain import explain_buurt
from geo.decide.pipeline import run
from geo.decide.schools import analyse_schools
from geo.errors import ParameterError
from geo.lang import format_number
from geo.terms import column_label
from layers.decision_pack import build_decision_pack_html
from layers.exports import decision_pack_bytes, write_exports
from tests.helpers import HOSTILE_LINK, HOSTILE_NAME, Doc, with_hostile_top_name


@pytest.fixture(scope="module")
def result():
    return run()


@pytest.fixture(scope="module")
def pack_html(result) -> str:
    return build_decision_pack_html(result, share_link="https://planner.example/?preset=rijke_schooldag",
                                    app_version="abc123")


@pytest.fixture(scope="module")
def hostile(result):
    return with_hostile_top_name(result)


@pytest.fixture(scope="module")
def hostile_pack(hostile) -> str:
    return build_decision_pack_html(hostile, share_link=HOSTILE_LINK)


def _robustness_frame(result) -> pd.DataFrame:
    rank = result.table[schema.RANK].to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "rank_median": rank,
            "rank_p05": np.maximum(1, rank - 2),
            "rank_p95": rank + 3,
            "share_top_n": np.where(rank <= 5, 0.95, 0.4),
            "weight_sensitive": rank > 5,
        },
        index=result.table[schema.BUURT_CODE].to_numpy(),
    )


def test_decision_pack_parses_and_loads_nothing(pack_html):
    doc = Doc(pack_html)
    assert doc.errors == []
    assert doc.resources == []
    assert pack_html.startswith("<!DOCTYPE html>")
    assert '<html lang="nl">' in pack_html
    assert "@media print" in pack_html and "size: A4" in pack_html


def test_decision_pack_title_has_municipality_and_date(pack_html):
    doc = Doc(pack_html)
    assert "Utrecht" in pack_html
    months = "januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december"
    assert re.search(rf"<title>Beslisdocument: .*Utrecht \(\d{{1,2}} ({months}) \d{{4}}\)</title>", pack_html)
    assert doc.errors == []


def test_decision_pack_header_names_weighting_link_and_version(pack_html):
    assert "<dt>Weging</dt><dd>Rijke schooldag (standaard)</dd>" in pack_html
    assert '<a href="https://planner.example/?preset=rijke_schooldag">' in pack_html
    assert "<dd>abc123</dd>" in pack_html
    assert "geen link meegegeven" in build_decision_pack_html(run(), interactive_map=False)


def test_decision_pack_names_the_top_buurten_and_why(pack_html, result):
    top = result.table[result.table[schema.STATUS] == schema.STATUS_RANKED].head(10)
    rows = Doc(pack_html).tables["top-table"]
    names_in_table = [r[1] for r in rows[1:] if len(r) > 2]
    for name in top[schema.BUURT_NAME].head(5):
        assert escape(name) in pack_html
        assert any(cell.startswith(name) for cell in names_in_table)
    first = explain_buurt(
        result.table, result.ranking, top[schema.BUURT_CODE].iloc[0], measures=result.prepared.access.measures
    )
    assert escape(first.sentence) in pack_html
    assert first.sentence in [r[-1] for r in rows if len(r) == 2]
    # Rank, score, need, access gap and children of #1, in Dutch number style.
    first_row = rows[1]
    assert first_row[0] == "1"
    assert first_row[2] == format_number(top[schema.PRIORITY_SCORE].iloc[0], lang="nl", decimals=2)
    assert first_row[5] == format_number(top[schema.CHILDREN_0_14].iloc[0], lang="nl")


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_decision_pack_uses_the_terms_of_geo_terms(result, lang):
    html = build_decision_pack_html(result, lang=lang, interactive_map=False)
    header = Doc(html).tables["top-table"][0]
    for i, column in enumerate((schema.RANK, schema.BUURT_NAME, schema.PRIORITY_SCORE, schema.NEED_INDEX,
                                schema.ACCESS_GAP)):
        assert header[i] == column_label(column, lang)
    assert header[5] == column_label(schema.CHILDREN_0_14, lang)
    # The old names of need index and access gap are gone.
    for old in ("Achterstandsindex", "achterstandsindex", "Bereikbaarheidstekort", "bereikbaarheidstekort",
                ">Achterstand<", ">Bereikbaarheid<", ">Prioriteit<"):
        assert old not in html


def test_decision_pack_lists_every_weight_and_measure(pack_html, result):
    tables = Doc(pack_html).tables
    weights = {r[0]: r for r in tables["grid"][1:]} if "grid" in tables else {}
    # Both method tables share the class "grid": rows with 6 cells are the weights.
    weight_rows = {r[0].split(" (niet gebruikt")[0]: r for r in weights.values() if len(r) == 6}
    for key, w in result.params.weights:
        label = INDICATORS[key].label("nl")
        assert label in weight_rows, label
        assert weight_rows[label][3] == format_number(w, lang="nl", decimals=1)
    assert "hemelsbreed (benadering)" in weight_rows["Afstand tot sportaccommodatie"][5]
    assert "niet gebruikt" in weight_rows["Aandeel huishoudens met laag inkomen"][0]
    assert "mediaan" in pack_html


def test_decision_pack_shows_the_method_sections(pack_html):
    for heading in ("Welke buurten tellen mee?", "Standaardiseren.", "Ontbrekende waarden (beleid: mediaan).",
                    "Afstanden."):
        assert f"<strong>{heading}</strong>" in pack_html
    assert "Voor sportaccommodatie en basisschool meten we hemelsbreed" in pack_html


def test_decision_pack_lists_sources_with_licence_and_year(pack_html, result):
    rows = Doc(pack_html).tables["grid sources-table"]
    sources = result.prepared.dataset.meta["sources"]
    assert len(rows) == len(sources) + 1
    for s, row in zip(sources, rows[1:], strict=True):
        assert row[2] == str(s["year"])
        assert row[3] == s["licence"]
        assert row[4] == s["attribution"]
    assert "OpenStreetMap" in pack_html and "ODbL" in pack_html


def test_decision_pack_has_a_static_map_of_every_buurt(pack_html, result):
    doc = Doc(pack_html)
    assert doc.svg_paths == len(result.table) == 111
    assert set(doc.svg_titles) == set(result.table[schema.BUURT_NAME])
    # And the interactive map, for the screen.
    assert len(doc.iframe_srcdoc) == 1
    assert Doc(doc.iframe_srcdoc[0]).resources == []


def test_decision_pack_without_the_interactive_map(result):
    html = build_decision_pack_html(result, interactive_map=False)
    assert "<iframe" not in html and "Interactieve kaart" not in html
    embedded = build_decision_pack_html(result, map_html="<p>map & more</p>")
    assert Doc(embedded).iframe_srcdoc == ["<p>map & more</p>"]


def test_decision_pack_says_robustness_was_not_computed(pack_html):
    assert "Niet berekend" in pack_html


def test_decision_pack_shows_robustness_per_buurt(result):
    html = build_decision_pack_html(result, robustness=_robustness_frame(result), robustness_draws=200,
                                    interactive_map=False)
    table = Doc(html).tables["top-table"][1:]
    rows = [r for r in table if len(r) > 2]
    assert rows[0][-1] == "robuust"
    assert table[1][-1].endswith("Bij andere wegingen: plaats 1–4, 95% in de top 10.")
    assert rows[6][-1] == "hangt af van de weging"
    assert "Doorgerekend met 200 wegingen rond de gekozen weging" in html
    assert "5 van de 10 buurten in de top 10 blijven daarbij in de top 10 (robuust); 5 hangen af van de weging" in html
    assert "Bij andere gewichten blijven 5 van de 10 buurten in de top; 5 hangen af van de weging." in html
    assert "Niet berekend" not in html


def test_decision_pack_robustness_in_english(result):
    html = build_decision_pack_html(result, lang="en", robustness=_robustness_frame(result), robustness_draws=200,
                                    interactive_map=False)
    rows = [r for r in Doc(html).tables["top-table"][1:] if len(r) > 2]
    assert rows[0][-1] == "robust" and rows[6][-1] == "depends on the weighting"
    assert "Under other weightings: rank 1–4, 95% in the top 10." in html
    assert "5 of the 10 buurten in the top 10 stay in the top 10 (robust); 5 depend on the weighting" in html


def test_decision_pack_takes_a_robustness_result_or_the_table_columns(result):
    robustness = pytest.importorskip("geo.decide.robustness")
    rob = robustness.compute_robustness(result.ranking, result.params, n_draws=200, top_n=10, seed=1)
    html = build_decision_pack_html(result, robustness=rob, interactive_map=False)
    sensitive = rob.table.loc[rob.table[schema.RANK_P05] <= 10, schema.WEIGHT_SENSITIVE]
    assert "Doorgerekend met 200 wegingen" in html
    rows = [r for r in Doc(html).tables["top-table"][1:] if len(r) > 2]
    first = result.table[schema.BUURT_CODE].iloc[0]
    verdict = "hangt af van de weging" if bool(sensitive.get(first, False)) else "robuust"
    assert rows[0][-1] == verdict
    # The same columns joined into the ranking table are picked up without being passed.
    joined = dataclasses.replace(result, table=result.table.join(rob.table))
    assert build_decision_pack_html(joined, interactive_map=False).count('class="rob ') == len(rows)


def test_decision_pack_escapes_data_and_the_share_link(hostile_pack):
    assert "<img src=x" not in hostile_pack
    assert "<script>alert" not in hostile_pack
    assert escape(HOSTILE_NAME) in hostile_pack
    # The link is shown and clickable, with & and < escaped.
    assert escape(HOSTILE_LINK) in hostile_pack
    assert f'href="{escape(HOSTILE_LINK)}"' in hostile_pack
    doc = Doc(hostile_pack)
    assert doc.errors == []
    assert HOSTILE_NAME in doc.svg_titles  # the text itself survives, as text
    assert Doc(doc.iframe_srcdoc[0]).errors == []


def test_hostile_name_is_text_in_every_place_it_appears(hostile, hostile_pack):
    # No script of any kind in the pack: the interactive map's scripts are escaped inside srcdoc.
    assert "<script" not in hostile_pack.lower()
    doc = Doc(hostile_pack)
    # As text: the page's title-less places — summary, top table, robustness list — and the map's <title>.
    text = "".join(doc.text)
    top_names = [r[1] for r in doc.tables["top-table"][1:] if len(r) > 2]
    assert top_names[0].startswith(HOSTILE_NAME)
    assert f"Hoogste prioriteit: {HOSTILE_NAME}," in text
    assert HOSTILE_NAME in doc.svg_titles
    # Every occurrence in the raw page is escaped; none is markup.
    raw = escape(HOSTILE_NAME)
    assert hostile_pack.count(raw) >= 3 and HOSTILE_NAME not in hostile_pack
    # In the interactive map the name is escaped once more for the srcdoc attribute.
    inner = doc.iframe_srcdoc[0]
    assert "<img src=x" not in inner
    # With robustness, the sensitive list names the buurt as text too.
    rob = pd.DataFrame(
        {"rank_median": [1.0], "rank_p05": [1.0], "rank_p95": [30.0], "share_top_n": [0.5],
         "weight_sensitive": [True]},
        index=[hostile.table[schema.BUURT_CODE].iloc[0]],
    )
    html = build_decision_pack_html(hostile, robustness=rob, interactive_map=False)
    assert HOSTILE_NAME not in html and f"weging: {raw}" in html


def test_decision_pack_does_not_link_a_script_url(result):
    html = build_decision_pack_html(result, share_link="javascript:alert(1)", interactive_map=False)
    assert 'href="javascript' not in html
    assert "javascript:alert(1)" in html


def test_decision_pack_in_english(result):
    html = build_decision_pack_html(result, lang="en", interactive_map=False)
    assert '<html lang="en">' in html
    assert "Decision pack" in html and "Not computed" in html
    assert "ranks 1 of 110, mainly because of" in html
    assert "Data and licences" in html


def test_decision_pack_refuses_nonsense(result):
    with pytest.raises(ParameterError):
        build_decision_pack_html(result, top_n=0, interactive_map=False)
    with pytest.raises(ParameterError):
        build_decision_pack_html(result, lang="de", interactive_map=False)


# --------------------------------------------------------------------------- the Scholen section


@pytest.fixture(scope="module")
def schools(result):
    return analyse_schools(result.prepared.dataset, scores=national.school_scores(),
                           history=national.pupil_history())


@pytest.fixture(scope="module")
def schools_pack(result, schools) -> str:
    return build_decision_pack_html(result, schools=schools, selected_school="07VW00", interactive_map=False)


def test_pack_without_schools_has_no_cards(pack_html):
    assert "gap-card" not in pack_html and 'class="schools' not in pack_html


def test_pack_with_schools_parses_and_loads_nothing(schools_pack):
    doc = Doc(schools_pack)
    assert doc.errors == [] and doc.resources == []
    assert ".gap-card" in schools_pack  # the card style is inlined


def test_pack_schools_table_and_one_page_per_card(schools_pack):
    doc = Doc(schools_pack)
    rows = doc.tables["grid schools-table"]
    assert rows[0][1] == "School" and len(rows) == 11
    assert rows[1][1] == "PCB Buurtschool Hart van Noord 17ZR00" and rows[1][-1] == "2.990"
    pages = re.findall(r'<section class="school-card-page page-break"><article class="gap-card"', schools_pack)
    assert len(pages) == 4  # the top three by gap score and the selected school
    assert schools_pack.index('class="schools page-break"') < schools_pack.index('class="method page-break"')
    assert "Rooms Katholieke Basisschool Joannes XXIII" in schools_pack
    assert "vergelijkbaar met categorie A — schatting op CBS-scores 2019" in schools_pack


def test_pack_school_names_are_escaped(result, schools):
    branches = schools.branches.copy()
    branches.loc["17ZR00", schema.SCHOOL_NAME] = HOSTILE_NAME
    hostile = dataclasses.replace(schools, branches=branches)
    html = build_decision_pack_html(result, schools=hostile, interactive_map=False)
    assert HOSTILE_NAME not in html and str(escape(HOSTILE_NAME)) in html
    assert Doc(html).errors == []


def test_pack_bytes_and_folder_export_pass_the_schools_on(result, schools, tmp_path):
    html = decision_pack_bytes(result, schools=schools, selected_school="07VW00", app_version="v").decode("utf-8")
    assert html.count('<article class="gap-card"') == 4
    paths = write_exports(result, tmp_path, schools=schools, app_version="v")
    assert paths["decision_pack"].read_text(encoding="utf-8").count('<article class="gap-card"') == 3


def test_the_print_legend_names_each_facility_type_with_its_domain(result):
    for lang, sport, school in (
        ("nl", "Sportaccommodatie — Sport, bewegen en gezondheid", "Basisschool"),
        ("en", "Sports facility — Sport, movement and health", "Primary school"),
    ):
        html = build_decision_pack_html(result, lang=lang, facility_types=["sport", "primary_school"],
                                        interactive_map=False)
        legend = html[html.index('<div class="legend">'):]
        legend = legend[: legend.index("</div>")]
        assert str(escape(sport)) in legend
        assert f"{school} —" not in legend and school in legend  # the school itself serves no domain
