"""Parameters of one app run and the cached pipeline steps.

Caching lives here, in the app layer: the dataset, the network and the access
step are cached on (path, modification time, speed); the ranking on the frozen
parameters; the map's geometry (simplified shapes, municipal boundaries) once per
dataset. The data folder can be changed with the environment variables
``RSP_DATA_DIR`` and ``RSP_NETWORK_DIR`` (used by the tests).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import streamlit as st

from geo import schema
from geo.data import files, national
from geo.data.networks import find_network
from geo.data.paths import DEFAULT_DATA_DIR, NETWORKS_DIR
from geo.decide.access import NetworkEngine
from geo.decide.budget import allocate_budget
from geo.decide.pipeline import PipelineResult, Prepared, prepare, rank
from geo.decide.ranking import RankingParams, n_municipalities
from geo.decide.robustness import compute_robustness
from geo.decide.scenario import run_scenario
from geo.decide.schools import ReachSettings, SchoolsResult, analyse_schools
from geo.network.graph import Network
from geo.network.isochrones import facility_isochrones
from layers.geometry import display_shapes, drawable, fitted_view, fitted_views
from layers.outlines import municipality_outlines
from ui.i18n import t

#: Prefix of a dataset reference opened from the national base layer (see ui.datasets).
BASE_REF = "base:"
#: Prefix of the whole country (``country:<data folder>``): the base layer with the full datasets of that folder.
COUNTRY_REF = "country:"


@dataclass(frozen=True)
class AccessChoice:
    """How travel is measured: mode, speed and the isochrone bands."""

    mode: str = "walk"
    speed_kmh: float = 4.0
    minutes: tuple[float, ...] = (5.0, 10.0, 15.0)
    show_isochrones: bool = True


@dataclass(frozen=True)
class AppParams:
    """Everything the widgets decided, in one hashable object."""

    lang: str
    ranking: RankingParams
    map_column: str
    facility_types: tuple[str, ...]
    access: AccessChoice = AccessChoice()


def data_dir() -> Path:
    return Path(os.environ.get("RSP_DATA_DIR", DEFAULT_DATA_DIR))


def network_dir() -> Path:
    return Path(os.environ.get("RSP_NETWORK_DIR", NETWORKS_DIR))


def file_key(path: str | Path | None) -> tuple[str, float]:
    """Cache key of a file or folder: its path and newest modification time ('' for none).

    A base-layer reference (``base:GM0855``) is keyed on the national files' manifest; the whole country
    (``country:<data folder>``) on that manifest and the files of every dataset folder in the data folder.
    """
    if path is None:
        return "", 0.0
    manifest = national.NATIONAL_DIR / national.MANIFEST_FILE
    national_mtime = manifest.stat().st_mtime if manifest.exists() else 0.0
    if str(path).startswith(BASE_REF):
        return str(path), national_mtime
    if str(path).startswith(COUNTRY_REF):
        root = Path(str(path).removeprefix(COUNTRY_REF))
        folders = [m.parent for m in root.glob(f"*/{files.DATASET_META}")] if root.is_dir() else []
        mtimes = [q.stat().st_mtime for folder in folders for q in folder.glob("*") if q.is_file()]
        return str(path), max([national_mtime, root.stat().st_mtime if root.is_dir() else 0.0, *mtimes])
    p = Path(path)
    if p.is_dir():
        mtimes = [q.stat().st_mtime for q in p.glob("*") if q.is_file()]
        return str(p), max(mtimes, default=0.0)
    return str(p), p.stat().st_mtime


@st.cache_resource(show_spinner=False, max_entries=32)  # bounded: every upload set is a new entry
def load_dataset(directory: str, mtime: float) -> files.Dataset:
    """A dataset folder, a municipality of the national base layer (``base:GM0855``) or the whole country
    (``country:<data folder>``: :func:`geo.data.national.load_country`)."""
    del mtime  # part of the cache key only
    if directory.startswith(BASE_REF):
        return national.load_base_dataset(directory.removeprefix(BASE_REF))
    if directory.startswith(COUNTRY_REF):
        return national.load_country(directory.removeprefix(COUNTRY_REF))
    return files.load_dataset(directory)


@st.cache_resource(show_spinner=False, max_entries=8)  # bounded: a network per dataset and mode
def load_network(path: str, mtime: float) -> Network:
    del mtime
    return Network.load(path)


def network_path(dataset: files.Dataset, mode: str) -> Path | None:
    return find_network(dataset, mode, network_dir())


@st.cache_resource(show_spinner=False, max_entries=32)  # bounded, like the datasets it is made from
def _load_prepared(directory: str, mtime: float, network: tuple[str, float], speed_kmh: float) -> Prepared:
    """Indicators and access for a dataset, over the network when one is given (slow part, cached)."""
    dataset = load_dataset(directory, mtime)
    engine = NetworkEngine(load_network(*network), speed_kmh=speed_kmh) if network[0] else None
    return prepare(dataset, engine=engine)


@dataclass(frozen=True)
class MapGeometry:
    """What the map of one dataset draws whatever the ranking: made once per dataset (:func:`load_map_geometry`).

    ``shapes``: the display geometry of every buurt with a shape (``layers.geometry.display_shapes``);
    ``outlines``: the municipal boundaries when the data holds several municipalities (else None);
    ``views``: the centre and zoom level that fit each municipality with a shape in the map (by code; ``''``: the
    whole map).
    Shared by every session: never changed.
    """

    shapes: Mapping[str, dict]
    outlines: gpd.GeoDataFrame | None
    views: Mapping[str, tuple[tuple[float, float], int]]


@st.cache_resource(show_spinner=False, max_entries=8)  # bounded: one entry per dataset (and map size)
def _load_map_geometry(directory: str, mtime: float, _buurten: gpd.GeoDataFrame, width_px: int,
                       height_px: int) -> MapGeometry:
    del directory, mtime  # the dataset's cache key: ``_buurten`` is that dataset's buurten
    outlines = municipality_outlines(_buurten) if n_municipalities(_buurten) > 1 else None
    views = (fitted_views(outlines, schema.MUNICIPALITY_CODE, width_px=width_px, height_px=height_px)
             if outlines is not None else {})
    if views:  # '' is the whole map (the zoom box's first choice), fitted once rather than every rerun
        views[""] = fitted_view(drawable(_buurten), width_px=width_px, height_px=height_px)
    return MapGeometry(shapes=display_shapes(_buurten), outlines=outlines, views=views)


def load_map_geometry(directory: str, mtime: float, buurten: gpd.GeoDataFrame, *, width_px: int, height_px: int,
                      lang: str = "nl") -> MapGeometry:
    """The map geometry of the dataset keyed ``(directory, mtime)`` (:func:`file_key`), cached: :class:`MapGeometry`."""
    with st.spinner(t("spinner_map", lang)):
        return _load_map_geometry(directory, mtime, buurten, width_px, height_px)


@st.cache_resource(show_spinner=False, max_entries=16)  # bounded: every minutes choice and list is a new entry
def _load_schools(directory: str, mtime: float, network: tuple[str, float], minutes: float,
                  eligible: tuple[str, ...] | None) -> SchoolsResult:
    """Branches, reach per domain from each school (walking, child speed) and catchments (routing: cached).

    Over the dataset's walking network when one is given, else straight line; the sidebar's mode plays no part.
    Shared by every session and never changed by the app (the need columns are added to a copy, per ranking).
    """
    dataset = load_dataset(directory, mtime)
    settings = ReachSettings(minutes=minutes)
    engine = NetworkEngine(load_network(*network), speed_kmh=settings.speed_kmh) if network[0] else None
    return analyse_schools(dataset, scores=national.school_scores(), history=national.pupil_history(),
                           engine=engine, settings=settings, eligible_codes=eligible)


@st.cache_resource(show_spinner=False, max_entries=32, ttl=3600)  # bounded: every weight combination is an entry
def load_ranking(_prepared: Prepared, key: tuple, params: RankingParams) -> PipelineResult:
    """Rank the prepared dataset with ``params`` (cached per dataset/network key and weights).

    Shared by every session without a copy (unpickling the country's ranking took 0.3 s a rerun): nothing
    changes a ranking after it is made (the panels and exports add columns to copies)."""
    del key
    return rank(_prepared, params)


@st.cache_data(show_spinner=False, max_entries=16)
def _load_isochrones(
    _prepared: Prepared, key: tuple, types: tuple[str, ...], minutes: tuple[float, ...], speed_kmh: float
) -> gpd.GeoDataFrame:
    """Isochrones per facility type and band, dissolved (one multi-source pass per type)."""
    del key
    engine_net = _prepared.engine.network  # type: ignore[union-attr]
    fac = _prepared.dataset.facilities
    fac = fac[fac["facility_type"].isin(types)]
    gdf, _ = facility_isochrones(engine_net, fac, minutes, speed_kmh, dissolve=True)
    return gdf


@st.cache_data(show_spinner=False, max_entries=32)
def _load_scenario(_prepared: Prepared, key: tuple, scenario, params: RankingParams, speed_kmh: float,
                  minutes: tuple[float, ...]):
    """Before/after ranking and comparison of one scenario (cached per dataset/network key, scenario and weights)."""
    del key
    _, _, comparison = run_scenario(_prepared, scenario, params, speed_kmh=speed_kmh, minutes=minutes)
    return comparison


@st.cache_data(show_spinner=False, max_entries=32)
def _load_allocation(_result: PipelineResult, key: tuple, budget_params):
    """Greedy budget allocation over the ranked table (cached per ranking key and budget parameters)."""
    del key
    return allocate_budget(_result.table, budget_params)


@st.cache_data(show_spinner=False, max_entries=16)
def _load_robustness(_result: PipelineResult, key: tuple, n_draws: int, seed: int, top_n: int, concentration: float,
                    leave_one_out: bool):
    """Ranks under weight draws around the chosen weights (cached per ranking key and settings)."""
    del key
    return compute_robustness(_result.ranking, _result.params, n_draws=n_draws, seed=seed, top_n=top_n,
                              concentration=concentration, leave_one_out=leave_one_out)


# Spinner texts follow the language; the cached functions above do not take it (a language switch must not
# recompute anything). ``st.spinner`` shows only after half a second, so a cache hit shows nothing.


def load_prepared(directory: str, mtime: float, network: tuple[str, float], speed_kmh: float, *,
                  lang: str = "nl") -> Prepared:
    """Indicators and access for the dataset (and network), cached; see :func:`_load_prepared`."""
    with st.spinner(t("spinner_access", lang)):
        return _load_prepared(directory, mtime, network, speed_kmh)


def load_schools(directory: str, mtime: float, network: tuple[str, float], minutes: float,
                 eligible: tuple[str, ...] | None = None, *, lang: str = "nl") -> SchoolsResult:
    """The schools analysis of a dataset, cached per dataset, walking network, minutes and eligible list.

    ``network`` is the :func:`file_key` of the dataset's *walking* network (``("", 0.0)``: straight line);
    ``eligible`` the municipality's list of branch codes, sorted (None: no list).
    """
    with st.spinner(t("spinner_schools", lang)):
        return _load_schools(directory, mtime, network, float(minutes), eligible)


def load_isochrones(_prepared: Prepared, key: tuple, types: tuple[str, ...], minutes: tuple[float, ...],
                    speed_kmh: float, *, lang: str = "nl") -> gpd.GeoDataFrame:
    """Dissolved isochrones per facility type and band, cached; see :func:`_load_isochrones`."""
    with st.spinner(t("spinner_isochrones", lang)):
        return _load_isochrones(_prepared, key, types, minutes, speed_kmh)


def load_scenario(_prepared: Prepared, key: tuple, scenario, params: RankingParams, speed_kmh: float,
                  minutes: tuple[float, ...], *, lang: str = "nl"):
    """Before/after comparison of one scenario, cached; see :func:`_load_scenario`."""
    with st.spinner(t("spinner_scenario", lang)):
        return _load_scenario(_prepared, key, scenario, params, speed_kmh, minutes)


def load_allocation(_result: PipelineResult, key: tuple, budget_params, *, lang: str = "nl"):
    """Budget allocation, cached; see :func:`_load_allocation`."""
    with st.spinner(t("spinner_budget", lang)):
        return _load_allocation(_result, key, budget_params)


def load_robustness(_result: PipelineResult, key: tuple, n_draws: int, seed: int, top_n: int, concentration: float,
                    leave_one_out: bool, *, lang: str = "nl"):
    """Ranks under weight draws, cached; see :func:`_load_robustness`."""
    with st.spinner(t("spinner_robustness", lang)):
        return _load_robustness(_result, key, n_draws, seed, top_n, concentration, leave_one_out)
