"""Equity, scenarios and budget in the app (AppTest on the embedded Utrecht default)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers import open_app_tab

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label))


def test_equity_tab_shows_quintiles_and_the_concentration_index(app: AppTest) -> None:
    assert [tab.label for tab in app.tabs] == ["Robuustheid", "Gelijkheid", "Scenario's", "Budget", "Scholen"]
    assert not any(m.label.startswith("Concentratie-index") for m in app.metric)  # a closed tab computes nothing
    open_app_tab(app, "Gelijkheid")
    assert _metric(app, "Concentratie-index")
    quintiles = next(df.value for df in app.dataframe if "Behoefte-kwintiel" in df.value.columns)
    assert list(quintiles["Behoefte-kwintiel"]) == ["Q1", "Q2", "Q3", "Q4", "Q5"]
    assert quintiles["Buurten"].sum() == 110
    # The straight-line measure is named under the table.
    assert any("Kwintielen" in c.value and "hemelsbreed" in c.value for c in app.caption)


def test_a_scenario_is_computed_kept_and_compared(app: AppTest) -> None:
    open_app_tab(app, "Scenario's")
    app.selectbox(key="sc_type").set_value("swimming_pool")
    app.text_input(key="sc_name").set_value("Zwembad <b>west</b>")
    app.button(key="sc_submit").click().run()
    assert not app.exception, [e.value for e in app.exception]
    summary = next(df.value for df in app.dataframe if "Wijzigingen" in df.value.columns)
    assert list(summary["Scenario"]) == ["Zwembad <b>west</b>"]  # shown as text, not HTML
    assert "Zwembad" in summary["Wijzigingen"].iloc[0]
    gains = next(df.value for df in app.dataframe if "Kinderen nieuw binnen bereik" in df.value.columns)
    assert len(gains) == 3  # 5, 10 and 15 minutes for the swimming pool
    # A second scenario is kept side by side with the first.
    app.text_input(key="sc_name").set_value("Tweede")
    app.selectbox(key="sc_type").set_value("sport")
    app.button(key="sc_submit").click().run()
    summary = next(df.value for df in app.dataframe if "Wijzigingen" in df.value.columns)
    assert list(summary["Scenario"]) == ["Zwembad <b>west</b>", "Tweede"]


def test_a_scenario_outside_the_municipality_is_refused_plainly(app: AppTest) -> None:
    open_app_tab(app, "Scenario's")
    next(n for n in app.number_input if n.label.startswith("X (RD")).set_value(5.1)
    app.button(key="sc_submit").click().run()
    assert not app.exception
    assert any("outside Utrecht" in e.value for e in app.error)
    assert not any("Wijzigingen" in df.value.columns for df in app.dataframe)


def test_budget_for_three_programmes_picks_three_buurten(app: AppTest) -> None:
    open_app_tab(app, "Budget")
    app.number_input(key="budget_eur").set_value(450_000.0)
    app.number_input(key="programme_cost").set_value(150_000.0).run()
    assert not app.exception
    assert _metric(app, "Besteed") == "€ 450.000"
    steps = next(df.value for df in app.dataframe if "Waarde per € 1 mln" in df.value.columns)
    assert len(steps) == 3 and steps["Buurt"].iloc[0] == "Kanaleneiland-Zuid"
    assert any(md.value.startswith("1. ") for md in app.markdown)


def test_robustness_tab_flags_buurten_and_is_repeatable(app: AppTest) -> None:
    assert [tab.label for tab in app.tabs][0] == "Robuustheid"
    summary = next(i.value for i in app.info if "trekkingen" in i.value)
    assert "Van de top 10 blijven er" in summary
    table = next(df.value for df in app.dataframe if "90%-interval" in df.value.columns)
    assert len(table) == 110
    assert set(table["Oordeel"]) <= {"robuust", "hangt af van de weging"}
    first = table.copy()
    app.number_input(key="robust_top_n").set_value(5).run()
    table5 = next(df.value for df in app.dataframe if "90%-interval" in df.value.columns)
    assert "In top 5" in table5.columns
    app.number_input(key="robust_top_n").set_value(10).run()
    again = next(df.value for df in app.dataframe if "90%-interval" in df.value.columns)
    assert again.equals(first)  # seeded: the same draws give the same table


def test_export_buttons_offer_map_pack_and_zip(app: AppTest) -> None:
    labels = {b.label for b in app.get("download_button")}
    assert {"Kaart (HTML)", "Beslisdocument (HTML, afdrukbaar)", "Rangorde + methode (zip)"} <= labels
