"""The map as tables: what the results map shows, for readers who cannot see or use the map (WCAG 2.1 1.1.1).

Under the map, one expander "Kaart als tabel" / "Map as table" holds:

- the buurten with the value of the map layer (the colour of each buurt) and, for each facility type on the
  map, the distance to the nearest one (what the isochrones show as areas);
- the facilities on the map: name, type, the buurt the point lies in, and the address when the data has one;
- with isochrones on the map: per facility type and band, the buurten whose point lies inside and their children.

``st.table`` draws a real HTML table (a screen reader reads rows and headers, unlike the canvas of
``st.dataframe``). Its cells are Markdown, so every text from the data is escaped. The whole country has
thousands of buurten: there the buurt table follows the "Zoom naar gemeente" choice and waits for one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from geo import schema
from geo.catalog import FACILITY_TYPES
from geo.decide.pipeline import PipelineResult
from geo.lang import format_number
from geo.network.isochrones import MINUTES
from geo.terms import MODE_NAMES, column_label, precision_note
from layers.choropleth import INTEGER_COLUMNS
from layers.format import is_missing
from layers.geometry import drawable
from layers.labels import map_label, pick, word
from layers.results_map import is_national
from ui.i18n import t
from ui.map_view import ZOOM_KEY
from ui.markdown import md_escape
from ui.state import AppParams

#: The distance columns (whole metres), as schema spells them.
_DISTANCE_COLUMNS = frozenset(schema.dist_col(k) for k in FACILITY_TYPES)
#: Height (px) of a long table: it scrolls with its header kept in view.
TABLE_HEIGHT = 420


def _number(value: Any, lang: str, *, decimals: int | None = None) -> str:
    return format_number(value, lang=lang, decimals=decimals, missing=word("no_data", lang))


def _text(value: Any) -> str:
    """Text from the data, Markdown-escaped (``st.table`` cells are Markdown); empty when missing."""
    return "" if is_missing(value) else md_escape(str(value))


def buurt_table(result: PipelineResult, map_column: str, facility_types: Sequence[str], lang: str,
                municipality: str | None = None) -> pd.DataFrame:
    """One row per buurt on the map, in rank order: name, the map layer's value, distance per facility type.

    ``municipality`` (a ``GM`` code) keeps the buurten of one municipality (the national map zoomed to it).
    """
    table = drawable(result.table)
    if municipality and schema.MUNICIPALITY_CODE in table.columns:
        table = table[table[schema.MUNICIPALITY_CODE].astype(str) == municipality]
    measures = result.prepared.access.measures
    columns = [map_column, *(schema.dist_col(k) for k in dict.fromkeys(facility_types))]
    out = pd.DataFrame(index=pd.Index(table[schema.BUURT_CODE].astype(str), name=column_label(schema.BUURT_CODE, lang)))
    out[column_label(schema.BUURT_NAME, lang)] = [_text(v) for v in table[schema.BUURT_NAME]]
    for column in dict.fromkeys(columns):
        if column not in table.columns:
            continue
        decimals = 0 if column in INTEGER_COLUMNS or column in _DISTANCE_COLUMNS else None
        values = pd.to_numeric(table[column], errors="coerce")
        out[md_escape(map_label(column, lang, measures))] = [_number(v, lang, decimals=decimals) for v in values]
    return out


def _buurt_names_of(points: gpd.GeoDataFrame, buurten: gpd.GeoDataFrame, lang: str) -> list[str]:
    """The name of the buurt each point lies in (on a border: the first); outside every buurt: says so."""
    joined = gpd.sjoin(points[[points.geometry.name]], buurten[[schema.BUURT_NAME, buurten.geometry.name]],
                       how="left", predicate="intersects")
    first = joined[~joined.index.duplicated(keep="first")][schema.BUURT_NAME]
    return [t("map_table_outside", lang) if pd.isna(v) else _text(v) for v in first.reindex(points.index)]


def facility_table(result: PipelineResult, facility_types: Sequence[str], lang: str) -> pd.DataFrame:
    """The facilities on the map (the types chosen, in that order, then by name): name, type, buurt, address."""
    fac = result.prepared.dataset.facilities
    types = [k for k in dict.fromkeys(facility_types) if k in FACILITY_TYPES]
    if fac is None or fac.empty or not types:
        return pd.DataFrame()
    rows = fac[fac[schema.FACILITY_TYPE].isin(types)]
    order = {k: i for i, k in enumerate(types)}
    rows = rows.assign(_order=rows[schema.FACILITY_TYPE].map(order)).sort_values(
        ["_order", schema.FACILITY_NAME], kind="stable")
    out = pd.DataFrame({
        t("map_table_name", lang): [_text(v) for v in rows[schema.FACILITY_NAME]],
        word("type", lang): [FACILITY_TYPES[k].label(lang) for k in rows[schema.FACILITY_TYPE]],
        column_label(schema.BUURT_NAME, lang): _buurt_names_of(rows, drawable(result.table), lang),
    })  # fmt: skip
    if schema.FACILITY_ADDRESS in rows.columns and rows[schema.FACILITY_ADDRESS].notna().any():
        out[word("address", lang)] = [_text(v) for v in rows[schema.FACILITY_ADDRESS]]
    if schema.LOCATION_PRECISION in rows.columns:
        notes = [precision_note(v, lang) or "" for v in rows[schema.LOCATION_PRECISION]]
        if any(notes):
            out[t("map_table_location", lang)] = notes
    return out


def isochrone_table(result: PipelineResult, isochrones: gpd.GeoDataFrame | None, mode: str,
                    lang: str) -> pd.DataFrame:
    """Per facility type and band: the buurten whose point lies inside the isochrone, and their children."""
    if isochrones is None or isochrones.empty:
        return pd.DataFrame()
    buurten = drawable(result.table)
    points = gpd.GeoDataFrame(buurten[[schema.BUURT_NAME]], geometry=buurten.geometry.representative_point(),
                              crs=buurten.crs)
    children = (pd.to_numeric(buurten[schema.CHILDREN_0_14], errors="coerce") if schema.CHILDREN_0_14 in buurten
                else pd.Series(np.nan, index=buurten.index))
    rows = []
    for _, iso in isochrones.sort_values([schema.FACILITY_TYPE, MINUTES]).iterrows():
        inside = points.geometry.within(iso.geometry)
        key = str(iso[schema.FACILITY_TYPE])
        rows.append({
            word("type", lang): FACILITY_TYPES[key].label(lang) if key in FACILITY_TYPES else md_escape(key),
            t("map_table_band", lang): t("map_table_band_value", lang, minutes=_number(iso[MINUTES], lang, decimals=0),
                                         mode=pick(MODE_NAMES[mode], lang) if mode in MODE_NAMES else ""),
            t("map_table_buurten_in", lang): _number(int(inside.sum()), lang, decimals=0),
            column_label(schema.CHILDREN_0_14, lang): _number(children[inside].sum(min_count=1), lang, decimals=0),
            t("map_table_buurt_names", lang): ", ".join(_text(v) for v in points.loc[inside, schema.BUURT_NAME]),
        })  # fmt: skip
    return pd.DataFrame(rows)


def _show(frame: pd.DataFrame, title: str, alt: str) -> None:
    st.markdown(f"**{title}**")
    long = len(frame) > 12
    st.table(frame, height=TABLE_HEIGHT if long else "content", alt=alt, border="horizontal")


#: Session-state key of the expander: True while it is open.
OPEN_KEY = "map_table_open"


def render_map_table(result: PipelineResult, params: AppParams, isochrones: gpd.GeoDataFrame | None = None) -> None:
    """The expander "Kaart als tabel" under the map: buurten, facilities and isochrones as tables."""
    lang = params.lang
    measures = result.prepared.access.measures
    layer = map_label(params.map_column, lang, measures)
    national = is_national(result.table)
    box = st.expander(t("map_table", lang), key=OPEN_KEY, on_change="rerun")
    if not box.open:  # folded: nothing computed or sent (opening it reruns the app)
        return
    with box:
        st.caption(t("map_table_intro", lang))
        zoom = st.session_state.get(ZOOM_KEY) or None
        if national and not zoom:
            st.caption(t("map_table_pick_municipality", lang, zoom=t("zoom_municipality", lang)))
        else:
            buurten = buurt_table(result, params.map_column, () if national else params.facility_types, lang,
                                  municipality=zoom if national else None)
            _show(buurten, t("map_table_buurten", lang, layer=md_escape(layer)),
                  t("map_table_buurten", lang, layer=layer))
        if national:  # the national map shows no facilities or isochrones
            return
        facilities = facility_table(result, params.facility_types, lang)
        if not facilities.empty:
            _show(facilities, t("facility_types", lang), t("facility_types", lang))
        iso = isochrone_table(result, isochrones, params.access.mode, lang)
        if not iso.empty:
            _show(iso, word("isochrones", lang), word("isochrones", lang))
