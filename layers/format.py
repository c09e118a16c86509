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

from geo.lang import auto_decimals
from geo.lang import format_number as _format_number
from layers.labels import check_lang

#: Largest number of decimals :func:`legend_decimals` will use to tell breaks apart.
MAX_DECIMALS = 4


def format_number(value: float | None, *, lang: str = "nl", decimals: int | None = None) -> str:
    """:func:`geo.lang.format_number` with an empty string for missing values.

    Callers on the map decide how to show a missing value (e.g. ``layers.labels.word("no_data", lang)``).
    """
    check_lang(lang)
    return _format_number(value, lang=lang, decimals=decimals, missing="")


def is_missing(value: Any) -> bool:
    """True for ``None``, NaN, ``pd.NA`` and ``NaT``; strings (even empty ones) are not missing."""
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


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
