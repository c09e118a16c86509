"""Every sentence of the budget allocation, each written once in both languages.

A sentence is a template ``{"nl": ..., "en": ...}`` with named ``{placeholders}``;
:func:`fill` is the one code path that chooses the language (:func:`geo.lang.pick`)
and fills it. Values are rendered per language:

* a :class:`Number` through :func:`geo.lang.format_number` ("1.695" / "1,695");
* a bilingual piece, ``(nl, en)`` — an intervention name, or another filled template
  from :func:`in_both` — through :func:`geo.lang.pick`;
* anything else as ``str(value)`` (ids, buurt names, step numbers).

Where the count decides the grammar ("1 buurt ligt", "2 buurten liggen") a
:class:`Plural` holds both forms, chosen by :func:`for_count`.

This module is the leaf of the package: it imports nothing from
:mod:`geo.decide.budget`. The model and the solver decide *which* sentence
applies and pass plain values; the words live here.

Names the budget texts need that :mod:`geo.terms` has no entry for are kept here:
:data:`PROGRAMME_NAME` ("Rijke-schooldagprogramma") and :data:`NEW_FACILITY`
("Nieuwe {facility}").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import NamedTuple

from geo import terms
from geo.lang import LANGUAGES, Bilingual, format_number, pick

#: A sentence in both languages, with the same ``{placeholders}`` in each.
Template = Mapping[str, str]


def _template(*, nl: str, en: str) -> Template:
    return MappingProxyType({"nl": nl, "en": en})


class Plural(NamedTuple):
    """The same sentence for a count of one and for any other count."""

    one: Template
    many: Template


@dataclass(frozen=True)
class Number:
    """A number to format per language (``decimals=None``: from its magnitude)."""

    value: float
    decimals: int | None = 0


def plain_number(value: float) -> Number:
    """Minutes or km/h as people write them: 10 → "10", 7.5 → "7,5" (nl) / "7.5" (en)."""
    return Number(value, 0 if float(value).is_integer() else 1)


def for_count(plural: Plural, count: int) -> Template:
    """The form of ``plural`` that goes with ``count``."""
    return plural.one if count == 1 else plural.many


def fill(template: Template, lang: str, **values: object) -> str:
    """``template`` in ``lang`` with ``values`` rendered in that language (see the module docstring)."""
    return pick(template, lang).format(**{name: _render(value, lang) for name, value in values.items()})


def in_both(template: Template, **values: object) -> tuple[str, str]:
    """``template`` filled in every language, as ``(nl, en)`` (a bilingual piece for a larger sentence)."""
    nl, en = (fill(template, lang, **values) for lang in LANGUAGES)
    return nl, en


def split_languages(texts: Sequence[tuple[str, str]]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``[(nl, en), ...]`` → ``((nl, ...), (en, ...))``: the ``notes_nl`` / ``notes_en`` of a result."""
    return tuple(nl for nl, _ in texts), tuple(en for _, en in texts)


def _render(value: object, lang: str) -> str:
    if isinstance(value, Number):
        return format_number(value.value, lang=lang, decimals=value.decimals)
    if isinstance(value, (tuple, Mapping)):
        return pick(value, lang)
    return str(value)


# --------------------------------------------------------------------------- names

#: The rijke-schooldag programme (no entry in :mod:`geo.terms` yet).
PROGRAMME_NAME = _template(nl="Rijke-schooldagprogramma", en="Rich school day programme")
#: A new facility of a catalogue type; ``{facility}`` is the type's name, first letter lower case.
NEW_FACILITY = _template(nl="Nieuwe {facility}", en="New {facility}")
#: How the current distance was measured when the table does not say.
MEASURE_UNKNOWN = _template(nl="onbekend", en="unknown")


def new_facility_name(type_name: Bilingual) -> tuple[str, str]:
    """ "Nieuwe sportaccommodatie" / "New sports facility" from the catalogue name of the type."""
    nl, en = (fill(NEW_FACILITY, lang, facility=_lower_first(pick(type_name, lang))) for lang in LANGUAGES)
    return nl, en


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def buurt_with_code(name: str, code: str | None) -> str:
    """ "Ondiep (BU03440222)"; just the name when there is no code or the code is the name."""
    return f"{name} ({code})" if code is not None and str(code) != name else name


def measured_as(methods: Sequence[str]) -> tuple[str, str]:
    """How the current distances were measured (:data:`geo.schema.MEASURES`); unknown ids as they are."""
    if not methods:
        return in_both(MEASURE_UNKNOWN)
    nl, en = (
        "; ".join(terms.measure_label(m, lang) if m in terms.MEASURE_LABELS else m for m in methods)
        for lang in LANGUAGES
    )
    return nl, en


# --------------------------------------------------------------------------- one step

#: One funded step. ``{reach}`` is empty for a programme, else a filled :data:`FACILITY_REACH`.
STEP = _template(
    nl="Stap {step}: {label} {place} voor € {cost}. "
    "Bereikt {children} kinderen van 0–14 jaar in {buurten}{reach}; "
    "behoeftegewogen {gain}, dat is {gain_per_1000} per € 1.000 ({why}). "
    "Besteed: € {spent}, over: € {left}.",
    en="Step {step}: {label} {place} for € {cost}. "
    "Reaches {children} children aged 0–14 in {buurten}{reach}; "
    "need-weighted {gain}, that is {gain_per_1000} per € 1,000 ({why}). "
    "Spent: € {spent}, left: € {left}.",
)
BUURTEN = Plural(
    one=_template(nl="{count} buurt", en="{count} buurt"),
    many=_template(nl="{count} buurten", en="{count} buurten"),
)
FACILITY_REACH = Plural(
    one=_template(
        nl=" die nu verder dan {reach_m} m ({minutes} minuten lopen) van zo'n voorziening ligt ({listed})",
        en=" that is now more than {reach_m} m ({minutes} minutes' walk) from one ({listed})",
    ),
    many=_template(
        nl=" die nu verder dan {reach_m} m ({minutes} minuten lopen) van zo'n voorziening liggen ({listed})",
        en=" that are now more than {reach_m} m ({minutes} minutes' walk) from one ({listed})",
    ),
)
#: After the first :data:`LISTED_NAMES` names of the buurten a step reaches.
AND_MORE = _template(nl="; en {more} andere", en="; and {more} more")
LISTED_NAMES = 5

#: Where the step is. The solver chooses one: a bare name (an abstract item), a programme's buurt,
#: a facility at a buurt's own point, at another site in a buurt, or at a site outside every buurt.
PLACE_ITEM = _template(nl="{buurt}", en="{buurt}")
PLACE_IN_BUURT = _template(nl="in {buurt}", en="in {buurt}")
PLACE_BUURT_CENTRE = _template(nl="bij het midden van {buurt}", en="at the centre of {buurt}")
PLACE_SITE_IN_BUURT = _template(nl="op locatie {site} in {buurt}", en="at site {site} in {buurt}")
PLACE_SITE = _template(nl="op locatie {site}", en="at site {site}")

#: Why the step was taken (by selection rule).
WHY_HIGHEST_RATIO = _template(
    nl="de hoogste opbrengst per euro van wat nog in het budget past",
    en="the highest gain per euro of what still fits in the budget",
)
WHY_LARGEST_SINGLE = _template(
    nl="de grootste opbrengst van één enkele investering, meer dan het hele plan naar opbrengst per euro",
    en="the largest gain of any single investment, more than the whole plan by gain per euro",
)
WHY_EXHAUSTIVE = _template(
    nl="onderdeel van het beste plan, gevonden door alle combinaties te proberen",
    en="part of the best plan, found by trying every combination",
)
WHY_EXACT = _template(
    nl="onderdeel van het beste plan, gevonden met een exacte oplosser (geheeltallige programmering)",
    en="part of the best plan, found by an exact solver (integer programming)",
)


@dataclass(frozen=True)
class StepFacts:
    """What the sentence of one step says; the solver fills it from the replayed plan."""

    step: int
    #: The intervention's name, ``(nl, en)``.
    label: Bilingual
    #: One of the ``PLACE_*`` templates, filled with ``buurt`` and ``site``.
    place: Template
    buurt: str
    site: str
    cost_eur: float
    children: float
    #: Names of the buurten the step newly reaches, in element order.
    buurten_reached: Sequence[str]
    gain: float
    gain_per_eur: float
    spent_eur: float
    left_eur: float
    #: One of the ``WHY_*`` templates.
    why: Template
    #: For a new facility: its reach in metres and in minutes of walking; None for a programme.
    reach_m: float | None = None
    walk_minutes: float | None = None


def step_sentence(facts: StepFacts) -> tuple[str, str]:
    """The sentence of one step, ``(nl, en)``."""
    count = len(facts.buurten_reached)
    return in_both(
        STEP,
        step=facts.step,
        label=facts.label,
        place=in_both(facts.place, buurt=facts.buurt, site=facts.site),
        cost=Number(facts.cost_eur),
        children=Number(facts.children),
        buurten=_buurten(count),
        reach=_reach(facts, count),
        gain=Number(facts.gain),
        gain_per_1000=Number(1000 * facts.gain_per_eur, None),
        why=facts.why,
        spent=Number(facts.spent_eur),
        left=Number(facts.left_eur),
    )


def _reach(facts: StepFacts, count: int) -> tuple[str, str]:
    if facts.reach_m is None or facts.walk_minutes is None:
        return "", ""
    return in_both(
        for_count(FACILITY_REACH, count),
        reach_m=Number(facts.reach_m),
        minutes=plain_number(facts.walk_minutes),
        listed=_listed(facts.buurten_reached),
    )


def _listed(names: Sequence[str]) -> tuple[str, str]:
    """The first names, then "and N more". Buurt names can hold commas, so the list uses semicolons."""
    shown = "; ".join(names[:LISTED_NAMES])
    if len(names) <= LISTED_NAMES:
        return shown, shown
    nl, en = in_both(AND_MORE, more=Number(len(names) - LISTED_NAMES))
    return shown + nl, shown + en


def _buurten(count: int) -> tuple[str, str]:
    return in_both(for_count(BUURTEN, count), count=Number(count))


# --------------------------------------------------------------------------- notes on the plan

ZERO_BUDGET = _template(
    nl="Het budget is € 0: er kan niets worden gefinancierd.",
    en="The budget is € 0: nothing can be funded.",
)
LARGEST_SINGLE_FIRST = _template(
    nl="De grootste enkele investering ({candidate}, {single_gain}) levert meer op dan de stapsgewijze "
    "keuze naar opbrengst per euro ({greedy_gain}); het plan begint daarom met die investering.",
    en="The largest single investment ({candidate}, {single_gain}) beats the step-by-step choice by gain "
    "per euro ({greedy_gain}); the plan therefore starts with it.",
)
NOTHING_AFFORDABLE = _template(
    nl="Niets past in het budget van € {budget}: "
    "de goedkoopste kandidaat die kinderen bereikt kost € {cheapest}.",
    en="Nothing fits in the budget of € {budget}: "
    "the cheapest candidate that reaches children costs € {cheapest}.",
)
AT_LEAST_SHARE = _template(
    nl="Dit plan haalt ten minste {percent}% van de best mogelijke waarde "
    "(bovengrens {bound} behoeftegewogen kinderen).",
    en="This plan reaches at least {percent}% of the best possible value "
    "(upper bound {bound} need-weighted children).",
)

#: Why the greedy stopped (by stop reason; the other reasons have a note of their own or none).
STOPPED_ALL_FUNDED = _template(
    nl="Gestopt: elke kandidaat die nog kinderen bereikt is gefinancierd; "
    "de rest van het budget is niet nodig.",
    en="Stopped: every candidate that still reaches children is funded; "
    "the rest of the budget is not needed.",
)
NOTHING_TO_GAIN = _template(
    nl="Geen enkele kandidaat bereikt kinderen die nog niet bereikt zijn: er is niets te financieren.",
    en="No candidate reaches children who are not reached yet: there is nothing to fund.",
)
STOPPED_BUDGET_EXHAUSTED = _template(
    nl="Gestopt: geen kandidaat die nog kinderen bereikt past in het resterende budget.",
    en="Stopped: no candidate that still reaches children fits in the remaining budget.",
)


def largest_single_first(candidate_id: str, single_gain: float, greedy_gain: float) -> tuple[str, str]:
    return in_both(
        LARGEST_SINGLE_FIRST,
        candidate=candidate_id,
        single_gain=Number(single_gain),
        greedy_gain=Number(greedy_gain),
    )


def nothing_affordable(budget_eur: float, cheapest_eur: float) -> tuple[str, str]:
    return in_both(NOTHING_AFFORDABLE, budget=Number(budget_eur, 2), cheapest=Number(cheapest_eur, 2))


def at_least_share(percent: float, upper_bound: float) -> tuple[str, str]:
    """``percent`` is already rounded down to one decimal, so "at least" stays true."""
    return in_both(AT_LEAST_SHARE, percent=Number(percent, 1), bound=Number(upper_bound))


# --------------------------------------------------------------------------- notes on the problem

MISSING_CHILDREN = Plural(
    one=_template(
        nl="{buurten} zonder bekend aantal kinderen (CBS geheimhouding) telt als 0 kinderen.",
        en="{buurten} without a known number of children (CBS suppression) counts as 0 children.",
    ),
    many=_template(
        nl="{buurten} zonder bekend aantal kinderen (CBS geheimhouding) tellen als 0 kinderen.",
        en="{buurten} without a known number of children (CBS suppression) count as 0 children.",
    ),
)
UNKNOWN_DISTANCE = Plural(
    one=_template(
        nl="{label}: {buurten} zonder bekende afstand tot de huidige voorzieningen "
        "telt niet mee als nieuw bereikt.",
        en="{label}: {buurten} without a known current distance is not counted as newly reached.",
    ),
    many=_template(
        nl="{label}: {buurten} zonder bekende afstand tot de huidige voorzieningen "
        "tellen niet mee als nieuw bereikt.",
        en="{label}: {buurten} without a known current distance are not counted as newly reached.",
    ),
)
FACILITY_REACH_NOTE = _template(
    nl="{label}: bereik {minutes} minuten lopen bij {speed} km/u ≈ {reach_m} m, "
    "hemelsbreed tussen de punten van de buurten (benadering); "
    "de huidige afstand is gemeten als: {measured}.",
    en="{label}: reach {minutes} minutes walking at {speed} km/h ≈ {reach_m} m, "
    "in a straight line between buurt points (approximation); "
    "the current distance is measured as: {measured}.",
)


def missing_children(count: int) -> tuple[str, str]:
    return in_both(for_count(MISSING_CHILDREN, count), buurten=_buurten(count))


def unknown_distance(label: Bilingual, count: int) -> tuple[str, str]:
    return in_both(for_count(UNKNOWN_DISTANCE, count), label=label, buurten=_buurten(count))


def facility_reach_note(
    label: Bilingual, walk_minutes: float, walk_speed_kmh: float, reach_m: float, methods: Sequence[str]
) -> tuple[str, str]:
    return in_both(
        FACILITY_REACH_NOTE,
        label=label,
        minutes=plain_number(walk_minutes),
        speed=plain_number(walk_speed_kmh),
        reach_m=Number(reach_m),
        measured=measured_as(methods),
    )
