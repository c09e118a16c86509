"""The rijke schooldag by school (geo.decide.schools): national percentile, branch table, reach, gaps, catchment.

Known answers: the national percentile and the 10 %-of-pupils estimate are computed by hand (plain Python over
the rows of the CBS file, tests/fixtures/shared/cbs_achterstandsscores_basisscholen_2019); reach over a network
against networkx on the Delft centre walk graph; straight-line reach on a hand-made case with distances chosen
on the band edges.
"""

from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import schema, units
from geo.catalog import DOMAINS
from geo.data import build, files, national
from geo.data.paths import DEFAULT_DATA_DIR
from geo.decide import schools
from geo.decide.access import NetworkEngine, StraightLineEngine
from geo.decide.pipeline import prepare, rank
from geo.decide.ranking import RankingParams
from geo.network.graph import Network

SCORES_CSV = "cbs_achterstandsscores_basisscholen_2019/achterstandsscores_basisscholen_2019_derived.csv"
#: The four Utrecht branches opened after the 2019 peildatum (PROVENANCE.md of the CBS file).
UTRECHT_WITHOUT_SCORE = {"31WL00", "32BZ00", "31PP00", "31VZ00"}
CHILD_M_PER_MIN = 4.0 * 1000 / 60  # 66.67 m per minute


@pytest.fixture(scope="module")
def utrecht() -> files.Dataset:
    return files.load_dataset(DEFAULT_DATA_DIR)


@pytest.fixture(scope="module")
def utrecht_result(utrecht) -> schools.SchoolsResult:
    return schools.analyse_schools(utrecht, scores=national.school_scores(), history=national.pupil_history())


# --------------------------------------------------------------------------- the national percentile


def _hand_percentiles(path: Path) -> dict[str, tuple[int, float, bool]]:
    """Rank, pupil-weighted percentile and the 10 % estimate, by hand over the rows of the CBS CSV."""
    rows = []
    with open(path, encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            pupils = float(r["aantal_bekostigde_leerlingen"])
            if pupils > 0:
                rows.append((float(r["achterstandsscore_zonder_drempel"]) / pupils, r["VESTIGINGSCODE"], pupils))
    rows.sort(key=lambda t: (-t[0], t[1]))
    total = sum(p for *_, p in rows)
    out, cum = {}, 0.0
    for k, (_, code, pupils) in enumerate(rows, start=1):
        cum += pupils
        out[code] = (k, 100.0 * (total - cum) / total, cum <= 0.10 * total)
    return out


def test_national_percentile_equals_a_hand_computation_on_the_cbs_file(data_root: Path) -> None:
    hand = _hand_percentiles(data_root / SCORES_CSV)
    ranked = schools.national_ranking(national.school_scores())
    assert len(ranked) == 6295 == len(hand)
    for code in ("00AP00", "17ZR00", "16NM00", "03LX00", min(hand, key=lambda c: hand[c][0])):
        rank_, pct, eligible = hand[code]
        assert ranked.at[code, schema.NATIONAL_RANK] == rank_
        assert ranked.at[code, schema.NATIONAL_PERCENTILE] == pytest.approx(pct, abs=1e-9)
        assert bool(ranked.at[code, schema.ELIGIBLE_LIKE]) is eligible
    got = ranked[schema.NATIONAL_PERCENTILE].to_dict()
    assert max(abs(got[c] - hand[c][1]) for c in hand) < 1e-9
    assert set(ranked.index[ranked[schema.ELIGIBLE_LIKE]]) == {c for c, v in hand.items() if v[2]}


def test_eligible_like_holds_at_most_ten_percent_of_pupils_and_means_percentile_90(data_root: Path) -> None:
    ranked = schools.national_ranking(national.school_scores())
    pupils = ranked["score_pupils"]
    like = ranked[schema.ELIGIBLE_LIKE]
    assert pupils[like].sum() <= 0.10 * pupils.sum() < pupils[like].sum() + pupils[~like].max()
    assert (ranked.loc[like, schema.NATIONAL_PERCENTILE] >= 90.0).all()
    assert (ranked.loc[~like, schema.NATIONAL_PERCENTILE] < 90.0).all()
    # Every estimated branch has a higher relative score than every other one.
    assert ranked.loc[like, schema.RELATIVE_SCORE].min() >= ranked.loc[~like, schema.RELATIVE_SCORE].max()


def test_the_shipped_score_table_is_the_cbs_file_without_threshold(data_root: Path) -> None:
    shipped = national.school_scores()
    again = build.school_scores(data_root / SCORES_CSV)
    pd.testing.assert_series_equal(shipped[build.DISADVANTAGE_SCORE], again[build.DISADVANTAGE_SCORE].sort_index(),
                                   check_names=False)
    assert shipped.attrs["year"] == 2019
    assert int(shipped[build.DISADVANTAGE_UNRELIABLE].sum()) > 0  # CBS footnote 'a': ≤ 40 pupils


# --------------------------------------------------------------------------- the branch table


def test_utrecht_lists_all_98_branches_94_with_a_score(utrecht_result) -> None:
    b = utrecht_result.branches
    assert len(b) == 98 and b.index.is_unique
    assert set(b.index[b[schema.SCHOOL_SCORE].isna()]) == UTRECHT_WITHOUT_SCORE
    assert b[schema.SCHOOL_SCORE].notna().sum() == 94
    # New schools are listed, never scored 0, and have no ranks or estimate.
    new = b.loc[sorted(UTRECHT_WITHOUT_SCORE)]
    assert new[schema.LOCAL_RANK].isna().all() and new[schema.NATIONAL_RANK].isna().all()
    assert new[schema.ELIGIBLE_LIKE].isna().all() and new[schema.GAP_SCORE].isna().all()
    assert sorted(b[schema.LOCAL_RANK].dropna().astype(int)) == list(range(1, 95))
    assert (b[schema.PUPILS] > 0).all() and set(b[schema.PUPILS_YEAR]) == {2025}
    assert any("4 of 98" in en and "4 van de 98" in nl for nl, en in utrecht_result.notes)


def test_local_rank_follows_the_relative_score(utrecht_result) -> None:
    b = utrecht_result.branches.dropna(subset=[schema.RELATIVE_SCORE]).sort_values(schema.LOCAL_RANK)
    assert b[schema.RELATIVE_SCORE].is_monotonic_decreasing
    top = b.iloc[0]
    assert top[schema.RELATIVE_SCORE] == pytest.approx(top[schema.SCHOOL_SCORE] / _cbs_pupils(top.name))


def _cbs_pupils(code: str) -> float:
    return float(national.school_scores().at[code, build.DISADVANTAGE_PUPILS])


def test_pupil_trend_is_the_five_year_change_in_duo_pupils(utrecht_result, data_root: Path) -> None:
    path = data_root / "duo_basisonderwijs/utrecht_leerlingen_per_vestiging_1996_2025.csv"
    raw = pd.read_csv(path, dtype=str).set_index("VESTIGINGSCODE")
    code = "17ZR00"
    now, before = float(raw.at[code, "LEERLINGEN_2025"]), float(raw.at[code, "LEERLINGEN_2020"])
    assert utrecht_result.branches.at[code, schema.PUPILS_TREND_PCT] == pytest.approx(
        round(100 * (now / before - 1), 1)
    )


def test_the_municipalitys_own_list_marks_listed_branches(utrecht, tmp_path: Path) -> None:
    listing = tmp_path / "aangewezen.csv"
    listing.write_text(
        "VESTIGINGSCODE;naam\n17zr00;Hart van Noord\n 16NM00 ;Overvecht\n99XX00;elders\n\nnot-a-code;x\n",
        encoding="utf-8",
    )
    codes, bad = files.load_school_codes(listing)
    assert codes == {"17ZR00", "16NM00", "99XX00"} and bad == ["not-a-code"]
    b = schools.school_branches(utrecht.facilities, scores=national.school_scores(), eligible_codes=codes)
    assert set(b.index[b[schema.ELIGIBLE_LISTED].fillna(False)]) == {"17ZR00", "16NM00"}
    no_list = schools.school_branches(utrecht.facilities, scores=national.school_scores())
    assert no_list[schema.ELIGIBLE_LISTED].isna().all()


def test_a_list_without_any_code_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "lijst.csv"
    bad.write_text("school;plaats\nDe Regenboog;Utrecht\n", encoding="utf-8")
    with pytest.raises(files.MissingColumnError, match="VESTIGINGSCODE"):
        files.load_school_codes(bad)
    empty = tmp_path / "lijst.txt"
    empty.write_text("geen codes\n", encoding="utf-8")
    with pytest.raises(files.InvalidValueError, match="no DUO branch code"):
        files.load_school_codes(empty)


# --------------------------------------------------------------------------- reach: a hand-made case


def _point_frame(rows: list[tuple[str, str, float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {schema.FACILITY_ID: [r[0] for r in rows], schema.FACILITY_TYPE: [r[1] for r in rows],
         schema.FACILITY_NAME: [r[0].upper() for r in rows]},
        geometry=[shapely.Point(r[2], r[3]) for r in rows], crs=schema.WORK_CRS,
    )


X0, Y0 = 136_000.0, 456_000.0


@pytest.fixture()
def hand_case() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """One school; providers at known straight-line distances; one buurt with a CBS library distance."""
    facilities = _point_frame([
        ("duo-00AA00", "primary_school", X0, Y0),
        ("sport-1", "sport", X0 + 300.0, Y0),  # 4.5 min
        ("pool-1", "swimming_pool", X0, Y0 + 600.0),  # 9.0 min
        ("sport-far", "sport", X0 - 900.0, Y0),  # 13.5 min
        ("play-1", "playground", X0 + 800.0, Y0 + 600.0),  # 1000 m: 15.0 min exactly
        ("museum-1", "culture", X0 + 2000.0, Y0),  # 30 min
    ])
    facilities[schema.FACILITY_CAPACITY] = [250.0, 1, 1, 1, 1, 1]
    buurt = gpd.GeoDataFrame(
        {schema.BUURT_CODE: ["BU00000001"], schema.BUURT_NAME: ["Midden"], schema.cbs_dist_col("library"): [1100.0],
         "a_00_14": [400]},
        geometry=[shapely.box(X0 - 1500, Y0 - 1500, X0 + 1500, Y0 + 1500)], crs=schema.WORK_CRS,
    )
    branches = schools.school_branches(facilities, scores=None)
    return branches, facilities, buurt


def test_straight_line_reach_on_a_hand_made_case(hand_case) -> None:
    branches, facilities, buurt = hand_case
    reach = schools.domain_reach(branches, facilities, buurt, engine=StraightLineEngine()).set_index("domain")
    assert list(reach.index) == list(DOMAINS)
    sport = reach.loc["sport_health"]
    assert (sport["nearest_id"], sport["dist_m"]) == ("sport-1", pytest.approx(300.0))
    assert sport["time_min"] == pytest.approx(300.0 / CHILD_M_PER_MIN)
    assert (sport["within_5min"], sport["within_10min"], sport["within_15min"]) == (True, True, True)
    assert sport["n_within"] == 2  # the sports hall and the pool within 10 minutes (667 m); not the far hall
    assert sport["status"] == schema.REACH_IN and sport["method"] == schema.STRAIGHT_LINE
    social = reach.loc["social_emotional"]
    assert social["dist_m"] == pytest.approx(1000.0) and social["status"] == schema.REACH_OUT
    assert (social["within_10min"], social["within_15min"]) == (False, True)  # exactly on the 15-minute edge
    assert social["n_within"] == 0 and "community_centre" in social["types_without_data"]
    # No library point, but the school's buurt has a CBS road distance: used and labelled.
    cognitive = reach.loc["cognitive"]
    assert (cognitive["method"], cognitive["dist_m"], cognitive["status"]) == (schema.CBS_ROAD, 1100.0,
                                                                               schema.REACH_OUT)
    assert cognitive["nearest_name"] is None and np.isnan(cognitive["n_within"])
    assert reach.loc["culture", "status"] == schema.REACH_OUT  # a culture venue 2 km away
    # A domain without any data reads unknown, never "no provider".
    assert reach.loc["orientation", "status"] == schema.REACH_UNKNOWN
    assert reach.loc["orientation", "method"] == schema.NO_DATA


def test_a_longer_band_turns_domains_in_reach(hand_case) -> None:
    branches, facilities, buurt = hand_case
    reach = schools.domain_reach(branches, facilities, buurt, settings=schools.ReachSettings(minutes=15.0))
    status = reach.set_index("domain")["status"]
    assert status["social_emotional"] == schema.REACH_IN and status["cognitive"] == schema.REACH_OUT
    assert reach.set_index("domain").at["sport_health", "n_within"] == 3


def test_gap_score_counts_missing_known_domains_weighted_by_disadvantage_and_pupils(hand_case) -> None:
    branches, facilities, buurt = hand_case
    branches = branches.assign(**{schema.RELATIVE_SCORE: 0.5})
    reach = schools.domain_reach(branches, facilities, buurt)
    gaps = schools.gap_scores(branches, reach).iloc[0]
    # Known: sport (in), culture (out), cognitive via CBS (out), social-emotional (out); orientation unknown.
    assert (gaps[schema.DOMAINS_KNOWN], gaps[schema.DOMAINS_MISSING]) == (4, 3)
    assert gaps[schema.GAP_SCORE] == pytest.approx(3 * 0.5 * 250)


def test_catchment_takes_the_school_buurt_the_band_and_the_nearest_school_area() -> None:
    buurten = gpd.GeoDataFrame(
        {schema.BUURT_CODE: ["BU1", "BU2", "BU3"], "a_00_14": [100, 200, 300]},
        geometry=[shapely.box(X0 - 200, Y0 - 200, X0 + 200, Y0 + 200),  # holds school A
                  shapely.box(X0 + 200, Y0 - 200, X0 + 600, Y0 + 200),  # centre 400 m from A: in the band
                  shapely.box(X0 + 3000, Y0 - 200, X0 + 3400, Y0 + 200)],  # far from both: nearest is B
        crs=schema.WORK_CRS,
    )
    fac = _point_frame([("duo-00AA00", "primary_school", X0, Y0),
                        ("duo-00BB00", "primary_school", X0 - 2000, Y0)])
    branches = schools.school_branches(fac, scores=None)
    pairs = schools.school_catchment(branches, buurten, limit_m=units.metres(10, 4.0))
    got = {(r.school_code, r.buurt_code): r.reason for r in pairs.itertuples()}
    assert got == {("00AA00", "BU1"): "contains", ("00AA00", "BU2"): "band", ("00AA00", "BU3"): "nearest"}
    table = pd.DataFrame({schema.BUURT_CODE: ["BU1", "BU2", "BU3"], schema.CHILDREN_0_14: [100, 200, 300],
                          schema.NEED_INDEX: [1.0, -0.5, np.nan]})
    prof = schools.catchment_profile(pairs, table, branches.index)
    assert prof.at["00AA00", schema.CATCHMENT_BUURTEN] == 3
    assert prof.at["00AA00", schema.CATCHMENT_CHILDREN] == 600
    # Children-weighted need of the buurten that have one: (100·1 + 200·(−0.5)) / 300 = 0.
    assert prof.at["00AA00", schema.CATCHMENT_NEED] == pytest.approx(0.0)
    assert prof.at["00BB00", schema.CATCHMENT_BUURTEN] == 0
    assert schools.schools_serving(pairs).to_dict() == {"BU1": ("00AA00",), "BU2": ("00AA00",),
                                                        "BU3": ("00AA00",)}


# --------------------------------------------------------------------------- reach over a network


def test_network_reach_equals_networkx_on_the_delft_graph(delft_walk: Network, delft_graphml: Path) -> None:
    import osmnx  # the independent oracle reads the same GraphML

    graph = osmnx.load_graphml(delft_graphml)
    osm_ids = list(graph.nodes)
    rng = np.random.default_rng(5)
    nodes = rng.choice(len(osm_ids), 40, replace=False)
    school_nodes, sport_nodes, library_nodes = nodes[:8], nodes[8:30], nodes[30:]
    xy = np.c_[delft_walk.x, delft_walk.y]
    rows = [(f"duo-{k:04d}00", "primary_school", *xy[n]) for k, n in enumerate(school_nodes)]
    rows += [(f"sport-{n}", "sport", *xy[n]) for n in sport_nodes]
    rows += [(f"lib-{n}", "library", *xy[n]) for n in library_nodes]
    facilities = _point_frame(rows)
    branches = schools.school_branches(facilities, scores=None)
    engine = NetworkEngine(delft_walk, speed_kmh=4.0)
    settings = schools.ReachSettings(minutes=10.0)
    reach = schools.domain_reach(branches, facilities, None, engine=engine, settings=settings)
    limit = units.metres(10.0, 4.0)
    for domain, targets in (("sport_health", sport_nodes), ("cognitive", library_nodes)):
        # From the school: walking is symmetric on this graph, so distances from the school to the providers.
        for code, s in zip(branches.index, school_nodes, strict=True):
            lengths = nx.single_source_dijkstra_path_length(graph, osm_ids[s], weight="length")
            d = [lengths.get(osm_ids[t], np.inf) for t in targets]
            row = reach[(reach["school_code"] == code) & (reach["domain"] == domain)].iloc[0]
            assert row["method"] == schema.NETWORK
            assert row["dist_m"] == pytest.approx(min(d), abs=1e-6)
            assert row["n_within"] == sum(v <= limit for v in d)
            assert row["status"] == (schema.REACH_IN if min(d) <= limit else schema.REACH_OUT)
    assert (reach.loc[reach["domain"] == "orientation", "status"] == schema.REACH_UNKNOWN).all()


def test_utrecht_reach_uses_points_cbs_and_unknown_as_the_data_allows(utrecht_result) -> None:
    r = utrecht_result.reach
    methods = r.groupby("domain")["method"].agg(set).to_dict()
    assert methods["sport_health"] == {schema.STRAIGHT_LINE}  # Mulier points, no Utrecht network offline
    assert methods["cognitive"] == {schema.CBS_ROAD}  # CBS nabijheid distance to the library
    assert methods["culture"] == {schema.NO_DATA} and set(r.loc[r.domain == "culture", "status"]) == {"unknown"}
    table = utrecht_result.table()
    assert set(table.columns) >= {schema.domain_col(d, "status") for d in DOMAINS}


def test_with_need_joins_the_catchment_profile_of_a_ranking(utrecht, utrecht_result) -> None:
    ranking = rank(prepare(utrecht), RankingParams.from_preset("rijke_schooldag"))
    table = schools.with_need(utrecht_result, ranking.table)
    assert len(table) == 98
    assert (table[schema.CATCHMENT_BUURTEN] >= 1).all()  # at least the buurt a school lies in
    code = table[schema.CATCHMENT_NEED].idxmax()
    pairs = utrecht_result.catchment[utrecht_result.catchment.school_code == code]
    t = ranking.table.set_index(schema.BUURT_CODE).loc[pairs.buurt_code]
    expected = (t[schema.NEED_INDEX] * t[schema.CHILDREN_0_14]).sum() / t[schema.CHILDREN_0_14].sum()
    assert table.at[code, schema.CATCHMENT_NEED] == pytest.approx(expected, abs=1e-3)


def test_a_dataset_without_schools_gives_an_empty_table_and_a_note(utrecht) -> None:
    no_schools = files.Dataset(buurten=utrecht.buurten,
                               facilities=utrecht.facilities[utrecht.facilities.facility_type != "primary_school"],
                               meta=utrecht.meta, directory=utrecht.directory)
    res = schools.analyse_schools(no_schools, scores=national.school_scores())
    assert res.branches.empty and res.reach.empty and res.catchment.empty
    assert any("no primary-school" in en for _, en in res.notes)


def test_a_school_off_the_network_is_unknown_not_missing(delft_walk: Network) -> None:
    xy = np.c_[delft_walk.x, delft_walk.y]
    far = xy.max(axis=0) + 5_000.0  # 5 km beyond the network: cannot be placed on it
    facilities = _point_frame([("duo-AA0000", "primary_school", *xy[0]), ("duo-BB0000", "primary_school", *far),
                               ("sport-1", "sport", *xy[10])])
    branches = schools.school_branches(facilities, scores=None).assign(**{schema.RELATIVE_SCORE: 1.0})
    reach = schools.domain_reach(branches, facilities, None, engine=NetworkEngine(delft_walk, speed_kmh=4.0))
    sport = reach[reach.domain == "sport_health"].set_index("school_code")["status"]
    assert sport["BB0000"] == schema.REACH_UNKNOWN and sport["AA0000"] != schema.REACH_UNKNOWN
    gaps = schools.gap_scores(branches, reach)
    assert gaps.at["BB0000", schema.DOMAINS_KNOWN] == 0 and np.isnan(gaps.at["BB0000", schema.GAP_SCORE])


def test_a_text_list_may_have_a_header_and_must_be_utf8(tmp_path: Path) -> None:
    ok = tmp_path / "lijst.txt"
    ok.write_text("VESTIGINGSCODE\n17ZR00\n", encoding="utf-8")
    assert files.load_school_codes(ok) == ({"17ZR00"}, [])
    latin = tmp_path / "latin.txt"
    latin.write_bytes("17ZR00 café\n".encode("utf-16"))
    with pytest.raises(files.DataFileError, match="UTF-8"):
        files.load_school_codes(latin)


def test_school_disadvantage_nearby_is_the_pupil_weighted_mean_within_a_kilometre() -> None:
    scores = pd.DataFrame(
        {build.DISADVANTAGE_SCORE: [100.0, 30.0, 900.0], build.DISADVANTAGE_PUPILS: [100.0, 300.0, 300.0],
         build.DISADVANTAGE_UNRELIABLE: False},
        index=pd.Index(["AA0000", "BB0000", "CC0000"], name="VESTIGINGSCODE"),
    )
    fac = _point_frame([("duo-AA0000", "primary_school", X0 + 200, Y0), ("duo-BB0000", "primary_school", X0 - 600, Y0),
                        ("duo-CC0000", "primary_school", X0 + 5000, Y0)])
    fac[schema.FACILITY_CAPACITY] = [100.0, 300.0, 300.0]
    buurten = gpd.GeoDataFrame(
        {schema.BUURT_CODE: ["BU1", "BU2", "BU3"]},
        geometry=[shapely.box(X0 - 100, Y0 - 100, X0 + 100, Y0 + 100),  # A at 200 m, B at 600 m
                  shapely.box(X0 + 7900, Y0 - 100, X0 + 8100, Y0 + 100),  # no school within 1 km: nearest is C
                  shapely.Polygon()],  # no shape: no value
        crs=schema.WORK_CRS, index=["BU1", "BU2", "BU3"],
    )
    got = schools.school_disadvantage_nearby(buurten, fac, scores)
    # (1.0 × 100 + 0.1 × 300) / 400 = 0.325; C's relative score 3.0; no shape → NaN.
    assert got["BU1"] == pytest.approx(0.325) and got["BU2"] == pytest.approx(3.0) and np.isnan(got["BU3"])
    assert schools.school_disadvantage_nearby(buurten, fac, None).isna().all()
