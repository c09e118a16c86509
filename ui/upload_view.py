"""The "Eigen bestanden" / "Your own files" section of the sidebar: upload, check, use, save.

Everything that reads or judges a file is in :mod:`geo.data.upload` (no Streamlit); this module holds the
widgets and the session state. Uploads live in ``st.session_state`` and in a temporary folder of the
session, removed when the session's state is dropped; the shipped data on disk is never touched.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Any, Protocol

import streamlit as st

from geo import schema
from geo.catalog import FACILITY_TYPES
from geo.data import upload
from geo.data.build import MAX_OUTSIDE_M
from geo.decide.access import compute_access
from geo.decide.indicators import REQUIRED_CBS
from geo.errors import PlanningError
from geo.lang import format_number
from ui import serving, share
from ui.i18n import t
from ui.markdown import md_escape, printable
from ui.state import file_key, load_dataset

#: Session-state keys (the widgets' own keys and the section's state).
UPLOADER_KEYS = {kind: f"upload_{kind}" for kind in upload.KINDS}
TYPE_KEY = "upload_facility_type"
SAVE_FORM = "upload_save"
SLUG_KEY = "upload_slug"
_FOLDER = "_upload_folder"
_READ = "_upload_read"
_ACTIVE = "_upload_active"
#: Where "save as dataset" writes; ``RSP_UPLOADS_DIR`` changes it (used by the tests).
UPLOADS_ENV = "RSP_UPLOADS_DIR"
#: Shown as examples of recognised type words (the full list is ``upload.TYPE_ALIASES``).
EXAMPLE_WORDS = ("sporthal", "zwembad", "bieb", "kdv", "bso", "buurthuis", "theater", "library", "community_centre")
_NAME_CHARS = 80


class UploadedLike(Protocol):
    """What the section needs of a ``st.file_uploader`` value."""

    name: str
    size: int

    def getvalue(self) -> bytes: ...


class _SessionFolder:
    """A temporary folder that lives as long as the session state holding this object."""

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="rsp-upload-"))
        self._cleanup = weakref.finalize(self, shutil.rmtree, str(self.path), ignore_errors=True)


def session_folder() -> Path:
    """This session's temporary upload folder (made on first use)."""
    folder = st.session_state.get(_FOLDER)
    if not isinstance(folder, _SessionFolder) or not folder.path.is_dir():
        folder = _SessionFolder()
        st.session_state[_FOLDER] = folder
    return folder.path


def uploads_root() -> Path:
    return Path(os.environ.get(UPLOADS_ENV, upload.UPLOADS_DIR))


def _name(text: str) -> str:
    return md_escape(printable(text, _NAME_CHARS))


def render_uploads(default_dir: Path, lang: str) -> Path:
    """Draw the section in the sidebar; return the dataset folder the app should use this run.

    That is ``default_dir`` until the uploads make a dataset (uploaded facilities added to it, or
    uploaded buurten + CBS table), then a folder in the session's temporary folder.
    """
    with st.sidebar.expander(t("upload_title", lang), expanded=bool(st.session_state.get(_READ))):
        try:
            limits = upload.limits_from_env()
        except PlanningError as exc:
            st.error(f"{t('upload_limits_bad', lang)} {md_escape(str(exc))}")
            return default_dir
        st.caption(t("upload_intro", lang, mb=f"{limits.max_mb:g}", n=format_number(limits.max_features, lang=lang)))
        server_mb = serving.server_upload_mb()
        if limits.max_bytes > server_mb * serving.STREAMLIT_MB:  # the server refuses such a file before the app
            st.warning(md_escape(t("upload_server_smaller", lang, mb=server_mb, env=upload.MAX_MB_ENV,
                                   option=serving.MAX_UPLOAD_OPTION)))
        uploads: dict[str, upload.Upload] = {}
        for kind in upload.KINDS:
            file = st.file_uploader(
                t(f"upload_{kind}", lang),
                type=[s.lstrip(".") for s in upload.ACCEPTED_SUFFIXES[kind]],
                key=UPLOADER_KEYS[kind],
                help=t(f"upload_help_{kind}", lang),
                max_upload_size=min(server_mb, max(1, int(limits.max_mb + 0.999))),
            )
            facility_type = _type_choice(lang) if kind == upload.FACILITIES else None
            if file is not None:
                read = read_uploaded(kind, file, lang, facility_type=facility_type, limits=limits)
                if read is not None:
                    uploads[kind] = read
            else:
                (st.session_state.get(_READ) or {}).pop(kind, None)
        return _activate(default_dir, uploads, lang)


def _type_choice(lang: str) -> str | None:
    choice = st.selectbox(
        t("upload_type_for_file", lang),
        ["", *FACILITY_TYPES],
        format_func=lambda k: FACILITY_TYPES[k].label(lang) if k else t("upload_type_from_column", lang),
        key=TYPE_KEY,
    )
    return choice or None


def read_uploaded(
    kind: str, file: UploadedLike, lang: str, *, facility_type: str | None = None, limits: upload.Limits | None = None
) -> upload.Upload | None:
    """Check and read one uploaded file and show what was read, or why it was refused; None when refused.

    A file is read once per content and options; later reruns show the stored result.
    """
    limits = limits or upload.limits_from_env()
    store: dict[str, Any] = st.session_state.setdefault(_READ, {})
    name = str(file.name)
    try:
        upload.check_size(name, int(file.size), limits)
        data = file.getvalue()
        key = (name, len(data), hashlib.sha256(data).hexdigest(), facility_type, limits)
        cached = store.get(kind)
        if cached is None or cached[0] != key:
            try:
                result: upload.Upload | PlanningError = upload.read_upload(
                    kind, name, data, session_folder(), facility_type=facility_type, limits=limits
                )
            except PlanningError as exc:
                result = exc
            store[kind] = cached = (key, result)
        result = cached[1]
        if isinstance(result, PlanningError):
            raise result
    except PlanningError as exc:
        show_refusal(kind, name, exc, lang)
        return None
    render_report(result.report, lang)
    return result


def show_refusal(kind: str, name: str, exc: PlanningError, lang: str) -> None:
    """What is wrong (the loader's message, escaped) and what the file should look like."""
    st.error(
        f"**{t('upload_refused', lang, name=_name(name))}** {md_escape(str(exc))}\n\n"
        f"{t(f'upload_help_{kind}', lang)}\n\n{t('upload_fix', lang)}"
    )


def render_report(report: upload.UploadReport, lang: str) -> None:
    """Counts, coordinate system, columns used, types, what was dropped and what was not recognised."""
    lines = [t("upload_read", lang, name=_name(report.file_name), kept=format_number(report.rows_kept, lang=lang),
               read=format_number(report.rows_read, lang=lang))]
    if report.crs_assumed and report.coordinate_columns:
        x, y = (_name(c) for c in report.coordinate_columns)
        lines.append(t(f"upload_crs_{report.crs_assumed}", lang, x=x, y=y))
    elif report.crs:
        lines.append(t("upload_crs_file", lang, crs=md_escape(report.crs)))
    if report.columns:
        cols = ", ".join(f"{t(f'upload_role_{role}', lang)} ← {_name(col)}" for role, col in report.columns.items())
        lines.append(t("upload_columns", lang, cols=cols))
    if report.type_counts:
        counts = " · ".join(
            f"{FACILITY_TYPES[k].label(lang)} {format_number(n, lang=lang)}" for k, n in report.type_counts.items()
        )
        lines.append(t("upload_per_type", lang, counts=counts))
    if report.suppressed:
        lines.append(t("upload_suppressed", lang, n=format_number(report.suppressed, lang=lang)))
    st.markdown("\n".join(f"- {line}" for line in lines))
    if report.unrecognised:
        items = "\n".join(
            f"- „{_name(value) if value else t('upload_empty_value', lang)}”: "
            f"{t('upload_row', lang) if n == 1 else t('upload_rows', lang, n=format_number(n, lang=lang))}"
            for value, n in report.unrecognised.items()
        )
        st.warning(
            f"{t('upload_unrecognised', lang)}\n\n{items}\n\n"
            f"{t('upload_known_words', lang, words=', '.join(EXAMPLE_WORDS))}"
        )
    dropped = [f"{md_escape(reason)}: {len(ids)}" for reason, ids in report.dropped.items()]
    if dropped:
        st.caption(f"{t('upload_dropped', lang)}: " + " · ".join(dropped))
    if report.notes:
        st.caption(f"{t('upload_notes', lang)}: " + " · ".join(md_escape(n) for n in report.notes))


def _activate(default_dir: Path, uploads: dict[str, upload.Upload], lang: str) -> Path:
    """Make (once per set of uploads) the session's dataset; say what the app now works on."""
    if upload.BUURTEN in uploads and upload.CBS not in uploads:
        st.info(t("upload_wait_cbs", lang))
    elif upload.CBS in uploads and upload.BUURTEN not in uploads:
        st.info(t("upload_wait_buurten", lang))
    try:
        base = load_dataset(*file_key(default_dir))
    except PlanningError:
        return default_dir  # the app itself reports a broken dataset folder
    try:
        data = upload.combine(base, uploads, required_cbs=REQUIRED_CBS) if uploads else None
        if data is None:
            _deactivate(base.facilities)
            if uploads:
                st.caption(t("upload_save_needs", lang))
            return default_dir
        active = st.session_state.get(_ACTIVE)
        if active is None or active["digest"] != data.digest:
            directory = upload.write_session_dataset(data, session_folder())
            load_dataset(*file_key(directory))  # the app's own loader: its checks run here, its result is cached
            active = {"digest": data.digest, "data": data, "directory": directory,
                      "cbs_road": _cbs_road_types(data, uploads)}
            st.session_state[_ACTIVE] = active
            _sync_facility_types(data.facilities)
    except PlanningError as exc:
        _deactivate(base.facilities)
        st.error(f"**{t('error_title', lang)}:** {md_escape(str(exc))}\n\n{t('upload_fix', lang)}")
        return default_dir
    data = active["data"]
    fac = uploads.get(upload.FACILITIES)
    if data.own_buurten:
        st.success(t("upload_active_own", lang, n=format_number(len(data.buurten), lang=lang),
                     m=format_number(len(data.facilities), lang=lang)))
    elif fac is not None:
        n_used = fac.report.rows_kept - len(data.outside)
        st.success(t("upload_active_extra", lang, name=_name(str(base.name)), n=format_number(n_used, lang=lang)))
    if data.outside:
        st.warning(t("upload_outside", lang, n=format_number(len(data.outside), lang=lang),
                     km=format_number(MAX_OUTSIDE_M / 1000, lang=lang, decimals=None)))
    if active["cbs_road"]:
        labels = ", ".join(FACILITY_TYPES[k].label(lang).lower() for k in active["cbs_road"])
        st.caption(t("upload_cbs_road", lang, types=labels))
    st.caption(t("upload_session_only", lang))
    _render_save(data, lang)
    return Path(active["directory"])


def _cbs_road_types(data: upload.SessionData, uploads: dict[str, upload.Upload]) -> tuple[str, ...]:
    """Uploaded facility types whose distance (without a network) is the CBS road distance, not the points."""
    fac = uploads.get(upload.FACILITIES)
    if fac is None or data.own_buurten:
        return ()
    types = tuple(k for k in FACILITY_TYPES if k in fac.report.type_counts)
    measures = compute_access(data.buurten, data.facilities, facility_types=types).measures
    return tuple(k for k in types if measures[k].method == schema.CBS_ROAD)


def _deactivate(facilities) -> None:
    """Back to the dataset on disk: forget the session's dataset and keep the map's types valid."""
    if st.session_state.pop(_ACTIVE, None) is not None:
        _sync_facility_types(facilities)


def _sync_facility_types(facilities) -> None:
    """"Facilities on the map" after the dataset changed: uploaded types ticked, types no longer present removed.

    The multiselect keeps its old choice otherwise, so new types would stay hidden and a type that is gone
    would be an invalid choice.
    """
    key = share.WIDGET_KEYS["facility_types"]
    if key not in st.session_state:
        return  # first run: the widget's default (every type present) applies
    present = set(facilities[schema.FACILITY_TYPE])
    uploaded = set(facilities.loc[facilities[schema.FACILITY_SOURCE] == upload.UPLOAD_SOURCE, schema.FACILITY_TYPE])
    chosen = set(st.session_state[key])
    st.session_state[key] = [k for k in FACILITY_TYPES if k in present and (k in chosen or k in uploaded)]


def _render_save(data: upload.SessionData, lang: str) -> None:
    st.markdown(f"**{t('upload_save_title', lang)}**")
    with st.form(SAVE_FORM, clear_on_submit=False, border=False):
        name = st.text_input(t("upload_save_name", lang), key=SLUG_KEY, placeholder="utrecht-eigen-2025")
        submitted = st.form_submit_button(t("upload_save_button", lang))
    if not submitted:
        return
    try:
        target = upload.save_dataset(data, name, root=uploads_root())
    except PlanningError as exc:
        st.error(f"**{t('error_title', lang)}:** {md_escape(str(exc))}")
        return
    st.success(t("upload_saved", lang, path=md_escape(str(target))))
    st.code(f"RSP_DATA_DIR={target} streamlit run app.py\npython -m geo rank --data {target} --out ranking.csv",
            language="bash")
