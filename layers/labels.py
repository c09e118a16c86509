"""Labels shown on the map, in Dutch and English.

Names of concepts, columns, indicators and facility types come from
:mod:`geo.terms` (re-exported here for the map code); this module adds only the
few words the map itself needs.
"""

from __future__ import annotations

from types import MappingProxyType

from geo.lang import LANGUAGES, check_lang, pick
from geo.terms import PRECISION_NOTES, column_label, precision_note

__all__ = ["LANGUAGES", "PRECISION_NOTES", "check_lang", "column_label", "pick", "precision_note", "word"]

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

def word(key: str, lang: str) -> str:
    """A fixed map word (e.g. ``"no_data"``) in ``lang``."""
    return pick(_WORDS[key], lang)
