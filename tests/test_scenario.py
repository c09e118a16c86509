"""Scenarios: invariants of adding and removing facilities, the CBS rule, comparison, errors, real Utrecht data."""


import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import schema
from geo.catalog import FACILITY_TYPES
from geo.data import files
from geo.data.paths import DEFAULT_DATA_DIR
from geo.decide.access import (
    CBS_ROAD,
    NETWORK,
    STRAIGHT_LINE,
    NetworkEngine,
    compute_origin_points,
)
from geo.decide.pipeline import prepare, rank
from geo.decide.ranking import RankingParams
from geo.decide.scenario import (
    CHILDREN_NEWLY_WITHIN,
    CHILDREN_NO_LONGER_WITHIN,
    RANK_AFTER,
    RANK_BEFORE,
    RANK_CHANGE,
    SCENARIO_SOURCE,
    Scenario,
    ScenarioFacility,
    apply_scenario,
    compare,
    prepare_scenario,
    run_scenario,
)
from geo.errors import GeometryError, ParameterError, PlanningError
from tests.helpers import grid_network

PARAMS = RankingParams.from_preset("rijke_schooldag")
DIST_COLUMNS = [f"dist_{k}_m" for k in FACILITY_TYPES]

# --------------------------------------------------------------------------- a small synthetic municipality

X0, Y0, SIDE, N = 130_000.0, 450_000.0, 500.0, 4  # 4 × 4 square buurten of 500 m


def toy_dataset() -> files.Dataset:
    """16 square buurten with CBS figures (incl. a CBS library distance) and sport/school/pool points."""
    rng = np.random.default_rng(7)
    codes, geoms = [], []
    for i in range(N):
        for j in range(N):
            codes.append(f"BU9999{i}{j}00")
            geoms.append(shapely.box(X0 + i * SIDE, Y0 + j * SIDE, X0 + (i + 1) * SIDE, Y0 + (j + 1) * SIDE))
    n = len(codes)
    inw = rng.integers(300, 3000, n).astype(float)
    inw[5] = 0.0  # one buurt without inhabitants (not ranked)
    buurten = gpd.GeoDataFrame(
        {
            schema.BUURT_CODE: codes,
            schema.BUURT_NAME: [f"Buurt {c[-4:-2]}" for c in codes],
            "a_inw": inw,
            "a_00_14": np.where(inw > 0, (inw * rng.uniform(0.1, 0.25, n)).round(), 0.0),
            "a_soz_wb": (inw * rng.uniform(0.0, 0.08, n)).round(),
            "g_wozbag": rng.uniform(200, 600, n).round(),
            "p_wcorpw": rng.uniform(5, 80, n).round(),
            "cbs_dist_library_m": rng.uniform(300, 2500, n).round(-2),
        },
        geometry=geoms,
        crs=schema.WORK_CRS,
        index=pd.Index(codes),
    )
    buurten.loc[codes[3], "cbs_dist_library_m"] = np.nan  # CBS suppressed one figure
    rows = []
    for ftype, count in (("sport", 5), ("primary_school", 4), ("swimming_pool", 2)):
        for m in range(count):
            x, y = X0 + rng.uniform(0, N * SIDE), Y0 + rng.uniform(0, N * SIDE)
            rows.append(
                {
                    schema.FACILITY_ID: f"{ftype}-{m}",
                    schema.FACILITY_TYPE: ftype,
                    schema.FACILITY_NAME: f"{ftype} {m}",
                    schema.FACILITY_CAPACITY: 1.0,
                    schema.LOCATION_PRECISION: "source",
                    schema.FACILITY_SOURCE: "toy",
                    "geometry": shapely.Point(x, y),
                }
            )
    fac = gpd.GeoDataFrame(rows, geometry="geometry", crs=schema.WORK_CRS)
    fac.index = pd.Index(fac[schema.FACILITY_ID].to_numpy(dtype=object))
    return files.Dataset(buurten=buurten, facilities=fac, meta={"name": "Toy"}, directory="toy")


def toy_network(spacing_m: float = 125.0):
    """A street grid over the toy area (plus one cell of margin)."""
    return grid_network((X0, Y0, X0 + N * SIDE, Y0 + N * SIDE), spacing_m)


TOY = toy_dataset()
TOY_PREPARED = {
    "straight": prepare(TOY),
    "network": prepare(TOY, engine=NetworkEngine(toy_network(), speed_kmh=4.0)),
}


@pytest.fixture(scope="module")
def utrecht() -> files.Dataset:
    return files.load_dataset(DEFAULT_DATA_DIR)


def distances(prepared) -> pd.DataFrame:
    return prepared.indicators[DIST_COLUMNS].astype(float)


# --------------------------------------------------------------------------- the objects


def test_scenario_is_frozen_hashable_and_normalised():
    f = ScenarioFacility("sport", "136500", 455800.5, capacity="2")
    assert (f.x, f.y, f.capacity) == (136500.0, 455800.5, 2.0)
    s1 = Scenario("a", added=[f], removed=["x", "y"])
    s2 = Scenario("a", added=(ScenarioFacility("sport", 136500, 455800.5, 2),), removed=("x", "y"))
    assert s1 == s2 and hash(s1) == hash(s2) and isinstance(s1.added, tuple)
    assert {s1: 1}[s2] == 1
    with pytest.raises(AttributeError):
        s1.name = "b"  # type: ignore[misc]
    assert Scenario("empty").is_empty and not s1.is_empty
    assert ScenarioFacility.parse(" sport, 136500 ,455800") == ScenarioFacility("sport", 136500, 455800)
    assert ScenarioFacility.parse("library,1,2,40").capacity == 40.0


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: ScenarioFacility("gym", 1, 2), "Unknown facility type 'gym'; expected one of: sport, swimming_pool"),
        (lambda: ScenarioFacility("sport", float("nan"), 2), "finite"),
        (lambda: ScenarioFacility("sport", "abc", 2), "must be a number"),
        (lambda: ScenarioFacility("sport", 1, 2, capacity=-1), "capacity must be ≥ 0"),
        (lambda: ScenarioFacility.parse("sport,1"), "TYPE,X,Y"),
        (lambda: ScenarioFacility.parse("sport,1,,3"), "TYPE,X,Y"),
        (lambda: Scenario("s", removed=("a", "a")), "more than once: a"),
        (lambda: Scenario("s", cbs_rule="ignore"), "cbs_rule"),
        (lambda: Scenario("s", added=("sport,1,2",)), "ScenarioFacility"),
    ],
)
def test_invalid_scenarios_raise_a_parameter_error(make, match):
    with pytest.raises(ParameterError, match=match):
        make()


def test_apply_scenario_adds_and_removes():
    s = Scenario("s", added=(ScenarioFacility("sport", X0 + 10, Y0 + 20, 3.0, name="Sporthal"),
                             ScenarioFacility("library", X0 + 900, Y0 + 900)), removed=("sport-0",))
    out = apply_scenario(TOY, s)
    fac = out.facilities
    assert len(fac) == len(TOY.facilities) + 1 and "sport-0" not in fac.index
    new = fac.loc[["scenario-1", "scenario-2"]]
    assert new[schema.FACILITY_TYPE].tolist() == ["sport", "library"]
    assert new[schema.FACILITY_NAME].tolist() == ["Sporthal", "Bibliotheek (scenario)"]
    assert (new[schema.FACILITY_SOURCE] == SCENARIO_SOURCE).all()
    assert new[schema.FACILITY_CAPACITY].tolist() == [3.0, 1.0]
    assert new.geometry.iloc[0].equals(shapely.Point(X0 + 10, Y0 + 20)) and fac.crs.to_epsg() == 28992
    assert out.buurten is TOY.buurten and len(TOY.facilities) == 11  # the input is not changed


def test_apply_scenario_rejects_far_points_and_unknown_ids():
    with pytest.raises(GeometryError, match=r"outside Toy: expected x 128000–134000 .* longitude/latitude"):
        apply_scenario(TOY, Scenario("s", added=(ScenarioFacility("sport", 5.12, 52.09),)))
    # Just inside the margin is fine, just outside is not.
    apply_scenario(TOY, Scenario("s", added=(ScenarioFacility("sport", X0 - 1999, Y0),)))
    with pytest.raises(GeometryError):
        apply_scenario(TOY, Scenario("s", added=(ScenarioFacility("sport", X0 - 1999, Y0),)), margin_m=1000)
    with pytest.raises(ParameterError, match=r"unknown facility id 'sport-9' \(did you mean sport-"):
        apply_scenario(TOY, Scenario("s", removed=("sport-9",)))
    assert isinstance(ParameterError("x"), PlanningError)


# --------------------------------------------------------------------------- invariants

in_area = st.tuples(st.floats(X0 - 300, X0 + N * SIDE + 300), st.floats(Y0 - 300, Y0 + N * SIDE + 300))
added_strategy = st.lists(
    st.builds(lambda t, xy: ScenarioFacility(t, *xy), st.sampled_from(["sport", "primary_school", "swimming_pool",
                                                                        "library"]), in_area),
    min_size=1,
    max_size=3,
)


@pytest.mark.parametrize("engine", ["straight", "network"])
@settings(max_examples=20, deadline=None)
@given(added=added_strategy)
def test_adding_a_facility_never_increases_any_travel_time(engine, added):
    before = TOY_PREPARED[engine]
    after = prepare_scenario(before, Scenario("add", added=tuple(added)))
    d0, d1 = distances(before), distances(after)
    assert not (d0.notna() & d1.isna()).any().any()  # no buurt loses its figure
    assert (d1 <= d0 + 1e-9).where(d0.notna(), True).all().all()
    # Only the CBS gap of a combined type can gain a figure (the distance to the added facility).
    gained = d0.isna() & d1.notna()
    assert gained.sum().sum() <= 1 and not gained.drop(columns="dist_library_m").any().any()
    if "time_sport_min" in before.indicators:
        assert (after.indicators["time_sport_min"] <= before.indicators["time_sport_min"] + 1e-9).all()
    untouched = [f"dist_{k}_m" for k in FACILITY_TYPES if k not in {f.facility_type for f in added}]
    pd.testing.assert_frame_equal(d0[untouched], d1[untouched])


@pytest.mark.parametrize("engine", ["straight", "network"])
@settings(max_examples=20, deadline=None)
@given(removed=st.sets(st.sampled_from([f"sport-{i}" for i in range(5)] + ["primary_school-0", "swimming_pool-1"]),
                       min_size=1, max_size=4))
def test_removing_a_facility_never_decreases_any_travel_time(engine, removed):
    before = TOY_PREPARED[engine]
    after = prepare_scenario(before, Scenario("remove", removed=tuple(sorted(removed))))
    d0, d1 = distances(before), distances(after)
    assert (d1 >= d0 - 1e-9).where(d0.notna(), True).all().all()
    assert (d1.isna() == d0.isna()).all().all()


@pytest.mark.parametrize("engine", ["straight", "network"])
def test_point_measured_types_match_a_fresh_prepare_of_the_changed_dataset(engine):
    before = TOY_PREPARED[engine]
    s = Scenario("s", added=(ScenarioFacility("sport", X0 + 700, Y0 + 1300),), removed=("primary_school-2",))
    after = prepare_scenario(before, s)
    fresh = prepare(apply_scenario(TOY, s), engine=before.engine)
    cols = ["dist_sport_m", "dist_primary_school_m", "dist_sport_method"]
    pd.testing.assert_frame_equal(after.indicators[cols], fresh.indicators[cols])
    assert after.access.measures["sport"] == fresh.access.measures["sport"]
    pd.testing.assert_frame_equal(after.access.nearest_ids, fresh.access.nearest_ids)


def test_an_empty_scenario_gives_identical_tables():
    before, after, cmp = run_scenario(TOY, Scenario("nothing"), PARAMS)
    pd.testing.assert_frame_equal(before.table, after.table)
    assert cmp.facility_types == () and cmp.n_rank_changed == 0 and cmp.reach.empty
    assert (cmp.table[RANK_BEFORE] == cmp.table[RANK_AFTER]).all()
    # The baseline is the current situation of the pipeline.
    pd.testing.assert_frame_equal(before.table, rank(prepare(TOY), PARAMS).table)


# --------------------------------------------------------------------------- the CBS rule


def test_cbs_type_combines_cbs_and_the_added_facility():
    before = TOY_PREPARED["straight"]
    assert before.access.measures["library"].method == CBS_ROAD
    new = ScenarioFacility("library", X0 + 250, Y0 + 250)  # centre of the first buurt
    after = prepare_scenario(before, Scenario("lib", added=(new,)))
    cbs = TOY.buurten["cbs_dist_library_m"]
    straight = compute_origin_points(TOY.buurten).distance(shapely.Point(new.x, new.y))
    expected = np.where(cbs.isna() | (straight < cbs), straight, cbs)
    np.testing.assert_allclose(after.indicators["dist_library_m"], expected)
    method = after.indicators["dist_library_method"]
    assert (method[straight < cbs] == STRAIGHT_LINE).all() and (method[straight >= cbs] == CBS_ROAD).all()
    assert method.iloc[3] == STRAIGHT_LINE  # no CBS figure: the added facility gives one (an upper bound)
    assert after.indicators["dist_library_m"].iloc[0] == 0.0
    assert after.access.nearest_ids["nearest_library_id"].iloc[0] == "scenario-1"
    m = after.access.measures["library"]
    assert m.method == CBS_ROAD and m.caveat_en.startswith("scenario: in ") and m.n_facilities == 1


def test_cbs_type_combines_with_network_distance_when_the_type_has_no_points():
    before = TOY_PREPARED["network"]
    assert before.access.measures["library"].method == CBS_ROAD  # no library points: CBS even with a network
    after = prepare_scenario(before, Scenario("lib", added=(ScenarioFacility("library", X0 + 250, Y0 + 250),)))
    assert after.indicators["dist_library_method"].iloc[0] == NETWORK
    assert (after.indicators["dist_library_m"] <= before.indicators["dist_library_m"]).where(
        before.indicators["dist_library_m"].notna(), True).all()


def test_removing_from_a_cbs_type_needs_the_points_rule():
    before = TOY_PREPARED["straight"]
    assert before.access.measures["swimming_pool"].method == STRAIGHT_LINE  # toy: no CBS pool distance
    ds = TOY
    ds_cbs = files.Dataset(buurten=ds.buurten.assign(cbs_dist_swimming_pool_m=1500.0), facilities=ds.facilities,
                        meta=ds.meta, directory=ds.directory)
    with pytest.raises(ParameterError, match="Cannot evaluate removing a swimming pool.*cbs_rule 'points'"):
        run_scenario(ds_cbs, Scenario("close", removed=("swimming_pool-0",)), PARAMS)
    b, a, cmp = run_scenario(ds_cbs, Scenario("close", removed=("swimming_pool-0",), cbs_rule="points"), PARAMS)
    assert (b.table["dist_swimming_pool_method"] == STRAIGHT_LINE).all()
    assert (a.table["dist_swimming_pool_m"] >= b.table.loc[a.table.index, "dist_swimming_pool_m"] - 1e-9).all()
    assert any("cbs_rule 'points'" in n for n in cmp.notes)
    # The points rule on a type without any points cannot describe the current situation.
    with pytest.raises(ParameterError, match="none of type library"):
        run_scenario(ds_cbs, Scenario("lib", added=(ScenarioFacility("library", X0, Y0),), cbs_rule="points"), PARAMS)


def test_a_facility_away_from_the_network_is_an_error():
    far = ScenarioFacility("sport", X0 - 1900, Y0, name="Veld")
    with pytest.raises(GeometryError, match="'Veld' lies more than 500 m from the street network"):
        prepare_scenario(TOY_PREPARED["network"], Scenario("far", added=(far,)))
    prepare_scenario(TOY_PREPARED["straight"], Scenario("far", added=(far,)))  # a straight line reaches it


def test_types_without_data_and_removing_everything_raise():
    with pytest.raises(ParameterError, match=r"Cannot add a culture venue \('culture'\).*Types with data: sport"):
        run_scenario(TOY, Scenario("c", added=(ScenarioFacility("culture", X0, Y0),)), PARAMS)
    every_pool = ("swimming_pool-0", "swimming_pool-1")
    with pytest.raises(ParameterError, match="removes every facility of type swimming_pool"):
        run_scenario(TOY, Scenario("c", removed=every_pool), PARAMS)


# --------------------------------------------------------------------------- comparison


def test_compare_reports_ranks_and_children_newly_within():
    s = Scenario("s", added=(ScenarioFacility("swimming_pool", X0 + 1750, Y0 + 1750),))
    _, after, cmp = run_scenario(TOY, s, PARAMS, speed_kmh=4.0)
    t = cmp.table
    assert cmp.facility_types == ("swimming_pool",) and cmp.minutes == (5.0, 10.0, 15.0)
    for c in ("buurt_code", "dist_swimming_pool_m_before", "dist_swimming_pool_m_after",
              "time_swimming_pool_min_before", "time_swimming_pool_min_after", RANK_BEFORE, RANK_AFTER, RANK_CHANGE):
        assert c in t.columns
    assert "dist_sport_m_before" not in t.columns  # only the compared types
    np.testing.assert_allclose(t["time_swimming_pool_min_after"], t["dist_swimming_pool_m_after"] / (4000 / 60))
    ranked = t[RANK_BEFORE].notna()
    assert (t.loc[ranked, RANK_CHANGE] == t.loc[ranked, RANK_AFTER] - t.loc[ranked, RANK_BEFORE]).all()
    assert t[RANK_BEFORE].isna().sum() == 1  # the buurt without inhabitants
    assert sorted(t.loc[ranked, RANK_AFTER]) == sorted(after.table[schema.RANK].dropna())
    # Children newly within, by hand from the table.
    for m in (5.0, 10.0, 15.0):
        newly = (t["time_swimming_pool_min_before"] > m) & (t["time_swimming_pool_min_after"] <= m)
        assert cmp.children_newly_within("swimming_pool", m) == pytest.approx(t.loc[newly, schema.CHILDREN_0_14].sum())
    assert (cmp.reach[CHILDREN_NO_LONGER_WITHIN] == 0).all()
    assert cmp.children_newly_within("swimming_pool", 5) > 0  # the pool lies inside a buurt with children
    eq = cmp.equity.iloc[0]
    assert eq["concentration_index_change"] == pytest.approx(
        eq["concentration_index_after"] - eq["concentration_index_before"], nan_ok=True)
    assert eq["mean_time_min_after"] <= eq["mean_time_min_before"]
    with pytest.raises(ParameterError, match="No figures for sport"):
        cmp.children_newly_within("sport", 10)


def test_compare_rejects_mismatched_results():
    before = rank(TOY_PREPARED["straight"], PARAMS)
    other = rank(TOY_PREPARED["straight"], RankingParams.from_preset("need_only"))
    with pytest.raises(ParameterError, match="different weights"):
        compare(before, other, speed_kmh=4.0)
    fewer = type(before)(prepared=before.prepared, ranking=before.ranking, table=before.table.iloc[:-1], params=PARAMS)
    with pytest.raises(ParameterError, match="same buurten"):
        compare(before, fewer, speed_kmh=4.0)
    with pytest.raises(ParameterError, match="minutes"):
        compare(before, before, speed_kmh=4.0, minutes=(0,))
    with pytest.raises(ParameterError, match="speed"):
        compare(before, before, speed_kmh=-1)
    with pytest.raises(ParameterError, match="Pass an engine only with a dataset"):
        run_scenario(TOY_PREPARED["straight"], Scenario("s"), PARAMS, engine=TOY_PREPARED["network"].engine)


# --------------------------------------------------------------------------- real Utrecht data


def test_sport_at_the_top_buurt_in_utrecht(utrecht):
    prepared = prepare(utrecht)
    base = rank(prepared, PARAMS)
    top = base.table.index[0]
    origin = compute_origin_points(utrecht.buurten).loc[top]
    centroid = utrecht.buurten.geometry.loc[top].centroid
    s = Scenario("Sporthal", added=(ScenarioFacility("sport", centroid.x, centroid.y),))
    before, after, cmp = run_scenario(prepared, s, PARAMS)
    pd.testing.assert_frame_equal(before.table, base.table)  # sport is point-measured: before = the current view
    d0 = before.table.loc[top, "dist_sport_m"]
    d1 = after.table.loc[top, "dist_sport_m"]
    assert d1 < d0 and d1 == pytest.approx(origin.distance(centroid), abs=1e-6)
    row = cmp.table.loc[top]
    assert row["dist_sport_m_after"] == d1 and row[RANK_BEFORE] == 1
    assert row[RANK_AFTER] >= row[RANK_BEFORE]  # a smaller access gap never lifts the top buurt higher
    # Only sport changed: every other indicator and the need index stay as they were.
    other = [c for c in before.prepared.indicators.columns if "sport" not in c]
    pd.testing.assert_frame_equal(before.prepared.indicators[other], after.prepared.indicators[other])
    pd.testing.assert_series_equal(
        before.table[schema.NEED_INDEX], after.table.loc[before.table.index, schema.NEED_INDEX]
    )
    # Ranks stay a valid ranking of the same 110 buurten; the change is after − before.
    ranked = cmp.table[RANK_AFTER].dropna()
    assert len(ranked) == 110 and ranked.min() == 1
    assert cmp.n_rank_changed == int((cmp.table[RANK_CHANGE].dropna() != 0).sum())
    assert cmp.children_newly_within("sport", 10) >= 0
    assert (cmp.reach[CHILDREN_NEWLY_WITHIN] >= 0).all() and (cmp.reach[CHILDREN_NO_LONGER_WITHIN] == 0).all()
    assert np.isfinite(cmp.equity["concentration_index_change"].iloc[0])


def test_a_new_swimming_pool_in_utrecht_combines_with_the_cbs_distance(utrecht):
    prepared = prepare(utrecht)
    assert prepared.access.measures["swimming_pool"].method == CBS_ROAD
    top = rank(prepared, PARAMS).table.index[0]
    c = utrecht.buurten.geometry.loc[top].centroid
    pool = Scenario("Zwembad", added=(ScenarioFacility("swimming_pool", c.x, c.y),))
    _, _, cmp = run_scenario(prepared, pool, PARAMS)
    t = cmp.table
    d0, d1 = t["dist_swimming_pool_m_before"], t["dist_swimming_pool_m_after"]
    assert (d1 <= d0).where(d0.notna(), True).all() and d1.notna().all()  # a buurt without a CBS figure gets one
    assert set(t["dist_swimming_pool_method_after"]) == {CBS_ROAD, STRAIGHT_LINE}
    assert cmp.children_newly_within("swimming_pool", 10) > 0
    assert any(n.startswith("swimming_pool: scenario: in ") for n in cmp.notes)
