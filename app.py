"""Rijke Schooldag Planner – Streamlit app (thin UI).

Run with ``streamlit run app.py``. Widgets → one frozen parameters object →
cached pipeline (``geo/``) → map layers (``layers/``) and panels (``ui/``).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo import schema as S
from geo.errors import PlanningError
from ui import panels
from ui.i18n import t
from ui.map_view import render_map
from ui.method import method_text
from ui.sidebar import render_sidebar
from ui.state import data_key, load_prepared, load_ranking

SELECTED = "buurt_select"

st.set_page_config(page_title="Rijke Schooldag Planner", page_icon="🏫", layout="wide")


def main() -> None:
    lang = st.session_state.get("lang", "nl")
    key = data_key()
    try:
        prepared = load_prepared(*key)
    except PlanningError as exc:
        st.error(f"**{t('error_title', lang)}:** {exc}")
        st.stop()

    params = render_sidebar(prepared)
    lang = params.lang
    st.title(t("title", lang))
    st.caption(t("subtitle", lang) + f"  ·  {prepared.dataset.name}")
    try:
        result = load_ranking(prepared, key, params.ranking)
    except PlanningError as exc:
        st.error(f"**{t('error_title', lang)}:** {exc}")
        st.stop()

    codes = result.table[S.BUURT_CODE].tolist()
    # One piece of state holds the selected buurt: the selectbox's own key.
    if st.session_state.get(SELECTED) not in codes:
        st.session_state[SELECTED] = codes[0]

    col_map, col_detail = st.columns([3, 2], gap="medium")
    with col_map:
        clicked = render_map(result, params, selected=st.session_state[SELECTED])
        panels.render_notes(result, lang)
    if clicked in codes and clicked != st.session_state.get("last_clicked"):
        st.session_state["last_clicked"] = clicked
        st.session_state[SELECTED] = clicked
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
    names = dict(zip(result.table[S.BUURT_CODE], result.table[S.BUURT_NAME]))
    ranks = dict(zip(result.table[S.BUURT_CODE], result.table[S.RANK]))
    selected = st.selectbox(
        t("select_buurt", lang),
        codes,
        format_func=lambda c: f"{'–' if pd.isna(ranks[c]) else ranks[c]}. {names[c]}",
        key=SELECTED,
    )
    panels.render_detail(result, selected, lang)

    with st.expander(t("access_measures", lang)):
        panels.render_access_measures(result, lang)
    with st.expander(t("method", lang)):
        st.markdown(method_text(lang))
        st.markdown(t("migration_note", lang))
    with st.expander(t("sources", lang)):
        panels.render_sources(result, lang)


main()
