"""Which municipality the app shows: every dataset folder in ``data/`` plus every municipality of the base layer.

A *choice* has a key that goes into the share link (``ds=``): the folder name for a full dataset
(``utrecht``, ``delft``, ``uploads/mijn-data``), the CBS code for a municipality that only the national
base layer covers (``GM0855``), and ``NL01`` for the whole country (first in the list). :func:`dataset_ref`
turns a key into what :func:`ui.state.load_dataset` opens: a folder path, ``base:GM0855`` for the base
layer, or ``country:<data folder>`` for the country (the base layer with the full datasets of that folder).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from geo.data import national
from geo.data.files import DATASET_FILE, DATASET_META
from geo.lang import pick
from ui import share
from ui.i18n import t
from ui.map_view import DATA_KEYS as MAP_KEYS
from ui.markdown import md_escape
from ui.state import BASE_REF, COUNTRY_REF

#: Session-state key of the picker (also seeded from the share link).
PICKER_KEY = share.WIDGET_KEYS["dataset"]


@dataclass(frozen=True)
class Choice:
    """One entry of the municipality picker."""

    key: str
    name: str
    code: str | None
    full: bool

    @property
    def country(self) -> bool:
        """The whole country (every buurt of every municipality)."""
        return self.code == national.COUNTRY_CODE

    def label(self, lang: str) -> str:
        if self.country:
            return t("whole_country", lang)
        return self.name if self.full else f"{self.name} · {t('base_layer_short', lang)}"


#: The whole country: the first entry of the picker.
COUNTRY = Choice(national.COUNTRY_CODE, national.COUNTRY_NAME, national.COUNTRY_CODE, False)


def _folders(root: Path) -> list[Path]:
    candidates = [p for p in sorted(root.iterdir()) if p.is_dir()] if root.is_dir() else []
    uploads = root / "uploads"
    if uploads.is_dir():
        candidates += [p for p in sorted(uploads.iterdir()) if p.is_dir()]
    return [p for p in candidates if (p / DATASET_FILE).is_file() and (p / DATASET_META).is_file()]


@st.cache_resource(show_spinner=False, ttl=60)  # shared, never changed: no copy per call (it is read twice a run)
def choices(root: str, default: str) -> tuple[Choice, ...]:
    """The whole country, full datasets (the default first), then each base-layer municipality without one, by name."""
    base = Path(root)
    full: list[Choice] = []
    for folder in _folders(base):
        try:
            meta = json.loads((folder / DATASET_META).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(meta, dict):
            continue
        key = folder.relative_to(base).as_posix()
        full.append(Choice(key, str(meta.get("name") or key), meta.get("municipality_code"), True))
    full.sort(key=lambda c: (c.key != default, c.name.lower()))
    covered = {c.code for c in full}
    rest = [
        Choice(str(row.code), str(row.name), str(row.code), False)
        for row in national.municipalities().itertuples()
        if row.code not in covered
    ]
    return (COUNTRY, *full, *rest)


def dataset_ref(choice: Choice, root: Path) -> str:
    """What :func:`ui.state.load_dataset` opens for ``choice``."""
    if choice.country:
        return f"{COUNTRY_REF}{root}"
    return str(root / choice.key) if choice.full else f"{BASE_REF}{choice.code}"


def render_picker(root: Path, default: str, lang: str) -> Choice:
    """The municipality picker at the top of the sidebar; returns the chosen entry."""
    options = choices(str(root), default)
    by_key = {c.key: c for c in options}
    if st.session_state.get(PICKER_KEY) not in by_key:  # never the (heavy) country unless asked for
        st.session_state[PICKER_KEY] = default if default in by_key else next(c.key for c in options if not c.country)
    key = st.sidebar.selectbox(
        t("municipality_picker", lang), list(by_key), format_func=lambda k: by_key[k].label(lang), key=PICKER_KEY,
        help=t("municipality_picker_help", lang),
    )
    return by_key[key]


def render_dataset_notice(meta: dict, lang: str) -> None:
    """What a base-layer or partly fetched dataset holds and lacks, in plain words (from its own meta)."""
    layers = meta.get("missing_layers") or {}
    if layers:
        st.warning(t("fetch_partial", lang, layers=", ".join(map(str, layers))))
    if meta.get("kind") != "base_layer":
        return
    notice = meta.get("notice")
    if isinstance(notice, dict) and set(notice) >= {"nl", "en"}:
        st.warning(pick(notice, lang))
    missing = [m for m in meta.get("missing") or [] if isinstance(m, dict) and {"nl", "en"} <= set(m)]
    if missing:
        st.caption(t("base_layer_missing", lang) + "\n" + "\n".join(f"- {md_escape(pick(m, lang))}" for m in missing))


#: Widget keys whose options depend on the dataset: dropped when the municipality changes.
_DATA_WIDGETS = (share.WIDGET_KEYS["map_column"], share.WIDGET_KEYS["facility_types"], share.WIDGET_KEYS["buurt"],
                 *MAP_KEYS)
_SHOWN = "_dataset_shown"


def forget_other_dataset(key: str) -> None:
    """When the picker moved to another municipality, forget the choices that belonged to the previous one."""
    shown = st.session_state.get(_SHOWN)
    if shown is not None and shown != key:
        for widget in _DATA_WIDGETS:
            st.session_state.pop(widget, None)
        st.session_state.pop("scenarios", None)
    st.session_state[_SHOWN] = key
