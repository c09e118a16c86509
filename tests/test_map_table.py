"""The map as tables (ui.map_table), run with AppTest on the real Utrecht default: every buurt with the value of
the map layer and its distances, every facility shown with its type, buurt and address, the isochrones as buurten
within reach; data text escaped; the national map lists the municipality it is zoomed to."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from geo import schema
from geo.catalog import FACILITY_TYPES
from geo.decide.pipeline import run
from geo.network.isochrones import MINUTES
from tests.helpers import HOSTILE_NAME, with_hostile_top_name
from ui.map_table import buurt_table, facility_table, isochrone_table
from ui.markdown import md_escape
from ui.state import AccessChoice, AppParams

SHOWN = ("sport", "swimming_pool", "primary_school")
TIMEOUT = 60


@pytest.fixture(scope="module")
def result():
    return run()


def _params(result, lang: str = "nl", types: tuple[str, ...] = SHOWN) -> AppParams:
    return AppParams(lang=lang, ranking=result.params, map_column=schema.PRIORITY_SCORE, facility_types=types,
                     access=AccessChoice())


def _page(result, params, isochrones, zoom) -> None:
    # AppTest runs this function's source as the page, so the page's imports are written in it.
    import streamlit as st

    from ui.map_table import OPEN_KEY, render_map_table
    from ui.map_view import ZOOM_KEY

    st.session_state.setdefault(OPEN_KEY, True)  # opened, as a click on it does
    if zoom is not None:
        st.session_state[ZOOM_KEY] = zoom
    render_map_table(result, params, isochrones)


def _run(result, params, isochrones=None, zoom=None) -> AppTest:
    at = AppTest.from_function(_page, args=(result, params, isochrones, zoom), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _isochrone_around(result, code: str, minutes: float = 10.0) -> gpd.GeoDataFrame:
    """One sport isochrone: a 50 m circle around buurt ``code``'s own point (that buurt alone is inside)."""
    row = result.table.loc[result.table[schema.BUURT_CODE] == code]
    point = row.geometry.representative_point().iloc[0]
    return gpd.GeoDataFrame({schema.FACILITY_TYPE: ["sport"], MINUTES: [minutes]}, geometry=[point.buffer(50)],
                            crs=result.table.crs)


def test_the_expander_lists_every_buurt_every_facility_and_the_isochrones(result):
    top = result.table.iloc[0]
    at = _run(result, _params(result), _isochrone_around(result, top[schema.BUURT_CODE]))
    [expander] = at.expander
    assert expander.label == "Kaart als tabel"
    buurten, facilities, iso = (t.value for t in at.table)
    # Every buurt on the map, in rank order, with the map layer's value and the distance to each type shown.
    assert len(buurten) == len(result.table) and buurten.index[0] == top[schema.BUURT_CODE]
    assert list(buurten.columns[:2]) == ["Buurt", "Prioriteitsscore"]
    assert all(c.startswith("Afstand tot ") for c in buurten.columns[2:]) and len(buurten.columns) == 2 + len(SHOWN)
    assert "hemelsbreed" in buurten.columns[2]  # a distance says how it was measured, as on the map
    # Every facility of the types shown: name, type, buurt (found by its point), address.
    fac = result.prepared.dataset.facilities
    assert len(facilities) == int(fac[schema.FACILITY_TYPE].isin(SHOWN).sum())
    assert list(facilities.columns[:4]) == ["Naam", "Soort", "Buurt", "Adres"]
    assert set(facilities["Soort"]) == {FACILITY_TYPES[k].label("nl") for k in SHOWN}
    assert facilities["Soort"].iloc[0] == FACILITY_TYPES["sport"].label("nl")  # the chosen order of the types
    assert facilities["Buurt"].isin([*map(md_escape, result.table[schema.BUURT_NAME]),
                                     "buiten de buurten op de kaart"]).all()
    assert (facilities["Buurt"] != "buiten de buurten op de kaart").mean() > 0.9
    # The isochrone: one band of one type, reaching the top buurt only.
    assert iso.iloc[0].to_dict() == {
        "Soort": "Sportaccommodatie", "Reistijd": "10 min lopen", "Buurten binnen bereik": "1",
        "Kinderen 0–14": f"{int(top[schema.CHILDREN_0_14]):,}".replace(",", "."),
        "Welke buurten": md_escape(top[schema.BUURT_NAME]),
    }  # fmt: skip
    assert at.caption[0].value.startswith("Alles wat de kaart laat zien, ook als tabel")


def test_a_facility_is_placed_in_the_buurt_its_point_lies_in(result):
    table = facility_table(result, ("swimming_pool",), "nl")
    fac = result.prepared.dataset.facilities
    pools = fac[fac[schema.FACILITY_TYPE] == "swimming_pool"].sort_values(schema.FACILITY_NAME, kind="stable")
    buurten = result.table
    for (_, pool), shown in zip(pools.iterrows(), table["Buurt"], strict=True):
        inside = buurten[buurten.geometry.intersects(pool.geometry)][schema.BUURT_NAME]
        assert shown == (md_escape(inside.iloc[0]) if len(inside) else "buiten de buurten op de kaart")


def test_in_english_and_without_facilities_or_isochrones(result):
    at = _run(result, _params(result, "en", types=()))
    assert at.expander[0].label == "Map as table"
    [buurten] = (t.value for t in at.table)  # no facility table, no isochrone table
    assert list(buurten.columns) == ["Buurt", "Priority score"]
    assert buurten.index.name == "Buurt code"


def test_data_text_is_escaped(result):
    hostile = with_hostile_top_name(result)
    table = buurt_table(hostile, schema.PRIORITY_SCORE, SHOWN, "nl")
    assert table["Buurt"].iloc[0] == md_escape(HOSTILE_NAME) != HOSTILE_NAME
    iso = isochrone_table(hostile, _isochrone_around(hostile, hostile.table.iloc[0][schema.BUURT_CODE]), "bike", "en")
    assert iso["Which buurten"].iloc[0] == md_escape(HOSTILE_NAME) and iso["Travel time"].iloc[0] == "10 min cycling"


def test_the_national_map_lists_the_municipality_it_is_zoomed_to(result):
    table = result.table.copy()
    west = ~table[schema.BUURT_CODE].str.startswith("BU034408")
    table[schema.MUNICIPALITY_CODE] = np.where(west, "GM9999", "GM0344")
    table[schema.MUNICIPALITY_NAME] = np.where(west, "Elders", "Utrecht")
    national = dataclasses.replace(result, table=table)
    whole = _run(national, _params(national))
    assert whole.table.len == 0  # the whole country: no table of 14,000 buurten, a hint instead
    assert "Zoom naar gemeente" in whole.caption[1].value
    zoomed = _run(national, _params(national), zoom="GM0344")
    [buurten] = (t.value for t in zoomed.table)  # the national map shows no facilities
    assert set(buurten.index) == set(table.loc[~west, schema.BUURT_CODE]) and len(buurten.columns) == 2


def _folded_page(result, params) -> None:
    from ui.map_table import render_map_table

    render_map_table(result, params, None)


def test_folded_it_computes_and_sends_no_table(result):
    # Every visitor's page has the expander; only those who open it pay for its tables.
    at = AppTest.from_function(_folded_page, args=(result, _params(result)), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert [e.label for e in at.expander] == ["Kaart als tabel"] and len(at.table) == 0
