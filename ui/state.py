"""Parameters of one app run and the cached pipeline steps.

Caching lives here, in the app layer: the dataset and the access step are
cached on (folder, modification time); the ranking on the frozen parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from geo import io
from geo.pipeline import DEFAULT_DATA_DIR, PipelineResult, Prepared, prepare, rank
from geo.ranking import RankingParams


@dataclass(frozen=True)
class AppParams:
    """Everything the widgets decided, in one hashable object."""

    lang: str
    ranking: RankingParams
    map_column: str
    facility_types: tuple[str, ...]
    selected: str | None = None


def data_key(directory: str | Path = DEFAULT_DATA_DIR) -> tuple[str, float]:
    """Cache key of a dataset folder: its path and the newest modification time in it."""
    d = Path(directory)
    mtimes = [p.stat().st_mtime for p in d.glob("*") if p.is_file()]
    return str(d), max(mtimes, default=0.0)


@st.cache_resource(show_spinner=False)
def load_prepared(directory: str, mtime: float) -> Prepared:
    """Load a dataset and compute indicators and access (slow part, once per dataset)."""
    del mtime  # part of the cache key only
    return prepare(io.load_dataset(directory))


@st.cache_data(show_spinner=False, max_entries=64)
def load_ranking(_prepared: Prepared, key: tuple[str, float], params: RankingParams) -> PipelineResult:
    """Rank the prepared dataset with ``params`` (cached per dataset key and weights)."""
    del key
    return rank(_prepared, params)
