"""The method of a ranking in plain words: the one user-facing method text.

The app's method expander (:mod:`ui.method`) and the decision pack
(:mod:`geo.report.pack`) both show :func:`method_sections`. The text is filled
from the ranking itself, so it stays true for the data at hand: the number of
buurten ranked, the clipping bound, the indicators whose missing values were
filled in, and which measure gave the distances of each facility type (CBS
road distance, the street network with its mode and speed, or a straight line).

Each sentence is written once, as a ``(Dutch, English)`` template chosen with
:func:`geo.lang.pick`; concept names come from :mod:`geo.terms`. The texts are
plain text: escape them for HTML or Markdown where they are shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType

from geo import schema
from geo.catalog import FACILITY_TYPES, INDICATORS
from geo.decide.pipeline import PipelineResult
from geo.decide.ranking import n_municipalities
from geo.lang import check_lang, pick
from geo.terms import TERMS, term

__all__ = ["MISSING_POLICY_TEXT", "MethodSection", "join_words", "lower_first", "method_sections", "n_buurten"]

#: What each missing-value policy does, in both languages.
MISSING_POLICY_TEXT = MappingProxyType(
    {
        "median": (
            "Een ontbrekende waarde van een buurt met inwoners wordt vervangen door de mediaan van de andere "
            "buurten; de buurt gaat er op die indicator dan niet op vooruit en niet op achteruit.",
            "A missing value of a buurt with inhabitants is replaced by the median of the other buurten, so the "
            "buurt neither gains nor loses on that indicator.",
        ),
    }
)

_HEADINGS = MappingProxyType(
    {
        "ranked": ("Welke buurten tellen mee?", "Which buurten count?"),
        "indicators": ("Indicatoren.", "Indicators."),
        "standardising": ("Standaardiseren.", "Standardising."),
        "missing": ("Ontbrekende waarden (beleid: {policy}).", "Missing values (policy: {policy})."),
        "scores": ("Scores.", "Scores."),
        "distances": ("Afstanden.", "Distances."),
    }
)

_SENTENCES = MappingProxyType(
    {
        "ranked": (
            "Gerangschikt zijn de {n_ranked} van de {n_all} buurten met inwoners (CBS). Buurten zonder inwoners "
            "staan op de kaart maar krijgen geen plaats.",
            "Ranked: the {n_ranked} of {n_all} buurten with inhabitants (CBS). Buurten without inhabitants are on "
            "the map but not ranked.",
        ),
        "indicators": (
            "Per buurt: kinderen 0–14 (aantal en aandeel), bijstandsuitkeringen per 1.000 inwoners, gemiddelde "
            "WOZ-waarde, aandeel corporatiewoningen, inkomen en laag-inkomensaandeel (waar CBS ze publiceert), en "
            "de afstand tot voorzieningen van een rijke schooldag. Elke indicator heeft een richting: {more} "
            "(bijv. bijstand, afstand) of {less} (bijv. WOZ-waarde). Deze weging gebruikt er {n_used}.",
            "Per buurt: children 0–14 (count and share), social-assistance benefits per 1,000 inhabitants, average "
            "WOZ value, share of housing-corporation dwellings, income and low-income share (where CBS publishes "
            "them), and the distance to the facilities of a rich school day. Each indicator has a direction: "
            "{more} (e.g. benefits, distance) or {less} (e.g. WOZ value). This weighting uses {n_used} of them.",
        ),
        "standardising": (
            "Elke indicator wordt een z-score over de gerangschikte buurten (gemiddelde 0, standaardafwijking 1; "
            "scikit-learn StandardScaler), maal zijn richting, afgekapt op ±{clip} zodat één uitschieter niet "
            "alles bepaalt.",
            "Each indicator becomes a z-score over the ranked buurten (mean 0, standard deviation 1; scikit-learn "
            "StandardScaler), times its direction, clipped to ±{clip} so that one outlier cannot decide everything.",
        ),
        "normalised_municipality": (
            "Dit gebeurt binnen elke gemeente apart (zoals een gemeenteraad rangschikt): een buurt wordt vergeleken "
            "met de andere buurten van haar eigen gemeente; ‘plaats in de gemeente’ is de plaats daarbinnen.",
            "This is done within each municipality separately (as a council ranks): a buurt is compared with the "
            "other buurten of its own municipality; 'rank in the municipality' is its place there.",
        ),
        "normalised_national": (
            "Dit gebeurt over alle {n} gemeenten tegelijk (landelijke vergelijking, voor een landelijke "
            "financier): een buurt wordt vergeleken met alle buurten van het land in deze tabel.",
            "This is done over all {n} municipalities at once (a national comparison, for a national funder): a "
            "buurt is compared with every buurt of the country in this table.",
        ),
        "suppressed": (
            "CBS laat waarden weg in kleine buurten (privacy, teken ‘.’).",
            "CBS suppresses values in small buurten (privacy, marker ‘.’).",
        ),
        "imputed": ("Dit gebeurde voor: {items}.", "This happened for: {items}."),
        "no_value": (
            "Een indicator zonder enige waarde in deze dataset telt niet mee, en dat staat erbij.",
            "An indicator with no value at all in this dataset is not used, and that is said with it.",
        ),
        "scores": (
            "De bijdrage van een indicator is gewicht × z-score / som van de gebruikte gewichten; de {priority} is "
            "de som van de bijdragen, zodat per buurt te zien is welke indicator hoeveel bijdraagt. De {need}, de "
            "{gap} en het {reach} zijn het gewogen gemiddelde van de z-scores binnen hun groep. {rank} 1 is de "
            "hoogste prioriteit; gelijke scores delen een {rank_lower}.",
            "An indicator's contribution is weight × z-score / sum of the used weights; the {priority} is the sum "
            "of the contributions, so every buurt's score can be taken apart line by line. The {need}, {gap} and "
            "{reach} are the weighted means of the z-scores within their group. {rank} 1 is the highest priority; "
            "equal scores share a {rank_lower}.",
        ),
        schema.CBS_ROAD: (
            "Voor {types} gebruiken we de afstand over de weg die CBS publiceert: het gemiddelde over alle adressen "
            "in de buurt.",
            "For {types} we use the road distance CBS publishes: the mean over all addresses in the buurt.",
        ),
        schema.NETWORK: (
            "Voor {types} meten we {measure} vanaf een punt in de buurt.",
            "For {types} we measure {measure} from a point in the buurt.",
        ),
        schema.STRAIGHT_LINE: (
            "Voor {types} meten we hemelsbreed vanaf een punt in de buurt: een benadering, geen reisafstand, en "
            "overal zo aangegeven.",
            "For {types} we measure in a straight line from a point in the buurt: an approximation, not a travel "
            "distance, and labelled as such everywhere.",
        ),
        schema.NO_DATA: (
            "Voor {types} heeft deze dataset geen afstanden.",
            "For {types} this dataset has no distances.",
        ),
    }
)

_AND = ("en", "and")


@dataclass(frozen=True)
class MethodSection:
    """One paragraph of the method: a short heading and its plain text."""

    heading: str
    text: str


def n_buurten(n: int) -> str:
    """'1 buurt' or '3 buurten' (the word is the same in both languages)."""
    return f"{n} buurt" if n == 1 else f"{n} buurten"


def lower_first(name: str) -> str:
    """A name inside a sentence: 'Gemiddelde WOZ-waarde' → 'gemiddelde WOZ-waarde' (abbreviations stay)."""
    return name[:1].lower() + name[1:]


def join_words(items: Sequence[str], lang: str) -> str:
    """'a, b en c' / 'a, b and c'."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {pick(_AND, lang)} {items[-1]}"


def _sentence(key: str, lang: str, **fields: object) -> str:
    return pick(_SENTENCES[key], lang).format(**fields)


def _facility_name(key: str, lang: str) -> str:
    return lower_first(FACILITY_TYPES[key].label(lang)) if key in FACILITY_TYPES else key


def _distances(result: PipelineResult, lang: str) -> str:
    """One sentence per way of measuring, naming the facility types measured that way."""
    groups: dict[tuple[str, str], list[str]] = {}
    for key, measure in result.prepared.access.measures.items():
        groups.setdefault((measure.method, measure.label(lang)), []).append(_facility_name(key, lang))
    order = {method: i for i, method in enumerate((schema.CBS_ROAD, schema.NETWORK, schema.STRAIGHT_LINE))}
    sentences = []
    for (method, label), types in sorted(groups.items(), key=lambda kv: order.get(kv[0][0], len(order))):
        key = method if method in _SENTENCES else schema.NO_DATA
        sentences.append(_sentence(key, lang, types=join_words(types, lang), measure=label))
    return " ".join(sentences)


def _normalisation(result: PipelineResult, lang: str) -> str:
    """Which buurten a z-score compares with, when the table holds more than one municipality ('' otherwise)."""
    n = n_municipalities(result.table)
    if n <= 1:
        return ""
    key = "normalised_national" if result.params.normalisation == "national" else "normalised_municipality"
    return " " + _sentence(key, lang, n=n)


def method_sections(result: PipelineResult, lang: str = "nl") -> tuple[MethodSection, ...]:
    """The method of this ranking in a few headed paragraphs of plain text (escape them where shown)."""
    check_lang(lang)
    params = result.params
    table = result.table
    n_ranked = int((table[schema.STATUS] == schema.STATUS_RANKED).sum())
    policy = params.missing_policy
    missing = [
        _sentence("suppressed", lang),
        pick(MISSING_POLICY_TEXT.get(policy, (policy, policy)), lang),
    ]
    imputed = [u for u in result.ranking.used if u.n_imputed]
    if imputed:
        items = "; ".join(f"{lower_first(INDICATORS[u.key].label(lang))} ({n_buurten(u.n_imputed)})" for u in imputed)
        missing.append(_sentence("imputed", lang, items=items))
    missing.append(_sentence("no_value", lang))
    scores = _sentence(
        "scores",
        lang,
        priority=term("priority_score", lang).lower(),
        need=term("need_index", lang).lower(),
        gap=term("access_gap", lang).lower(),
        reach=term("reach_score", lang).lower(),
        rank=term("rank", lang),
        rank_lower=term("rank", lang).lower(),
    )
    indicators = _sentence(
        "indicators",
        lang,
        more=term("more_is_need", lang),
        less=term("less_is_need", lang),
        n_used=len(result.ranking.used),
    )
    sections = [
        ("ranked", _sentence("ranked", lang, n_ranked=n_ranked, n_all=len(table))),
        ("indicators", indicators),
        ("standardising", _sentence("standardising", lang, clip=f"{params.clip_z:g}") + _normalisation(result, lang)),
        ("missing", " ".join(missing)),
        ("scores", scores),
    ]
    distances = _distances(result, lang)
    if distances:
        sections.append(("distances", distances))
    policy_name = term(policy, lang) if policy in TERMS else policy
    return tuple(
        MethodSection(pick(_HEADINGS[key], lang).format(policy=policy_name), text) for key, text in sections
    )
