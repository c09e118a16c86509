"""Number formatting for map labels, tooltips and legends (Dutch and English).

Dutch uses a full stop for thousands and a comma for decimals ("1.234,5");
English the other way round ("1,234.5"). These functions return plain text;
callers HTML-escape it like any other text.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import pandas as pd

from layers.labels import check_lang

#: Largest number of decimals :func:`legend_decimals` will use to tell breaks apart.
MAX_DECIMALS = 4


def format_number(value: float | None, *, lang: str = "nl", decimals: int | None = None) -> str:
    """Format ``value`` with thousands separators in the style of ``lang``.

    Parameters
    ----------
    value
        The number. ``None`` and NaN give an empty string: callers decide how
        to show a missing value (see :func:`layers.labels.no_data`).
    lang
        ``"nl"`` or ``"en"``.
    decimals
        Digits after the decimal separator; ``None`` picks them from the
        magnitude (:func:`auto_decimals`).
    """
    check_lang(lang)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    number = float(value)
    if math.isnan(number):
        return ""
    if decimals is None:
        decimals = auto_decimals(number)
    text = f"{number:,.{decimals}f}"
    # "-0,0" after rounding a tiny negative number reads as a bug to a user.
    if text.startswith("-") and float(text[1:].replace(",", "")) == 0:
        text = text[1:]
    if lang == "nl":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    # A real minus sign: a hyphen is easy to miss in "-0,70 – -0,40".
    return text.replace("-", "\N{MINUS SIGN}")


def is_missing(value: Any) -> bool:
    """True for ``None``, NaN, ``pd.NA`` and ``NaT``; strings (even empty ones) are not missing."""
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def auto_decimals(value: float) -> int:
    """Decimals that suit one value: 0 from 100 up, 1 from 10 up, else 2."""
    magnitude = abs(value)
    if magnitude >= 100:
        return 0
    if magnitude >= 10:
        return 1
    return 2


def legend_decimals(breaks: Iterable[float]) -> int:
    """The fewest decimals (starting from the magnitude rule) that keep ``breaks`` distinct.

    Class ranges such as "0,12 – 0,12" would hide the difference between two
    classes; this adds decimals until every distinct break reads differently.
    """
    values = sorted({float(b) for b in breaks if not math.isnan(float(b))})
    if not values:
        return 0
    decimals = min(auto_decimals(v) for v in values)
    while decimals < MAX_DECIMALS:
        texts = {f"{v:.{decimals}f}" for v in values}
        if len(texts) == len(values):
            break
        decimals += 1
    return decimals
