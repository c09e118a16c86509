"""Number formatting for people: Dutch (1.234,5) or English (1,234.5)."""

from __future__ import annotations

import math


def format_number(value: float | int | None, *, lang: str = "nl", decimals: int = 0) -> str:
    """Format a number with thousands separators in the style of ``lang``; '–' for missing."""
    if value is None:
        return "–"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "–"
    if math.isnan(v):
        return "–"
    text = f"{v:,.{decimals}f}"
    if lang == "nl":
        text = text.replace(",", "\u0000").replace(".", ",").replace("\u0000", ".")
    return text


def format_value(value: float | None, unit: str, *, lang: str = "nl") -> str:
    """A value with a sensible number of decimals and its unit where the label does not say it."""
    if unit == "× € 1.000":
        text = format_number(None if value is None else float(value) * 1000, lang=lang)
        return text if text == "–" else f"€ {text}"
    big = value is not None and not math.isnan(float(value)) and abs(float(value)) >= 100
    decimals = 0 if unit in {"count", "m", "per km²"} or big else 1
    text = format_number(value, lang=lang, decimals=decimals)
    if text == "–":
        return text
    if unit == "%":
        return f"{text}%"
    if unit == "m":
        return f"{text} m"
    return text
