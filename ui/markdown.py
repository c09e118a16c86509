"""Showing text that came from outside (data files, the URL) safely through Streamlit's Markdown.

Pure functions, no Streamlit: :func:`md_escape` for data text (buurt and
facility names), :func:`escape_url_text` for text taken from a share link.
"""

from __future__ import annotations

import unicodedata

__all__ = ["SHOWN_CHARS", "escape_url_text", "md_escape", "printable"]

#: How much URL text a notice shows.
SHOWN_CHARS = 40

_MD_SPECIAL = "\\`*_{}[]()#+!|<>~$"


def md_escape(text: str) -> str:
    """Escape Markdown/HTML syntax in data-provided text shown through st.markdown/st.info.

    Buurt and facility names come from files a user may load: a name like
    ``![x](http://…)`` must show as text, not load an image or make a link.
    """
    out = str(text)
    for ch in _MD_SPECIAL:
        out = out.replace(ch, "\\" + ch)
    return out


def printable(text: str, limit: int = SHOWN_CHARS) -> str:
    """``text`` truncated to ``limit`` characters and printable (``str.isprintable``).

    Control, format (e.g. right-to-left override), surrogate and line/paragraph
    separator characters become U+FFFD: they could break the layout, fake the
    text's direction, or fail the UTF-8 encoding on the way to the browser.
    Other spaces (no-break, ideographic …) become a plain space.
    """
    text = str(text)
    cut = len(text) > limit
    out = "".join(
        ch if ch.isprintable() else " " if unicodedata.category(ch) == "Zs" else "\ufffd" for ch in text[:limit]
    )
    return out + "…" if cut else out


_ASCII_PUNCT = "".join(chr(c) for c in range(33, 127) if not chr(c).isalnum())
_EXTRA_PUNCT = "".join(ch for ch in _ASCII_PUNCT if md_escape(ch) == ch)


def escape_url_text(text: str, *, limit: int = SHOWN_CHARS) -> str:
    """URL text made safe to show through ``st.markdown``/``st.warning``: truncated, printable, escaped.

    Uses :func:`md_escape` and then also backslash-escapes the ASCII
    punctuation it leaves alone (``& : . - = / " '`` …), which CommonMark allows
    for every ASCII punctuation character and renders as the character itself.
    This stops what ``md_escape`` alone lets through: HTML entities
    (``&lt;`` would show as ``<``) and bare-URL autolinks
    (``https://evil.example`` or ``www.evil.example`` would become clickable).

    Parameters
    ----------
    text
        Any text taken from the URL.
    limit
        Characters kept before an ellipsis.

    Returns
    -------
    str
        Markdown that renders as the (truncated) text itself.
    """
    out = md_escape(printable(text, limit))
    for ch in _EXTRA_PUNCT:
        out = out.replace(ch, "\\" + ch)
    return out
