"""The Streamlit app, run headless with AppTest on the embedded Utrecht default."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TIMEOUT = 60


@pytest.fixture
def app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _sentence(at: AppTest) -> str:
    # The sentence is Markdown-escaped (names come from data files); read it as plain text.
    return next(i.value for i in at.info if " staat op " in i.value or " ranks " in i.value).replace("\\", "")


def test_opens_on_utrecht_with_ranking_and_explanation(app):
    assert app.title[0].value == "Rijke Schooldag Planner"
    assert "Utrecht" in app.caption[0].value
    # The selected buurt defaults to the top of the ranking and is explained in a sentence.
    assert app.selectbox(key="buurt_select").value == "BU03440831"
    assert _sentence(app).startswith("Kanaleneiland-Zuid staat op 1 van 110, vooral door ")
    # Indicators without data in this release are named, not silently dropped.
    warning = " ".join(w.value for w in app.warning)
    assert "laag inkomen" in warning and "geen gegevens" in warning
    # Straight-line distances are labelled as an approximation.
    assert any("Hemelsbrede afstanden zijn een benadering" in c.value for c in app.caption)
    # No street network ships for Utrecht: the app says so plainly and how to get one.
    no_net = app.info[0].value.replace("\\", "")
    assert "Er is geen straten-netwerk (lopen) geladen voor Utrecht" in no_net
    assert "python -m geo network download" in no_net


def test_selecting_another_buurt_explains_that_buurt(app):
    app.selectbox(key="buurt_select").set_value("BU03440112").run()
    assert not app.exception
    assert _sentence(app).startswith("Oog in Al staat op ")
    # The nearest school is named with its pupils, and an approximate location says so.
    school = next(c.value for c in app.caption if "Dichtstbijzijnde basisschool" in c.value)
    assert "leerlingen in 2025" in school and "hemelsbreed" in school


def test_raising_a_weight_reorders_the_ranking(app):
    sport_key = "w_rijke_schooldag_dist_sport_m"
    before = app.dataframe[0].value.iloc[0]
    app.slider(key=sport_key).set_value(5.0).run()
    assert not app.exception
    after = app.dataframe[0].value.iloc[0]
    assert before.name != after.name  # a different buurt is now first
    # The detail panel follows the ranking: the explanation still names the selected buurt's rank.
    assert "staat op" in _sentence(app)


def test_english_ui(app):
    app.radio(key="lang").set_value("en").run()
    assert not app.exception
    assert app.title[0].value == "Rich School Day Planner"
    assert " ranks " in _sentence(app)


def test_preset_change_resets_weights(app):
    app.selectbox(key="preset").set_value("need_only").run()
    assert not app.exception
    assert app.slider(key="w_need_only_dist_sport_m").value == 0.0
    assert app.slider(key="w_need_only_benefits_bijstand_per_1000").value == 2.0


def test_all_weights_zero_shows_an_error_not_a_traceback(app):
    for s in app.slider:
        s.set_value(0.0)
    app.run()
    assert not app.exception
    assert any("weight" in e.value.lower() or "gewicht" in e.value.lower() for e in app.error)
