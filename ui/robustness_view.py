"""Robustness tab: does a buurt's place depend on the exact weights?"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo import schema
from geo.catalog import INDICATORS
from geo.decide.pipeline import PipelineResult
from geo.decide.robustness import robust_counts
from geo.errors import PlanningError
from geo.lang import format_number
from ui.charts import rows_y, show_row_chart
from ui.i18n import t
from ui.state import load_robustness

#: Spread of the weight draws: Dirichlet concentration per choice (larger = closer to the chosen weights).
SPREADS = {"small": 400.0, "medium": 100.0, "large": 30.0}
SHOWN = 30
SEED = 0
DEFAULT_TOP_N = 10
DEFAULT_DRAWS = 1000
DEFAULT_SPREAD = "medium"


def load_default_robustness(result: PipelineResult, key: tuple):
    """Robustness with the tab's default settings (the same cache entry as the tab when untouched)."""
    return load_robustness(result, key, DEFAULT_DRAWS, SEED, DEFAULT_TOP_N, SPREADS[DEFAULT_SPREAD], False)


def render_robustness(result: PipelineResult, key: tuple, lang: str) -> None:
    """Settings → cached draws → summary sentence, interval chart and table."""
    st.caption(t("robust_intro", lang))
    c1, c2, c3, c4 = st.columns(4)
    top_n = int(c1.number_input(t("robust_top_n", lang), min_value=1, max_value=100, value=DEFAULT_TOP_N, step=1,
                                key="robust_top_n"))
    n_draws = c2.select_slider(
        t("robust_draws", lang), options=[200, 500, 1000, 2000], value=DEFAULT_DRAWS, key="robust_draws"
    )
    spread = c3.selectbox(
        t("robust_spread", lang),
        list(SPREADS),
        index=list(SPREADS).index(DEFAULT_SPREAD),
        format_func=lambda k: t(f"spread_{k}", lang),
        key="robust_spread",
    )
    loo = c4.checkbox(t("robust_loo", lang), value=False, key="robust_loo")
    try:
        rb = load_robustness(result, key, n_draws, SEED, top_n, SPREADS[spread], loo, lang=lang)
    except PlanningError as exc:
        st.error(f"**{t('error_title', lang)}:** {exc}")
        return
    table = result.table[[schema.BUURT_CODE, schema.BUURT_NAME, schema.RANK]].join(rb.table)
    table = table[table[schema.RANK].notna()].sort_values([schema.RANK, schema.BUURT_CODE])
    top = table[table[schema.RANK] <= top_n]
    robust, _, _ = robust_counts(top)
    sensitive = int(table[schema.WEIGHT_SENSITIVE].sum())
    st.info(t("robust_summary", lang, n=len(top), top=top_n, robust=robust, sensitive=sensitive, draws=n_draws))
    shown_rows = table.head(max(SHOWN, top_n + 5))
    show_row_chart(("robustness", key, n_draws, top_n, spread, loo, lang),
                   lambda: _chart(shown_rows, top_n, lang), len(shown_rows))
    shown = pd.DataFrame(
        {
            t("rank", lang): table[schema.RANK].astype(int),
            t("buurt", lang): table[schema.BUURT_NAME].astype(str),
            t("rank_median", lang): [format_number(v, lang=lang, decimals=1) for v in table[schema.RANK_MEDIAN]],
            t("rank_interval", lang): [
                f"{int(a)}–{int(b)}" for a, b in zip(table[schema.RANK_P05], table[schema.RANK_P95], strict=True)
            ],
            t("share_top", lang, n=top_n): [format_number(100 * v, lang=lang) + "%" for v in table[schema.SHARE_TOP_N]],
            t("robust_flag", lang): [
                t("depends_on_weights" if f else "robust", lang) for f in table[schema.WEIGHT_SENSITIVE]
            ],
        }
    )
    st.dataframe(shown, hide_index=True, width="stretch", height=320)
    if rb.leave_one_out is not None:
        loo_table = rb.leave_one_out.loc[top.index]
        loo_shown = pd.DataFrame(
            {t("buurt", lang): top[schema.BUURT_NAME].astype(str), t("rank", lang): top[schema.RANK].astype(int)}
        )
        for col in loo_table.columns:
            ind = col[len(schema.RANK_WITHOUT_PREFIX):]
            loo_shown[t("without", lang, name=INDICATORS[ind].label(lang))] = loo_table[col].astype("Int64").to_numpy()
        st.markdown(f"**{t('robust_loo_title', lang)}**")
        st.dataframe(loo_shown, hide_index=True, width="stretch")
    st.caption(t("robust_method", lang, draws=n_draws, seed=SEED))


def _chart(table: pd.DataFrame, top_n: int, lang: str) -> dict:
    """Each buurt's 90% interval of ranks under the draws, its median and its current place; one labelled row each."""
    flags = [t("depends_on_weights" if f else "robust", lang) for f in table[schema.WEIGHT_SENSITIVE]]
    values = [
        {"buurt": f"{int(r)}. {n}", "rank": float(r), "p05": float(a), "p95": float(b), "median": float(m), "flag": f}
        for r, n, a, b, m, f in zip(table[schema.RANK], table[schema.BUURT_NAME], table[schema.RANK_P05],
                                    table[schema.RANK_P95], table[schema.RANK_MEDIAN], flags, strict=True)
    ]
    y = rows_y("buurt")
    colour = {"field": "flag", "type": "nominal", "title": None,
              "scale": {"domain": [t("robust", lang), t("depends_on_weights", lang)], "range": ["#2166ac", "#d6604d"]}}
    tooltip = [{"field": f, "type": "nominal" if f == "buurt" else "quantitative"}
               for f in ("buurt", "rank", "median", "p05", "p95")]
    return {
        "data": {"values": values},
        "layer": [
            {"mark": {"type": "rule", "strokeWidth": 3},
             "encoding": {"x": {"field": "p05", "type": "quantitative", "title": t("rank_interval_axis", lang)},
                          "x2": {"field": "p95"}, "y": y, "color": colour, "tooltip": tooltip}},
            {"mark": {"type": "point", "filled": True, "size": 40, "color": "#222222"},
             "encoding": {"x": {"field": "median", "type": "quantitative"}, "y": y}},
            {"mark": {"type": "tick", "color": "#222222", "thickness": 2},
             "encoding": {"x": {"field": "rank", "type": "quantitative"}, "y": y}},
            {"data": {"values": [{"n": top_n + 0.5}]},
             "mark": {"type": "rule", "strokeDash": [4, 3], "color": "#555555"},
             "encoding": {"x": {"field": "n", "type": "quantitative"}}},
        ],
    }
