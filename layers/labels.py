"""Labels shown on the map, in Dutch and English.

Labels of indicators and facility types come from :mod:`geo.catalog`; this
module adds the ranking columns and the few words the map itself needs.
"""

from __future__ import annotations

from types import MappingProxyType

from geo import schema
from geo.catalog import INDICATORS
from geo.errors import ParameterError

LANGUAGES = ("nl", "en")

#: (Dutch, English) labels of the columns of the ranking output.
COLUMN_LABELS = MappingProxyType(
    {
        schema.BUURT_CODE: ("Buurtcode", "Neighbourhood code"),
        schema.BUURT_NAME: ("Buurt", "Neighbourhood"),
        schema.WIJK_CODE: ("Wijkcode", "District code"),
        schema.WIJK_NAME: ("Wijk", "District"),
        schema.MUNICIPALITY_NAME: ("Gemeente", "Municipality"),
        schema.INHABITANTS: ("Inwoners", "Inhabitants"),
        schema.NEED_INDEX: ("Achterstandsindex", "Need index"),
        schema.ACCESS_GAP: ("Bereikbaarheidstekort", "Access gap"),
        schema.REACH_SCORE: ("Bereik (kinderen)", "Reach (children)"),
        schema.PRIORITY_SCORE: ("Prioriteitsscore", "Priority score"),
        schema.RANK: ("Rang (1 = hoogste prioriteit)", "Rank (1 = highest priority)"),
        schema.STATUS: ("Status", "Status"),
    }
)

#: Prefixes of the explanation columns of the ranking, as (Dutch, English) label templates.
_PREFIX_LABELS = (
    (schema.CONTRIB_PREFIX, ("Bijdrage: {}", "Contribution: {}")),
    (schema.SCORE_PREFIX, ("Score: {}", "Score: {}")),
    (schema.PERCENTILE_PREFIX, ("Percentiel: {}", "Percentile: {}")),
)

_WORDS = MappingProxyType(
    {
        "no_data": ("Geen gegevens", "No data"),
        "more_need": ("donkerder = meer behoefte", "darker = more need"),
        "capacity": ("Capaciteit", "Capacity"),
        "address": ("Adres", "Address"),
        "type": ("Soort", "Type"),
        "plain_background": ("Lichte achtergrond (offline)", "Plain background (offline)"),
        "facilities": ("Voorzieningen", "Facilities"),
        "approximate_legend": (
            "gestippelde rand = locatie bij benadering (PC4)",
            "dashed outline = approximate location (PC4)",
        ),
    }
)

#: Notes shown with a facility whose point is not its exact location, by ``location_precision``.
PRECISION_NOTES = MappingProxyType(
    {
        "pc4_centroid": (
            "locatie bij benadering: midden van postcodegebied (PC4), gemiddeld ~0,5 km afwijking",
            "approximate location: centre of the postcode area (PC4), on average ~0.5 km off",
        ),
        "pc6": (
            "locatie bij benadering: midden van postcode (PC6), meestal binnen ~100 m",
            "approximate location: centre of the postcode (PC6), usually within ~100 m",
        ),
    }
)


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is a supported language, else raise :class:`ParameterError`."""
    if lang not in LANGUAGES:
        raise ParameterError(f"Unknown language '{lang}'; expected one of: {', '.join(LANGUAGES)}.")
    return lang


def pick(pair: tuple[str, str], lang: str) -> str:
    """The Dutch or English half of a (Dutch, English) pair."""
    return pair[0] if check_lang(lang) == "nl" else pair[1]


def word(key: str, lang: str) -> str:
    """A fixed map word (e.g. ``"no_data"``) in ``lang``."""
    return pick(_WORDS[key], lang)


def column_label(column: str, lang: str = "nl") -> str:
    """A readable label for a ranking or indicator column; the column name if none is known."""
    if column in COLUMN_LABELS:
        return pick(COLUMN_LABELS[column], lang)
    if column in INDICATORS:
        return INDICATORS[column].label(check_lang(lang))
    for prefix, templates in _PREFIX_LABELS:
        if column.startswith(prefix) and column[len(prefix):] in INDICATORS:
            return pick(templates, lang).format(INDICATORS[column[len(prefix):]].label(lang))
    check_lang(lang)
    return column


def precision_note(location_precision: object, lang: str) -> str | None:
    """The note for an approximate facility location, or ``None`` if the point is exact."""
    if isinstance(location_precision, str) and location_precision in PRECISION_NOTES:
        return pick(PRECISION_NOTES[location_precision], lang)
    return None
