"""Sidebar widgets: language, preset, weights, map layer, facility types."""

from __future__ import annotations

import streamlit as st

from geo import schema as S
from geo.catalog import ACCESS, DEFAULT_PRESET, FACILITY_TYPES, INDICATORS, NEED, PRESET_LABELS, PRESETS, REACH, get_preset
from geo.pipeline import Prepared
from geo.ranking import RankingParams
from ui.i18n import LANGUAGES, t
from ui.state import AppParams

WEIGHT_MAX = 5.0
WEIGHT_STEP = 0.5
SUMMARY_COLUMNS = (S.PRIORITY_SCORE, S.NEED_INDEX, S.ACCESS_GAP, S.REACH_SCORE)


def render_sidebar(prepared: Prepared) -> AppParams:
    """Draw the sidebar and return the parameters it sets."""
    sb = st.sidebar
    lang = sb.radio(t("language"), list(LANGUAGES), format_func=LANGUAGES.__getitem__, horizontal=True, key="lang")
    preset = sb.selectbox(
        t("preset", lang),
        list(PRESETS),
        index=list(PRESETS).index(DEFAULT_PRESET),
        format_func=lambda p: PRESET_LABELS[p][0 if lang == "nl" else 1],
        key="preset",
    )
    defaults = get_preset(preset)
    available = prepared.indicators.notna().any()
    weights: dict[str, float] = {}
    sb.subheader(t("weights", lang), help=t("weights_help", lang))
    for group, title in ((REACH, "group_reach"), (NEED, "group_need"), (ACCESS, "group_access")):
        with sb.expander(t(title, lang), expanded=group != ACCESS or preset == "access_first"):
            for key, ind in INDICATORS.items():
                if ind.group != group:
                    continue
                has_data = bool(available.get(key, False))
                label = ind.label(lang) + ("" if has_data else f" ({t('no_data', lang)})")
                weights[key] = st.slider(
                    label,
                    min_value=0.0,
                    max_value=WEIGHT_MAX,
                    value=float(defaults.get(key, 0.0)),
                    step=WEIGHT_STEP,
                    # The preset is part of the key so choosing a preset resets the sliders.
                    key=f"w_{preset}_{key}",
                )
    map_options = [*SUMMARY_COLUMNS, *[k for k in INDICATORS if bool(available.get(k, False))]]
    map_column = sb.selectbox(t("map_layer", lang), map_options, format_func=lambda c: column_label(c, lang), key="map_column")
    present_types = [k for k in FACILITY_TYPES if (prepared.dataset.facilities[S.FACILITY_TYPE] == k).any()]
    facility_types = sb.multiselect(
        t("facility_types", lang),
        present_types,
        default=present_types,
        format_func=lambda k: FACILITY_TYPES[k].label(lang),
        key="facility_types",
    )
    params = RankingParams.from_preset(preset, weights)
    return AppParams(lang=lang, ranking=params, map_column=map_column, facility_types=tuple(facility_types))


def column_label(column: str, lang: str) -> str:
    """Label of a map/table column: a summary score or an indicator."""
    if column in INDICATORS:
        return INDICATORS[column].label(lang)
    return t(column, lang)
