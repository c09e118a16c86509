""""Haal gegevens op": fetch a full dataset for a municipality that only the base layer covers."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from geo.data import national
from geo.data.build import slug
from geo.data.fetch import LAYERS, fetch_dataset
from geo.data.geocode import load_pc4_table
from geo.data.http import Client
from geo.errors import PlanningError
from ui.datasets import PICKER_KEY, Choice, choices
from ui.i18n import t
from ui.markdown import md_escape


def render_fetch_action(choice: Choice, root: Path, lang: str) -> None:
    """A button that fetches ``choice`` from CBS, PDOK, DUO, LRK and OSM, with a progress bar.

    Offline, or when the services are down, it says so plainly and the base-layer view stays.
    After a complete or partial fetch the picker switches to the new dataset.
    """
    if choice.full or choice.code is None or choice.country:
        return
    if not st.button(t("fetch_button", lang, name=choice.name), help=t("fetch_help", lang), key="fetch_button"):
        return
    bar = st.progress(0.0, text=t("fetch_starting", lang))
    done: list[str] = []

    def step(layer: str, message: str) -> None:
        if layer not in done:
            done.append(layer)
        bar.progress(min(1.0, len(done) / len(LAYERS)), text=f"{layer}: {message}")

    try:
        report = fetch_dataset(choice.code, out_dir=root / slug(choice.name), client=Client(),
                               municipalities=national.municipalities(), progress=step,
                               pc4_table=load_pc4_table(national.PC4_FILE))
    except PlanningError as exc:
        bar.empty()
        st.error(f"**{t('fetch_failed', lang)}** {md_escape(str(exc))}")
        return
    bar.empty()
    if report.out_dir is None:
        reasons = "; ".join(f"{k}: {v}" for k, v in report.missing_layers.items())
        st.error(f"**{t('fetch_failed', lang)}** {md_escape(reasons)} {t('fetch_offline_hint', lang)}")
        return
    choices.clear()
    st.session_state[PICKER_KEY] = report.out_dir.name
    st.rerun()
