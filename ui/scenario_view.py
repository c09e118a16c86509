"""Scenarios: add or remove facilities, keep several side by side, see who gains.

The scenarios of a session live in ``st.session_state[SCENARIOS]`` as frozen
:class:`geo.decide.scenario.Scenario` objects (also written to the share link); the
comparison is computed by the cached :func:`ui.state.load_scenario`.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo import schema
from geo.catalog import FACILITY_TYPES
from geo.decide import equity
from geo.decide import scenario as scenario_model
from geo.decide.access import compute_origin_points
from geo.decide.pipeline import PipelineResult, Prepared
from geo.errors import PlanningError
from geo.lang import format_number
from ui.equity_view import ci_sentence, measured_types
from ui.i18n import t
from ui.markdown import md_escape
from ui.state import AccessChoice, load_scenario

SCENARIOS = "scenarios"
#: The last point clicked on the map, EPSG:28992 (x, y), set by the app.
CLICKED_XY = "clicked_xy"
MAX_SCENARIOS = 8


def scenarios() -> list[scenario_model.Scenario]:
    return list(st.session_state.get(SCENARIOS, []))


def _default_xy(prepared: Prepared, code: str) -> tuple[float, float]:
    clicked = st.session_state.get(CLICKED_XY)
    if clicked:
        return float(clicked[0]), float(clicked[1])
    buurt = prepared.dataset.buurten.loc[[code]]
    if buurt.geometry.isna().all() or buurt.geometry.is_empty.all():  # a base-layer buurt without a shape
        facilities = prepared.dataset.facilities
        where = facilities.geometry.union_all().centroid if len(facilities) else None
        return (round(where.x, 1), round(where.y, 1)) if where is not None and not where.is_empty else (0.0, 0.0)
    point = compute_origin_points(buurt).iloc[0]
    return round(point.x, 1), round(point.y, 1)


def _facility_labels(fac, lang: str) -> dict[str, str]:
    """'<name> (<type>)' of every facility, by id: made in one pass (the whole country has 6,000 schools)."""
    types = {k: FACILITY_TYPES[k].label(lang) for k in FACILITY_TYPES}
    kinds = [types.get(k, str(k)) for k in fac[schema.FACILITY_TYPE]]
    return {i: f"{name} ({kind})" for i, name, kind in zip(fac.index, fac[schema.FACILITY_NAME], kinds, strict=True)}


def _parse_lines(text: str) -> tuple[scenario_model.ScenarioFacility, ...]:
    return tuple(scenario_model.ScenarioFacility.parse(line) for line in text.splitlines() if line.strip())


def render_editor(result: PipelineResult, selected: str, lang: str) -> None:
    """A form that adds one scenario (new facilities and/or removed ones) to the session."""
    prepared = result.prepared
    types = measured_types(result)
    fac = prepared.dataset.facilities
    x0, y0 = _default_xy(prepared, selected)
    with st.form("scenario_form", clear_on_submit=False):
        st.markdown(f"**{t('scenario_new', lang)}**")
        name = st.text_input(t("scenario_name", lang), value=f"Scenario {len(scenarios()) + 1}", max_chars=60,
                             key="sc_name")
        c1, c2, c3, c4 = st.columns([2, 1.3, 1.3, 1])
        ftype = c1.selectbox(t("facility_type", lang), types, format_func=lambda k: FACILITY_TYPES[k].label(lang),
                             key="sc_type")
        x = c2.number_input("X (RD, m)", value=float(x0), step=50.0, format="%.1f")
        y = c3.number_input("Y (RD, m)", value=float(y0), step=50.0, format="%.1f")
        capacity = c4.number_input(t("capacity", lang), value=1.0, min_value=0.0, step=1.0, key="sc_cap")
        st.caption(t("scenario_xy_help", lang))
        more = st.text_area(t("scenario_more", lang), value="", height=68, placeholder="sport,136500,455800,2",
                            key="sc_more")
        labels = _facility_labels(fac, lang)
        removed = st.multiselect(t("scenario_remove", lang), list(labels), format_func=labels.__getitem__,
                                 key="sc_remove")
        add_point = st.checkbox(t("scenario_add_point", lang), value=True, key="sc_add")
        submitted = st.form_submit_button(t("scenario_save", lang), type="primary", key="sc_submit")
    if not submitted:
        return
    try:
        added = ((scenario_model.ScenarioFacility(ftype, x, y, capacity),) if add_point else ()) + _parse_lines(more)
        scenario = scenario_model.Scenario(name=name.strip() or f"Scenario {len(scenarios()) + 1}", added=added,
                               removed=tuple(removed))
        if scenario.is_empty:
            raise PlanningError(t("scenario_empty", lang))
        scenario_model.apply_scenario(prepared.dataset, scenario)  # validate now: a clear message, nothing stored
    except PlanningError as exc:
        st.error(f"**{t('error_title', lang)}:** {exc}")
        return
    kept = [s for s in scenarios() if s.name != scenario.name][: MAX_SCENARIOS - 1]
    st.session_state[SCENARIOS] = [*kept, scenario]


def _summary_row(scenario: scenario_model.Scenario, comparison: scenario_model.ScenarioComparison, lang: str) -> dict:
    row: dict = {
        t("scenario", lang): scenario.name,
        t("scenario_changes", lang): describe(scenario, lang),
        t("rank_changes", lang): comparison.n_rank_changed,
    }
    reach = comparison.reach
    for m in comparison.minutes:
        sel = reach[reach[scenario_model.MINUTES] == m]
        newly = sel[scenario_model.CHILDREN_NEWLY_WITHIN].sum()
        row[t("children_newly_within", lang, m=f"{m:g}")] = format_number(newly, lang=lang)
    ci_change = comparison.equity.get(equity.CONCENTRATION_INDEX + scenario_model.CHANGE)
    if ci_change is not None and len(ci_change):
        row[t("ci_change", lang)] = "; ".join(
            f"{FACILITY_TYPES[k].label(lang)}: {format_number(v, lang=lang, decimals=3)}"
            for k, v in zip(comparison.equity[schema.FACILITY_TYPE], ci_change, strict=True)
        )
    return row


def describe(scenario: scenario_model.Scenario, lang: str) -> str:
    parts = [f"+ {FACILITY_TYPES[f.facility_type].label(lang)} ({f.x:.0f}, {f.y:.0f})" for f in scenario.added]
    parts += [f"− {r}" for r in scenario.removed]
    return "; ".join(parts)


def render_scenarios(result: PipelineResult, key: tuple, access: AccessChoice, selected: str, lang: str) -> None:
    """The editor, a side-by-side summary of every scenario, and the details of one."""
    st.caption(t("scenario_intro", lang))
    render_editor(result, selected, lang)
    kept = scenarios()
    if not kept:
        return
    comparisons: dict[str, scenario_model.ScenarioComparison] = {}
    for scenario in kept:
        try:
            comparisons[scenario.name] = load_scenario(
                result.prepared, key, scenario, result.params, access.speed_kmh, access.minutes, lang=lang
            )
        except PlanningError as exc:
            st.error(f"**{md_escape(scenario.name)}:** {exc}")
    if not comparisons:
        return
    summary = pd.DataFrame([_summary_row(s, comparisons[s.name], lang) for s in kept if s.name in comparisons])
    st.markdown(f"**{t('scenario_side_by_side', lang)}**")
    st.dataframe(summary, hide_index=True, width="stretch")
    names = list(comparisons)
    c1, c2 = st.columns([3, 1])
    name = c1.selectbox(t("scenario_details", lang), names, index=len(names) - 1, key="scenario_pick")
    if c2.button(t("scenario_delete", lang), key="scenario_delete"):
        st.session_state[SCENARIOS] = [s for s in kept if s.name != name]
        st.rerun()
    comparison = comparisons[name]
    for note in comparison.notes:
        st.caption(f"ℹ️ {md_escape(note)}")
    changed = comparison.rank_changed
    if changed.empty:
        st.info(t("scenario_no_rank_change", lang))
    else:
        shown = pd.DataFrame(
            {
                t("buurt", lang): changed[schema.BUURT_NAME].astype(str),
                t("rank_before", lang): changed[scenario_model.RANK_BEFORE],
                t("rank_after", lang): changed[scenario_model.RANK_AFTER],
                t("rank_change_col", lang): changed[scenario_model.RANK_CHANGE],
            }
        ).sort_values(t("rank_after", lang))
        st.markdown(f"**{t('rank_changes', lang)}** ({len(changed)})")
        st.dataframe(shown, hide_index=True, width="stretch", height=240)
    reach = comparison.reach.copy()
    if not reach.empty:
        reach_shown = pd.DataFrame(
            {
                t("facility_type", lang): [FACILITY_TYPES[k].label(lang) for k in reach[schema.FACILITY_TYPE]],
                t("within_minutes", lang): [f"{m:g} min" for m in reach[scenario_model.MINUTES]],
                t("children_newly", lang): [
                    format_number(v, lang=lang) for v in reach[scenario_model.CHILDREN_NEWLY_WITHIN]
                ],
                t("buurten_newly", lang): reach[scenario_model.BUURTEN_NEWLY_WITHIN],
                t("children_lost", lang): [
                    format_number(v, lang=lang) for v in reach[scenario_model.CHILDREN_NO_LONGER_WITHIN]
                ],
            }
        )
        st.markdown(f"**{t('who_gains', lang)}**")
        st.dataframe(reach_shown, hide_index=True, width="stretch")
    eq = comparison.equity
    ci_b, ci_a = equity.CONCENTRATION_INDEX + scenario_model.BEFORE, equity.CONCENTRATION_INDEX + scenario_model.AFTER
    for row in eq.itertuples(index=False):
        rec = row._asdict()
        if ci_b in rec and pd.notna(rec.get(ci_a)):
            st.caption(
                f"{FACILITY_TYPES[rec[schema.FACILITY_TYPE]].label(lang)} — {t('concentration_index', lang)}: "
                f"{format_number(rec[ci_b], lang=lang, decimals=3)} → "
                f"{format_number(rec[ci_a], lang=lang, decimals=3)}. "
                + ci_sentence(rec[ci_a], lang)
            )
