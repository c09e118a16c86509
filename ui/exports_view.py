"""Exports: the map as an offline HTML file, the decision pack, the method record (and ranking + method as zip).

Everything is built by :mod:`layers.exports` and :mod:`geo.report.record`; here
only the cached bytes and the download buttons.
"""

from __future__ import annotations

import geopandas as gpd
import streamlit as st

from geo import schema
from geo.data.paths import detect_app_version
from geo.decide.pipeline import PipelineResult
from geo.decide.schools import SchoolsResult
from geo.report.record import ranking_zip_bytes
from layers.exports import DOWNLOAD_NAMES, decision_pack_bytes, map_html_bytes
from layers.geometry import drawable
from ui.i18n import t
from ui.robustness_view import load_default_robustness
from ui.schools_view import schools_for_pack
from ui.state import AppParams


@st.cache_data(show_spinner=False, max_entries=8)
def _map_html(_result: PipelineResult, key: tuple, map_column: str, types: tuple[str, ...], lang: str,
              _isochrones: gpd.GeoDataFrame | None, mode: str) -> bytes:
    del key
    return map_html_bytes(_result, map_column=map_column, facility_types=types, lang=lang, isochrones=_isochrones,
                          isochrone_mode=mode)


@st.cache_data(show_spinner=False, max_entries=8)
def _pack_html(_result: PipelineResult, key: tuple, map_column: str, types: tuple[str, ...], lang: str,
               share_link: str, _robustness, _isochrones: gpd.GeoDataFrame | None, mode: str,
               _schools: SchoolsResult | None = None, school_key: tuple = (), selected_school: str | None = None,
               ) -> bytes:
    del key, school_key
    return decision_pack_bytes(
        _result, lang=lang, share_link=share_link, robustness=_robustness, map_column=map_column,
        facility_types=types, isochrones=_isochrones, isochrone_mode=mode, schools=_schools,
        selected_school=selected_school,
    )


@st.cache_data(show_spinner=False, max_entries=8)
def _zip(_result: PipelineResult, key: tuple) -> bytes:
    del key
    return ranking_zip_bytes(_result, app_version=detect_app_version())


def render_exports(result: PipelineResult, key: tuple, params: AppParams, share_link: str,
                   isochrones: gpd.GeoDataFrame | None, lang: str,
                   dataset_key: tuple[str, float] | None = None) -> None:
    """Buttons for the offline map, the decision pack and the ranking with its method record.

    ``dataset_key`` (the dataset's :func:`ui.state.file_key`) adds the Scholen section to the pack."""
    st.subheader(t("exports_title", lang))
    st.caption(t("exports_caption", lang))
    types = tuple(params.facility_types)
    mode = params.access.mode
    c1, c2, c3 = st.columns(3)
    if drawable(result.table).empty:  # a base-layer municipality without any buurt shape: only the table exports
        c3.download_button(
            t("download_zip", lang), lambda: _zip(result, key), file_name=DOWNLOAD_NAMES["ranking_zip"],
            mime="application/zip", key="dl_zip",
        )
        c1.info(t("map_no_shapes", lang))
        return
    # Built only when clicked (Streamlit calls the function then): the map and the pack take seconds,
    # and the pack's robustness summary 1,000 re-rankings – none of that belongs in every rerun.
    c1.download_button(
        t("download_map_html", lang),
        lambda: _map_html(result, key, params.map_column, types, lang, isochrones, mode),
        file_name=DOWNLOAD_NAMES["map_html"], mime="text/html", key="dl_map_html",
    )
    def pack() -> bytes:
        schools, school = schools_for_pack(dataset_key, result.prepared.dataset, lang) if dataset_key else (None, None)
        school_key: tuple = ()
        if schools is not None:  # what makes one schools analysis differ from another of the same dataset
            listed = schools.branches[schema.ELIGIBLE_LISTED].fillna(False).astype(bool)
            school_key = (schools.settings, schools.method, tuple(schools.branches.index[listed]))
        return _pack_html(result, key, params.map_column, types, lang, share_link,
                          load_default_robustness(result, key), isochrones, mode, schools, school_key, school)

    c2.download_button(
        t("download_pack", lang),
        pack,
        file_name=DOWNLOAD_NAMES["decision_pack"], mime="text/html", key="dl_pack",
    )
    c3.download_button(
        t("download_zip", lang), lambda: _zip(result, key), file_name=DOWNLOAD_NAMES["ranking_zip"],
        mime="application/zip", key="dl_zip",
    )
