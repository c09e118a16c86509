"""Number formatting for people: Dutch (1.234,5) or English (1,234.5)."""

from __future__ import annotations

import math


def auto_decimals(value: float) -> int:
    """Decimals that suit one value: 0 from 100 up, 1 from 10 up, else 2."""
    magnitude = abs(value)
    if magnitude >= 100:
        return 0
    if magnitude >= 10:
        return 1
    return 2


def format_number(
    value: float | int | None, *, lang: str = "nl", decimals: int | None = 0, missing: str = "–"
) -> str:
    """Format a number with thousands separators in the style of ``lang``.

    ``decimals=None`` picks them from the magnitude; the default is whole numbers (:func:`auto_decimals`).
    Missing values (None, NaN, pd.NA) give ``missing``. Negative numbers get a
    real minus sign (a hyphen is easy to miss in "-0,70 – -0,40"), and a value
    that rounds to zero never shows as "-0".
    """
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return missing
    if math.isnan(number):
        return missing
    if decimals is None:
        decimals = auto_decimals(number)
    text = f"{number:,.{decimals}f}"
    if text.startswith("-") and float(text[1:].replace(",", "")) == 0:
        text = text[1:]
    if lang == "nl":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text.replace("-", "\N{MINUS SIGN}")


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
