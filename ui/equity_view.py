"""Equity view: how access to each facility type is spread over need (quintiles, concentration index)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from geo import schema
from geo.catalog import FACILITY_TYPES
from geo.decide import equity
from geo.decide.pipeline import PipelineResult
from geo.errors import PlanningError
from geo.lang import format_number
from geo.schema import NO_DATA
from ui.i18n import t
from ui.state import AccessChoice


def measured_types(result: PipelineResult) -> list[str]:
    """Facility types with a distance for at least one buurt."""
    measures = result.prepared.access.measures
    return [
        k for k in FACILITY_TYPES
        if k in measures and measures[k].method != NO_DATA and result.table[schema.dist_col(k)].notna().any()
    ]


def ci_sentence(ci: float, lang: str) -> str:
    """Plain reading of the concentration index of 'within reach' (> 0: concentrated among high need)."""
    if pd.isna(ci):
        return t("ci_none", lang)
    value = format_number(ci, lang=lang, decimals=3)
    if abs(ci) < 0.02:
        return t("ci_even", lang, value=value)
    return t("ci_pro_need" if ci > 0 else "ci_against_need", lang, value=value)


def render_equity(result: PipelineResult, access: AccessChoice, lang: str) -> None:
    """Per need quintile: children, mean travel time and share within the chosen minutes; the concentration index."""
    types = measured_types(result)
    if not types:
        st.info(t("equity_no_types", lang))
        return
    c1, c2 = st.columns(2)
    key = c1.selectbox(t("facility_type", lang), types, format_func=lambda k: FACILITY_TYPES[k].label(lang),
                       key="equity_type")
    minutes = c2.select_slider(t("within_minutes", lang), options=[5.0, 10.0, 15.0, 20.0], value=10.0,
                               format_func=lambda m: f"{m:g} min", key="equity_minutes")
    measure = result.prepared.access.measures[key]
    try:
        table = equity.equity_table(result.table, facility_type=key, speed_kmh=access.speed_kmh, minutes=minutes)
        ci = equity.access_concentration(result.table, facility_type=key, speed_kmh=access.speed_kmh, minutes=minutes)
    except PlanningError as exc:
        st.error(f"**{t('error_title', lang)}:** {exc}")
        return
    table = table.reset_index()
    share = equity.within_share_column(minutes)
    st.metric(t("concentration_index", lang), format_number(ci, lang=lang, decimals=3))
    st.caption(ci_sentence(ci, lang))
    chart_data = pd.DataFrame(
        {
            "quintile": [t("quintile_label", lang, q=int(q)) for q in table[equity.NEED_QUINTILE]],
            "share": table[share].to_numpy(),
        }
    )
    chart = (
        alt.Chart(chart_data)
        .mark_bar(color="#2166ac")
        .encode(
            x=alt.X("quintile:N", sort=None, title=t("need_quintile_axis", lang)),
            y=alt.Y("share:Q", title=t("share_within", lang, m=f"{minutes:g}"), scale=alt.Scale(domain=[0, 100])),
            tooltip=[alt.Tooltip("quintile:N"), alt.Tooltip("share:Q", format=".1f")],
        )
        .properties(height=220)
    )
    st.altair_chart(chart, width="stretch")
    shown = pd.DataFrame(
        {
            t("need_quintile", lang): chart_data["quintile"],
            t("n_buurten", lang): table[equity.N_BUURTEN].astype(int),
            t("children", lang): [format_number(v, lang=lang) for v in table[schema.CHILDREN_0_14]],
            t("mean_time", lang): [format_number(v, lang=lang, decimals=1) for v in table[equity.MEAN_TIME_MIN]],
            t("share_within", lang, m=f"{minutes:g}"): [format_number(v, lang=lang, decimals=1) for v in table[share]],
        }
    )
    st.dataframe(shown, hide_index=True, width="stretch")
    st.caption(t("equity_caption", lang, measure=measure.label(lang), speed=f"{access.speed_kmh:g}"))
