"""The whole country in the app (``?ds=NL01``): every buurt ranked, normalised within each municipality or
nationally (a radio that the link carries), the national map with a zoom to a municipality.

One app session for the module (the country's first run takes seconds), opened from a link with a hostile
``norm``; the tests run in order, each from the state the previous one left.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo.data import national
from ui.datasets import PICKER_KEY
from ui.map_view import ZOOM_KEY

APP = str(Path(__file__).resolve().parents[1] / "app.py")
HOSTILE_NORM = "<script>alert(1)</script>"
NORMALISATION = "normalisation"
ROTTERDAM = "GM0599"


@pytest.fixture(scope="module")
def app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["ds"] = national.COUNTRY_CODE
    at.query_params["norm"] = HOSTILE_NORM
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _texts(at: AppTest) -> str:
    return "\n".join(str(x.value) for x in (*at.info, *at.warning, *at.caption, *at.markdown, *at.error))


def _ranking(at: AppTest):
    return at.dataframe[0].value


def test_the_country_opens_from_a_link_ranks_every_buurt_and_says_what_it_holds(app: AppTest) -> None:
    picker = app.selectbox(key=PICKER_KEY)
    assert picker.value == national.COUNTRY_CODE and list(picker.options)[:2] == ["Heel Nederland", "Utrecht"]
    table = _ranking(app)
    assert len(table) > 14_000 and table["Gemeente"].nunique() == 342
    assert {"Plaats", "Plaats in de gemeente", "Buurt", "Gemeente"} <= set(table.columns)
    text = _texts(app)
    assert "Heel Nederland:" in text and "volledige datasets gebruikt voor Utrecht, Delft" in text
    assert "Kies één gemeente" in text  # no network for the whole country, and nothing to fetch at once
    assert not any(b.label.startswith("Haal gegevens op") for b in app.button)
    # The hostile value of norm: the default, and a notice that shows it as text.
    assert app.radio(key=NORMALISATION).value == "municipality"
    notice = next(str(w.value) for w in app.warning if "norm" in str(w.value))
    assert "<script>" not in notice.replace("\\<", "")
    # The detail panel: both ranks, and which buurten the buurt was compared with.
    labels = [m.label for m in app.metric]
    assert labels[:2] == ["Plaats landelijk", "Plaats in de gemeente"]
    assert "Genormaliseerd binnen elke gemeente" in text
    # Within each municipality: its rank there first, then the national one (Dutch thousands, as everywhere).
    # (Markdown escapes the brackets.)
    assert re.search(r" staat op 1 van [\d.]+ in [^(\\]+ \\?\(landelijk 1 van 14\.\d{3}\\?\), vooral door ", text)
    assert list(table.columns[:4]) == ["Plaats", "Buurt", "Gemeente", "Plaats in de gemeente"]
    assert app.selectbox(key=ZOOM_KEY).value == ""  # the map shows the whole country


def test_national_normalisation_reranks_and_goes_into_the_link(app: AppTest) -> None:
    before = _ranking(app)
    app.radio(key=NORMALISATION).set_value("national").run()
    assert not app.exception, [e.value for e in app.exception]
    after = _ranking(app)
    assert "Plaats in de gemeente" not in after.columns
    assert list(after.index[:20]) != list(before.index[:20])  # compared with the whole country, others lead
    assert app.query_params["norm"] == "n" and app.query_params["ds"] == national.COUNTRY_CODE
    assert "Landelijk genormaliseerd" in _texts(app)
    assert [m.label for m in app.metric][:2] == ["Plaats landelijk", "Prioriteitsscore"]
    method = next(e for e in app.expander if e.label == "Methode")
    assert "over alle 342 gemeenten tegelijk" in "\n".join(str(m.value) for m in method.markdown)
    app.radio(key=NORMALISATION).set_value("municipality").run()
    assert "norm" not in app.query_params  # the default is not written


def test_zooming_to_a_municipality_selects_its_top_buurt(app: AppTest) -> None:
    zoom = app.selectbox(key=ZOOM_KEY)
    assert zoom.options[0] == "Heel Nederland" and "'s-Hertogenbosch" in zoom.options
    position = zoom.options.index
    assert position("Haarlem") < position("'s-Hertogenbosch") < position("Heusden")  # at H, as in a Dutch list
    assert "Amsterdam (niet op de kaart)" in zoom.options  # no 2014 shapes: listed, but nothing to zoom to
    zoom.set_value(ROTTERDAM).run()
    assert not app.exception, [e.value for e in app.exception]
    table = _ranking(app)
    top = table[table["Gemeente"] == "Rotterdam"].index[0]
    assert app.selectbox(key="buurt_select").value == top
    assert "Rotterdam" in next(str(c.value) for c in app.caption if "Genormaliseerd" in str(c.value))
