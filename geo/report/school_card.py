"""The gap card of one school: the rijke schooldag seen from its front door, in words and figures; no HTML.

:func:`gap_card` turns a :class:`geo.decide.schools.SchoolsResult` and one branch code into one frozen
:class:`GapCard`: who the school is (pupils, trend, CBS achterstandsscore, relative score, ranks, the
category-A *estimate* and the municipality's own list when loaded), which of the five domains has a provider
within a short walk and how that was measured, the candidate partner for each missing domain, the gap score
as a sentence a council can check by hand, the buurten around the school and their need, the method and the
sources. Every figure is already formatted for the language; :mod:`layers.school_card` renders it (screen,
print, the decision pack).

Approximations are said where they are shown: a straight-line distance reads "hemelsbreed (benadering)", a
CBS average "CBS-gemiddelde afstand over de weg in de buurt van de school, geen aanbieder bekend", a school
placed at its postcode centre carries :func:`geo.terms.precision_note`, a car-road network its own label
(``SchoolsResult.network_approximation``), and
``eligible_like`` always says it is an estimate (:func:`eligible_estimate_note`). A domain without data is
"onbekend" with the reason, never "no provider".

Each sentence is written once as a ``(Dutch, English)`` template chosen with :func:`geo.lang.pick`; concept
names come from :mod:`geo.terms`. All texts are plain text (escape when rendering).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from types import MappingProxyType

import numpy as np
import pandas as pd

from geo import schema, units
from geo.catalog import DOMAINS, FACILITY_TYPES, domain_facility_types, domain_label
from geo.decide.schools import (
    CATCHMENT_REASON,
    REACH_COUNT,
    REACH_DIST,
    REACH_DOMAIN,
    REACH_METHOD,
    REACH_NEAREST_NAME,
    REACH_NEAREST_TYPE,
    REACH_STATUS,
    REACH_TIME,
    REACH_TYPES_WITHOUT_DATA,
    SchoolsResult,
    catchment_profile,
    facility_type_names,
    school_code,
)
from geo.errors import ParameterError
from geo.lang import check_lang, format_date, format_number, format_value, pick
from geo.report.method import join_words, lower_first
from geo.terms import measure_label, precision_note, term

__all__ = [
    "CatchmentRow",
    "DomainRow",
    "Fact",
    "GapCard",
    "PartnerRow",
    "TOP_CATCHMENT_BUURTEN",
    "card_word",
    "eligible_estimate_note",
    "gap_card",
    "ranked_by_gap",
    "reach_measure_note",
]

#: Buurten listed under the catchment figures (most need first).
TOP_CATCHMENT_BUURTEN = 5

#: The card's headings and fixed words (concept names come from geo.terms).
_WORDS = MappingProxyType(
    {
        "school": ("De school", "The school"),
        "domains": ("Vijf domeinen op loopafstand van de school", "Five domains within walking distance"),
        "partners": ("Mogelijke partners voor de ontbrekende domeinen", "Candidate partners for the missing domains"),
        "catchment": ("De buurten rond de school", "The buurten around the school"),
        "top_buurten": ("Buurten met de meeste behoefte", "Buurten with the most need"),
        "method": ("Methode", "Method"),
        "sources": ("Bronnen", "Sources"),
        "approximations": ("Benaderingen", "Approximations"),
        "share_link": ("Deze kaart in de app", "This card in the app"),
        "distance": ("Afstand", "Distance"),
        "walk": ("Lopen", "Walk"),
        "measure": ("Gemeten als", "Measured as"),
        "address": ("Adres", "Address"),
        "why": ("Waarom", "Why"),
        "yes": ("ja", "yes"),
        "no": ("nee", "no"),
        "no_score": ("geen score (nieuwe school)", "no score (new school)"),
        "no_address": ("adres onbekend", "address unknown"),
        "reason_contains": ("de school staat hier", "the school is here"),
        "reason_nearest": ("dichtstbijzijnde school", "nearest school"),
    }
)

#: Sentences, each once in both languages; ``{...}`` are filled in below.
_SENTENCES = MappingProxyType(
    {
        "page_title": ("{card}: {school} ({code}){place}", "{card}: {school} ({code}){place}"),
        "pupils": ("{n} ({year})", "{n} ({year})"),
        "of": ("{rank} van {n}", "{rank} of {n}"),
        "score_note": ("CBS, zonder drempel, peildatum {year}", "CBS, without threshold, reference date {year}"),
        "relative_note": ("achterstandsscore per leerling", "disadvantage score per pupil"),
        "percentile_note": (
            "{pct}% van de leerlingen in het land zit op een school met een lagere score",
            "{pct}% of the country's pupils attend a branch with a lower score",
        ),
        "national_rank_note": ("1 = hoogste relatieve score in het land", "1 = highest relative score in the country"),
        "local_rank_note": (
            "naar relatieve score, onder de scholen met een score{place}",
            "by relative score, among the branches with a score{place}",
        ),
        "eligible_estimate": (
            "vergelijkbaar met categorie A — schatting op CBS-scores {year}; de echte lijst kan worden geladen",
            "comparable to category A — an estimate from the CBS scores of {year}; the actual list can be loaded",
        ),
        "eligible_estimate_listed": (
            "vergelijkbaar met categorie A — schatting op CBS-scores {year}; de lijst van de gemeente is geladen",
            "comparable to category A — an estimate from the CBS scores of {year}; the municipality's list is loaded",
        ),
        "listed_note": ("de lijst die de gemeente heeft geladen", "the list the municipality loaded"),
        "no_score_note": (
            "geen CBS-achterstandsscore: de school is na de peildatum geopend (of had toen geen leerlingen)",
            "no CBS disadvantage score: the branch opened after the reference date (or had no pupils then)",
        ),
        "headline": (
            "{n_in} van de {n} domeinen binnen {m} minuten lopen, {n_out} niet, {n_unknown} onbekend.",
            "{n_in} of the {n} domains within a {m}-minute walk, {n_out} not, {n_unknown} unknown.",
        ),
        # domains
        "minutes": ("{m} min", "{m} min"),
        "within": ("Binnen {m} min", "Within {m} min"),
        "no_data_on": ("geen gegevens over: {types}", "no data on: {types}"),
        "cbs_measure": (
            "CBS-gemiddelde afstand over de weg in de buurt van de school, geen aanbieder bekend",
            "CBS average road distance in the school's buurt, no provider known",
        ),
        "unknown_no_types": (
            "de planner kent nog geen soort aanbieder voor dit domein",
            "the planner knows no kind of provider for this domain yet",
        ),
        "unknown_no_data": ("geen gegevens in deze dataset over: {types}", "no data in this dataset on: {types}"),
        "unknown_no_location": ("de school heeft geen locatie", "the school has no location"),
        "unknown_no_cbs": (
            "geen CBS-afstand voor de buurt van de school",
            "no CBS distance for the school's buurt",
        ),
        # candidate partners
        "partner": ("{name} · {type}: {dist}, {min} lopen", "{name} · {type}: {dist}, {min} on foot"),
        "partner_cbs": (
            "geen aanbieder met naam bekend; vanuit de buurt van de school is de dichtstbijzijnde {type} gemiddeld "
            "{dist} over de weg (CBS; {min} lopen)",
            "no named provider known; from the school's buurt the nearest {type} is {dist} by road on average "
            "(CBS; {min} on foot)",
        ),
        "partner_none": ("geen aanbieder te bereiken vanaf de school", "no provider can be reached from the school"),
        "no_missing": (
            "Geen ontbrekend domein: elk domein met gegevens heeft een aanbieder binnen {m} minuten lopen.",
            "No missing domain: every domain with data has a provider within a {m}-minute walk.",
        ),
        "no_known": (
            "Nog niets te zeggen: van geen enkel domein zijn aanbieders bekend in deze dataset.",
            "Nothing to say yet: no domain has any known providers in this dataset.",
        ),
        # the gap score
        "gap": (
            "{domains} zonder aanbieder binnen {m} minuten lopen × relatieve score {rel} × {pupils} leerlingen "
            "{eq} {gap}",
            "{domains} without a provider within a {m}-minute walk × relative score {rel} × {pupils} pupils "
            "{eq} {gap}",
        ),
        "gap_no_score": (
            "Geen tekortscore: de school heeft geen CBS-achterstandsscore (nieuwe school). {domains} zonder "
            "aanbieder binnen {m} minuten lopen.",
            "No gap score: the branch has no CBS disadvantage score (new school). {domains} without a provider "
            "within a {m}-minute walk.",
        ),
        "gap_no_pupils": (
            "Geen tekortscore: het aantal leerlingen is onbekend. {domains} zonder aanbieder binnen {m} minuten "
            "lopen.",
            "No gap score: the number of pupils is unknown. {domains} without a provider within a {m}-minute walk.",
        ),
        "gap_unknown": (
            "Onbekend en dus niet meegeteld: {names}.",
            "Unknown, so not counted: {names}.",
        ),
        "gap_meaning": (
            "De tekortscore telt de leerlingen, gewogen naar achterstand, die per ontbrekend domein geen aanbieder op "
            "loopafstand hebben.",
            "The gap score counts the pupils, weighted by disadvantage, who have no provider within walking distance, "
            "once per missing domain.",
        ),
        # catchment
        "reason_band": ("binnen {m} min lopen", "within a {m}-min walk"),
        "catchment_note": (
            "Rond de school: de buurt waarin zij staat, de buurten binnen {m} minuten lopen en de buurten met deze "
            "school als dichtstbijzijnde. Behoefte-index: het gemiddelde, gewogen naar kinderen 0–14.",
            "Around the school: the buurt it is in, the buurten within a {m}-minute walk and the buurten whose "
            "nearest school it is. Need index: the mean, weighted by children 0–14.",
        ),
        "catchment_no_table": (
            "Kinderen en behoefte per buurt volgen uit een rangschikking; die is hier niet meegegeven.",
            "Children and need per buurt come from a ranking; none was given here.",
        ),
        # method and sources
        "method": (
            "Lopen vanaf de school in kindertempo ({speed} km/u). Binnen bereik: een aanbieder binnen {m} minuten "
            "lopen ({metres}); gemeten op {bands} minuten. Afstanden van de school tot een aanbieder: {measure}.",
            "Walking from the school at a child's pace ({speed} km/h). In reach: a provider within a {m}-minute "
            "walk ({metres}); measured at {bands} minutes. Distances from the school to a provider: {measure}.",
        ),
        "method_cbs": (
            " Waar geen locaties van aanbieders zijn: de CBS-gemiddelde afstand (zie Benaderingen).",
            " Where no provider locations are known: the CBS average distance (see Approximations).",
        ),
        "sources": (
            "CBS achterstandsscores {year} (per vestiging); DUO: vestigingen, adressen en leerlingen"
            "{pupils_year}{data}.",
            "CBS disadvantage scores {year} (per branch); DUO: branches, addresses and pupils{pupils_year}{data}.",
        ),
        "sources_data": ("; buurten en aanbieders: dataset {name}", "; buurten and providers: dataset {name}"),
        "straight_line_note": (
            "Afstanden hemelsbreed (benadering): er is geen looproute berekend; over straat is het verder.",
            "Straight-line distances (approximation): no walking route was computed; by street it is farther.",
        ),
        "cbs_note": (
            "{domains}: CBS-gemiddelde afstand over de weg in de buurt van de school, geen aanbieder bekend.",
            "{domains}: CBS average road distance in the school's buurt, no provider known.",
        ),
        "disclaimer": (
            "Een hulpmiddel voor het gesprek met de school, de buurt en mogelijke partners, geen besluit. De "
            "schatting van categorie A is geen officiële lijst.",
            "An aid for the conversation with the school, the buurt and candidate partners, not a decision. The "
            "category-A estimate is not an official list.",
        ),
    }
)
#: '1 domein' / '2 domeinen'.
_N_DOMAINS = MappingProxyType({1: ("{n} domein", "{n} domain"), 2: ("{n} domeinen", "{n} domains")})


def _say(key: str, lang: str, **fields: object) -> str:
    text = pick(_SENTENCES[key], lang)
    return text.format(**fields) if fields else text


def card_word(key: str, lang: str) -> str:
    """A fixed word of the card (e.g. ``"no_score"``: 'geen score (nieuwe school)'), also used by the school map."""
    return pick(_WORDS[key], lang)


def eligible_estimate_note(lang: str, year: object = None, *, list_loaded: bool = False) -> str:
    """'vergelijkbaar met categorie A — schatting op CBS-scores 2019; de echte lijst kan worden geladen'.

    The one label of :data:`geo.schema.ELIGIBLE_LIKE` wherever it is shown (card, pack, map legend).
    """
    key = "eligible_estimate_listed" if list_loaded else "eligible_estimate"
    return _say(key, lang, year=_year(year) or "?")


def _n_domains(n: int, lang: str) -> str:
    return pick(_N_DOMAINS[1 if n == 1 else 2], lang).format(n=n)


def _missing(value: object) -> bool:
    if value is None or value is pd.NA:
        return True
    try:
        return math.isnan(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _flag(value: object) -> bool | None:
    """A nullable bool (pandas ``boolean``) as ``True``/``False``/``None``."""
    return None if _missing(value) else bool(value)


def _year(value: object) -> str:
    return "" if _missing(value) else str(int(float(value)))  # type: ignore[arg-type]


def _num(value: object, lang: str, decimals: int | None = 0) -> str:
    return format_number(None if _missing(value) else float(value), lang=lang, decimals=decimals)  # type: ignore[arg-type]


def _metres(value: object, lang: str) -> str:
    return format_value(None if _missing(value) else float(value), "m", lang=lang)  # type: ignore[arg-type]


def _minutes(value: object, lang: str) -> str:
    text = _num(value, lang, 1)
    return text if text == "–" else _say("minutes", lang, m=text)


def _plain_minutes(minutes: float, lang: str) -> str:
    """'10' or '7,5': a setting's minutes, without needless decimals."""
    return format_number(minutes, lang=lang, decimals=0 if float(minutes).is_integer() else 1)


def _type_label(key: object, lang: str) -> str:
    return lower_first(FACILITY_TYPES[str(key)].label(lang)) if str(key) in FACILITY_TYPES else ""


# --------------------------------------------------------------------------- the content object


@dataclass(frozen=True)
class Fact:
    """One labelled figure: ``key`` is a schema column (or a card key), ``note`` says what it means or how exact."""

    key: str
    label: str
    value: str
    note: str = ""


@dataclass(frozen=True)
class DomainRow:
    """One development domain as seen from the school, every figure formatted."""

    domain: str
    name: str
    #: One of :data:`geo.schema.REACH_STATUSES` (the renderer picks symbol and colour from it).
    status: str
    #: The measure id (:data:`geo.schema.MEASURES`) behind the figures.
    method: str
    #: 'binnen bereik' / 'niet binnen bereik' / 'onbekend'.
    status_text: str
    #: 'Gymzaal Afrikalaan · sportaccommodatie', or '' when no named provider is known.
    nearest: str
    distance: str
    minutes: str
    #: Providers within the reach minutes ('14'), '–' where only a CBS average is known.
    count: str
    #: How the distance was measured ('hemelsbreed (benadering)', the CBS-average label, …).
    measure: str
    #: True for a straight line or a CBS average: the figure is not a walking route to a provider.
    approximate: bool
    #: 'geen gegevens over: speeltuin, buurthuis', or ''.
    no_data: str
    #: Why an unknown domain is unknown ('' otherwise).
    why: str


@dataclass(frozen=True)
class PartnerRow:
    """The candidate partner for a domain without a provider in reach."""

    domain: str
    name: str
    #: The provider's name, or '' (a CBS average names none).
    provider: str
    text: str


@dataclass(frozen=True)
class CatchmentRow:
    """A buurt around the school."""

    code: str
    name: str
    children: str
    need_index: str
    #: Why it belongs to the school: 'de school staat hier', 'binnen 10 min lopen', 'dichtstbijzijnde school'.
    reason: str


@dataclass(frozen=True)
class GapCard:
    """Everything the gap card of one school says, in one language, as plain text (escape when rendering)."""

    lang: str
    #: Headings and fixed words in ``lang`` (keys of :data:`_WORDS` plus the concept names the card uses).
    words: Mapping[str, str]
    page_title: str
    #: 'Tekortkaart' / 'Gap card'.
    kind: str
    dataset_name: str
    date: str
    school_name: str
    code: str
    address: str
    #: The location-precision note ('' when the point is exact).
    precision_note: str
    #: '2 van de 5 domeinen binnen 10 minuten lopen, 1 niet, 2 onbekend.'
    headline: str
    #: Pupils, trend, scores, ranks, eligibility: in this order.
    facts: tuple[Fact, ...]
    eligible_like: bool | None
    eligible_listed: bool | None
    #: The estimate's label (:func:`eligible_estimate_note`).
    eligible_note: str
    domain_headers: tuple[str, ...]
    domains: tuple[DomainRow, ...]
    partners: tuple[PartnerRow, ...]
    #: Said instead of the partner list when nothing is missing ('' otherwise).
    no_partners: str
    gap_score: str
    #: '2 domeinen zonder aanbieder binnen 10 minuten lopen × relatieve score 0,62 × 412 leerlingen = 511'.
    gap_sentence: str
    #: What the gap score means, and which unknown domains do not count.
    gap_notes: tuple[str, ...]
    #: Buurten, children 0–14, need index around the school.
    catchment: tuple[Fact, ...]
    catchment_headers: tuple[str, ...]
    catchment_rows: tuple[CatchmentRow, ...]
    catchment_note: str
    method: str
    #: Every approximation behind the card's figures, one sentence each.
    approximations: tuple[str, ...]
    sources: str
    disclaimer: str
    #: The app link as given (stripped), or ''; only a web link becomes clickable.
    share_link: str
    share_link_is_web: bool

    def fact(self, key: str) -> Fact:
        """The fact ``key`` (a schema column such as ``pupils``); :class:`KeyError` when the card has none."""
        for f in (*self.facts, *self.catchment):
            if f.key == key:
                return f
        raise KeyError(key)


# --------------------------------------------------------------------------- building it


def ranked_by_gap(result: SchoolsResult) -> pd.DataFrame:
    """The branches by gap score, highest first (no score last, then by code): the order of the pack's table."""
    b = result.branches
    order = b.assign(_g=pd.to_numeric(b[schema.GAP_SCORE], errors="coerce"), _c=b.index.astype(str))
    order = order.sort_values(["_g", "_c"], ascending=[False, True], na_position="last", kind="mergesort")
    return b.loc[order.index]


def _school_facts(
    row: pd.Series, branches: pd.DataFrame, lang: str, place: str, national_ranked: int | None = None
) -> tuple[tuple[Fact, ...], str]:
    facts = []
    pupils = _num(row[schema.PUPILS], lang)
    year = _year(row.get(schema.PUPILS_YEAR))
    facts.append(Fact(schema.PUPILS, term("pupils", lang), _say("pupils", lang, n=pupils, year=year)
                      if year and pupils != "–" else pupils))
    trend = row.get(schema.PUPILS_TREND_PCT)
    trend_text = "–"
    if not _missing(trend):
        pct = _num(trend, lang, 1)
        trend_text = ("+" if float(trend) > 0 else "") + pct + "%"
    facts.append(Fact(schema.PUPILS_TREND_PCT, term("pupils_trend_pct", lang), trend_text))
    has_score = not _missing(row.get(schema.RELATIVE_SCORE))
    score_year = _year(row.get(schema.SCORE_YEAR))
    if has_score:
        note = _say("score_note", lang, year=score_year or "?")
        if _flag(row.get(schema.SCORE_UNRELIABLE)):
            note += "; " + lower_first(term("score_unreliable", lang))
        facts.append(Fact(schema.SCHOOL_SCORE, term("achterstandsscore", lang),
                          _num(row[schema.SCHOOL_SCORE], lang), note))
        facts.append(Fact(schema.RELATIVE_SCORE, term("relative_score", lang),
                          _num(row[schema.RELATIVE_SCORE], lang, 2), _say("relative_note", lang)))
        pct = _num(row[schema.NATIONAL_PERCENTILE], lang, 1)
        facts.append(Fact(schema.NATIONAL_PERCENTILE, term("national_percentile", lang), pct,
                          _say("percentile_note", lang, pct=pct)))
        national = _num(row[schema.NATIONAL_RANK], lang)
        if national_ranked:
            national = _say("of", lang, rank=national, n=_num(national_ranked, lang))
        facts.append(Fact(schema.NATIONAL_RANK, term("national_rank", lang), national,
                          _say("national_rank_note", lang)))
        n_local = int(branches[schema.LOCAL_RANK].notna().sum())
        facts.append(Fact(schema.LOCAL_RANK, term("local_rank", lang),
                          _say("of", lang, rank=_num(row[schema.LOCAL_RANK], lang), n=_num(n_local, lang)),
                          _say("local_rank_note", lang, place=f" ({place})" if place else "")))
    else:
        facts.append(Fact(schema.RELATIVE_SCORE, term("relative_score", lang), card_word("no_score", lang),
                          _say("no_score_note", lang)))
    listed = _flag(row.get(schema.ELIGIBLE_LISTED))
    like = _flag(row.get(schema.ELIGIBLE_LIKE))
    estimate = eligible_estimate_note(lang, row.get(schema.SCORE_YEAR), list_loaded=listed is not None)
    like_text = card_word("no_score", lang) if like is None else card_word("yes" if like else "no", lang)
    facts.append(Fact(schema.ELIGIBLE_LIKE, term("eligible_like", lang), like_text, estimate))
    if listed is not None:
        facts.append(Fact(schema.ELIGIBLE_LISTED, term("eligible_listed", lang),
                          card_word("yes" if listed else "no", lang), _say("listed_note", lang)))
    return tuple(facts), estimate


def _domain_row(r: pd.Series, lang: str, placed: bool) -> DomainRow:
    domain = str(r[REACH_DOMAIN])
    status = str(r[REACH_STATUS])
    method = str(r[REACH_METHOD])
    without = str(r[REACH_TYPES_WITHOUT_DATA] or "")
    why = ""
    if status == schema.REACH_UNKNOWN:
        if not placed and method != schema.NO_DATA:
            why = _say("unknown_no_location", lang)
        elif method == schema.NO_DATA:
            types = domain_facility_types(domain)
            why = (_say("unknown_no_data", lang, types=facility_type_names(without, lang)) if types
                   else _say("unknown_no_types", lang))
        elif method == schema.CBS_ROAD:
            why = _say("unknown_no_cbs", lang)
        else:
            why = _say("partner_none", lang)
    no_data = ""
    if without and not (status == schema.REACH_UNKNOWN and method == schema.NO_DATA):
        no_data = _say("no_data_on", lang, types=facility_type_names(without, lang))
    name = r.get(REACH_NEAREST_NAME)
    nearest = ""
    if not _missing(name) and str(name).strip():
        ftype = _type_label(r.get(REACH_NEAREST_TYPE), lang)
        nearest = f"{name} · {ftype}" if ftype else str(name)
    known = status != schema.REACH_UNKNOWN
    if not known:
        measure = measure_label(schema.NO_DATA, lang, short=True)
    elif method == schema.CBS_ROAD:
        measure = _say("cbs_measure", lang)
    else:
        measure = measure_label(method, lang, short=True)
    return DomainRow(
        domain=domain,
        name=domain_label(domain, lang),
        status=status,
        method=method,
        status_text=term(status, lang),
        nearest=nearest,
        distance=_metres(r[REACH_DIST], lang) if known else "–",
        minutes=_minutes(r[REACH_TIME], lang) if known else "–",
        count=_num(r[REACH_COUNT], lang) if known else "–",
        measure=measure,
        approximate=known and method in (schema.STRAIGHT_LINE, schema.CBS_ROAD),
        no_data=no_data,
        why=why,
    )


def _partner(r: pd.Series, row: DomainRow, lang: str) -> PartnerRow:
    method = str(r[REACH_METHOD])
    dist, minutes = _metres(r[REACH_DIST], lang), _minutes(r[REACH_TIME], lang)
    name = r.get(REACH_NEAREST_NAME)
    provider = "" if _missing(name) else str(name)
    if method == schema.CBS_ROAD:
        text = _say("partner_cbs", lang, type=_type_label(r.get(REACH_NEAREST_TYPE), lang), dist=dist, min=minutes)
    elif provider and dist != "–":
        text = _say("partner", lang, name=provider, type=_type_label(r.get(REACH_NEAREST_TYPE), lang), dist=dist,
                    min=minutes)
    else:
        text = _say("partner_none", lang)
    return PartnerRow(domain=row.domain, name=row.name, provider=provider, text=text)


def _rel_text(rel: float, n_missing: int, pupils: float, gap: float, lang: str) -> tuple[str, str]:
    """The relative score with enough decimals that the product of the shown figures gives the shown gap score."""
    shown_gap = round(gap)
    for decimals in (2, 3, 4):
        if round(n_missing * round(rel, decimals) * pupils) == shown_gap:
            return format_number(rel, lang=lang, decimals=decimals), "="
    return format_number(rel, lang=lang, decimals=4), "≈"


def _gap(row: pd.Series, rows: tuple[DomainRow, ...], lang: str, minutes: float) -> tuple[str, str, tuple[str, ...]]:
    n_missing = int(row[schema.DOMAINS_MISSING])
    m = _plain_minutes(minutes, lang)
    domains = _n_domains(n_missing, lang)
    gap, rel, pupils = row[schema.GAP_SCORE], row[schema.RELATIVE_SCORE], row[schema.PUPILS]
    if _missing(rel):
        sentence = _say("gap_no_score", lang, domains=domains, m=m)
    elif _missing(pupils) or _missing(gap):
        sentence = _say("gap_no_pupils", lang, domains=domains, m=m)
    else:
        rel_text, eq = _rel_text(float(rel), n_missing, float(pupils), float(gap), lang)
        sentence = _say("gap", lang, domains=domains, m=m, rel=rel_text, pupils=_num(pupils, lang), eq=eq,
                        gap=_num(gap, lang))
    notes = [_say("gap_meaning", lang)]
    unknown = [lower_first(d.name) for d in rows if d.status == schema.REACH_UNKNOWN]
    if unknown:
        notes.append(_say("gap_unknown", lang, names=join_words(unknown, lang)))
    return _num(gap, lang), sentence, tuple(notes)


def _catchment(
    result: SchoolsResult, code: str, buurt_table: pd.DataFrame | None, lang: str, minutes: float
) -> tuple[tuple[Fact, ...], tuple[CatchmentRow, ...], str]:
    pairs = result.catchment.loc[result.catchment[schema.SCHOOL_CODE] == code]
    m = _plain_minutes(minutes, lang)
    note = _say("catchment_note", lang, m=m)
    facts: tuple[Fact, ...]
    if buurt_table is None:
        facts = (Fact(schema.CATCHMENT_BUURTEN, term("catchment_buurten", lang), _num(len(pairs), lang)),)
        return facts, (), f"{note} {_say('catchment_no_table', lang)}"
    profile = catchment_profile(result.catchment, buurt_table, pd.Index([code], dtype=object)).iloc[0]
    facts = (
        Fact(schema.CATCHMENT_BUURTEN, term("catchment_buurten", lang), _num(profile[schema.CATCHMENT_BUURTEN], lang)),
        Fact(schema.CATCHMENT_CHILDREN, term("catchment_children_0_14", lang),
             _num(profile[schema.CATCHMENT_CHILDREN], lang)),
        Fact(schema.CATCHMENT_NEED, term("catchment_need_index", lang), _num(profile[schema.CATCHMENT_NEED], lang, 2)),
    )
    t = buurt_table.drop_duplicates(schema.BUURT_CODE).set_index(schema.BUURT_CODE)
    codes = pairs[schema.BUURT_CODE].to_numpy(dtype=object)
    need = (pd.to_numeric(t[schema.NEED_INDEX], errors="coerce").reindex(codes).to_numpy(dtype=float)
            if schema.NEED_INDEX in t.columns else np.full(len(codes), np.nan))
    children = (pd.to_numeric(t[schema.CHILDREN_0_14], errors="coerce").reindex(codes).to_numpy(dtype=float)
                if schema.CHILDREN_0_14 in t.columns else np.full(len(codes), np.nan))
    names = (t[schema.BUURT_NAME].reindex(codes).to_numpy(dtype=object) if schema.BUURT_NAME in t.columns
             else codes)
    frame = pd.DataFrame({"code": codes, "name": names, "need": need, "children": children,
                          "reason": pairs[CATCHMENT_REASON].to_numpy(dtype=object)})
    frame = frame.sort_values(["need", "children", "code"], ascending=[False, False, True], na_position="last",
                              kind="mergesort")
    reasons = {"contains": card_word("reason_contains", lang), "band": _say("reason_band", lang, m=m),
               "nearest": card_word("reason_nearest", lang)}
    rows = tuple(
        CatchmentRow(
            code=str(r.code),
            name=str(r.code) if _missing(r.name) else str(r.name),
            children=_num(r.children, lang),
            need_index=_num(r.need, lang, 2),
            reason=reasons.get(str(r.reason), str(r.reason)),
        )
        for r in frame.head(TOP_CATCHMENT_BUURTEN).itertuples()
    )
    return facts, rows, note


def _method(result: SchoolsResult, domains: tuple[DomainRow, ...], lang: str) -> str:
    s = result.settings
    speed = format_number(s.speed_kmh, lang=lang, decimals=0 if float(s.speed_kmh).is_integer() else 1)
    text = _say(
        "method",
        lang,
        speed=speed,
        m=_plain_minutes(s.minutes, lang),
        metres=_metres(float(units.metres(s.minutes, s.speed_kmh)), lang),
        bands=join_words([_plain_minutes(b, lang) for b in s.bands], lang),
        measure=measure_label(result.method, lang, short=True),
    )
    if _cbs_domains(domains):
        text += _say("method_cbs", lang)
    return text


def _cbs_domains(domains: tuple[DomainRow, ...]) -> list[str]:
    """The names of the domains measured by a CBS average (lower case, for a sentence)."""
    return [lower_first(d.name) for d in domains if d.method == schema.CBS_ROAD and d.status != schema.REACH_UNKNOWN]


def _approximations(
    result: SchoolsResult,
    domains: tuple[DomainRow, ...],
    precision: str,
    lang: str,
) -> tuple[str, ...]:
    notes = []
    if precision:
        notes.append(precision[:1].upper() + precision[1:] + ".")
    if any(d.method == schema.STRAIGHT_LINE and d.status != schema.REACH_UNKNOWN for d in domains):
        notes.append(reach_measure_note(result, lang))
    cbs = _cbs_domains(domains)
    if cbs:
        text = join_words(cbs, lang)
        notes.append(_say("cbs_note", lang, domains=text[:1].upper() + text[1:]))
    if result.method == schema.NETWORK and result.network_approximation:
        notes.append(pick(result.network_approximation, lang))
    return tuple(notes)


def reach_measure_note(result: SchoolsResult, lang: str) -> str:
    """The approximation behind the distances from the schools: the straight-line sentence, or ''."""
    check_lang(lang)
    return _say("straight_line_note", lang) if result.method == schema.STRAIGHT_LINE else ""


def _words(lang: str, minutes: float) -> Mapping[str, str]:
    words = {key: pick(pair, lang) for key, pair in _WORDS.items()}
    for key in ("gap_card", "gap_score", "domain", "status", "nearest_provider", "candidate_partner", "buurt",
                "children", "need_index", "school_code"):
        words[key] = term(key, lang)
    words["within"] = _say("within", lang, m=_plain_minutes(minutes, lang))
    return MappingProxyType(words)


def gap_card(
    result: SchoolsResult,
    code: str,
    buurt_table: pd.DataFrame | None,
    lang: str,
    *,
    dataset_name: str = "",
    share_link: str | None = None,
    created: date | datetime | None = None,
) -> GapCard:
    """The gap card of branch ``code`` as one frozen object.

    Parameters
    ----------
    result
        :func:`geo.decide.schools.analyse_schools` for the dataset.
    code
        The DUO branch code (``17ZR00``; a facility id ``duo-17ZR00`` is accepted too).
    buurt_table
        A ranking's buurt table (:attr:`geo.decide.pipeline.PipelineResult.table`: ``buurt_code``,
        ``buurt_name``, ``children_0_14``, ``need_index``) for the catchment's children and need; ``None``: the
        card counts the buurten only and says why.
    lang
        ``"nl"`` or ``"en"``.
    dataset_name
        The municipality or dataset, shown in the header and the sources.
    share_link
        The app's link to this card (shown as text; a web link becomes clickable).
    created
        Date of the card (default: today).

    Raises
    ------
    ParameterError
        ``code`` is not a branch of ``result``.
    """
    check_lang(lang)
    key = school_code(str(code).strip()).upper()
    branches = result.branches
    if key not in branches.index:
        codes = sorted(map(str, branches.index))
        if not codes:
            raise ParameterError(f"Gap card: no branch '{code}'; this dataset has no primary-school branches (DUO).")
        shown = ", ".join(codes[:5]) + (" …" if len(codes) > 5 else "")
        raise ParameterError(
            f"Gap card: no primary-school branch with code '{code}' in this dataset; expected one of its "
            f"{len(codes)} DUO branch codes ({shown})."
        )
    row = branches.loc[key]
    settings = result.settings
    reach = result.reach.loc[result.reach[schema.SCHOOL_CODE] == key]
    reach = reach.set_index(REACH_DOMAIN).reindex(list(DOMAINS)).reset_index()
    place = dataset_name.strip()
    facts, estimate = _school_facts(row, branches, lang, place, result.national_ranked)
    geometry = branches.geometry.loc[key]
    placed = geometry is not None and not geometry.is_empty
    domains = tuple(_domain_row(r, lang, placed) for _, r in reach.iterrows())
    partners = tuple(
        _partner(r, d, lang)
        for (_, r), d in zip(reach.iterrows(), domains, strict=True)
        if d.status == schema.REACH_OUT
    )
    m = _plain_minutes(settings.minutes, lang)
    gap_text, gap_sentence, gap_notes = _gap(row, domains, lang, settings.minutes)
    catchment, catchment_rows, catchment_note = _catchment(result, key, buurt_table, lang, settings.minutes)
    precision = precision_note(row.get(schema.LOCATION_PRECISION), lang) or ""
    words = _words(lang, settings.minutes)
    counts = {s: sum(d.status == s for d in domains) for s in schema.REACH_STATUSES}
    address = row.get(schema.FACILITY_ADDRESS)
    pupils_year = _year(row.get(schema.PUPILS_YEAR))
    day = created or datetime.now(UTC)
    day = day.date() if isinstance(day, datetime) else day
    link = (share_link or "").strip()
    return GapCard(
        lang=lang,
        words=words,
        page_title=_say("page_title", lang, card=words["gap_card"], school=row[schema.SCHOOL_NAME], code=key,
                        place=f" — {place}" if place else ""),
        kind=words["gap_card"],
        dataset_name=place,
        date=format_date(day, lang),
        school_name=str(row[schema.SCHOOL_NAME]),
        code=key,
        address=card_word("no_address", lang) if _missing(address) or not str(address).strip() else str(address),
        precision_note=precision,
        headline=_say("headline", lang, n_in=counts[schema.REACH_IN], n=len(domains), m=m,
                      n_out=counts[schema.REACH_OUT], n_unknown=counts[schema.REACH_UNKNOWN]),
        facts=facts,
        eligible_like=_flag(row.get(schema.ELIGIBLE_LIKE)),
        eligible_listed=_flag(row.get(schema.ELIGIBLE_LISTED)),
        eligible_note=estimate,
        domain_headers=(words["domain"], words["status"], words["nearest_provider"], words["distance"],
                        words["walk"], words["within"]),
        domains=domains,
        partners=partners,
        no_partners="" if partners else _say("no_missing" if counts[schema.REACH_UNKNOWN] < len(domains)
                                             else "no_known", lang, m=m),
        gap_score=gap_text,
        gap_sentence=gap_sentence,
        gap_notes=gap_notes,
        catchment=catchment,
        catchment_headers=(words["buurt"], words["children"], words["need_index"], words["why"]),
        catchment_rows=catchment_rows,
        catchment_note=catchment_note,
        method=_method(result, domains, lang),
        approximations=_approximations(result, domains, precision, lang),
        sources=_say("sources", lang, year=_year(row.get(schema.SCORE_YEAR)) or "?",
                     pupils_year=f" {pupils_year}" if pupils_year else "",
                     data=_say("sources_data", lang, name=place) if place else ""),
        disclaimer=_say("disclaimer", lang),
        share_link=link,
        share_link_is_web=link.lower().startswith(("http://", "https://")),
    )
