"""The gap card of one school as HTML: a printable A4 page, or a fragment for the app.

What the card says comes from :func:`geo.report.school_card.gap_card` as one frozen
:class:`~geo.report.school_card.GapCard`; this module renders it through the autoescaping templates
``templates/school_card.html.j2`` (page or fragment) and ``templates/school_card_body.html.j2`` (the card
itself, also used by the decision pack), with ``school_card.css`` inlined. Like the decision pack, the page
is HTML laid out for A4 (``@page``, colours kept in print): *Print → Save as PDF* gives the PDF.

A reach status is shown by its word, a symbol (:data:`STATUS_SYMBOLS`: ✓ ✗ ?) and a colour, so it reads
without colour vision and in black-and-white print.
"""

from __future__ import annotations

from types import MappingProxyType

from geo import schema
from geo.report.school_card import GapCard
from layers.render import render

__all__ = ["STATUS_SYMBOLS", "card_html"]

#: The symbol of each reach status, shown next to its word.
STATUS_SYMBOLS = MappingProxyType(
    {schema.REACH_IN: "\N{CHECK MARK}", schema.REACH_OUT: "\N{BALLOT X}", schema.REACH_UNKNOWN: "?"}
)


def card_html(card: GapCard, *, standalone: bool = True) -> str:
    """The gap card as HTML.

    ``standalone=True``: a complete document (inline CSS, no external resources, A4 print layout) to print or
    save; ``False``: a ``<div>`` with its own scoped ``<style>`` for the app page.
    """
    return str(render("school_card.html.j2", card=card, standalone=standalone, symbols=STATUS_SYMBOLS))
