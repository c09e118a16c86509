"""The product's two languages: which they are, how to choose a text, and numbers and dates for people.

Every bilingual text in the product is a pair ``(Dutch, English)`` or a mapping
``{"nl": ..., "en": ...}``; :func:`pick` is the one code path that chooses, and an
unknown language is always the same error (:class:`geo.errors.ParameterError`),
never a silent fallback. The words themselves live in :mod:`geo.terms`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from types import MappingProxyType

from geo.errors import ParameterError

#: Supported languages, the default first.
LANGUAGES = ("nl", "en")
DEFAULT_LANG = "nl"
#: Each language's name in itself (the language picker).
LANGUAGE_NAMES = MappingProxyType({"nl": "Nederlands", "en": "English"})

#: A text in both languages: ``(Dutch, English)`` or ``{"nl": ..., "en": ...}``.
Bilingual = tuple[str, str] | Mapping[str, str]

_MONTHS = MappingProxyType(
    {
        "nl": ("januari", "februari", "maart", "april", "mei", "juni",
               "juli", "augustus", "september", "oktober", "november", "december"),
        "en": ("January", "February", "March", "April", "May", "June",
               "July", "August", "September", "October", "November", "December"),
    }
)


def check_lang(lang: str) -> str:
    """``lang`` if supported, else :class:`ParameterError` naming the supported ones."""
    if lang not in LANGUAGES:
        raise ParameterError(f"Unknown language '{lang}'; expected one of: {', '.join(LANGUAGES)}.")
    return lang


def pick(text: Bilingual, lang: str) -> str:
    """The ``lang`` half of a bilingual text (see :data:`Bilingual`)."""
    check_lang(lang)
    if isinstance(text, tuple):
        return text[LANGUAGES.index(lang)]
    return text[lang]


def format_date(day: date, lang: str = DEFAULT_LANG) -> str:
    """'2 december 2025' or '2 December 2025'."""
    return f"{day.day} {_MONTHS[check_lang(lang)][day.month - 1]} {day.year}"


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
    if value is None:
        return missing
    try:
        number = float(value)
    except (TypeError, ValueError):  # pd.NA, or not a number at all
        return missing
    if math.isnan(number):
        return missing
    if decimals is None:
        decimals = auto_decimals(number)
    text = f"{number:,.{decimals}f}"
    if text.startswith("-") and float(text[1:].replace(",", "")) == 0:
        text = text[1:]
    if check_lang(lang) == "nl":
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
