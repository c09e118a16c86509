"""The whole country on Dask (geo.batch): buffers across borders, determinism across workers, failures.

- Two adjacent synthetic municipalities on one street grid: with the buffer, every border figure equals a single
  run on their union; without it, it does not (the test can fail).
- 1-worker and 2-worker Dask runs write identical rows; a failing municipality is retried, reported, and the
  others are written.
"""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo import batch, schema
from geo.catalog import DOMAINS
from geo.cli import main
from geo.data import files
from geo.data.paths import NETWORKS_DIR
from geo.network.graph import Network
from tests.helpers import grid_network

X0, Y0 = 150_000.0, 450_000.0
SETTINGS = batch.BatchSettings()  # walking, child speed, 15 minutes = 1,000 m buffer


def _buurten(code: str, xs: list[float]) -> gpd.GeoDataFrame:
    rows = []
    for k, x in enumerate(xs):
        for j, y in enumerate((0.0, 1000.0)):
            rows.append({schema.BUURT_CODE: f"BU{code[2:]}{k}{j}00", schema.BUURT_NAME: f"{code} {k}{j}",
                         schema.MUNICIPALITY_CODE: code, schema.MUNICIPALITY_NAME: code,
                         "a_inw": 1000 + 100 * k + 10 * j, "a_00_14": 150 + 20 * k + 5 * j,
                         "geometry": shapely.box(X0 + x, Y0 + y, X0 + x + 1000, Y0 + y + 1000)})
    return gpd.GeoDataFrame(rows, crs=schema.WORK_CRS)


def _facilities(rows: list[tuple[str, str, float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {schema.FACILITY_ID: [r[0] for r in rows], schema.FACILITY_TYPE: [r[1] for r in rows],
         schema.FACILITY_NAME: [r[0] for r in rows], schema.FACILITY_CAPACITY: 100.0},
        geometry=[shapely.Point(X0 + r[2], Y0 + r[3]) for r in rows], crs=schema.WORK_CRS,
    )


#: A: x 0–2,000 m; B: x 2,000–4,000 m. A's border buurten (x 1,000–2,000) are nearer B's sports hall and school
#: than A's own; B's west buurten nearer A's library... which no one has: a domain without data stays unknown.
FAC_A = [("sport-a", "sport", 150.0, 520.0), ("duo-AA0000", "primary_school", 300.0, 1500.0),
         ("duo-AB0000", "primary_school", 1900.0, 950.0)]
FAC_B = [("sport-b", "sport", 2140.0, 730.0), ("duo-BA0000", "primary_school", 2200.0, 400.0),
         ("pool-b", "swimming_pool", 3800.0, 1900.0)]
GRID = grid_network((X0, Y0, X0 + 4000, Y0 + 2000), 100.0)


def _load(code: str, xs: list[float], fac: list, network: Network) -> batch.PartitionInput:
    ds = files.Dataset(buurten=_buurten(code, xs) if code != "GM9990" else pd.concat(
        [_buurten("GM9991", [0.0, 1000.0]), _buurten("GM9992", [2000.0, 3000.0])], ignore_index=True),
        facilities=_facilities(fac), meta={"name": code, "municipality_code": code}, directory="")
    return batch.PartitionInput(ds, network)


def _spec(code: str, xs: list[float], fac: list, network: Network = GRID) -> batch.PartitionSpec:
    return batch.PartitionSpec(code, code, partial(_load, code, xs, fac, network), "synthetic")


POOL = _facilities(FAC_A + FAC_B)
A = _spec("GM9991", [0.0, 1000.0], FAC_A)
B = _spec("GM9992", [2000.0, 3000.0], FAC_B)
UNION = _spec("GM9990", [], FAC_A + FAC_B)
COMPARED = ["dist_sport_m", "time_sport_min", "dist_primary_school_m", "dist_swimming_pool_m",
            "beyond_band_sport", "beyond_band_swimming_pool", "children_0_14"]


@pytest.fixture(scope="module")
def union() -> batch.PartitionResult:
    return batch.run_partition(UNION, SETTINGS, POOL)


def test_the_buffer_makes_border_results_equal_to_a_union_run(union) -> None:
    res = batch.run_batch([A, B], SETTINGS, pool=POOL, local=True, progress=None)
    assert not res.failures
    parts = res.buurten().set_index(schema.BUURT_CODE)
    whole = union.buurten.set_index(schema.BUURT_CODE).loc[parts.index]
    pd.testing.assert_frame_equal(parts[COMPARED], whole[COMPARED], check_dtype=False, atol=1e-9)
    # Schools: every figure of their reach from the school, whichever side of the border the provider is.
    cols = [c for c in res.schools().columns if c.startswith(tuple(DOMAINS))] + [schema.DOMAINS_MISSING]
    got = res.schools().set_index(schema.SCHOOL_CODE)[cols]
    want = union.schools.set_index(schema.SCHOOL_CODE).loc[got.index, cols]
    pd.testing.assert_frame_equal(got, want, check_dtype=False, atol=1e-9)
    # The border buurten of A are nearer B's sports hall than their own (censored at the 1,000 m band).
    border = parts.loc["BU99911000"]  # centre (1500, 500): 640 + 230 m to B's hall, 1,350 m to its own
    assert border["nearest_sport_id"] == "sport-b" and border["dist_sport_m"] == pytest.approx(870.0)


def test_without_the_buffer_the_border_differs(union) -> None:
    alone = batch.run_batch([A], SETTINGS, pool=None, local=True, progress=None).buurten().set_index(
        schema.BUURT_CODE)
    whole = union.buurten.set_index(schema.BUURT_CODE).loc[alone.index]
    assert (alone["dist_sport_m"] > whole["dist_sport_m"] + 1).any()


def test_distances_beyond_the_band_read_as_the_band(union) -> None:
    t = union.buurten.set_index(schema.BUURT_CODE)
    far = t["beyond_band_swimming_pool"]
    assert far.any() and (~far).any()
    assert (t.loc[far, "dist_swimming_pool_m"] == SETTINGS.buffer_m).all()
    assert (t.loc[~far, "dist_swimming_pool_m"] <= SETTINGS.buffer_m).all()


def test_the_network_is_clipped_to_the_buffer_plus_a_margin() -> None:
    res = batch.run_partition(A, SETTINGS, POOL)
    assert 0 < res.n_nodes < GRID.n_nodes


# --------------------------------------------------------------------------- on Dask


def _broken() -> batch.PartitionSpec:
    load = partial(batch.load_real, "GM0344", "/nonexistent/dataset", str(NETWORKS_DIR), "walk")
    return batch.PartitionSpec("GM0001", "Kapot", load, "dataset")


@pytest.fixture(scope="module")
def dask_runs() -> tuple[batch.BatchResult, batch.BatchResult]:
    pytest.importorskip("dask.distributed")
    specs = batch.plan_partitions("GM0503,GM0796,GM0637")  # Delft (network), 's-Hertogenbosch, Zoetermeer
    pool = batch.facility_pool()
    # Worker processes are spawned; in a full test run '__main__' may be a temporary script of another test
    # (Streamlit's AppTest) that a spawned process cannot run again, so the workers are told there is none.
    with pytest.MonkeyPatch.context() as mp:
        main_module = sys.modules["__main__"]
        mp.delattr(main_module, "__file__", raising=False)
        mp.setattr(main_module, "__spec__", None, raising=False)
        one = batch.run_batch([*specs, _broken()], SETTINGS, pool=pool, workers=1, progress=None)
        two = batch.run_batch([_broken(), *specs], SETTINGS, pool=pool, workers=2, progress=None)
    return one, two


def test_one_and_two_workers_give_identical_results(dask_runs) -> None:
    one, two = dask_runs
    assert (one.workers, two.workers) == (1, 2)
    assert [r.code for r in one.results] == [r.code for r in two.results] == ["GM0503", "GM0637", "GM0796"]
    pd.testing.assert_frame_equal(one.buurten(), two.buurten())
    pd.testing.assert_frame_equal(one.schools(), two.schools())
    assert one.buurten().geometry.equals(two.buurten().geometry)


def test_a_failing_municipality_is_reported_and_the_others_are_kept(dask_runs) -> None:
    for run in dask_runs:
        assert list(run.failures) == ["GM0001"] and "dataset.gpkg" in run.failures["GM0001"]
        assert len(run.results) == 3


def test_batch_writes_geoparquet_per_municipality_and_a_national_csv(dask_runs, tmp_path: Path) -> None:
    one, _ = dask_runs
    paths = batch.write_batch(one, tmp_path / "nl.parquet")
    assert sorted(p.name for p in paths["parquet"].iterdir()) == [
        "municipality_code=GM0503", "municipality_code=GM0637", "municipality_code=GM0796"]
    back = batch.read_batch(paths["parquet"])
    assert len(back) == len(one.buurten()) and back.crs == schema.WORK_CRS
    csv = pd.read_csv(paths["csv"])
    assert len(csv) == len(back) and set(csv[schema.MUNICIPALITY_CODE]) == {"GM0503", "GM0637", "GM0796"}
    schools_csv = pd.read_csv(paths["schools_csv"])
    assert set(schools_csv[schema.MUNICIPALITY_CODE]) == {"GM0503", "GM0637", "GM0796"}


def test_batch_cli_plain_loop_and_bad_arguments(capsys, tmp_path: Path) -> None:
    out = tmp_path / "nl.parquet"
    assert main(["batch", "--gemeenten", "GM0503", "--out", str(out), "--no-dask"]) == 0
    stdout = capsys.readouterr().out
    assert "[1/1] GM0503 Delft" in stdout and "network" in stdout
    d = batch.read_batch(out)["dist_primary_school_m"]
    assert (d.dropna() <= SETTINGS.buffer_m).all() and d.notna().mean() > 0.9  # a few buurt points off the network
    assert main(["batch", "--gemeenten", "Nergenshuizen", "--out", str(out), "--no-dask"]) == 2
    assert main(["batch", "--gemeenten", "GM0503", "--out", str(tmp_path / "no" / "x.parquet")]) == 2
    assert main(["batch", "--gemeenten", "GM0503", "--out", str(out), "--workers", "0"]) == 2
