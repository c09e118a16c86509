"""Rijke Schooldag Planner – Streamlit app (thin UI).

Run with ``streamlit run app.py``. Widgets → one frozen parameters object →
cached pipeline (``geo/``) → map layers (``layers/``) and panels (``ui/``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import streamlit as st

from geo import schema
from geo.errors import PlanningError
from ui import link, map_table, panels, share
from ui.budget_view import render_budget
from ui.datasets import choices, dataset_ref, forget_other_dataset, render_dataset_notice, render_picker
from ui.equity_view import render_equity
from ui.exports_view import render_exports
from ui.fetch_view import render_fetch_action
from ui.i18n import t
from ui.map_view import MAP_HEIGHT, MAP_WIDTH, keep_zoom, render_map
from ui.markdown import md_escape
from ui.method import method_text
from ui.robustness_view import render_robustness
from ui.scenario_view import render_scenarios
from ui.schools_view import render_schools
from ui.sidebar import render_access_choice, render_language, render_sidebar
from ui.state import (
    data_dir,
    file_key,
    load_dataset,
    load_isochrones,
    load_map_geometry,
    load_prepared,
    load_ranking,
    network_path,
)
from ui.upload_view import render_uploads

SELECTED = "buurt_select"
#: The tabs under the detail panel, by name (an i18n/terms key); the open one is kept under OPEN_TAB by name,
#: so that it stays open when a language switch changes the labels.
TAB_NAMES = ("tab_robustness", "tab_equity", "tab_scenarios", "tab_budget", share.SCHOOLS_TAB)
TABS = "tabs"
OPEN_TAB = share.WIDGET_KEYS["open_tab"]

st.set_page_config(page_title="Rijke Schooldag Planner", page_icon="🏫", layout="wide")


def render_tabs(lang: str) -> Sequence:
    """The tabs, with the one open that was open before (or that a link asked for)."""
    labels = [t(name, lang) for name in TAB_NAMES]
    if st.session_state.get(TABS) not in labels:  # first run, or the language changed the labels
        wanted = st.session_state.get(OPEN_TAB)
        st.session_state[TABS] = labels[TAB_NAMES.index(wanted)] if wanted in TAB_NAMES else labels[0]
    tabs = st.tabs(labels, key=TABS, on_change="rerun")
    st.session_state[OPEN_TAB] = next((n for n, tab in zip(TAB_NAMES, tabs, strict=True) if tab.open), TAB_NAMES[0])
    return tabs


def main() -> None:
    root, default = data_dir().parent, data_dir().name
    listed = choices(str(root), default)
    link.restore_from_url(default, tuple(c.key for c in listed))
    lang = render_language()
    choice = render_picker(root, default, lang)
    slug = choice.key
    forget_other_dataset(slug)
    access = render_access_choice(lang)
    ref = dataset_ref(choice, root)
    # The dataset on disk, the base layer, or the one this session's uploads make (full datasets only).
    key = file_key(render_uploads(Path(ref), lang) if choice.full else ref)
    try:
        dataset = load_dataset(*key)
        net_key = file_key(network_path(dataset, access.mode))
        prepared = load_prepared(*key, net_key, access.speed_kmh, lang=lang)
    except PlanningError as exc:
        st.error(f"**{t('error_title', lang)}:** {exc}")
        st.stop()

    link.restore_data_dependent(prepared, slug)
    params = render_sidebar(prepared, lang, access)
    st.title(t("title", lang))
    link.render_notices(lang)
    st.caption(t("subtitle", lang) + f"  ·  {md_escape(prepared.dataset.name)}")
    panels.render_network_status(prepared, access, lang)
    render_dataset_notice(prepared.dataset.meta, lang)
    render_fetch_action(choice, root, lang)
    # Cache keys: the prepared data (dataset, network, speed), and that plus the weights (one ranking).
    ranking_key = (key, net_key, access.speed_kmh)
    result_key = (ranking_key, params.ranking)
    try:
        result = load_ranking(prepared, ranking_key, params.ranking)
        isochrones = (
            load_isochrones(prepared, (key, net_key), params.facility_types, access.minutes, access.speed_kmh,
                            lang=lang)
            if prepared.engine is not None and access.show_isochrones and params.facility_types
            else None
        )
    except PlanningError as exc:
        st.error(f"**{t('error_title', lang)}:** {exc}")
        st.stop()

    codes = result.table[schema.BUURT_CODE].tolist()
    # One piece of state holds the selected buurt: the selectbox's own key.
    if st.session_state.get(SELECTED) not in codes:
        st.session_state[SELECTED] = codes[0]

    col_map, col_detail = st.columns([3, 2], gap="medium")
    with col_map:
        geometry = load_map_geometry(*key, prepared.dataset.buurten, width_px=MAP_WIDTH, height_px=MAP_HEIGHT,
                                     lang=lang)
        clicked = render_map(result, params, geometry, selected=st.session_state[SELECTED], isochrones=isochrones,
                             result_key=result_key, base_key=(key, net_key, access))
        panels.render_notes(result, lang)
        map_table.render_map_table(result, params, isochrones)
    if clicked in codes and clicked != st.session_state.get("last_clicked"):
        st.session_state["last_clicked"] = clicked
        st.session_state[SELECTED] = clicked
        keep_zoom(clicked)
        st.rerun()

    with col_detail:
        st.subheader(t("ranking_title", lang))
        picked = panels.render_ranking_table(result, lang)
        if picked and picked != st.session_state.get("last_picked"):
            st.session_state["last_picked"] = picked
            st.session_state[SELECTED] = picked
            st.rerun()
        panels.render_downloads(result, lang)

    st.subheader(t("detail_title", lang))
    names = panels.buurt_names(result.table)
    ranks = dict(zip(result.table[schema.BUURT_CODE], result.table[schema.RANK], strict=True))
    selected = st.selectbox(
        t("select_buurt", lang),
        codes,
        format_func=lambda c: f"{'–' if pd.isna(ranks[c]) else ranks[c]}. {names[c]}",
        key=SELECTED,
    )
    panels.render_detail(result, selected, lang, key=result_key)

    tab_rb, tab_eq, tab_sc, tab_bu, tab_schools = render_tabs(lang)
    # Only the open tab runs: a new session or a weight change pays for one tab, not five (the country's take
    # seconds each), and what each computes is cached per ranking.
    if tab_rb.open:
        with tab_rb:
            render_robustness(result, result_key, lang)
    if tab_eq.open:
        with tab_eq:
            render_equity(result, access, lang)
    if tab_sc.open:
        with tab_sc:
            render_scenarios(result, ranking_key, access, selected, lang)
    if tab_bu.open:
        with tab_bu:
            render_budget(result, result_key, lang)
    school = None
    if tab_schools.open:  # only the open Scholen tab runs (its map needs a visible frame to fit its bounds)
        with tab_schools:
            school = render_schools(key, result, lang,
                                    link_for=lambda code: link.view_url(params, prepared, slug, selected, code))
    share_link = link.publish(params, prepared, slug, selected, lang, school)
    render_exports(result, result_key, params, share_link, isochrones, lang, dataset_key=key)

    with st.expander(t("access_measures", lang)):
        panels.render_access_measures(result, lang)
    with st.expander(t("method", lang)):
        st.markdown(method_text(result, lang))
        st.markdown(t("migration_note", lang))
    with st.expander(t("sources", lang)):
        panels.render_sources(result, lang)


main()
