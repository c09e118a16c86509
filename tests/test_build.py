"""geo/data/build.py: the default Utrecht dataset is built from the shared open data (the in-repo copy in
tests/fixtures/shared), and the committed data/utrecht is exactly what the build gives (so the embedded
default is reproducible)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal

from geo import schema
from geo.data import build, files
from geo.data.build import build_default
from geo.data.networks import find_network
from geo.data.paths import DEFAULT_DATA_DIR, NETWORKS_DIR
from geo.decide.access import NetworkEngine
from geo.decide.pipeline import prepare
from geo.errors import DataFileError, MissingColumnError, ParameterError
from geo.network.graph import Network
from geo.units import default_speed_kmh


@pytest.fixture(scope="module")
def built(data_root: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    out = tmp_path_factory.mktemp("utrecht")
    meta = build_default(data_root, out)
    return meta, out


def read_layers(folder: Path) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    gpkg = folder / "dataset.gpkg"
    return gpd.read_file(gpkg, layer="buurten"), gpd.read_file(gpkg, layer="facilities")


def test_buurten(built: tuple[dict, Path]) -> None:
    meta, out = built
    buurten, _ = read_layers(out)
    assert meta["n_buurten"] == 111 == len(buurten)
    assert buurten.crs.to_epsg() == 28992
    assert buurten["buurt_code"].is_unique and buurten["buurt_code"].str.fullmatch(r"BU0344\d{4}").all()
    assert buurten["wijk_code"].str.fullmatch(r"WK0344\d{2}").all() and buurten["wijk_code"].nunique() == 10
    assert (buurten["municipality_code"] == "GM0344").all()
    assert buurten.is_valid.all() and set(buurten.geom_type) <= {"Polygon", "MultiPolygon"}
    row = buurten.set_index("buurt_code").loc["BU03440111"]  # PROVENANCE: a_inw 1810, a_00_14 200, WOZ 430
    assert (row["buurt_name"], row["a_inw"], row["a_00_14"], row["g_wozbag"]) == (
        "Welgelegen, Den Hommel",
        1810,
        200,
        430,
    )
    assert buurten["a_inw"].sum() == 367_715  # PROVENANCE: sum over the 111 buurten


def test_facilities(built: tuple[dict, Path]) -> None:
    meta, out = built
    _, fac = read_layers(out)
    counts = {"primary_school": 98, "sport": 257, "swimming_pool": 9}
    assert meta["n_facilities"] == counts
    assert fac["facility_type"].value_counts().to_dict() == counts
    assert fac.crs.to_epsg() == 28992 and set(fac.geom_type) == {"Point"} and fac["facility_id"].is_unique
    schools = fac[fac["facility_type"] == "primary_school"]
    assert schools["capacity"].notna().all() and (schools["capacity"] > 0).all()  # pupils joined for all 98
    assert schools["location_precision"].value_counts().to_dict() == {"pc4_centroid": 58, "address": 23, "pc6": 17}
    assert (fac.loc[fac["facility_type"] != "primary_school", "location_precision"] == "source").all()


def test_bad_mulier_coordinate_is_dropped_and_reported(built: tuple[dict, Path]) -> None:
    meta, out = built
    _, fac = read_layers(out)
    assert "mulier-21770" not in set(fac["facility_id"]) and "De Wilg" not in set(fac["name"])
    notes = [n for n in meta["build_notes"] if "De Wilg" in n]
    assert len(notes) == 1 and "mulier-21770" in notes[0] and "outside the municipality" in notes[0]


def test_committed_default_is_reproducible(built: tuple[dict, Path]) -> None:
    meta, out = built
    committed_meta = json.loads((DEFAULT_DATA_DIR / "dataset.json").read_text(encoding="utf-8"))
    assert meta == committed_meta
    new_b, new_f = read_layers(out)
    old_b, old_f = read_layers(DEFAULT_DATA_DIR)
    # Key columns first, so that a failure says which part changed.
    assert new_b["buurt_code"].tolist() == old_b["buurt_code"].tolist()
    for col in ("buurt_name", "wijk_code", "a_inw", "a_00_14", "a_soz_wb", "cbs_dist_library_m"):
        pd.testing.assert_series_equal(new_b[col], old_b[col], check_names=True)
    assert new_f["facility_id"].tolist() == old_f["facility_id"].tolist()
    for col in ("facility_type", "name", "capacity", "location_precision"):
        pd.testing.assert_series_equal(new_f[col], old_f[col])
    # Then everything, geometry and CRS included.
    assert_geodataframe_equal(new_b, old_b, check_crs=True)
    assert_geodataframe_equal(new_f, old_f, check_crs=True)


def test_built_folder_loads_as_a_dataset(built: tuple[dict, Path]) -> None:
    _, out = built
    d = files.load_dataset(out)
    assert d.name == "Utrecht" and len(d.buurten) == 111 and len(d.facilities) == 364


# --------------------------------------------------------------------------- national-format files (geo build)

NATIONAL_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "national"
MULIER = "mulier-instituut_sportaccomodaties_Utrecht.csv"
DELFT_DIR = DEFAULT_DATA_DIR.parent / "delft"


def _national_utrecht_inputs(data_root: Path, tmp: Path, *, kwb: tuple[build.KwbFile, ...] | None = None
                             ) -> build.BuildInputs:
    """Utrecht's inputs as a planner downloads them nationally: one buurten file, one DUO address and one pupils file
    for the whole country (here: Utrecht plus Delft, the other municipality the build must leave out)."""
    u = gpd.read_file(data_root / "utrecht_buurten_gemeente_2013" / "buurt.geojson")
    d = gpd.read_parquet(NATIONAL_FIXTURES / "buurten2014_delft.parquet").set_crs("EPSG:4326")
    buurten = pd.concat(
        [
            gpd.GeoDataFrame({"buurtcode": "BU0344" + u["KODE"], "buurtnaam": u["NAAM"]}, geometry=u.geometry),
            gpd.GeoDataFrame({"buurtcode": d["statcode"], "buurtnaam": d["statnaam"]}, geometry=d.geometry),
        ],
        ignore_index=True,
    ).set_crs("EPSG:4326")
    buurten.to_file(tmp / "wijkenbuurten_2013.gpkg", layer="buurten", driver="GPKG")
    duo = data_root / "duo_basisonderwijs"
    addresses = pd.read_csv(duo / "utrecht_schoolvestigingen_basisonderwijs.csv", dtype=str, keep_default_na=False)
    delft = pd.read_csv(NATIONAL_FIXTURES / "duo_schools_pc4_delft.csv", dtype=str, keep_default_na=False)
    delft = delft.loc[~delft["VESTIGINGSCODE"].isin(addresses["VESTIGINGSCODE"])]
    pd.concat([addresses, delft.reindex(columns=addresses.columns)], ignore_index=True).fillna("").to_csv(
        tmp / "02-alle-vestigingen-basisonderwijs.csv", index=False, sep=";"
    )
    pupils = pd.read_csv(duo / "utrecht_leerlingen_per_vestiging_1996_2025.csv", dtype=str, keep_default_na=False)
    more = pd.read_csv(NATIONAL_FIXTURES / "duo_pupils_delft.csv", sep=";", dtype=str, keep_default_na=False,
                       encoding="utf-8-sig")
    more = more.loc[~more["VESTIGINGSCODE"].isin(pupils["VESTIGINGSCODE"])]
    pd.concat([pupils, more[pupils.columns]], ignore_index=True).to_csv(tmp / "06-leerlingen.csv", index=False)
    kwb_dir = data_root / "utrecht_cbs_kwb_2023_2024"
    return build.BuildInputs(
        municipality_code="GM0344",
        kwb=kwb or (build.KwbFile(kwb_dir / "CBS-Utrecht-kwb-2023.xlsx", 2023),),
        buurten=build.BuurtenFile(tmp / "wijkenbuurten_2013.gpkg", year=2013),
        nabijheid=kwb_dir / "CBS-Utrecht_Nabijheid_voorzieningen_buurt_2023.csv",
        facilities=(build.FacilityFile(data_root / "utrecht_sport_mulier" / MULIER),),
        schools=build.SchoolFiles(
            tmp / "02-alle-vestigingen-basisonderwijs.csv", pupils=tmp / "06-leerlingen.csv",
            points=data_root / "duo_basisonderwijs_geocoded" / "utrecht_basisscholen_geocoded.gpkg",
        ),
        area=data_root / "utrecht_buurten_gemeente_2013" / "gemeente.geojson",
    )


def test_national_format_files_reproduce_the_default(data_root: Path, tmp_path: Path) -> None:
    meta = build.build_dataset(_national_utrecht_inputs(data_root, tmp_path), tmp_path / "out")
    committed = json.loads((DEFAULT_DATA_DIR / "dataset.json").read_text(encoding="utf-8"))
    new_b, new_f = read_layers(tmp_path / "out")
    old_b, old_f = read_layers(DEFAULT_DATA_DIR)
    assert_geodataframe_equal(new_b, old_b, check_crs=True)
    assert_geodataframe_equal(new_f, old_f, check_crs=True)
    for key in ("name", "municipality_code", "statistics_year", "geometry_year", "n_buurten", "n_facilities",
                "access_sources", "missing_per_column", "variable_years", "indicator_years", "without_shape",
                "missing"):
        assert meta[key] == committed[key], key
    notes = " | ".join(meta["build_notes"])
    assert "kept the 111 of 184 buurt polygons that belong to GM0344" in notes
    assert "kept the 98 of 123 school branches of GM0344" in notes
    assert "De Wilg" in notes  # the same bad Mulier coordinate is dropped and reported
    assert {s["id"] for s in meta["sources"]} >= {"cbs_kwb_2023", "cbs_nabijheid", "buurten", "mulier_sport", "duo_bo"}


def test_two_kwb_files_take_the_newest_year_per_indicator(data_root: Path, tmp_path: Path) -> None:
    kwb = (
        build.KwbFile(data_root / "utrecht_cbs_kwb_2023_2024" / "CBS-Utrecht-kwb-2023.xlsx", 2023),
        build.parse_kwb_argument(str(NATIONAL_FIXTURES / "kwb2024_four_gemeenten.csv")),
    )
    assert kwb[1].year == 2024
    meta = build.build_dataset(_national_utrecht_inputs(data_root, tmp_path, kwb=kwb), tmp_path / "out")
    years = meta["indicator_years"]
    # kwb 2024 (StatLine, population only) gives inhabitants and age; everything else comes from 2023.
    assert years["children_0_14"] == years["share_children_0_14_pct"] == 2024
    assert years["woz_mean_keur"] == years["share_social_rent_pct"] == 2023
    assert years["benefits_bijstand_per_1000"] == 2023  # a_soz_wb of 2023 over a_inw of 2024: the older year
    assert "income_per_inhabitant_keur" not in years  # empty in both releases
    assert meta["variable_years"]["a_inw"] == meta["variable_years"]["a_00_14"] == 2024
    assert meta["variable_years"]["a_soz_wb"] == 2023 and meta["statistics_year"] == 2024
    buurten = files.load_dataset(tmp_path / "out").buurten
    kwb_2024 = build.read_kwb_table(NATIONAL_FIXTURES / "kwb2024_four_gemeenten.csv").frame
    pd.testing.assert_series_equal(
        buurten["a_00_14"].sort_index(), kwb_2024.loc[buurten.index, "a_00_14"].sort_index(), check_names=False
    )
    n_2023 = sum(1 for y in meta["variable_years"].values() if y == 2023)
    assert f"kwb 2023 used for {n_2023} variables without values in kwb 2024 (" in " | ".join(meta["build_notes"])
    assert {"cbs_kwb_2023", "cbs_kwb_2024"} <= {s["id"] for s in meta["sources"]}


def test_kwb_argument_and_slug() -> None:
    assert build.parse_kwb_argument("2022=data/kwb.xlsx") == build.KwbFile(Path("data/kwb.xlsx"), 2022)
    assert build.parse_kwb_argument("kwb-2023.xlsx").year == 2023
    for bad in ("kwb.xlsx", "kwb-2022-2023.xlsx"):
        with pytest.raises(ParameterError, match="--kwb"):
            build.parse_kwb_argument(bad)
    assert build.slug("'s-Hertogenbosch") == "s_hertogenbosch" and build.slug("Súdwest-Fryslân") == "sudwest_fryslan"
    assert build.slug("Delft") == "delft" and build.slug("Aa en Hunze") == "aa_en_hunze"


def test_build_stops_on_inputs_it_cannot_use(data_root: Path, tmp_path: Path) -> None:
    inputs = _national_utrecht_inputs(data_root, tmp_path)
    with pytest.raises(ParameterError, match="GM0344"):
        build.build_dataset(dataclasses.replace(inputs, municipality_code="0344"), tmp_path / "x")
    with pytest.raises(DataFileError, match="expected buurten of GM0999"):
        build.build_dataset(dataclasses.replace(inputs, municipality_code="GM0999"), tmp_path / "x")
    with pytest.raises(DataFileError, match="File not found"):
        build.build_dataset(dataclasses.replace(inputs, nabijheid=tmp_path / "absent.csv"), tmp_path / "x")
    with pytest.raises(ParameterError, match="at least one facility"):
        build.build_dataset(dataclasses.replace(inputs, facilities=(), schools=None), tmp_path / "x")
    population_only = (build.KwbFile(NATIONAL_FIXTURES / "kwb2024_four_gemeenten.csv", 2024),)
    no_children = tmp_path / "kwb-2024.csv"
    text = (NATIONAL_FIXTURES / "kwb2024_four_gemeenten.csv").read_text(encoding="utf-8-sig")
    no_children.write_text(text.replace("0 tot 15 jaar", "nul tot vijftien"), encoding="utf-8")
    with pytest.raises(MissingColumnError, match="a_00_14"):
        build.build_dataset(dataclasses.replace(inputs, kwb=(build.KwbFile(no_children, 2024),)), tmp_path / "x")
    assert not (tmp_path / "x").exists()
    assert population_only[0].year == 2024


def _delft_inputs() -> build.BuildInputs:
    """The inputs of data/delft (see data/delft/SOURCES.md), from the small national extracts in the fixtures."""
    return build.BuildInputs(
        municipality_code="GM0503",
        kwb=(build.KwbFile(NATIONAL_FIXTURES / "kwb2024_four_gemeenten.csv", 2024),),
        buurten=build.BuurtenFile(NATIONAL_FIXTURES / "buurten2014_delft.parquet", crs="EPSG:4326", year=2014),
        schools=build.SchoolFiles(
            NATIONAL_FIXTURES / "duo_schools_pc4_delft.csv", pupils=NATIONAL_FIXTURES / "duo_pupils_delft.csv",
            scores=NATIONAL_FIXTURES / "achterstandsscores_delft.csv",
        ),
    )


def test_delft_dataset_is_reproducible_from_national_files(tmp_path: Path) -> None:
    meta = build.build_dataset(_delft_inputs(), tmp_path / "delft")
    committed = json.loads((DELFT_DIR / "dataset.json").read_text(encoding="utf-8"))
    new_b, new_f = read_layers(tmp_path / "delft")
    old_b, old_f = read_layers(DELFT_DIR)
    assert_geodataframe_equal(new_b, old_b, check_crs=True)
    assert_geodataframe_equal(new_f, old_f, check_crs=True)
    for key in ("name", "municipality_code", "n_buurten", "n_facilities", "indicator_years", "without_shape"):
        assert meta[key] == committed[key], key
    assert [m for m in committed["missing"] if m["id"] != "street_network"] == [
        m for m in meta["missing"] if m["id"] != "street_network"
    ]
    # PROVENANCE (kwb 2024): 91 Delft buurten; 73 have a usable 2014 polygon, 18 are listed without one.
    assert meta["n_buurten"] == 73 and len(meta["without_shape"]) == 18
    assert {b["buurt_code"] for b in meta["without_shape"]} >= {"BU05032810", "BU05031103"}  # Schoemakerplantage …
    assert meta["indicator_years"] == {"children_0_14": 2024, "share_children_0_14_pct": 2024}
    assert meta["n_facilities"] == {"primary_school": 25}
    schools = new_f.set_index("facility_id")
    assert schools["disadvantage_score"].notna().sum() == 24 and (schools["location_precision"] == "pc4_centroid").all()


def test_delft_networks_are_found_used_and_labelled_approximate() -> None:
    dataset = files.load_dataset(DELFT_DIR)
    approx = dataset.meta["approximation"]
    assert "approximations" in approx["en"] and "benaderingen" in approx["nl"] and "car roads" in approx["en"]
    assert dataset.meta["network_name"] == "delft" and dataset.meta["network"]["source"] == "Delft.graphml"
    for mode in ("walk", "bike"):
        path = find_network(dataset, mode)  # what the app's ui/state.network_path calls
        assert path == NETWORKS_DIR / f"delft_{mode}.npz"
        network = Network.load(path)
        assert network.mode == mode and network.meta["approximation"] == approx
        assert network.meta["source"] == "Delft.graphml" and "OpenStreetMap" in network.meta["licence"]
        assert int(network.largest_component().sum()) > 0.95 * network.n_nodes
        assert "footway" not in network.meta["highways"] and "residential" in network.meta["highways"]
        prepared = prepare(dataset, engine=NetworkEngine(network, speed_kmh=default_speed_kmh(mode)))
        measure = prepared.access.measures["primary_school"]
        assert measure.method == schema.NETWORK and measure.mode == mode
        assert prepared.indicators[schema.time_col("primary_school")].notna().sum() >= 70
    walk, bike = (Network.load(NETWORKS_DIR / f"delft_{m}.npz") for m in ("walk", "bike"))
    assert walk.n_edges > bike.n_edges  # walking ignores one-way streets, cycling keeps them


def test_delft_networks_are_what_the_build_writes(data_root: Path, tmp_path: Path) -> None:
    written = build.build_networks(
        data_root / "osm_delft_gemeente_drive_graphml_2020" / "Delft.graphml", name="delft", out_dir=tmp_path
    )
    assert written == json.loads((DELFT_DIR / "dataset.json").read_text(encoding="utf-8"))["network"]
    for mode in ("walk", "bike"):
        new, old = Network.load(tmp_path / f"delft_{mode}.npz"), Network.load(NETWORKS_DIR / f"delft_{mode}.npz")
        for arr in ("x", "y", "indptr", "indices", "length_m", "node_id"):
            np.testing.assert_array_equal(getattr(new, arr), getattr(old, arr))
