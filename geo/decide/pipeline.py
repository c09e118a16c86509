"""The whole path from a dataset to a ranked, explainable table.

The app and the CLI both call these functions; the app caches
:func:`prepare` (slow: access) separately from :func:`rank` (fast: weights).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo import schema
from geo.data import files, national
from geo.data.paths import DEFAULT_DATA_DIR
from geo.decide.access import AccessEngine, AccessResult, compute_access
from geo.decide.indicators import compute_indicators
from geo.decide.ranking import RankingParams, RankingResult, rank_buurten
from geo.decide.schools import school_disadvantage_nearby


@dataclass(frozen=True)
class Prepared:
    """Indicators and access for one dataset: everything that does not depend on weights."""

    dataset: files.Dataset
    indicators: pd.DataFrame
    access: AccessResult
    #: The engine used for point layers (None: straight line).
    engine: AccessEngine | None = None


@dataclass(frozen=True)
class PipelineResult:
    """A ranking on top of prepared data."""

    prepared: Prepared
    ranking: RankingResult
    #: One row per buurt: ids, geometry, indicators, distances and the ranking columns.
    table: gpd.GeoDataFrame
    params: RankingParams


def prepare(dataset: files.Dataset, *, engine: AccessEngine | None = None) -> Prepared:
    """Compute indicators and access (distances) for every buurt of ``dataset``."""
    indicators = compute_indicators(dataset.buurten)
    # The disadvantage of the schools around each buurt (CBS achterstandsscores of the national table); it needs
    # the facilities, so it is computed here rather than from the CBS columns in geo.decide.indicators.
    indicators[schema.SCHOOL_DISADVANTAGE_NEARBY] = school_disadvantage_nearby(dataset.buurten, dataset.facilities,
                                                                 national.school_scores())
    access = compute_access(dataset.buurten, dataset.facilities, engine=engine)
    merged = indicators.join(access.distances)
    # Every distance travels with how it was measured (e.g. 'straight_line'), also in CSV exports.
    for key, measure in access.measures.items():
        merged[schema.method_col(key)] = measure.method
    return Prepared(dataset=dataset, indicators=merged, access=access, engine=engine)


def rank(prepared: Prepared, params: RankingParams) -> PipelineResult:
    """Rank the prepared buurten with ``params`` and assemble the output table."""
    b = prepared.dataset.buurten
    groups = b[schema.MUNICIPALITY_CODE] if schema.MUNICIPALITY_CODE in b.columns else None
    ranking = rank_buurten(prepared.indicators, params, municipalities=groups)
    ids = b[[c for c in schema.BUURT_ID_COLUMNS if c in b.columns]]
    table = ids.join(prepared.indicators).join(prepared.access.nearest_ids).join(ranking.table)
    table = gpd.GeoDataFrame(table, geometry=b.geometry, crs=b.crs)
    table.index.name = None
    table = table.sort_values([schema.RANK, schema.BUURT_CODE], na_position="last", kind="mergesort")
    return PipelineResult(prepared=prepared, ranking=ranking, table=table, params=params)


def run(data_dir: str | Path | None = None, params: RankingParams | None = None) -> PipelineResult:
    """Load a dataset directory (default: the embedded Utrecht data) and rank it."""
    dataset = files.load_dataset(data_dir or DEFAULT_DATA_DIR)
    return rank(prepare(dataset), params or RankingParams.from_preset("rijke_schooldag"))


def output_columns(table: pd.DataFrame) -> list[str]:
    """Columns of the ranking export: the fixed ones first, then explanations."""
    fixed = [
        *schema.RANKING_COLUMNS,
        *schema.ROBUSTNESS_COLUMNS,
        "explanation",
        schema.WIJK_NAME,
        schema.INHABITANTS,
        schema.REACH_SCORE,
        schema.STATUS,
    ]
    dropped = ("geometry", schema.WIJK_CODE, schema.MUNICIPALITY_CODE, schema.MUNICIPALITY_NAME)
    rest = [c for c in table.columns if c not in fixed and c not in dropped]
    return [c for c in fixed if c in table.columns] + rest
