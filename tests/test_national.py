"""geo/data/national.py: the national base layer in data/national (every municipality offline) ranks through the
same pipeline as a full dataset; buurten without a shape are kept, ranked and listed; files stay small and
reproducible."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal

from geo import schema
from geo.catalog import FACILITY_TYPES
from geo.data import files, national
from geo.data.build import DISADVANTAGE_COLUMNS, NABIJHEID_COLUMNS, read_kwb_table
from geo.data.national import (
    COUNTRY_CODE,
    NATIONAL_DIR,
    SHAPE_YEAR,
    build_national,
    find_dataset_dir,
    load_base_dataset,
    load_country,
    load_municipality,
    municipalities,
    name_sort_key,
    resolve_municipality,
)
from geo.data.paths import DATA_DIR
from geo.decide.pipeline import prepare, rank
from geo.decide.ranking import RankingParams
from geo.errors import ParameterError

NATIONAL_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "national"
KWB_2024 = NATIONAL_FIXTURES / "kwb2024_four_gemeenten.csv"
#: PROVENANCE of cbs_kwb_2024_bevolking_leeftijd_national: buurten per gemeente in kwb 2024.
N_BUURTEN = {"GM0344": 111, "GM0796": 108, "GM0855": 254, "GM0503": 91}


@pytest.fixture(scope="module")
def kwb_2024() -> pd.DataFrame:
    """The kwb 2024 buurt rows of the four municipalities, read from the StatLine extract (not from data/national)."""
    return read_kwb_table(KWB_2024).frame


@pytest.fixture(scope="module", params=["GM0796", "GM0855"])
def ranked(request: pytest.FixtureRequest):
    dataset = load_base_dataset(request.param)
    return dataset, rank(prepare(dataset), RankingParams.from_preset("rijke_schooldag"))


def test_municipalities_lists_all_342_sorted_by_name() -> None:
    m = municipalities()
    assert list(m.columns) == ["code", "name", "n_buurten", "n_with_shape"]
    assert len(m) == 342 and m["code"].is_unique and m["code"].str.fullmatch(r"GM\d{4}").all()
    by_code = m.set_index("code")
    assert by_code.loc["GM0855", "name"] == "Tilburg" and by_code.loc["GM0796", "name"] == "'s-Hertogenbosch"
    assert m["n_buurten"].sum() == 14_574  # PROVENANCE: 14,574 buurten
    assert m["n_with_shape"].sum() == 7_297 and (m["n_with_shape"] <= m["n_buurten"]).all()
    for code, n in N_BUURTEN.items():
        assert by_code.loc[code, "n_buurten"] == n
    assert by_code.loc["GM0855", "n_with_shape"] == 0  # Tilburg re-coded every buurt since 2014
    keys = [n.casefold().removeprefix("'s-") for n in m["name"]]
    assert keys == sorted(keys)


def test_base_ranking_children_are_the_kwb_2024_values(ranked, kwb_2024: pd.DataFrame) -> None:
    dataset, result = ranked
    code = dataset.meta["municipality_code"]
    expected = kwb_2024.loc[kwb_2024.index.str.startswith("BU" + code[2:]), "a_00_14"]
    assert len(dataset.buurten) == N_BUURTEN[code] == len(result.table)
    table = result.table.set_index(schema.BUURT_CODE)
    pd.testing.assert_series_equal(
        table[schema.CHILDREN_0_14].sort_index(), expected.sort_index(), check_names=False, check_index_type=False
    )
    populated = kwb_2024.loc[expected.index, "a_inw"] > 0
    assert (table.loc[populated[populated].index, schema.RANK].notna()).all()
    assert int(table[schema.RANK].notna().sum()) == int(populated.sum())
    unused = {u.key for u in result.ranking.unused}
    assert {"benefits_bijstand_per_1000", "woz_mean_keur", "dist_sport_m"} <= unused
    assert "children_0_14" not in unused and "share_children_0_14_pct" not in unused


def test_base_dataset_lists_the_buurten_without_shape(ranked) -> None:
    dataset, result = ranked
    b = dataset.buurten
    no_shape = b.geometry.isna()
    listed = [row["buurt_code"] for row in dataset.meta["without_shape"]]
    assert listed == sorted(b.index[no_shape]) and dataset.meta["n_with_shape"] == int((~no_shape).sum())
    assert b.loc[~no_shape, SHAPE_YEAR].eq(2014).all() and b.loc[no_shape, SHAPE_YEAR].isna().all()
    assert set(b.geometry.dropna().geom_type) <= {"Polygon", "MultiPolygon"} and b.crs.to_epsg() == 28992
    if dataset.meta["municipality_code"] == "GM0855":
        assert len(listed) == 254 and result.table.geometry.isna().all()
    else:
        assert len(listed) == 16 and "BU07960707" in listed  # De Lanen (new since 2014)
    assert any("no 2014 shape" in n for n in dataset.meta["build_notes"])


def test_base_dataset_meta_says_what_is_missing(ranked) -> None:
    dataset, _ = ranked
    meta = dataset.meta
    assert meta["kind"] == "base_layer" and meta["statistics_year"] == 2024 and meta["geometry_year"] == 2014
    missing = {m["id"] for m in meta["missing"]}
    assert {"income", "benefits", "woz", "housing", "nabijheid", "facility_points", "street_network"} <= missing
    assert all(m["nl"] and m["en"] for m in meta["missing"])
    # The base layer has no CBS distances: it lacks those CBS publishes, and only those (none to sport or playgrounds)
    nabijheid = next(m for m in meta["missing"] if m["id"] == "nabijheid")
    assert nabijheid["keys"] == [k for k in FACILITY_TYPES if k in set(NABIJHEID_COLUMNS.values())]
    assert "speeltuin" not in nabijheid["nl"] and "playground" not in nabijheid["en"]
    assert "sport" not in nabijheid["keys"]
    assert meta["indicator_years"] == {"children_0_14": 2024, "share_children_0_14_pct": 2024}
    assert {s["licence"] for s in meta["sources"]} >= {"CC BY 4.0", "CC0 1.0"}
    assert meta["notice"]["nl"] and meta["notice"]["en"]


def test_base_dataset_schools_are_pc4_points_with_achterstandsscore(ranked) -> None:
    dataset, result = ranked
    fac = dataset.facilities
    assert len(fac) > 30 and (fac[schema.FACILITY_TYPE] == "primary_school").all()
    assert (fac[schema.LOCATION_PRECISION] == "pc4_centroid").all() and set(fac.geom_type) == {"Point"}
    assert fac[schema.FACILITY_ID].is_unique and fac.crs.to_epsg() == 28992
    assert (fac[schema.FACILITY_CAPACITY].dropna() > 0).all()
    for col in DISADVANTAGE_COLUMNS:
        assert col in fac.columns
    scored = fac.dropna(subset=["disadvantage_score"])
    np.testing.assert_allclose(
        scored["disadvantage_score_per_pupil"], scored["disadvantage_score"] / scored["disadvantage_pupils"], atol=1e-4
    )
    measure = result.prepared.access.measures["primary_school"]
    assert measure.method == schema.STRAIGHT_LINE and "PC4" in measure.caveat_en


def test_base_dataset_accepts_code_forms_and_names() -> None:
    assert resolve_municipality("gm0855") == ("GM0855", "Tilburg")
    assert resolve_municipality("855") == resolve_municipality("Tilburg") == ("GM0855", "Tilburg")
    assert load_base_dataset("'s-hertogenbosch").meta["municipality_code"] == "GM0796"


@pytest.mark.parametrize(("text", "suggested"), [("Tilbrug", "Tilburg (GM0855)"), ("GM9999", "GM19")])
def test_unknown_municipality_is_a_parameter_error_with_suggestions(text: str, suggested: str) -> None:
    with pytest.raises(ParameterError) as info:
        load_base_dataset(text)
    message = str(info.value)
    assert f"Unknown municipality '{text}'" in message and "closest:" in message and suggested in message
    assert "\n" not in message


def test_fuller_dataset_is_found_by_municipality_code(tmp_path: Path) -> None:
    assert find_dataset_dir("GM0344") == NATIONAL_DIR.parent / "utrecht"
    assert find_dataset_dir("GM0796") is None
    assert load_municipality("GM0796").meta["kind"] == "base_layer"
    assert load_municipality("Utrecht").meta.get("kind") is None
    # A folder named otherwise is still found by the code in its dataset.json.
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / files.DATASET_META).write_text(json.dumps({"municipality_code": "GM0796"}), encoding="utf-8")
    (folder / files.DATASET_FILE).write_bytes(b"")
    assert find_dataset_dir("GM0796", tmp_path) == folder
    assert find_dataset_dir("GM0796", tmp_path / "absent") is None


@pytest.fixture(scope="module")
def country() -> files.Dataset:
    return load_country(DATA_DIR)  # the base layer with data/utrecht and data/delft in place of their rows


def test_the_country_takes_each_full_dataset_instead_of_its_base_rows(country: files.Dataset) -> None:
    b = country.buurten
    assert b.index.is_unique and b.crs.to_epsg() == 28992 and b[schema.MUNICIPALITY_CODE].nunique() == 342
    base = load_base_dataset("NL01").buurten
    for folder, code in (("utrecht", "GM0344"), ("delft", "GM0503")):
        full = files.load_dataset(DATA_DIR / folder)
        mine = set(b.index[b[schema.MUNICIPALITY_CODE] == code])
        # The dataset's own buurten, plus the base layer's buurten it lacks (Delft: 18 without a polygon).
        assert set(full.buurten.index) <= mine
        assert mine - set(full.buurten.index) == set(base.index[base[schema.MUNICIPALITY_CODE] == code]) - set(
            full.buurten.index)
        assert (b.loc[list(full.buurten.index), schema.BUURT_NAME] == full.buurten[schema.BUURT_NAME]).all()
    assert len(b) == 14_574


def test_the_country_has_each_school_once_indexed_by_id(country: files.Dataset) -> None:
    f = country.facilities
    assert f.index.is_unique and (f.index == f[schema.FACILITY_ID]).all()
    # Utrecht's own schools (from its dataset), not the base layer's PC4 copies of them as well.
    utrecht = files.load_dataset(DATA_DIR / "utrecht").facilities
    schools = utrecht[utrecht[schema.FACILITY_TYPE] == "primary_school"]
    assert f.loc[schools.index, schema.LOCATION_PRECISION].tolist() == schools[schema.LOCATION_PRECISION].tolist()
    # Every buurt's nearest school is one of them (the app's detail panel looks it up by id).
    result = rank(prepare(country), RankingParams.from_preset("rijke_schooldag"))
    nearest = result.table[schema.nearest_col("primary_school")].dropna()
    assert len(nearest) == country.meta["n_with_shape"] and nearest.isin(f.index).all()  # (a buurt without a shape
    # has no point to measure from)


def test_the_country_says_what_it_holds(country: files.Dataset) -> None:
    meta = country.meta
    assert meta["kind"] == "base_layer" and meta["municipality_code"] == COUNTRY_CODE
    assert meta["full_datasets"] == ["GM0344 Utrecht", "GM0503 Delft"]
    has_shape = country.buurten.geometry.notna() & ~country.buurten.geometry.is_empty
    assert meta["n_buurten"] == len(country.buurten) and meta["n_with_shape"] == int(has_shape.sum())
    assert {w["buurt_code"] for w in meta["without_shape"]} == set(country.buurten.index[~has_shape])
    nl, en = meta["notice"]["nl"], meta["notice"]["en"]
    n, n_shape = f"{len(country.buurten):,}", f"{int(has_shape.sum()):,}"
    assert f"{n.replace(',', '.')} buurten van 342 gemeenten" in nl and f"{n} buurten of 342 municipalities" in en
    assert "alleen inwoners en leeftijd" in nl and "inhabitants and age only" in en
    assert "volledige datasets gebruikt voor Utrecht, Delft" in nl and "full datasets used for Utrecht, Delft" in en
    assert f"{n_shape.replace(',', '.')} van de" in nl and "(about 50%)" in en and "ranked, but not drawn" in en
    assert "no full datasets" in load_country(None).meta["notice"]["en"]


def test_names_sort_as_in_a_dutch_list() -> None:
    names = ["Zwolle", "'s-Hertogenbosch", "Amsterdam", "'s-Gravenhage", "Hilversum", "almere"]
    assert sorted(names, key=name_sort_key) == [
        "almere", "Amsterdam", "'s-Gravenhage", "'s-Hertogenbosch", "Hilversum", "Zwolle"]


def test_national_files_are_small_and_documented() -> None:
    names = ["buurten_kwb_2024.parquet", "buurt_shapes_2014.parquet", "schools_duo_2025.parquet", "gemeenten_2024.csv"]
    total = sum((NATIONAL_DIR / n).stat().st_size for n in names)
    assert total < 8_000_000, f"{total:,} bytes"
    shapes = gpd.read_parquet(NATIONAL_DIR / "buurt_shapes_2014.parquet")
    assert shapes.crs.to_epsg() == 28992 and shapes.is_valid.all() and shapes["buurt_code"].is_unique
    assert shapes.area.min() > 1_000
    text = (NATIONAL_DIR / "SOURCES.md").read_text(encoding="utf-8")
    for part in ("CC BY 4.0", "CC0 1.0", "Bron: CBS", "85984NED", "2014", "achterstandsscore", "build-national"):
        assert part in text
    manifest = json.loads((NATIONAL_DIR / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["buurten"] == 14_574 and manifest["counts"]["municipalities"] == 342
    for name in names:
        assert manifest["files"][name]["bytes"] == (NATIONAL_DIR / name).stat().st_size


def test_build_national_reproduces_the_committed_files(full_shared_data: Path, tmp_path: Path) -> None:
    manifest = build_national(full_shared_data, tmp_path)
    assert manifest == json.loads((NATIONAL_DIR / "manifest.json").read_text(encoding="utf-8"))
    for name in ("buurten_kwb_2024.parquet", "schools_duo_2025.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / name), pd.read_parquet(NATIONAL_DIR / name))
    shapes = "buurt_shapes_2014.parquet"
    assert_geodataframe_equal(
        gpd.read_parquet(tmp_path / shapes), gpd.read_parquet(NATIONAL_DIR / shapes), check_crs=True
    )
    assert (tmp_path / "gemeenten_2024.csv").read_bytes() == (NATIONAL_DIR / "gemeenten_2024.csv").read_bytes()


def test_national_fixtures_are_what_the_maker_cuts(full_shared_data: Path, tmp_path: Path) -> None:
    maker_path = NATIONAL_FIXTURES / "make_national_fixtures.py"
    spec = importlib.util.spec_from_file_location("make_national_fixtures", maker_path)
    maker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(maker)
    for path in maker.make_all(full_shared_data, tmp_path):
        old = NATIONAL_FIXTURES / path.name
        if path.suffix == ".parquet":
            assert_geodataframe_equal(gpd.read_parquet(path), gpd.read_parquet(old))
        else:
            assert path.read_bytes() == old.read_bytes(), path.name
    on_disk = {p.name for p in NATIONAL_FIXTURES.iterdir() if p.is_file() and p.suffix in {".csv", ".parquet"}}
    assert on_disk == set(maker.FIXTURES)


def test_the_country_holds_every_buurt_with_full_datasets_for_their_municipalities() -> None:
    from geo.data.paths import DATA_DIR

    country = national.load_country(DATA_DIR)
    b = country.buurten
    assert len(b) == 14_574 and b.index.is_unique and b[schema.MUNICIPALITY_CODE].nunique() == 342
    utrecht = b[b[schema.MUNICIPALITY_CODE] == "GM0344"]
    assert utrecht["a_soz_wb"].notna().any()  # benefits come from the full Utrecht dataset, not the base layer
    assert (b[schema.MUNICIPALITY_CODE] == "GM0503").sum() == 91  # Delft's 18 buurten without a polygon stay
    assert country.meta["full_datasets"] == ["GM0344 Utrecht", "GM0503 Delft"]
    assert len(national.load_country(None).buurten) == 14_574
