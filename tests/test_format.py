"""Numbers on the map (layers.format): Dutch or English style, a real minus sign, nothing for missing."""

from __future__ import annotations

import numpy as np
import pytest

from layers import format_number


@pytest.mark.parametrize(
    ("value", "lang", "decimals", "expected"),
    [
        (1234.5, "nl", 1, "1.234,5"),
        (1234.5, "en", 1, "1,234.5"),
        (1234567, "nl", 0, "1.234.567"),
        (-0.6, "nl", 2, "\N{MINUS SIGN}0,60"),
        (-0.001, "nl", 1, "0,0"),
        (0.123, "nl", None, "0,12"),
        (np.nan, "nl", None, ""),
    ],
)
def test_format_number(value, lang, decimals, expected):
    assert format_number(value, lang=lang, decimals=decimals) == expected
