"""geo/decide/pipeline.py on the embedded Utrecht dataset: prepare → rank → table, and the export column order.

The app and the CLI both show ``run()``'s table: 111 buurten, 110 ranked (Bedrijvengebied
Strijkviertel has no inhabitants), rank 1 first, every distance with how it was measured.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo import schema
from geo.catalog import FACILITY_TYPES
from geo.data import files
from geo.data.paths import DEFAULT_DATA_DIR
from geo.decide import pipeline
from geo.decide.ranking import RankingParams

NO_INHABITANTS = "BU03440952"  # Bedrijvengebied Strijkviertel


@pytest.fixture(scope="module")
def dataset() -> files.Dataset:
    return files.load_dataset(DEFAULT_DATA_DIR)


@pytest.fixture(scope="module")
def prepared(dataset: files.Dataset) -> pipeline.Prepared:
    return pipeline.prepare(dataset)


@pytest.fixture(scope="module")
def result(prepared: pipeline.Prepared) -> pipeline.PipelineResult:
    return pipeline.rank(prepared, RankingParams.from_preset("rijke_schooldag"))


def test_prepare_gives_every_buurt_its_indicators_and_how_each_distance_was_measured(dataset, prepared) -> None:
    ind = prepared.indicators
    assert len(ind) == 111 and ind.index.equals(dataset.buurten.index)
    assert prepared.engine is None  # no street network given: straight line for point layers
    for key in FACILITY_TYPES:
        assert f"dist_{key}_m" in ind.columns
        # The method travels with the distance (it ends up in every CSV download).
        assert (ind[f"dist_{key}_method"] == prepared.access.measures[key].method).all(), key
    assert set(ind["dist_library_method"]) == {"cbs_road"} and set(ind["dist_sport_method"]) == {"straight_line"}
    assert ind["dist_culture_m"].isna().all()  # no culture data: missing, not 0


def test_rank_orders_110_of_111_buurten_and_keeps_the_empty_one_last(dataset, result) -> None:
    t = result.table
    assert len(t) == 111 and t.crs.to_epsg() == 28992 and t.index.name is None
    ranked = t[schema.STATUS] == schema.STATUS_RANKED
    assert ranked.sum() == 110
    assert t[schema.RANK].iloc[:110].tolist() == list(range(1, 111))  # sorted, rank 1 first, no ties here
    last = t.iloc[-1]
    assert last[schema.BUURT_CODE] == NO_INHABITANTS and last[schema.STATUS] == schema.STATUS_NO_INHABITANTS
    assert pd.isna(last[schema.RANK]) and pd.isna(last[schema.PRIORITY_SCORE])
    # Higher priority score, better (lower) rank.
    assert t[schema.PRIORITY_SCORE].iloc[:110].is_monotonic_decreasing
    # Each buurt keeps its own polygon and its ids.
    geoms = dataset.buurten.geometry.loc[t[schema.BUURT_CODE]]
    assert np.array(t.geometry.geom_equals(geoms.set_axis(t.index))).all()
    assert set(schema.BUURT_ID_COLUMNS) <= set(t.columns)
    assert t[schema.BUURT_NAME].loc[t[schema.BUURT_CODE] == "BU03440831"].item() == "Kanaleneiland-Zuid"
    assert result.params.preset == "rijke_schooldag"


#: The Utrecht top 10 under the default preset, recorded before the youth-work, nature, museum and makerspace types
#: joined the catalog (and dist_nature_m the default preset): a weight without data must change nothing.
UTRECHT_TOP_10 = [
    "BU03440831", "BU03440322", "BU03440312", "BU03440342", "BU03440733",
    "BU03440341", "BU03440331", "BU03440934", "BU03441022", "BU03441024",
]


def test_the_default_utrecht_ranking_is_the_known_one_and_the_nature_weight_without_data_changes_nothing(
    prepared, result
) -> None:
    t = result.table
    assert t[schema.BUURT_CODE].iloc[:10].tolist() == UTRECHT_TOP_10
    assert t[schema.PRIORITY_SCORE].iloc[0] == pytest.approx(1.0497482290439737, abs=1e-12)
    assert {u.key: u.reason for u in result.ranking.unused}["dist_nature_m"] == "no_data"
    weights = dict(result.params.weights)
    weights.pop("dist_nature_m")
    without = pipeline.rank(prepared, RankingParams.from_weights(weights, preset="rijke_schooldag"))
    pd.testing.assert_frame_equal(without.table, result.table)


def test_reranking_with_other_weights_leaves_the_prepared_data_alone(prepared, result) -> None:
    """The app caches ``prepare`` and re-ranks on every weight change: ranking must not alter the cache."""
    before = prepared.indicators.copy()
    need_only = pipeline.rank(prepared, RankingParams.from_preset("need_only"))
    pd.testing.assert_frame_equal(prepared.indicators, before)
    assert need_only.prepared is prepared and need_only.params.preset == "need_only"
    assert need_only.table[schema.BUURT_CODE].tolist() != result.table[schema.BUURT_CODE].tolist()
    # Ranking with the same weights again gives the same table.
    again = pipeline.rank(prepared, RankingParams.from_preset("rijke_schooldag"))
    pd.testing.assert_frame_equal(again.table, result.table)


def test_run_is_prepare_then_rank_on_the_default_dataset_with_the_default_preset(result) -> None:
    default = pipeline.run()
    pd.testing.assert_frame_equal(default.table, result.table)
    assert default.params == RankingParams.from_preset("rijke_schooldag")
    assert default.prepared.dataset.name == "Utrecht"
    other = pipeline.run(DEFAULT_DATA_DIR, RankingParams.from_preset("access_first"))
    assert other.params.preset == "access_first"


def test_output_columns_put_the_ranking_columns_first(result) -> None:
    table = result.table
    cols = pipeline.output_columns(table)
    assert cols[: len(schema.RANKING_COLUMNS)] == list(schema.RANKING_COLUMNS)
    assert len(cols) == len(set(cols))  # nothing twice
    assert "geometry" not in cols
    for dropped in (schema.WIJK_CODE, schema.MUNICIPALITY_CODE, schema.MUNICIPALITY_NAME):
        assert dropped not in cols
    # Everything else is exported.
    kept = set(table.columns) - {"geometry", schema.WIJK_CODE, schema.MUNICIPALITY_CODE, schema.MUNICIPALITY_NAME}
    assert set(cols) == kept
    # Robustness columns and the explanation follow the ranking columns when present.
    extra = table.assign(**{c: 1.0 for c in schema.ROBUSTNESS_COLUMNS}, explanation="…")
    cols = pipeline.output_columns(extra)
    n = len(schema.RANKING_COLUMNS)
    assert cols[n : n + len(schema.ROBUSTNESS_COLUMNS) + 1] == [*schema.ROBUSTNESS_COLUMNS, "explanation"]
