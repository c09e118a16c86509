"""The command line (geo/cli.py): exit codes, one-line errors, and the ranking files it writes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

from geo.cli import main

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
RANKING_COLUMNS = ["buurt_code", "buurt_name", "children_0_14", "need_index", "access_gap", "priority_score", "rank"]
#: Good fixtures and the options they need: (file, extra arguments, kind the check reports).
GOOD = [
    ("buurten_rd.gpkg", [], "buurten"),
    ("buurten_wgs84.geojson", [], "buurten"),
    ("buurten_bowtie.gpkg", [], "buurten"),
    ("kwb2023_sample.xlsx", [], "cbs"),
    ("nabijheid2023_sample.csv", [], "cbs"),
    ("sport_mulier_rd.csv", ["--facility-type", "sport"], "facilities"),
    ("sport_mulier_missing_xy.csv", ["--facility-type", "sport"], "facilities"),
    ("schools_lonlat.csv", [], "facilities"),
    ("schools_points.geojson", [], "facilities"),
    # A mixed point/polygon layer has no single geometry type to guess the kind from.
    ("sport_polygon_mixed.geojson", ["--kind", "facilities"], "facilities"),
]
#: Bad fixtures that need an option to be read as what they pretend to be.
BAD_OPTIONS = {"buurten_points.gpkg": ["--kind", "buurten"]}
BAD = sorted(p.name for p in (FIXTURES / "bad").iterdir() if p.is_file())


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(err: str, *parts: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    for part in parts:
        assert part in lines[0], (part, lines[0])


# --------------------------------------------------------------------------- check


@pytest.mark.parametrize(("name", "extra", "kind"), GOOD, ids=[g[0] for g in GOOD])
def test_check_good_fixture_exits_0(capsys: pytest.CaptureFixture[str], name: str, extra: list[str], kind: str) -> None:
    code, out, err = run(capsys, "check", str(FIXTURES / "good" / name), *extra)
    assert (code, err) == (0, "")
    assert out.startswith(f"OK ({kind}): {name}:"), out


def test_every_good_fixture_is_checked() -> None:
    assert {g[0] for g in GOOD} == {p.name for p in (FIXTURES / "good").iterdir()}


@pytest.mark.parametrize("name", BAD)
def test_check_bad_fixture_exits_2_with_one_line(capsys: pytest.CaptureFixture[str], name: str) -> None:
    code, out, err = run(capsys, "check", str(FIXTURES / "bad" / name), *BAD_OPTIONS.get(name, []))
    assert code == 2 and out == ""
    assert_one_line_error(err, name)  # the message names the file


def test_check_points_as_buurten_names_the_geometry(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "check", str(FIXTURES / "bad" / "buurten_points.gpkg"), "--kind", "buurten")
    assert code == 2
    assert_one_line_error(err, "expected buurt polygons, found Point")


def test_check_missing_file_and_unknown_type(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "check", str(tmp_path / "nothere.csv"))
    assert code == 2
    assert_one_line_error(err, "expected a file at", "found nothing there")
    (tmp_path / "notes.txt.bak").write_text("x")
    code, _, err = run(capsys, "check", str(tmp_path / "notes.txt.bak"))
    assert code == 2
    assert_one_line_error(err, "unknown file type '.bak'", "expected .gpkg, .geojson, .csv or .xlsx")


def test_check_bad_file_in_a_real_process() -> None:
    bad = FIXTURES / "bad" / "buurten_no_crs.gpkg"
    proc = subprocess.run(
        [sys.executable, "-m", "geo", "check", str(bad)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert_one_line_error(proc.stderr, "buurten_no_crs.gpkg", "no coordinate reference system")


# --------------------------------------------------------------------------- rank


@pytest.fixture(scope="module")
def default_ranking(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("rank") / "default.csv"
    assert main(["rank", "--out", str(out)]) == 0
    return pd.read_csv(out, dtype={"buurt_code": str})


def test_rank_csv_has_all_buurten_and_the_ranking_columns(default_ranking: pd.DataFrame) -> None:
    t = default_ranking
    assert list(t.columns[: len(RANKING_COLUMNS)]) == RANKING_COLUMNS
    assert len(t) == 111 and t["buurt_code"].is_unique
    assert t["buurt_code"].str.fullmatch(r"BU0344\d{4}").all()
    ranked = t[t["rank"].notna()]
    assert len(ranked) == 110
    assert ranked["rank"].min() == 1 and ranked["rank"].max() <= 110
    assert (ranked["rank"] == ranked["rank"].round()).all()
    assert ranked["rank"].is_monotonic_increasing  # the file is sorted by rank
    assert ranked["priority_score"].is_monotonic_decreasing
    unranked = t[t["rank"].isna()]
    assert unranked["buurt_code"].tolist() == ["BU03440952"]  # Bedrijvengebied Strijkviertel, 0 inhabitants
    assert unranked["status"].tolist() == ["no_inhabitants"] and unranked["inhabitants"].tolist() == [0]


def test_rank_prints_a_summary(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, "rank", "--out", str(tmp_path / "x.csv"))
    assert (code, err) == (0, "")
    assert "110 buurten ranked, 1 without inhabitants" in out


def test_rank_gpkg_is_rd_with_the_same_rows(default_ranking: pd.DataFrame, tmp_path: Path) -> None:
    out = tmp_path / "ranking.gpkg"
    assert main(["rank", "--out", str(out)]) == 0
    assert [name for name, _ in pyogrio.list_layers(out)] == ["ranking"]
    g = gpd.read_file(out, layer="ranking")
    assert g.crs.to_epsg() == 28992
    assert set(g.geom_type) <= {"Polygon", "MultiPolygon"} and g.is_valid.all()
    assert list(g.columns[: len(RANKING_COLUMNS)]) == RANKING_COLUMNS
    pd.testing.assert_frame_equal(
        pd.DataFrame(g[RANKING_COLUMNS]), default_ranking[RANKING_COLUMNS], check_dtype=False, check_exact=False
    )
    meta = pyogrio.read_info(out, layer="ranking")["layer_metadata"]
    assert meta["preset"] and "dist_sport_m=" in meta["weights"]


def test_weight_on_sport_distance_moves_the_farthest_buurt_up(default_ranking: pd.DataFrame, tmp_path: Path) -> None:
    ranked = default_ranking[default_ranking["rank"].notna()].set_index("buurt_code")
    farthest = ranked["dist_sport_m"].idxmax()
    out = tmp_path / "sport.csv"
    assert main(["rank", "--out", str(out), "--weight", "dist_sport_m=10"]) == 0
    weighted = pd.read_csv(out, dtype={"buurt_code": str}).set_index("buurt_code")
    before, after = ranked.loc[farthest, "rank"], weighted.loc[farthest, "rank"]
    assert after <= before and (before > 1 or after == 1), (farthest, before, after)
    assert not weighted["rank"].reindex(ranked.index).equals(ranked["rank"])  # the weight did something


@pytest.mark.parametrize(
    ("weight", "parts"),
    [
        ("foo=1", ["unknown indicator 'foo'", "expected one of: children_0_14"]),
        ("dist_sport_m=abc", ["--weight dist_sport_m: expected a number, found 'abc'"]),
        ("dist_sport_m=-1", ["'dist_sport_m' must be a finite number ≥ 0, found -1.0"]),
        ("dist_sport_m=nan", ["'dist_sport_m' must be a finite number ≥ 0, found nan"]),
        ("dist_sport_m", ["expects NAME=VALUE", "found 'dist_sport_m'"]),
    ],
)
def test_bad_weight_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path, weight: str, parts: list[str]) -> None:
    out = tmp_path / "x.csv"
    code, stdout, err = run(capsys, "rank", "--out", str(out), "--weight", weight)
    assert code == 2 and stdout == "" and not out.exists()
    assert_one_line_error(err, *parts)


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("nodir/x.csv", ["expected an existing folder for 'x.csv'", "found no folder"]),
        ("x.txt", ["expected a .csv, .gpkg or .geojson file", "found 'x.txt'"]),
    ],
)
def test_bad_output_path_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, parts: list[str]
) -> None:
    code, _, err = run(capsys, "rank", "--out", str(tmp_path / name))
    assert code == 2
    assert_one_line_error(err, *parts)


def test_rank_on_incomplete_dataset_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(
        capsys, "rank", "--out", str(tmp_path / "x.csv"), "--data", str(FIXTURES / "bad" / "dataset_without_gpkg")
    )
    assert code == 2
    assert_one_line_error(err, "expected 'dataset.gpkg'", "python -m geo build-default")


def test_scenario_writes_before_after_per_buurt(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A sports hall at the point of the buurt farthest from sport: its distance drops, nobody's grows."""
    from geo.data import files
    from geo.decide.pipeline import run

    table = run().table
    far = table.loc[table["dist_sport_m"].idxmax()]
    from geo.data.paths import DEFAULT_DATA_DIR
    from geo.decide.access import compute_origin_points

    point = compute_origin_points(files.load_dataset(DEFAULT_DATA_DIR).buurten).loc[far["buurt_code"]]
    out = tmp_path / "s.csv"
    code = main(["scenario", "--add", f"sport,{point.x:.1f},{point.y:.1f},2", "--out", str(out)])
    assert code == 0
    assert "buurten change rank" in capsys.readouterr().out
    s = pd.read_csv(out).set_index("buurt_code")
    assert len(s) == 111
    assert {"dist_sport_m_before", "dist_sport_m_after", "rank_before", "rank_after"} <= set(s.columns)
    assert s.loc[far["buurt_code"], "dist_sport_m_after"] < 1.0 < s.loc[far["buurt_code"], "dist_sport_m_before"]
    assert (s["dist_sport_m_after"] <= s["dist_sport_m_before"] + 1e-9).all()
    # Less distance to sport means less priority for that buurt.
    assert s.loc[far["buurt_code"], "rank_after"] >= s.loc[far["buurt_code"], "rank_before"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--add", "sport,5.1,52.1"], "longitude/latitude"),
        (["--add", "theatre,133000,452000"], "sport"),
        (["--remove", "nope"], "unknown facility id"),
        ([], "Nothing to compare"),
    ],
)
def test_scenario_bad_input_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], message: str
) -> None:
    code = main(["scenario", *args, "--out", str(tmp_path / "s.csv")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and message in err and err.count("\n") == 0


def test_rank_with_robustness_adds_intervals_and_is_repeatable(tmp_path: Path) -> None:
    a, b, c = (tmp_path / f"{n}.csv" for n in "abc")
    assert main(["rank", "--out", str(a), "--robustness", "300", "--seed", "5", "--top", "10"]) == 0
    assert main(["rank", "--out", str(b), "--robustness", "300", "--seed", "5", "--top", "10"]) == 0
    assert main(["rank", "--out", str(c), "--robustness", "300", "--seed", "6", "--top", "10"]) == 0
    ra, rb, rc = (pd.read_csv(p) for p in (a, b, c))
    cols = ["rank_median", "rank_p05", "rank_p95", "share_top_n", "weight_sensitive"]
    assert list(ra.columns[7:12]) == cols
    pd.testing.assert_frame_equal(ra, rb)  # same seed, same figures
    assert not ra["share_top_n"].equals(rc["share_top_n"])
    ranked = ra[ra["rank"].notna()]
    assert ((ranked["rank_p05"] <= ranked["rank"]) & (ranked["rank"] <= ranked["rank_p95"])).all()
    assert ranked["share_top_n"].between(0, 1).all()
    assert ranked["explanation"].iloc[0].startswith(f"{ranked['buurt_name'].iloc[0]} staat op 1 van 110")


def test_export_writes_every_file_and_the_csv_gets_its_method(tmp_path: Path) -> None:
    code = main(["export", "--out-dir", str(tmp_path), "--robustness", "100", "--share-link", "https://x/?w=a&b=<c>"])
    assert code == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted([
        "rangorde_rijke_schooldag.csv", "rangorde_rijke_schooldag.method.json", "rangorde_rijke_schooldag.gpkg",
        "rangorde_rijke_schooldag_kaart.html", "rangorde_rijke_schooldag_beslisdocument.html",
    ])
    pack = (tmp_path / "rangorde_rijke_schooldag_beslisdocument.html").read_text(encoding="utf-8")
    assert "Kanaleneiland-Zuid" in pack and "&lt;c&gt;" in pack and "<c>" not in pack
    import json

    record = json.loads((tmp_path / "rangorde_rijke_schooldag.method.json").read_text(encoding="utf-8"))
    assert record["preset"] == "rijke_schooldag" and record["weights"]["children_0_14"] == 2.0


def test_rank_csv_gets_a_method_sidecar(tmp_path: Path) -> None:
    assert main(["rank", "--out", str(tmp_path / "r.csv"), "--weight", "dist_sport_m=3"]) == 0
    import json

    record = json.loads((tmp_path / "r.method.json").read_text(encoding="utf-8"))
    assert record["weights"]["dist_sport_m"] == 3.0


# --------------------------------------------------------------------------- rank --gemeente, build, build-national

NATIONAL_FIXTURES = FIXTURES / "national"


def test_rank_gemeente_ranks_the_base_layer_offline(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "bosch.csv"
    code, stdout, err = run(capsys, "rank", "--gemeente", "GM0796", "--out", str(out))
    assert (code, err) == (0, "")
    assert "'s-Hertogenbosch (GM0796): national base layer." in stdout
    assert "105 buurten ranked, 3 without inhabitants" in stdout
    assert "Without a buurt shape (not on a map): 16 buurten" in stdout and "Missing in this dataset: Income" in stdout
    t = pd.read_csv(out, dtype={"buurt_code": str})
    assert list(t.columns[: len(RANKING_COLUMNS)]) == RANKING_COLUMNS
    assert len(t) == 108 and t["buurt_code"].str.fullmatch(r"BU0796\d{4}").all()
    assert t["rank"].min() == 1 and t["explanation"].notna().all()
    assert (tmp_path / "bosch.method.json").is_file()


def test_rank_gemeente_without_any_shape_writes_a_gpkg(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "tilburg.gpkg"
    code, stdout, err = run(capsys, "rank", "--gemeente", "Tilburg", "--out", str(out))
    assert (code, err) == (0, "")
    g = gpd.read_file(out, layer="ranking")
    assert len(g) == 254 and g.geometry.isna().all() and g.crs.to_epsg() == 28992
    assert "Without a buurt shape (not on a map): 254 buurten" in stdout


def test_rank_gemeente_uses_a_fuller_dataset_when_there_is_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, stdout, _ = run(capsys, "rank", "--gemeente", "GM0503", "--out", str(tmp_path / "d.csv"))
    assert code == 0 and "Delft (GM0503): dataset " in stdout and "data/delft" in stdout
    assert "Without a buurt shape (not in this dataset): 18 buurten" in stdout
    code, stdout, _ = run(capsys, "rank", "--data", str(ROOT / "data" / "delft"), "--out", str(tmp_path / "e.csv"))
    assert code == 0 and "68 buurten ranked, 5 without inhabitants" in stdout  # 5 of the 73 have a_inw 0 in kwb 2024
    t = pd.read_csv(tmp_path / "e.csv", dtype={"buurt_code": str})
    assert len(t) == 73 and t["buurt_code"].str.startswith("BU0503").all()
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "d.csv"), pd.read_csv(tmp_path / "e.csv"))


@pytest.mark.parametrize(
    ("args", "parts"),
    [
        (["--gemeente", "Tilbrug"], ["Unknown municipality 'Tilbrug'", "Tilburg (GM0855)"]),
        (["--gemeente", "GM0796", "--data", "data/utrecht"], ["Give one of --data, --gemeente and --national."]),
    ],
)
def test_rank_gemeente_bad_input_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], parts: list[str]
) -> None:
    code, stdout, err = run(capsys, "rank", "--out", str(tmp_path / "x.csv"), *args)
    assert code == 2 and stdout == "" and not (tmp_path / "x.csv").exists()
    assert_one_line_error(err, *parts)


def _build_args(out: Path, **replace: str) -> list[str]:
    f = NATIONAL_FIXTURES
    args = {
        "--gemeente": "GM0503", "--kwb": str(f / "kwb2024_four_gemeenten.csv"),
        "--buurten": str(f / "buurten2014_delft.parquet"), "--buurten-crs": "EPSG:4326", "--buurten-year": "2014",
        "--schools": str(f / "duo_schools_pc4_delft.csv"), "--school-pupils": str(f / "duo_pupils_delft.csv"),
        "--school-scores": str(f / "achterstandsscores_delft.csv"), "--out": str(out),
    }
    args.update(replace)
    return ["build", *[x for kv in args.items() for x in kv]]


def test_build_writes_a_dataset_folder_that_ranks(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, stdout, err = run(capsys, *_build_args(tmp_path / "delft", **{"--gemeente": "Delft"}))
    assert (code, err) == (0, "")
    assert stdout.startswith(f"Wrote {tmp_path / 'delft'}: Delft (GM0503), 73 buurten; facilities: primary_school 25.")
    assert "missing: income, benefits" in stdout and "street_network" in stdout
    code, stdout, _ = run(capsys, "rank", "--data", str(tmp_path / "delft"), "--out", str(tmp_path / "r.csv"))
    assert code == 0 and "68 buurten ranked" in stdout


@pytest.mark.parametrize(
    ("replace", "parts"),
    [
        ({"--school-pupils": "absent.csv"}, ["File not found", "absent.csv"]),
        ({"--kwb": "kwb.csv"}, ["--kwb 'kwb.csv': expected the year in the file name"]),
        ({"--gemeente": "Delfft"}, ["Unknown municipality 'Delfft'", "Delft (GM0503)"]),
        ({"--gemeente": "GM503"}, ["Expected a CBS municipality code like GM0344, found 'GM503'"]),
        ({"--gemeente": "GM0999"}, ["expected buurten of GM0999"]),
    ],
)
def test_build_with_bad_input_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, replace: dict[str, str], parts: list[str]
) -> None:
    replace = {k: str(tmp_path / v) if v.endswith(".csv") and k != "--kwb" else v for k, v in replace.items()}
    code, stdout, err = run(capsys, *_build_args(tmp_path / "out", **replace))
    assert code == 2 and stdout == "" and not (tmp_path / "out").exists()
    assert_one_line_error(err, *parts)


def test_build_national_without_shared_data_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "build-national", "--shared", str(tmp_path / "none"), "--out", str(tmp_path / "n"))
    assert code == 2 and not (tmp_path / "n").exists()
    assert_one_line_error(err, "File not found", "Kerncijfers_wijken_en_buurten_2024")


# --------------------------------------------------------------------------- schools


def test_schools_writes_one_row_per_utrecht_branch(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "schools.csv"
    code, stdout, _ = run(capsys, "schools", "--out", str(out))
    assert code == 0 and "98 branches of Utrecht, 94 with a CBS achterstandsscore" in stdout
    assert "straight line (approximation)" in stdout
    t = pd.read_csv(out, dtype={"school_code": str})
    assert len(t) == 98 and t["school_code"].is_unique
    for col in ("school_name", "pupils", "achterstandsscore", "relative_score", "national_percentile",
                "eligible_like", "sport_health_dist_m", "sport_health_time_min", "sport_health_n_within_10min",
                "orientation_status", "gap_score", "catchment_need_index"):
        assert col in t.columns, col
    assert set(t["orientation_status"]) == {"unknown"}  # no nature/museum/makerspace data in Utrecht
    assert t["relative_score"].notna().sum() == 94


def test_schools_on_delft_walks_the_network_and_says_it_is_car_roads(capsys, tmp_path: Path) -> None:
    out = tmp_path / "delft.csv"
    code, stdout, _ = run(capsys, "schools", "--data", str(ROOT / "data" / "delft"), "--out", str(out),
                          "--minutes", "15")
    assert code == 0 and "walk network" in stdout and "car roads only" in stdout
    t = pd.read_csv(out)
    assert len(t) == 25 and "sport_health_n_within_15min" in t.columns


def test_schools_bad_arguments_exit_2_with_one_line(capsys, tmp_path: Path) -> None:
    code, _, err = run(capsys, "schools", "--out", str(tmp_path / "x.txt"))
    assert code == 2 and "expected a .csv" in err and len(err.strip().splitlines()) == 1
    (tmp_path / "list.csv").write_text("naam\nDe Regenboog\n", encoding="utf-8")
    code, _, err = run(capsys, "schools", "--out", str(tmp_path / "s.csv"), "--eligible", str(tmp_path / "list.csv"))
    assert code == 2 and "no DUO branch code" in err
    code, _, err = run(capsys, "schools", "--out", str(tmp_path / "s.csv"), "--minutes", "0")
    assert code == 2 and "minutes" in err.lower()


def test_schools_card_writes_the_printable_gap_card(capsys, tmp_path: Path) -> None:
    out = tmp_path / "card.html"
    code, stdout, _ = run(capsys, "schools", "--card", "17zr00", "--out", str(out), "--lang", "en")
    assert code == 0 and "gap card of 17ZR00" in stdout
    html = out.read_text(encoding="utf-8")
    assert "PCB Buurtschool Hart van Noord" in html and "@media print" in html and "Gap card" in html
    code, _, err = run(capsys, "schools", "--card", "XX9900", "--out", str(out))
    assert code == 2 and "XX9900" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "schools", "--card", "17ZR00", "--out", str(tmp_path / "card.csv"))
    assert code == 2 and "expected a .html" in err


def test_export_puts_the_schools_and_the_chosen_card_in_the_pack(capsys, tmp_path: Path) -> None:
    code, stdout, _ = run(capsys, "export", "--out-dir", str(tmp_path), "--robustness", "0", "--school", "17ZR00")
    assert code == 0
    pack = next(tmp_path.glob("*beslisdocument.html")).read_text(encoding="utf-8")
    assert "Scholen" in pack and "PCB Buurtschool Hart van Noord" in pack and "categorie A" in pack
    code, _, err = run(capsys, "export", "--out-dir", str(tmp_path), "--robustness", "0", "--school", "XX9900")
    assert code == 2 and "XX9900" in err


def test_rank_national_ranks_every_buurt_of_the_country(capsys, tmp_path: Path) -> None:
    out = tmp_path / "nl.csv"
    code, stdout, _ = run(capsys, "rank", "--national", "--out", str(out))
    assert code == 0 and "342 municipalities" in stdout and "within each municipality" in stdout
    t = pd.read_csv(out)
    assert len(t) > 14_000 and t["rank"].min() == 1 and "rank_in_municipality" in t.columns
    assert t["school_disadvantage_nearby"].notna().sum() > 7_000  # the buurten with a shape
    code, stdout, _ = run(capsys, "rank", "--national", "--normalisation", "national", "--out", str(out))
    assert code == 0 and "over the country" in stdout
    code, _, err = run(capsys, "rank", "--national", "--gemeente", "GM0344", "--out", str(out))
    assert code == 2 and "one of" in err
