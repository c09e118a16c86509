"""Sidebar widgets: language, preset, weights, normalisation (several municipalities), map layer, facility types."""

from __future__ import annotations

import streamlit as st

from geo import schema
from geo.catalog import (
    ACCESS,
    DEFAULT_PRESET,
    FACILITY_TYPES,
    INDICATORS,
    NEED,
    PRESET_LABELS,
    PRESETS,
    REACH,
    get_preset,
)
from geo.decide.pipeline import Prepared
from geo.decide.ranking import NORMALISATIONS, RankingParams, n_municipalities
from geo.lang import pick
from geo.terms import group_name
from geo.units import (
    BAND_CHOICES_MIN,
    DEFAULT_BANDS_MIN,
    MODES,
    TRAVELLERS,
    default_speed_kmh,
)
from ui import share
from ui.i18n import LANGUAGES, t
from ui.state import AccessChoice, AppParams

WEIGHT_STEP = 0.5
WEIGHT_MAX = share.WEIGHT_RANGE[1]
SUMMARY_COLUMNS = schema.SCORE_COLUMNS


def map_options(prepared: Prepared) -> list[str]:
    """Columns the map can show: the scores, then every indicator with data."""
    available = prepared.indicators.notna().any()
    return [*SUMMARY_COLUMNS, *[k for k in INDICATORS if bool(available.get(k, False))]]


def present_types(prepared: Prepared) -> list[str]:
    """Facility types with at least one point in the dataset."""
    present = set(prepared.dataset.facilities[schema.FACILITY_TYPE].unique())  # one pass, not one per type
    return [k for k in FACILITY_TYPES if k in present]


def render_access_choice(lang: str) -> AccessChoice:
    """Mode, traveller (speed) and isochrone bands; drawn at the top of the sidebar."""
    sb = st.sidebar
    sb.subheader(t("travel", lang))
    mode = sb.radio(
        t("mode", lang),
        list(MODES),
        format_func=lambda m: t(f"mode_{m}", lang),
        horizontal=True,
        key=share.WIDGET_KEYS["mode"],
    )
    traveller = sb.radio(
        t("traveller", lang), list(TRAVELLERS), format_func=lambda v: t(f"traveller_{v}", lang),
        horizontal=True, key=share.WIDGET_KEYS["traveller"],
    )
    minutes = sb.multiselect(t("bands", lang), list(BAND_CHOICES_MIN), default=list(DEFAULT_BANDS_MIN),
                             format_func=lambda m: f"{m:g} min", key=share.WIDGET_KEYS["minutes"])
    show = sb.checkbox(t("show_isochrones", lang), value=True, key=share.WIDGET_KEYS["show_isochrones"])
    return AccessChoice(
        mode=mode, speed_kmh=default_speed_kmh(mode, traveller), minutes=tuple(sorted(minutes)) or (10.0,),
        show_isochrones=show,
    )


def render_language() -> str:
    return st.sidebar.radio(
        t("language"),
        list(LANGUAGES),
        format_func=LANGUAGES.__getitem__,
        horizontal=True,
        key=share.WIDGET_KEYS["lang"],
    )


def render_sidebar(prepared: Prepared, lang: str, access: AccessChoice) -> AppParams:
    """Draw the weights, map and facility widgets and return all parameters."""
    sb = st.sidebar
    preset = sb.selectbox(
        t("preset", lang),
        list(PRESETS),
        index=list(PRESETS).index(DEFAULT_PRESET),
        format_func=lambda p: pick(PRESET_LABELS[p], lang),
        key=share.WIDGET_KEYS["preset"],
    )
    normalisation = render_normalisation(prepared, lang)
    defaults = get_preset(preset)
    available = prepared.indicators.notna().any()
    weights: dict[str, float] = {}
    sb.subheader(t("weights", lang), help=t("weights_help", lang))
    for group in (REACH, NEED, ACCESS):
        with sb.expander(group_name(group, lang), expanded=group != ACCESS or preset == "access_first"):
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
                    key=share.weight_key(preset, key),
                )
    map_column = sb.selectbox(
        t("map_layer", lang),
        map_options(prepared),
        format_func=lambda c: column_label(c, lang),
        key=share.WIDGET_KEYS["map_column"],
    )
    present = present_types(prepared)
    # The multiselect's browser side keeps the chosen options by their *labels*; after a language switch the
    # old labels match no option and the selection would empty. Hand it the chosen keys again on a switch.
    if st.session_state.get("_lang_shown", lang) != lang and "facility_types" in st.session_state:
        st.session_state["facility_types"] = [k for k in st.session_state["facility_types"] if k in present]
    st.session_state["_lang_shown"] = lang
    facility_types = sb.multiselect(
        t("facility_types", lang),
        present,
        default=present,
        format_func=lambda k: FACILITY_TYPES[k].label(lang),
        key=share.WIDGET_KEYS["facility_types"],
    )
    params = RankingParams.from_preset(preset, weights, normalisation=normalisation)
    return AppParams(
        lang=lang, ranking=params, map_column=map_column, facility_types=tuple(facility_types), access=access
    )


def render_normalisation(prepared: Prepared, lang: str) -> str:
    """Within each municipality (default) or national: asked only when the data holds more than one municipality."""
    if n_municipalities(prepared.dataset.buurten) <= 1:
        return NORMALISATIONS[0]
    if st.session_state.get(share.WIDGET_KEYS["normalisation"]) not in NORMALISATIONS:
        st.session_state[share.WIDGET_KEYS["normalisation"]] = NORMALISATIONS[0]
    return st.sidebar.radio(
        t("normalisation", lang),
        list(NORMALISATIONS),
        format_func=lambda n: t(f"normalisation_{n}", lang),
        help=t("normalisation_help", lang),
        key=share.WIDGET_KEYS["normalisation"],
    )


def column_label(column: str, lang: str) -> str:
    """Label of a map/table column: a summary score or an indicator."""
    if column in INDICATORS:
        return INDICATORS[column].label(lang)
    return t(column, lang)
