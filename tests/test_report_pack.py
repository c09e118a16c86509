"""The content of the decision pack (geo.report.pack): one frozen object, sentences written once."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pandas as pd
import pytest

from geo import schema
from geo.catalog import ACCESS
from geo.data import national
from geo.decide.pipeline import run
from geo.decide.schools import analyse_schools
from geo.errors import MissingColumnError, ParameterError
from geo.report.pack import (
    PackContent,
    TopRow,
    build_pack_content,
    map_title,
    robustness_headline,
    robustness_parts,
    robustness_summary,
    top_buurten,
    weights_table,
)
from geo.terms import column_label, group_name


@pytest.fixture(scope="module")
def result():
    return run()


@pytest.fixture(scope="module")
def content(result) -> PackContent:
    return build_pack_content(result, created=datetime(2026, 12, 2, tzinfo=UTC), app_version="v1")


def _robustness(codes, sensitive) -> pd.DataFrame:
    return pd.DataFrame(
        {"rank_median": 1.0, "rank_p05": 1.0, "rank_p95": 3.0, "share_top_n": 0.98, "weight_sensitive": sensitive},
        index=list(codes),
    )


def test_robustness_table_without_its_columns_is_refused(result):
    with pytest.raises(MissingColumnError, match="weight_sensitive"):
        top_buurten(result, robustness=pd.DataFrame({"rank_median": [1.0]}, index=["BU03440000"]))


def test_top_buurten_keeps_ties_and_refuses_nonsense(result):
    top = top_buurten(result, n=3)
    assert list(top[schema.RANK]) == [1, 2, 3]
    assert top["explanation"].str.contains("staat op").all()
    with pytest.raises(ParameterError):
        top_buurten(result, n=0)


def test_robustness_of_unknown_buurten_is_refused(result):
    with pytest.raises(ParameterError, match="not in the ranking"):
        top_buurten(result, robustness=_robustness(["BU99999999"], [False]))


def test_pack_content_is_frozen(content):
    with pytest.raises(dataclasses.FrozenInstanceError):
        content.title = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        content.top[0].name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        content.words["summary"] = "x"  # type: ignore[index]
    assert isinstance(content.top, tuple) and isinstance(content.summary, tuple)


def test_pack_content_holds_formatted_figures_and_terms(content):
    assert content.page_title == "Beslisdocument: Rijke schooldag: waar eerst investeren? — Utrecht (2 december 2026)"
    assert content.app_version == "v1" and content.share_link == "" and not content.share_link_is_web
    first = content.top[0]
    assert isinstance(first, TopRow) and first.rank == 1 and first.name == "Kanaleneiland-Zuid"
    assert first.why.startswith("Kanaleneiland-Zuid staat op 1 van 110")
    assert first.robustness is None and first.robustness_detail == ""
    assert content.numbered[first.code] == 1 and len(content.numbered) == len(content.top) == 10
    assert content.top_headers == tuple(
        column_label(c, "nl")
        for c in (schema.RANK, schema.BUURT_NAME, schema.PRIORITY_SCORE, schema.NEED_INDEX, schema.ACCESS_GAP,
                  schema.CHILDREN_0_14)
    )
    assert content.score_note.startswith("Prioriteitsscore, behoefte-index en afstandsachterstand zijn")
    assert content.summary[0] == "110 van de 111 buurten zijn gerangschikt; 1 zonder inwoners tellen niet mee."
    assert content.summary[3].startswith("De prioriteitsscore combineert 9 indicatoren (weging: Rijke schooldag")
    assert content.summary[-1] == "Robuustheid bij andere gewichten: niet berekend."
    assert not content.robustness_computed and content.robustness.startswith("Niet berekend")
    unused = [w for w in content.weights if not w.used]
    assert unused and all(w.status.startswith("niet gebruikt: ") and w.imputed == "" for w in unused)


def test_pack_content_in_english_is_the_same_structure(result, content):
    en = build_pack_content(result, lang="en", share_link=" https://x/?a=1 ")
    assert en.share_link == "https://x/?a=1" and en.share_link_is_web
    assert len(en.top) == len(content.top) and len(en.method) == len(content.method)
    assert en.summary[0] == "110 of 111 buurten are ranked; 1 without inhabitants are left out."
    assert en.summary[3].startswith("The priority score combines 9 indicators (weighting: ")
    assert en.score_note.startswith("Priority score, need index and access gap are standardised")
    assert set(en.words) == set(content.words)


def test_robustness_texts_in_both_languages():
    top = pd.DataFrame(
        {schema.BUURT_NAME: ["A", "B", "C"], "weight_sensitive": [False, True, None],
         "rank_p05": [1.0, 2.0, None], "rank_p95": [3.0, 14.0, None], "share_top_n": [0.98, 0.4, None]},
        index=["a", "b", "c"],
    )
    nl = robustness_summary(top, lang="nl", n_draws=1000, top_n=10)
    en = robustness_summary(top, lang="en", n_draws=1000, top_n=10)
    assert nl.startswith("Doorgerekend met 1.000 wegingen") and "1 van de 2 buurten in de top 10" in nl
    assert "; 1 hangt af van de weging: B." in nl and nl.endswith("Voor 1 buurt ontbreekt de berekening.")
    assert en.startswith("Recomputed with 1,000 weightings") and "; 1 depends on the weighting: B." in en
    assert en.endswith("The computation is missing for 1 buurt.")
    assert robustness_headline(top, lang="nl") == (
        "Bij andere gewichten blijven 1 van de 2 buurten in de top; 1 hangt af van de weging."
    )
    assert robustness_parts(top, "a", "nl", top_n=10) == ("robuust", "plaats 1–3, 98% in de top 10")
    assert robustness_parts(top, "b", "en") == ("depends on the weighting", "rank 2–14, 40% in the top")
    assert robustness_parts(top, "c", "nl") == ("", "")
    assert robustness_parts(None, "a", "nl") == ("", "")


def test_weights_table_lists_used_first(result):
    table = weights_table(result, "en")
    assert list(table["used"]) == sorted(table["used"], reverse=True)
    sport = table.set_index("key").loc["dist_sport_m"]
    assert sport["group"] == group_name(ACCESS, "en") and sport["approximation"]


def test_map_title_names_municipality_date_weighting_and_sources(result):
    title, note = map_title(result, lang="en", created=datetime(2026, 12, 2, tzinfo=UTC))
    assert title == "Rijke schooldag — Utrecht"
    assert note.startswith("2 December 2026 · Weighting: Rich school day (default) · ")




# --------------------------------------------------------------------------- the Scholen section


@pytest.fixture(scope="module")
def schools(result):
    return analyse_schools(result.prepared.dataset, scores=national.school_scores(),
                           history=national.pupil_history())


def test_pack_without_schools_has_no_school_section(content):
    assert content.schools is None


def test_school_section_ranks_by_gap_score_and_labels_the_estimate(result, schools):
    section = build_pack_content(result, schools=schools, created=datetime(2026, 12, 2, tzinfo=UTC)).schools
    assert section is not None and section.heading == "Scholen"
    assert section.headers == (
        "Plaats", "School", "Leerlingen", "Relatieve achterstandsscore", "Vergelijkbaar met categorie A (schatting)",
        "Domeinen zonder aanbieder binnen bereik", "Tekortscore",
    )
    assert len(section.rows) == 10 and [r.rank for r in section.rows] == list(range(1, 11))
    first = section.rows[0]
    assert (first.code, first.name, first.pupils, first.relative_score, first.eligible_like, first.domains_missing,
            first.gap_score) == ("17ZR00", "PCB Buurtschool Hart van Noord", "711", "4,20", "ja", "1", "2.990")
    gaps = schools.branches.loc[[r.code for r in section.rows], schema.GAP_SCORE].to_list()
    assert gaps == sorted(gaps, reverse=True)
    assert section.notes[0] == (
        "Vergelijkbaar met categorie A — schatting op CBS-scores 2019; de echte lijst kan worden geladen."
    )
    assert any("hemelsbreed (benadering)" in n for n in section.notes)
    assert any(n.startswith("4 scholen hebben geen CBS-achterstandsscore") for n in section.notes)
    assert section.intro[0].startswith("98 basisscholen (DUO) in Utrecht, naar tekortscore")


def test_school_section_cards_are_the_top_three_and_the_selected_school(result, schools):
    plain = build_pack_content(result, schools=schools).schools
    assert [c.code for c in plain.cards] == [r.code for r in plain.rows[:3]]
    assert plain.cards[0].gap_sentence.startswith("1 domein zonder aanbieder binnen 10 minuten lopen")
    chosen = build_pack_content(result, schools=schools, selected_school="07vw00").schools
    assert [c.code for c in chosen.cards] == [*(r.code for r in plain.rows[:3]), "07VW00"]
    assert "de gekozen school" in chosen.intro[-1]
    again = build_pack_content(result, schools=schools, selected_school=plain.rows[0].code).schools
    assert [c.code for c in again.cards] == [c.code for c in plain.cards]  # no card twice
    with pytest.raises(ParameterError, match="no primary-school branch"):
        build_pack_content(result, schools=schools, selected_school="XX9999")


def test_school_section_in_english(result, schools):
    section = build_pack_content(result, lang="en", schools=schools).schools
    assert section.heading == "Schools" and section.rows[0].eligible_like == "yes"
    assert section.notes[0].startswith("Comparable to category A — an estimate from the CBS scores of 2019")
    assert section.cards[0].lang == "en" and section.cards[0].kind == "Gap card"
