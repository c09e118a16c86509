"""The gap card of one school: its content (geo.report.school_card) and its HTML (layers.school_card).

Known answers come from two places: the hand-made town of ``tests/helpers.py`` (every figure worked out by
hand in the comments) and the committed Utrecht default with the national CBS scores and DUO history.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from markupsafe import escape

from geo import schema
from geo.catalog import DOMAINS, domain_label
from geo.data import files, national
from geo.data.build import CAR_ROADS_APPROXIMATION
from geo.data.paths import DEFAULT_DATA_DIR
from geo.decide.access import NetworkEngine
from geo.decide.pipeline import prepare, rank
from geo.decide.ranking import RankingParams
from geo.decide.schools import analyse_schools, with_need
from geo.errors import ParameterError
from geo.lang import LANGUAGES
from geo.report.school_card import GapCard, card_word, eligible_estimate_note, gap_card, ranked_by_gap
from geo.terms import PRECISION_NOTES, term
from layers.render import TEMPLATES_DIR
from layers.school_card import STATUS_SYMBOLS, card_html
from tests.helpers import (
    HOSTILE_LINK,
    HOSTILE_SCHOOL,
    SCHOOL_A,
    SCHOOL_B,
    SCHOOL_C,
    Doc,
    grid_network,
    town_buurt_table,
    town_dataset,
    town_history,
    town_scores,
)

DAY = date(2026, 12, 2)


@pytest.fixture(scope="module")
def town():
    return analyse_schools(town_dataset(), scores=town_scores(), history=town_history())


@pytest.fixture(scope="module")
def utrecht():
    ds = files.load_dataset(DEFAULT_DATA_DIR)
    result = analyse_schools(ds, scores=national.school_scores(), history=national.pupil_history())
    ranking = rank(prepare(ds), RankingParams.from_preset("rijke_schooldag"))
    return ds, result, ranking.table


def _card(result, code, lang="nl", table=None, **kwargs) -> GapCard:
    return gap_card(result, code, town_buurt_table() if table is None else table, lang, dataset_name="Testdorp",
                    created=DAY, **kwargs)


def _domain(card: GapCard, domain: str):
    return next(d for d in card.domains if d.domain == domain)


# --------------------------------------------------------------------------- the hand-made town


def test_town_card_says_who_the_school_is(town):
    card = _card(town, SCHOOL_A)
    assert (card.school_name, card.code, card.address) == ("De Regenboog", "AA0000", "Schoolstraat 1, 1234 AB Testdorp")
    assert card.page_title == "Tekortkaart: De Regenboog (AA0000) — Testdorp"
    assert card.date == "2 december 2026" and card.precision_note == ""
    facts = {f.key: f.value for f in card.facts}
    # DUO 412 pupils (2025); 400 in 2020 → +3 %; score 248 on 400 funded pupils → 0.62; 400 of the 11,200 pupils
    # rank above A's → percentile 100 × 10,800 / 11,200 = 96.4; first of the two scored branches of the town.
    assert facts == {
        schema.PUPILS: "412 (2025)",
        schema.PUPILS_TREND_PCT: "+3,0%",
        schema.SCHOOL_SCORE: "248",
        schema.RELATIVE_SCORE: "0,62",
        schema.NATIONAL_PERCENTILE: "96,4",
        schema.NATIONAL_RANK: "1 van 3",
        schema.LOCAL_RANK: "1 van 2",
        schema.ELIGIBLE_LIKE: "ja",
    }
    assert card.eligible_like is True and card.eligible_listed is None


def test_eligible_like_is_always_labelled_as_an_estimate(town):
    note = "vergelijkbaar met categorie A — schatting op CBS-scores 2019; de echte lijst kan worden geladen"
    assert eligible_estimate_note("nl", 2019) == note
    for code in (SCHOOL_A, SCHOOL_B, SCHOOL_C):
        card = _card(town, code)
        assert card.eligible_note == note and card.fact(schema.ELIGIBLE_LIKE).note == note
        assert "schatting" in card.fact(schema.ELIGIBLE_LIKE).label
    assert _card(town, SCHOOL_B).fact(schema.ELIGIBLE_LIKE).value == "nee"  # B's pupils take the top past 10 %
    assert "an estimate from the CBS scores of 2019" in _card(town, SCHOOL_A, "en").eligible_note


def test_a_loaded_list_is_shown_next_to_the_estimate(town):
    listed = analyse_schools(town_dataset(), scores=town_scores(), history=town_history(), eligible_codes=["bb0000"])
    a, b = _card(listed, SCHOOL_A), _card(listed, SCHOOL_B)
    assert (a.eligible_listed, b.eligible_listed) == (False, True)
    assert (a.fact(schema.ELIGIBLE_LISTED).value, b.fact(schema.ELIGIBLE_LISTED).value) == ("nee", "ja")
    assert a.fact(schema.ELIGIBLE_LISTED).label == term("eligible_listed", "nl")
    assert "de lijst van de gemeente is geladen" in a.eligible_note and "schatting" in a.eligible_note
    with pytest.raises(KeyError):
        _card(town, SCHOOL_A).fact(schema.ELIGIBLE_LISTED)


def test_domains_in_catalog_order_with_status_nearest_and_measure(town):
    card = _card(town, SCHOOL_A)
    assert [d.domain for d in card.domains] == list(DOMAINS)
    assert [d.name for d in card.domains] == [domain_label(d, "nl") for d in DOMAINS]
    sport, culture, cognitive, social, orientation = card.domains
    # The gym is 800 m east of A: 12 minutes at 4 km/h, beyond the 10-minute (667 m) reach.
    assert (sport.status, sport.status_text) == (schema.REACH_OUT, "niet binnen bereik")
    assert (sport.nearest, sport.distance, sport.minutes, sport.count) == (
        "Gymzaal Oost · sportaccommodatie", "800 m", "12,0 min", "0")
    assert sport.measure == "hemelsbreed (benadering)" and sport.approximate
    assert sport.no_data == "geen gegevens over: zwembad"
    # The after-school care is 500 m away: 7.5 minutes, in reach; the domain's other types have no data.
    assert (social.status_text, social.distance, social.minutes, social.count) == ("binnen bereik", "500 m", "7,5 min",
                                                                                   "1")
    assert social.no_data == "geen gegevens over: buurthuis, speeltuin, jongerenwerk / jongerencentrum"
    # The library is known only as a CBS road distance for A's buurt (900 m): no named provider.
    assert (cognitive.status, cognitive.nearest, cognitive.distance, cognitive.count) == (
        schema.REACH_OUT, "", "900 m", "–")
    assert cognitive.measure == "CBS-gemiddelde afstand over de weg in de buurt van de school, geen aanbieder bekend"
    assert card.headline == "1 van de 5 domeinen binnen 10 minuten lopen, 2 niet, 2 onbekend."
    assert culture.status == orientation.status == schema.REACH_UNKNOWN


def test_an_unknown_domain_says_why_and_never_no_provider(town):
    a, b = _card(town, SCHOOL_A), _card(town, SCHOOL_B)
    culture, orientation = _domain(a, "culture"), _domain(a, "orientation")
    assert culture.status_text == "onbekend" == orientation.status_text
    assert culture.why == "geen gegevens in deze dataset over: cultuurvoorziening"
    assert orientation.why == ("geen gegevens in deze dataset over: natuur en kinderboerderij, museum, "
                               "techniek en makerspace")
    # B's buurt has no CBS library distance: unknown, not 'no library'.
    assert _domain(b, "cognitive").why == "geen CBS-afstand voor de buurt van de school"
    for card in (a, b):
        unknown = [d for d in card.domains if d.status == schema.REACH_UNKNOWN]
        assert unknown and all("geen aanbieder" not in f"{d.why} {d.measure} {d.no_data}" for d in unknown)
        assert {p.domain for p in card.partners}.isdisjoint({d.domain for d in unknown})
    assert _domain(_card(town, SCHOOL_A, "en"), "culture").why == "no data in this dataset on: culture venue"


def test_a_school_without_a_location_is_unknown_everywhere_and_says_why():
    ds = town_dataset()
    ds.facilities.loc[ds.facilities[schema.FACILITY_ID] == "duo-AA0000", "geometry"] = None
    card = gap_card(analyse_schools(ds, scores=town_scores(), history=town_history()), SCHOOL_A, None, "nl")
    assert {d.status for d in card.domains} == {schema.REACH_UNKNOWN}
    assert all(d.why for d in card.domains)
    assert [d.why for d in card.domains if d.method != schema.NO_DATA] == ["de school heeft geen locatie"] * 3
    assert card.partners == () and card.gap_score == "–"  # no known domain: no score, not 0


def test_candidate_partner_per_missing_domain(town):
    a = _card(town, SCHOOL_A)
    assert [(p.domain, p.provider) for p in a.partners] == [("sport_health", "Gymzaal Oost"), ("cognitive", "")]
    assert a.partners[0].text == "Gymzaal Oost · sportaccommodatie: 800 m, 12,0 min lopen"
    assert a.partners[1].text == (
        "geen aanbieder met naam bekend; vanuit de buurt van de school is de dichtstbijzijnde bibliotheek gemiddeld "
        "900 m over de weg (CBS; 13,5 min lopen)"
    )
    assert a.no_partners == ""
    en = _card(town, SCHOOL_A, "en")
    assert en.partners[0].text == "Gymzaal Oost · sports facility: 800 m, 12.0 min on foot"
    assert en.partners[1].text.startswith("no named provider known")
    # C has a provider in reach for every domain with data.
    c = _card(town, SCHOOL_C)
    assert c.partners == () and c.no_partners.startswith("Geen ontbrekend domein")


def test_gap_score_is_a_sentence_a_council_can_check(town):
    a = _card(town, SCHOOL_A)
    # 2 missing domains × 0.62 × 412 pupils = 510.9.
    assert a.gap_score == "511"
    assert a.gap_sentence == (
        "2 domeinen zonder aanbieder binnen 10 minuten lopen × relatieve score 0,62 × 412 leerlingen = 511"
    )
    assert a.gap_notes[1] == "Onbekend en dus niet meegeteld: cultuur en oriëntatie op jezelf en de wereld."
    assert _card(town, SCHOOL_A, "en").gap_sentence == (
        "2 domains without a provider within a 10-minute walk × relative score 0.62 × 412 pupils = 511"
    )
    assert _card(town, SCHOOL_B).gap_sentence == (
        "2 domeinen zonder aanbieder binnen 10 minuten lopen × relatieve score 0,25 × 200 leerlingen = 100"
    )


def test_a_new_school_without_a_score_is_labelled_not_zero(town):
    c = _card(town, SCHOOL_C)
    assert card_word("no_score", "nl") == "geen score (nieuwe school)"
    assert c.fact(schema.RELATIVE_SCORE).value == "geen score (nieuwe school)"
    assert c.fact(schema.ELIGIBLE_LIKE).value == "geen score (nieuwe school)" and c.eligible_like is None
    assert c.gap_score == "–"
    assert c.gap_sentence.startswith("Geen tekortscore: de school heeft geen CBS-achterstandsscore")
    keys = [f.key for f in c.facts]
    assert schema.NATIONAL_RANK not in keys and schema.LOCAL_RANK not in keys
    assert c.fact(schema.PUPILS_TREND_PCT).value == "–"  # opened in 2024: no five-year trend


def test_pc4_location_and_missing_address_are_said(town):
    b = _card(town, SCHOOL_B)
    assert b.precision_note == PRECISION_NOTES["pc4_centroid"][0]
    assert b.address == "adres onbekend" and b.school_name == HOSTILE_SCHOOL
    assert b.approximations[0].startswith("Locatie bij benadering: midden van postcodegebied (PC4)")
    assert _card(town, SCHOOL_B, "en").precision_note == PRECISION_NOTES["pc4_centroid"][1]


def test_catchment_figures_and_top_buurten_by_need(town):
    a = _card(town, SCHOOL_A)
    # A lies in West (300 children, need 1.2); Hoek's nearest school is A (50 children, need 2.0):
    # need = (300 × 1.2 + 50 × 2.0) / 350 = 1.31.
    assert {f.key: f.value for f in a.catchment} == {
        schema.CATCHMENT_BUURTEN: "2", schema.CATCHMENT_CHILDREN: "350", schema.CATCHMENT_NEED: "1,31"}
    assert [(r.name, r.children, r.need_index, r.reason) for r in a.catchment_rows] == [
        ("Hoek", "50", "2,00", "dichtstbijzijnde school"), ("West", "300", "1,20", "de school staat hier")]
    assert a.catchment_headers == ("Buurt", "Kinderen 0–14", "Behoefte-index", "Waarom")


def test_catchment_without_a_ranking_counts_buurten_and_says_why(town):
    card = gap_card(town, SCHOOL_A, None, "nl")
    assert [(f.key, f.value) for f in card.catchment] == [(schema.CATCHMENT_BUURTEN, "2")]
    assert card.catchment_rows == () and "rangschikking" in card.catchment_note


def test_method_sources_and_approximations(town):
    a = _card(town, SCHOOL_A)
    assert a.method.startswith("Lopen vanaf de school in kindertempo (4 km/u). Binnen bereik: een aanbieder binnen 10 "
                               "minuten lopen (667 m); gemeten op 5, 10 en 15 minuten.")
    assert "hemelsbreed (benadering)" in a.method
    assert a.sources == ("CBS achterstandsscores 2019 (per vestiging); DUO: vestigingen, adressen en leerlingen 2025; "
                         "buurten en aanbieders: dataset Testdorp.")
    assert any("hemelsbreed (benadering)" in n for n in a.approximations)
    assert any(n.startswith("Cognitieve ontwikkeling: CBS-gemiddelde afstand") for n in a.approximations)
    en = _card(town, SCHOOL_A, "en")
    assert en.method.startswith("Walking from the school at a child's pace (4 km/h).")
    assert en.sources.startswith("CBS disadvantage scores 2019")


def test_a_car_road_network_is_labelled(town):
    ds = town_dataset()
    network = grid_network(ds.buurten.total_bounds, 100.0)
    network.meta["approximation"] = {"nl": CAR_ROADS_APPROXIMATION[0], "en": CAR_ROADS_APPROXIMATION[1]}
    routed = analyse_schools(ds, scores=town_scores(), history=town_history(),
                             engine=NetworkEngine(network, speed_kmh=4.0))
    for k, lang in enumerate(LANGUAGES):
        card = gap_card(routed, SCHOOL_A, None, lang)
        assert CAR_ROADS_APPROXIMATION[k] in card.approximations
    card = gap_card(routed, SCHOOL_A, None, "nl")
    sport = _domain(card, "sport_health")
    assert sport.measure == "over het straten-netwerk" and not sport.approximate
    assert "over het straten-netwerk" in card.method
    assert not any("hemelsbreed" in n for n in card.approximations)
    # A walking network of footpaths carries no such label.
    plain = analyse_schools(ds, scores=town_scores(), history=town_history(),
                            engine=NetworkEngine(grid_network(ds.buurten.total_bounds, 100.0), speed_kmh=4.0))
    assert CAR_ROADS_APPROXIMATION[0] not in gap_card(plain, SCHOOL_A, None, "nl").approximations


def test_unknown_code_and_language_are_refused(town):
    with pytest.raises(ParameterError, match=r"no primary-school branch with code 'XX9999'.*3 DUO branch codes"):
        gap_card(town, "XX9999", None, "nl")
    with pytest.raises(ParameterError, match="Unknown language"):
        gap_card(town, SCHOOL_A, None, "fr")
    # A facility id and lower case find the branch.
    assert gap_card(town, "duo-aa0000", None, "nl").code == SCHOOL_A


def test_ranked_by_gap_puts_no_score_last(town):
    assert list(ranked_by_gap(town).index) == [SCHOOL_A, SCHOOL_B, SCHOOL_C]


# --------------------------------------------------------------------------- Utrecht


def test_utrecht_card_known_answers(utrecht):
    ds, result, table = utrecht
    card = gap_card(result, "17ZR00", table, "nl", dataset_name=ds.name, created=DAY)
    assert card.school_name == "PCB Buurtschool Hart van Noord"
    assert card.address == "Trumanlaan 60-D, 3527 BR Utrecht"
    facts = {f.key: f.value for f in card.facts}
    assert facts[schema.PUPILS] == "711 (2025)"
    assert facts[schema.RELATIVE_SCORE] == "4,20"
    assert facts[schema.NATIONAL_RANK] == "70 van 6.295"
    assert facts[schema.LOCAL_RANK] == "6 van 94"  # 4 of the 98 branches have no score
    assert facts[schema.ELIGIBLE_LIKE] == "ja"
    # 1 missing domain (the library: CBS 900 m) × 4.2049 × 711 = 2,989.7; two decimals would give 2,986.
    assert card.gap_score == "2.990"
    assert card.gap_sentence == (
        "1 domein zonder aanbieder binnen 10 minuten lopen × relatieve score 4,205 × 711 leerlingen = 2.990"
    )
    assert [d.status for d in card.domains] == [
        schema.REACH_IN, schema.REACH_UNKNOWN, schema.REACH_OUT, schema.REACH_IN, schema.REACH_UNKNOWN]
    profile = with_need(result, table).loc["17ZR00"]
    assert card.fact(schema.CATCHMENT_BUURTEN).value == str(int(profile[schema.CATCHMENT_BUURTEN]))
    assert card.catchment_rows[0].name == "Kanaleneiland-Noord"


def test_utrecht_pc4_school_carries_the_precision_note(utrecht):
    ds, result, table = utrecht
    code = result.branches.index[result.branches[schema.LOCATION_PRECISION] == "pc4_centroid"][0]
    for lang in LANGUAGES:
        card = gap_card(result, code, table, lang, dataset_name=ds.name)
        assert card.precision_note == PRECISION_NOTES["pc4_centroid"][LANGUAGES.index(lang)]


def test_utrecht_cards_in_english_use_english_names(utrecht):
    ds, result, table = utrecht
    card = gap_card(result, "17ZR00", table, "en", dataset_name=ds.name, created=DAY)
    assert card.kind == "Gap card" and card.date == "2 December 2026"
    assert card.fact(schema.RELATIVE_SCORE).label == "Relative disadvantage score"
    assert card.gap_sentence == (
        "1 domain without a provider within a 10-minute walk × relative score 4.205 × 711 pupils = 2,990"
    )
    assert [d.status_text for d in card.domains][:3] == ["in reach", "unknown", "not in reach"]


# --------------------------------------------------------------------------- the HTML


def test_standalone_card_is_one_offline_a4_document(town):
    html = card_html(_card(town, SCHOOL_A), standalone=True)
    doc = Doc(html)
    assert doc.errors == [] and doc.resources == []
    assert html.startswith("<!DOCTYPE html>") and '<html lang="nl">' in html
    assert "<title>Tekortkaart: De Regenboog (AA0000) — Testdorp</title>" in html
    assert "@page" in html and "size: A4" in html and "@media print" in html
    assert "http" not in html  # not even a font or a link (no share link given)


def test_fragment_has_its_own_scoped_style(town):
    html = card_html(_card(town, SCHOOL_A), standalone=False)
    doc = Doc(html)
    assert doc.errors == [] and doc.resources == []
    assert "<html" not in html and "<body" not in html and "@page" not in html
    css = re.search(r"<style>(.*?)</style>", html, flags=re.DOTALL).group(1)
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    selectors = [s.strip() for block in re.findall(r"([^{}]+)\{[^{}]*\}", css) for s in block.split(",")]
    assert selectors and all(s.startswith(".gap-card") for s in selectors if s), selectors


def test_statuses_read_as_symbol_and_word(town):
    card = _card(town, SCHOOL_A)
    html = card_html(card)
    for d in card.domains:
        badge = f'<span class="gc-status gc-{d.status}"><span class="gc-symbol" aria-hidden="true">' \
                f'{STATUS_SYMBOLS[d.status]}</span> {d.status_text}</span>'
        assert badge in html
    assert set(STATUS_SYMBOLS.values()) == {"✓", "✗", "?"}
    assert "Waarom: geen gegevens in deze dataset over: natuur en kinderboerderij" in html
    assert "Gemeten als: <span class=\"gc-approx\">" in html


def test_card_text_is_escaped(town):
    card = _card(town, SCHOOL_B, share_link=HOSTILE_LINK)
    for standalone in (True, False):
        html = card_html(card, standalone=standalone)
        assert "<script>" not in html
        assert str(escape(HOSTILE_SCHOOL)) in html
        assert Doc(html).errors == []
    assert f'href="{escape(HOSTILE_LINK)}"' in card_html(card)


def _luminance(hex_color: str) -> float:
    rgb = [int(hex_color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_card_colours_pass_wcag_aa():
    css = (TEMPLATES_DIR / "school_card.css").read_text(encoding="utf-8")
    var = dict(re.findall(r"--gc-([a-z-]+):\s*(#[0-9a-fA-F]{6})", css))
    pairs = [
        ("in", "in-bg"), ("out", "out-bg"), ("unknown", "unknown-bg"),
        ("ink", "soft"), ("muted", "soft"), ("warn", "soft"), ("accent", "soft"),
    ]
    for fg, bg in pairs:
        assert _contrast(var[fg], var[bg]) >= 4.5, (fg, bg, round(_contrast(var[fg], var[bg]), 2))
    for fg in ("ink", "muted", "warn", "accent", "in", "out", "unknown"):
        assert _contrast(var[fg], "#ffffff") >= 4.5, fg


def test_every_utrecht_card_renders_in_both_languages(utrecht):
    ds, result, table = utrecht
    for code in ranked_by_gap(result).index[:5]:
        for lang in LANGUAGES:
            html = card_html(gap_card(result, code, table, lang, dataset_name=ds.name))
            assert Doc(html).errors == []
            assert term("unknown", lang) in html
