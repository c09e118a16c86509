"""Bar charts with one row per indicator or buurt, every row labelled, drawn from a cached Vega-Lite spec.

Two things a planner noticed: the charts named only every other row (the chart was squeezed into a default
height, and Vega-Lite drops labels that would overlap), and every rerun of every session rebuilt and validated
the same Altair chart. Here the height follows the number of rows (:data:`ROW_PX` each), labels never drop out
(a long name is cut at :data:`LABEL_LIMIT_PX` with an ellipsis; the bar's tooltip holds the whole name), and the
spec is made once per ``key`` (the ranking, the buurt, the settings and the language) and shared by every session.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

#: Height of one labelled row (px): room for a 12 px label and a bar between its neighbours.
ROW_PX = 24
#: Longest label (px) before it is cut with an ellipsis (the tooltip has the whole name).
LABEL_LIMIT_PX = 300
#: Room for the title, the x axis and its title (px).
FRAME_PX = 80


VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"


def row_axis() -> dict[str, Any]:
    """The y axis of a chart with one row per name: every label shown, long ones cut with an ellipsis."""
    return {"labelOverlap": False, "labelLimit": LABEL_LIMIT_PX, "labelFontSize": 12}


def rows_y(field: str) -> dict[str, Any]:
    """The y channel of a chart with one row per value of ``field``, in the data's order, untitled."""
    return {"field": field, "type": "nominal", "sort": None, "title": None, "axis": row_axis()}


def rows_height(n_rows: int) -> int:
    """The chart's height (px) for ``n_rows`` labelled rows."""
    return ROW_PX * max(n_rows, 1) + FRAME_PX


@st.cache_data(show_spinner=False, max_entries=256)  # bounded: one small spec per ranking, buurt and settings
def _spec(key: tuple, _build: Callable[[], dict[str, Any]], n_rows: int) -> dict[str, Any]:
    del key  # what ``_build`` draws
    # The plot itself is n_rows rows tall; Streamlit's height (rows_height) is the whole chart.
    return {"$schema": VEGA_LITE_SCHEMA, **_build(), "height": ROW_PX * max(n_rows, 1)}


def show_row_chart(key: tuple, build: Callable[[], dict[str, Any]], n_rows: int) -> None:
    """Draw the Vega-Lite chart ``build()`` makes (cached on ``key``), ``n_rows`` rows tall, the column's width."""
    st.vega_lite_chart(_spec(key, build, n_rows), width="stretch", height=rows_height(n_rows))
