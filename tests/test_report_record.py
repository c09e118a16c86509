"""The machine-readable method record (geo.report.record): sidecar, GeoPackage metadata, zip bytes."""

from __future__ import annotations

import io
import json
import zipfile

import pandas as pd
import pytest

from geo import schema
from geo.decide.pipeline import output_columns, rank, run
from geo.decide.ranking import RankingParams
from geo.report.record import (
    METHOD_FORMAT,
    access_measure_rows,
    data_sources,
    gpkg_metadata,
    method_json,
    method_record,
    municipality_name,
    preset_description,
    ranking_csv_bytes,
    ranking_zip_bytes,
)


@pytest.fixture(scope="module")
def result():
    return run()


def test_zip_bundles_csv_and_sidecar(result):
    data = ranking_zip_bytes(result, basename="r", app_version="v1")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert sorted(zf.namelist()) == ["r.csv", "r.method.json"]
        csv = pd.read_csv(io.BytesIO(zf.read("r.csv")))
        record = json.loads(zf.read("r.method.json"))
    assert len(csv) == 111
    assert record["weights"] == dict(result.params.weights)
    assert record["app_version"] == "v1"


def test_zip_is_the_same_for_the_same_ranking_and_time(result):
    from datetime import UTC, datetime

    when = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert ranking_zip_bytes(result, created=when) == ranking_zip_bytes(result, created=when)


def test_method_record_marks_adjusted_weights(result):
    params = RankingParams.from_preset("rijke_schooldag", {"dist_sport_m": 3.0})
    adjusted = rank(result.prepared, params)
    record = method_record(adjusted)
    assert record["weights"]["dist_sport_m"] == 3.0
    assert record["preset_label"] == "Rich school day (default) (adjusted)"
    assert preset_description(adjusted, "nl").endswith("(aangepast)")


def test_method_record_is_json_with_the_columns_and_policy_text(result):
    record = json.loads(method_json(result, app_version=None))
    assert record["format"] == METHOD_FORMAT
    assert record["columns"] == output_columns(result.table)
    assert record["method"]["missing_policy_text"].startswith("A missing value of a buurt")
    meta = gpkg_metadata(result, app_version=None)
    assert meta["app_version"] == "unknown" and json.loads(meta["method_json"])["format"] == METHOD_FORMAT


def test_csv_bytes_have_the_output_columns(result):
    csv = pd.read_csv(io.BytesIO(ranking_csv_bytes(result)), dtype={schema.BUURT_CODE: str})
    assert list(csv.columns) == output_columns(result.table)


def test_access_rows_sources_and_municipality(result):
    rows = {r["facility_type"]: r for r in access_measure_rows(result, "en")}
    assert rows["sport"]["approximation"] is True and rows["sport"]["label"] == "Sports facility"
    assert rows["library"]["measure"].startswith("CBS road distance")
    assert [s["title"] for s in data_sources(result)] == [s["title"] for s in result.prepared.dataset.meta["sources"]]
    assert municipality_name(result) == "Utrecht"
