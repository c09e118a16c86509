"""Labels shown on the map, in Dutch and English.

Names of concepts, columns, indicators and facility types come from
:mod:`geo.terms` (re-exported here for the map code); this module adds only the
few words the map itself needs, the title of a map layer (:func:`map_label`)
and which way a column's colours run (:func:`higher_is_more_need`).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from geo import schema
from geo.catalog import INDICATORS
from geo.lang import LANGUAGES, check_lang, pick
from geo.terms import PRECISION_NOTES, column_label, facility_type_with_domain, precision_note

if TYPE_CHECKING:
    from geo.decide.access import AccessMeasure

__all__ = [
    "LANGUAGES",
    "PRECISION_NOTES",
    "check_lang",
    "column_label",
    "facility_type_with_domain",
    "higher_is_more_need",
    "map_label",
    "pick",
    "precision_note",
    "word",
]

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
        "isochrones": ("Isochronen", "Isochrones"),
        "municipal_boundaries": ("Gemeentegrenzen", "Municipal boundaries"),
        # The static print map (layers.svg_map) and its caption in the decision pack.
        "scale_bar": ("1 km", "1 km"),
        "print_map_caption": (
            "Kleur: {label}, in klassen (kwantielen); donkerder = meer behoefte. Cijfers: plaats in de top {n}. "
            "Buurtgrenzen vereenvoudigd voor de afdruk.",
            "Colour: {label}, in classes (quantiles); darker = more need. Numbers: rank in the top {n}. Buurt "
            "boundaries simplified for print.",
        ),
        "interactive_note": (
            "Lagen aan- en uitzetten rechtsboven; beweeg over een buurt voor de cijfers. Werkt zonder internet "
            "(de OpenStreetMap-achtergrond alleen online).",
            "Switch layers at the top right; hover over a buurt for its figures. Works without internet (the "
            "OpenStreetMap background only online).",
        ),
    }
)


def word(key: str, lang: str, **fields: object) -> str:
    """A fixed map word (e.g. ``"no_data"``) in ``lang``; ``fields`` fill a template's ``{...}``."""
    text = pick(_WORDS[key], lang)
    return text.format(**fields) if fields else text


def map_label(column: str, lang: str = "nl", measures: Mapping[str, AccessMeasure] | None = None) -> str:
    """Layer and legend title of ``column``; a distance says how it was measured."""
    label = column_label(column, lang)
    ind = INDICATORS.get(column)
    if ind is not None and ind.facility_type is not None and measures and ind.facility_type in measures:
        label = f"{label} ({measures[ind.facility_type].label(lang)})"
    return label


def higher_is_more_need(column: str) -> bool:
    """Whether a higher value of ``column`` means more need (darker on the map)."""
    if column in INDICATORS:
        return INDICATORS[column].direction > 0
    # Rank 1 is the highest priority: a low rank number is the most need.
    return column != schema.RANK
