"""Budget allocation: a budget, costs per intervention, and an explained greedy plan."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo import schema
from geo.catalog import FACILITY_TYPES
from geo.decide import budget as budget_model
from geo.decide.pipeline import PipelineResult
from geo.errors import PlanningError
from geo.lang import format_number, pick
from ui.equity_view import measured_types
from ui.i18n import t
from ui.markdown import md_escape
from ui.state import load_allocation


def _eur(value: float, lang: str) -> str:
    return f"€ {format_number(value, lang=lang)}"


def render_budget(result: PipelineResult, key: tuple, lang: str) -> None:
    """Inputs (budget, costs, need weighting) → cached allocation → steps with sentences."""
    st.caption(t("budget_intro", lang))
    try:
        params = _budget_inputs(result, lang)
        allocation = load_allocation(result, key, params, lang=lang)
    except PlanningError as exc:
        st.error(f"**{t('error_title', lang)}:** {exc}")
        return
    _render_totals(allocation, lang)
    if allocation.steps.empty:
        st.info(" ".join(allocation.notes(lang)) or t("budget_nothing", lang))
        return
    _render_steps(allocation, params.interventions, lang)
    for note in allocation.notes(lang):
        st.caption(f"ℹ️ {md_escape(note)}")
    with st.expander(t("budget_method", lang)):
        st.markdown(t("budget_method_text", lang))


def _budget_inputs(result: PipelineResult, lang: str) -> budget_model.BudgetParams:
    """The widgets, read into budget parameters (a bad combination raises :class:`PlanningError`)."""
    budget_column, programme_column, strength_column = st.columns(3)
    budget = budget_column.number_input(
        t("budget_eur", lang),
        min_value=0.0,
        value=1_000_000.0,
        step=50_000.0,
        format="%.0f",
        key="budget_eur",
    )
    programme_cost = programme_column.number_input(
        t("programme_cost", lang),
        min_value=1.0,
        value=budget_model.PROGRAMME.cost_eur,
        step=10_000.0,
        format="%.0f",
        key="programme_cost",
    )
    strength = strength_column.slider(
        t("need_strength", lang), 0.0, 3.0, 1.0, 0.25, key="need_strength", help=t("need_strength_help", lang)
    )
    types = [k for k in measured_types(result) if k in FACILITY_TYPES]
    facility_types = st.multiselect(
        t("budget_facilities", lang),
        types,
        format_func=lambda k: FACILITY_TYPES[k].label(lang),
        key="budget_facilities",
    )
    facility_cost = budget_model.DEFAULT_FACILITY_COST_EUR
    if facility_types:
        facility_cost = st.number_input(
            t("facility_cost", lang),
            min_value=1.0,
            value=facility_cost,
            step=50_000.0,
            format="%.0f",
            key="facility_cost",
        )
    interventions = (budget_model.make_programme(cost_eur=programme_cost),) + tuple(
        budget_model.make_facility(k, cost_eur=facility_cost) for k in facility_types
    )
    return budget_model.BudgetParams(budget_eur=budget, interventions=interventions, need_strength=strength)


def _render_totals(allocation: budget_model.Allocation, lang: str) -> None:
    spent_column, children_column, share_column = st.columns(3)
    spent_column.metric(
        t("budget_spent", lang),
        _eur(allocation.total_cost_eur, lang),
        help=t("budget_left", lang, left=_eur(allocation.remaining_budget_eur, lang)),
    )
    children_column.metric(t("children_reached", lang), format_number(allocation.children_reached, lang=lang))
    share = allocation.guaranteed_share
    share_column.metric(
        t("guarantee", lang),
        "–" if share is None else f"≥ {format_number(100 * share, lang=lang)}%",
        help=t("guarantee_help", lang),
    )


def _render_steps(
    allocation: budget_model.Allocation, interventions: tuple[budget_model.InterventionType, ...], lang: str
) -> None:
    """Each step's sentence, then the steps as a table."""
    steps = allocation.steps
    sentence_column = pick((budget_model.SENTENCE_NL, budget_model.SENTENCE_EN), lang)
    st.markdown(f"**{t('budget_steps', lang)}**")
    for number, sentence in zip(steps[budget_model.STEP], steps[sentence_column], strict=True):
        st.markdown(f"{int(number)}. " + md_escape(str(sentence)))
    label_of = {i.key: i.label(lang) for i in interventions}
    shown = pd.DataFrame(
        {
            "#": steps[budget_model.STEP].astype(int),
            t("buurt", lang): steps[schema.BUURT_NAME].astype(str),
            t("intervention", lang): [label_of[k] for k in steps[budget_model.INTERVENTION]],
            t("cost", lang): [_eur(v, lang) for v in steps[budget_model.COST_EUR]],
            t("marginal_gain", lang): [
                format_number(v, lang=lang) for v in steps[budget_model.MARGINAL_GAIN]
            ],
            t("gain_per_million", lang): [
                format_number(v * 1e6, lang=lang, decimals=1) for v in steps[budget_model.GAIN_PER_EUR]
            ],
            t("cumulative_cost", lang): [_eur(v, lang) for v in steps[budget_model.CUMULATIVE_COST_EUR]],
            t("remaining", lang): [_eur(v, lang) for v in steps[budget_model.REMAINING_BUDGET_EUR]],
        }
    )
    st.dataframe(shown, hide_index=True, width="stretch")
