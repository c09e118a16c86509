"""The Scholen / Schools tab: the rijke schooldag by school.

The school map, a sortable table of the branches, the gap card of one school (on screen and as a printable
download), the walking minutes that count as "in reach" and the municipality's own list of eligible branches.

The analysis (routing from every school) is cached by :func:`ui.state.load_schools` per dataset, walking
network, minutes and list; the need columns come from the ranking on screen (:func:`geo.decide.schools.with_need`,
cheap). The card and the map are made by three calls only: :func:`geo.report.school_card.gap_card`,
:func:`layers.school_card.card_html` and :func:`layers.schools_map.schools_map`.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit_folium import st_folium

from geo import schema
from geo.catalog import DOMAINS, domain_label
from geo.data import files
from geo.decide.pipeline import PipelineResult
from geo.decide.schools import (
    DEFAULT_MINUTES,
    ELIGIBLE_PUPIL_SHARE,
    REACH_BANDS_MIN,
    REACH_DOMAIN,
    REACH_METHOD,
    REACH_MODE,
    SchoolsResult,
    csv_columns,
    school_code,
    school_facilities,
    with_need,
)
from geo.errors import DataFileError, PlanningError
from geo.lang import format_number, pick
from geo.report.school_card import gap_card
from geo.terms import column_label, measure_label, term
from layers.school_card import STATUS_SYMBOLS, card_html
from layers.schools_map import school_code_from_tooltip, schools_map
from ui import share
from ui.i18n import t
from ui.markdown import md_escape, printable
from ui.serving import leaflet_base
from ui.state import file_key, load_network, load_schools, network_path

#: Widget keys (the first two are seeded by a share link).
SELECT_KEY = share.WIDGET_KEYS["school"]
MINUTES_KEY = share.WIDGET_KEYS["school_minutes"]
UPLOAD_KEY = "school_list_upload"
MAP_KEY = "schools_map"
#: The container around the school map (Streamlit gives it the class ``st-key-schools_map_box``).
MAP_BOX_KEY = "schools_map_box"
TABLE_KEY = "schools_table"
CARD_DOWNLOAD_KEY = "school_card_download"
CSV_DOWNLOAD_KEY = "schools_csv_download"
#: The branch table as a file (the columns of ``python -m geo schools``).
CSV_NAME = "schools.csv"
#: A school picked on the map or in the table, applied to the select box at the start of the next run.
_PENDING = "_school_pending"
_LAST_ROW = "_school_last_row"
#: The last list read: (content key, SchoolList or the error it gave).
_LIST = "_school_list"

#: The walking minutes one can choose (the analysis's bands).
MINUTE_CHOICES = REACH_BANDS_MIN
#: What the list upload accepts.
LIST_SUFFIXES = (".csv", ".xlsx", ".txt")
LIST_MAX_MB = 5
#: Most codes named in one message (the rest are counted).
SHOWN_CODES = 20
#: The branch table's columns, in order (the list column only when a list is loaded), then one per domain.
TABLE_COLUMNS = (
    schema.SCHOOL_NAME, schema.SCHOOL_CODE, schema.PUPILS, schema.PUPILS_TREND_PCT, schema.RELATIVE_SCORE,
    schema.NATIONAL_PERCENTILE, schema.ELIGIBLE_LIKE, schema.ELIGIBLE_LISTED, schema.DOMAINS_MISSING,
    schema.GAP_SCORE, schema.CATCHMENT_CHILDREN, schema.CATCHMENT_NEED,
)
_NUMBER_FORMATS = {
    schema.PUPILS: "%d",
    schema.PUPILS_TREND_PCT: "%.1f",
    schema.RELATIVE_SCORE: "%.3f",
    schema.NATIONAL_PERCENTILE: "%.0f",
    schema.DOMAINS_MISSING: "%d",
    schema.GAP_SCORE: "%.0f",
    schema.CATCHMENT_CHILDREN: "%d",
    schema.CATCHMENT_NEED: "%.2f",
}


# --------------------------------------------------------------------------- the municipality's list (no widgets)


@dataclass(frozen=True)
class SchoolList:
    """A municipality's list of eligible branches as read from a file."""

    file_name: str
    codes: frozenset[str]
    #: Non-empty values of the file that are not branch codes (shown, then ignored).
    not_codes: tuple[str, ...]

    def match(self, branch_codes: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The listed codes that are branches of the dataset, and those that are not (both sorted)."""
        known = set(branch_codes)
        return tuple(sorted(self.codes & known)), tuple(sorted(self.codes - known))


def _safe_file_name(name: str, suffix: str) -> str:
    """The uploaded file's name as a harmless file name in a folder of our own (for the loader's messages)."""
    stem = re.sub(r"[^0-9A-Za-z_.-]", "_", Path(str(name)).stem)[:60].strip("._") or "list"
    return stem + suffix


def read_school_list(name: str, data: bytes, lang: str = "nl") -> SchoolList:
    """Read an uploaded list of eligible branch codes (CSV/XLSX with VESTIGINGSCODE, or TXT one per line).

    Raises a :class:`geo.errors.PlanningError` saying what is wrong: a wrong file type, an empty file, no
    code column, no code at all, or a text file that is not UTF-8.
    """
    suffix = Path(str(name)).suffix.lower()
    safe = _safe_file_name(name, suffix)
    if suffix not in LIST_SUFFIXES:
        raise DataFileError(
            f"'{safe}': expected a {', '.join(LIST_SUFFIXES)} file; found '{suffix or 'no extension'}'."
        )
    with tempfile.TemporaryDirectory(prefix="rsp-schools-") as tmp:
        path = Path(tmp) / safe
        path.write_bytes(data)
        try:
            codes, bad = files.load_school_codes(path)
        except UnicodeDecodeError:  # the loader reads a .txt file as UTF-8 without a fallback
            raise DataFileError(t("schools_upload_not_text", lang, name=safe)) from None
    return SchoolList(file_name=printable(name, 80), codes=codes, not_codes=tuple(bad))


def _listed(values: Sequence[str], more: int = 0, lang: str = "nl") -> str:
    """Values from a file, escaped, at most :data:`SHOWN_CODES`, with a count of the rest."""
    shown = ", ".join(md_escape(printable(v)) for v in values[:SHOWN_CODES])
    rest = len(values) - SHOWN_CODES + more
    return shown + (" " + t("share_more", lang, n=rest) if rest > 0 else "")


# --------------------------------------------------------------------------- pure helpers


def clicked_code(returned: Mapping | None, codes: Iterable[str]) -> str | None:
    """The branch code of the school marker clicked on the map (its tooltip "[CODE] name"), if it is a branch."""
    tooltip = (returned or {}).get("last_object_clicked_tooltip")
    code = school_code_from_tooltip(tooltip) if isinstance(tooltip, str) else None
    return code.upper() if code is not None and code.upper() in set(codes) else None


def school_order(table: pd.DataFrame) -> list[str]:
    """Branch codes with the largest gap first (then the highest relative score, then the name)."""
    order = table.assign(
        _gap=pd.to_numeric(table[schema.GAP_SCORE], errors="coerce"),
        _rel=pd.to_numeric(table[schema.RELATIVE_SCORE], errors="coerce"),
        _name=table[schema.SCHOOL_NAME].astype(str).str.casefold(),
    ).sort_values(["_gap", "_rel", "_name"], ascending=[False, False, True], na_position="last", kind="mergesort")
    return [str(c) for c in order.index]


def status_text(status: object, lang: str) -> str:
    """A reach status as symbol and word ("✓ binnen bereik"), the symbols of the gap card."""
    key = str(status) if status in STATUS_SYMBOLS else schema.REACH_UNKNOWN
    return f"{STATUS_SYMBOLS[key]} {term(key, lang)}"


def table_view(table: pd.DataFrame, lang: str, *, listed: bool) -> pd.DataFrame:
    """The branch table as shown: labelled columns (nl/en), one status column per domain."""
    columns = [c for c in TABLE_COLUMNS if c in table.columns and (listed or c != schema.ELIGIBLE_LISTED)]
    view = pd.DataFrame({column_label(c, lang): table[c] for c in columns}, index=table.index)
    for domain in DOMAINS:
        col = schema.domain_col(domain, "status")
        view[column_label(col, lang)] = [status_text(s, lang) for s in table[col]]
    return view


def note_text(note: object, lang: str) -> str:
    """A note of the analysis: a (nl, en) pair or {"nl", "en"} mapping is picked; plain text is shown as it is."""
    if isinstance(note, Mapping) or (isinstance(note, tuple) and len(note) == 2):
        return pick(note, lang)  # type: ignore[arg-type]
    return str(note)


def measures_by_domain(result: SchoolsResult, lang: str) -> str:
    """How reach was measured per domain ("Cultuur: geen gegevens · …"), from the reach table."""
    parts = []
    for domain in DOMAINS:
        methods = result.reach.loc[result.reach[REACH_DOMAIN] == domain, REACH_METHOD].dropna().unique()
        labels = ", ".join(measure_label(m, lang, short=True) for m in methods if m in schema.MEASURES)
        parts.append(f"{domain_label(domain, lang)}: {labels or measure_label(schema.NO_DATA, lang, short=True)}")
    return " · ".join(parts)


def csv_bytes(table: pd.DataFrame) -> bytes:
    """The branch table as CSV (UTF-8), in the columns and order of the command line's ``schools`` CSV."""
    return table[csv_columns(table)].to_csv(index=False, lineterminator="\n").encode("utf-8")


def branch_codes(facilities: pd.DataFrame) -> list[str]:
    """The DUO branch codes of a dataset's primary schools (no analysis needed)."""
    return [school_code(f) for f in school_facilities(facilities)[schema.FACILITY_ID]]


# --------------------------------------------------------------------------- widgets


def render_school_list(codes: Sequence[str], dataset_name: str, lang: str) -> tuple[str, ...] | None:
    """The list upload; returns the listed codes that are branches of the dataset (sorted), None without a list.

    A bad file shows what is wrong (st.error) and counts as no list: the tab keeps working.
    """
    file = st.file_uploader(
        t("schools_upload", lang), type=[s.lstrip(".") for s in LIST_SUFFIXES], key=UPLOAD_KEY,
        help=t("schools_upload_help", lang), max_upload_size=LIST_MAX_MB,
    )
    if file is None:
        st.session_state.pop(_LIST, None)
        return None
    data = file.getvalue()
    key = (str(file.name), hashlib.sha256(data).hexdigest(), lang)
    cached = st.session_state.get(_LIST)
    if cached is None or cached[0] != key:
        try:
            read: SchoolList | PlanningError = read_school_list(str(file.name), data, lang)
        except PlanningError as exc:
            read = exc
        st.session_state[_LIST] = cached = (key, read)
    read = cached[1]
    if isinstance(read, PlanningError):
        name = md_escape(printable(str(file.name), 80))
        st.error(f"**{t('upload_refused', lang, name=name)}** {md_escape(str(read))}\n\n"
                 + t("schools_upload_help", lang))
        return None
    matched, unknown = read.match(codes)
    st.caption(t(
        "schools_list_matched", lang, name=md_escape(read.file_name), matched=format_number(len(matched), lang=lang),
        n=format_number(len(read.codes), lang=lang), branches=format_number(len(codes), lang=lang),
    ))
    if unknown:
        st.warning(t("schools_list_unknown", lang, name=md_escape(dataset_name), codes=_listed(unknown, lang=lang)))
    if read.not_codes:
        st.warning(t("schools_list_not_codes", lang, values=_listed(read.not_codes, lang=lang)))
    return matched


def _render_measure(result: SchoolsResult, network: tuple[str, float], lang: str) -> None:
    """Say how reach was measured: over the walking network (and its own caveat, e.g. car roads only) or straight
    line."""
    speed = pick((f"{result.settings.speed_kmh:g}".replace(".", ","), f"{result.settings.speed_kmh:g}"), lang)
    if result.method == schema.NETWORK and network[0]:
        source = md_escape(str(load_network(*network).meta.get("source") or t("unknown", lang)))
        measure = f"{measure_label(schema.NETWORK, lang)} ({source})"
    else:
        measure = measure_label(schema.STRAIGHT_LINE, lang, short=True)
    st.caption(t("schools_measure", lang, speed=speed, measure=measure) + "  \n" + measures_by_domain(result, lang))
    if result.network_approximation is not None:
        st.warning(md_escape(pick(result.network_approximation, lang)))  # e.g. a car-road network used for walking


def _take_pending(codes: Sequence[str]) -> None:
    """Apply a school picked on the map or in the table (last run) and keep the select box on a branch."""
    pending = st.session_state.pop(_PENDING, None)
    if pending in codes:
        st.session_state[SELECT_KEY] = pending
    if st.session_state.get(SELECT_KEY) not in codes:
        st.session_state[SELECT_KEY] = codes[0]


def _pick_later(code: str) -> None:
    st.session_state[_PENDING] = code
    st.rerun()


def render_schools(
    prepared_key: tuple[str, float],
    ranking: PipelineResult,
    lang: str,
    *,
    link_for: Callable[[str], str | None] | None = None,
) -> str | None:
    """Draw the tab; return the branch code of the school whose card is open (None when there is none).

    ``prepared_key`` is the dataset's :func:`ui.state.file_key`; ``link_for(code)`` the share link of the view
    with that school open (printed on the card).
    """
    dataset = ranking.prepared.dataset
    codes_in_data = branch_codes(dataset.facilities)
    if not codes_in_data:
        st.info(t("schools_none", lang, name=md_escape(dataset.name)))
        return None
    intro = st.empty()  # filled once the analysis says which year the scores are from
    st.session_state.setdefault(MINUTES_KEY, DEFAULT_MINUTES)
    col_minutes, col_list = st.columns([1, 2], gap="medium")
    with col_minutes:
        minutes = st.radio(
            t("schools_minutes", lang), list(MINUTE_CHOICES), format_func=lambda m: f"{m:g} min", horizontal=True,
            key=MINUTES_KEY, help=t("schools_minutes_help", lang),
        )
    with col_list:
        eligible = render_school_list(codes_in_data, dataset.name, lang)
    network = file_key(network_path(dataset, REACH_MODE))
    try:
        result = load_schools(*prepared_key, network, float(minutes), eligible, lang=lang)
        table = with_need(result, ranking.table)
    except PlanningError as exc:
        st.error(f"**{t('error_title', lang)}:** {md_escape(str(exc))}")
        return None
    year = table[schema.SCORE_YEAR].dropna()
    intro.markdown(t(
        "schools_intro", lang, eligible=column_label(schema.ELIGIBLE_LIKE, lang),
        year=int(year.iloc[0]) if len(year) else "–", share=format_number(100 * ELIGIBLE_PUPIL_SHARE, lang=lang),
    ))
    _render_measure(result, network, lang)
    if result.notes:
        st.caption(f"{t('schools_notes', lang)}: " + " · ".join(md_escape(note_text(n, lang)) for n in result.notes))

    codes = school_order(table)
    table = table.loc[codes]
    _take_pending(codes)
    selected = str(st.session_state[SELECT_KEY])
    with st.container(key=MAP_BOX_KEY):
        try:
            m = schools_map(table, ranking.table, selected=selected, lang=lang, leaflet_base=leaflet_base())
        except PlanningError as exc:
            st.error(f"**{t('error_title', lang)}:** {md_escape(str(exc))}")
        else:
            out = st_folium(m, key=MAP_KEY, height=520, use_container_width=True,
                            returned_objects=["last_object_clicked_tooltip"])
            # A map with another school selected is a new frame (streamlit-folium keys it on its script), so a
            # click is only ever reported by the frame it happened in: no memory of earlier clicks is needed.
            clicked = clicked_code(out, codes)
            if clicked is not None and clicked != selected:
                _pick_later(clicked)
    col_pick, col_download = st.columns([2, 1], vertical_alignment="bottom")
    with col_pick:
        names = dict(zip(table.index, table[schema.SCHOOL_NAME].astype(str), strict=True))
        selected = st.selectbox(t("schools_pick", lang), codes, format_func=lambda c: f"{names[c]} ({c})",
                                key=SELECT_KEY)
    _render_card(result, selected, ranking, lang, link_for, download_in=col_download)

    st.subheader(t("schools_table_title", lang))
    st.caption(t("schools_table_caption", lang))
    # Made when clicked, not on every rerun.
    st.download_button(t("schools_download_csv", lang), lambda: csv_bytes(table), file_name=CSV_NAME,
                       mime="text/csv", key=CSV_DOWNLOAD_KEY)
    # The table keeps its row selection across reruns: only a row picked since the last run counts.
    picked = _render_table(table, lang, listed=eligible is not None, minutes=float(minutes))
    if picked != st.session_state.get(_LAST_ROW):
        st.session_state[_LAST_ROW] = picked
        if picked is not None and picked != selected:
            _pick_later(picked)
    return selected


def _render_card(
    result: SchoolsResult, code: str, ranking: PipelineResult, lang: str, link_for: Callable[[str], str | None] | None,
    *, download_in: DeltaGenerator,
) -> None:
    """The gap card of one school on screen (full width), and its printable version as a download."""
    dataset = ranking.prepared.dataset
    try:
        card = gap_card(result, code, ranking.table, lang, dataset_name=dataset.name,
                        share_link=link_for(code) if link_for is not None else None)
        fragment = card_html(card, standalone=False)
    except PlanningError as exc:
        st.error(f"**{t('error_title', lang)}:** {md_escape(str(exc))}")
        return
    # Made when clicked, not on every rerun.
    download_in.download_button(
        t("schools_card_download", lang), lambda: card_html(card, standalone=True).encode("utf-8"),
        file_name=f"card_{code}.html", mime="text/html", key=CARD_DOWNLOAD_KEY, width="stretch",
    )
    st.html(fragment)


def _render_table(table: pd.DataFrame, lang: str, *, listed: bool, minutes: float) -> str | None:
    """The sortable branch table; returns the branch code of a row the user selected, if any.

    The widget key holds the minutes: other minutes reorder the rows, and an old row selection must not then
    pick another school.
    """
    view = table_view(table, lang, listed=listed)
    config: dict[str, object] = {
        column_label(c, lang): st.column_config.NumberColumn(format=f) for c, f in _NUMBER_FORMATS.items()
    }
    for col in (schema.ELIGIBLE_LIKE, schema.ELIGIBLE_LISTED):
        config[column_label(col, lang)] = st.column_config.CheckboxColumn()
    event = st.dataframe(view, hide_index=True, width="stretch", height=420, on_select="rerun",
                         selection_mode="single-row", key=f"{TABLE_KEY}_{minutes:g}", column_config=config)
    rows = getattr(getattr(event, "selection", None), "rows", None) or []
    return str(view.index[rows[0]]) if rows else None


def schools_for_pack(
    prepared_key: tuple[str, float], dataset: files.Dataset, lang: str
) -> tuple[SchoolsResult | None, str | None]:
    """The schools analysis for the decision pack, with the tab's walking minutes and list, and the school open in
    the tab (cached like the tab's own; None without schools). Called only when the pack is built."""
    if not branch_codes(dataset.facilities):
        return None, None
    minutes = float(st.session_state.get(MINUTES_KEY, DEFAULT_MINUTES))
    listed = st.session_state.get(_LIST)
    eligible = None
    if listed is not None and isinstance(listed[1], SchoolList):
        eligible = listed[1].match(branch_codes(dataset.facilities))[0]
    result = load_schools(*prepared_key, file_key(network_path(dataset, REACH_MODE)), minutes, eligible, lang=lang)
    selected = st.session_state.get(SELECT_KEY)
    return result, (str(selected) if selected in result.branches.index else None)
