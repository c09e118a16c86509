"""geo/data/cbs.py against the loopback server, replaying CBS OData v4/v3 answers made from real CBS rows.

The answers (``tests/fixtures/services/cbs``, see its PROVENANCE.md) carry the real Utrecht kwb 2023
and 2024 values, the real nabijheid 2023 distances and, from the national 2024 file, Delft's buurten
and the list of municipalities. Reference values come from the same real files read by the offline
loader (``geo.data.files.load_cbs_table``).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo import schema
from geo.data import build, cbs, files, http
from geo.data.paths import SHARED_DATA_DIR
from geo.errors import DownloadError, ParameterError
from tests.helpers import CBS_FIXTURES, CBS_V3, CBS_V4, Loopback, Reply, point_env, serve_cbs

FIX = CBS_FIXTURES
V4, V3 = CBS_V4, CBS_V3
OFFICIAL_V4 = http.SERVICES["CBS_ODATA4"]
KWB_2023_XLSX = "utrecht_cbs_kwb_2023_2024/CBS-Utrecht-kwb-2023.xlsx"
KWB_2024_XLSX = "utrecht_cbs_kwb_2023_2024/CBS-Utrecht-kwb-2024.xlsx"
NAB_2023_CSV = "utrecht_cbs_kwb_2023_2024/CBS-Utrecht_Nabijheid_voorzieningen_buurt_2023.csv"
KWB_COLUMNS = [m.column for m in cbs.KWB_MEASURES]
#: Columns the real 2024 release (kwb-2024.xlsx) leaves empty for Utrecht while 2023 has them.
FROM_2023 = {
    "bev_dich", "a_woning", "g_wozbag", "p_koopw", "p_huurw", "p_wcorpw", "a_soz_wb", "a_soz_ao", "a_soz_ww",
    "a_soz_ow", "a_opp_ha", "a_lan_ha", "a_wat_ha",
}
#: Empty in both real releases (income is not yet published in these first releases; p_hh_osm is not in 2024).
EMPTY_BOTH = {"g_ink_pi", "p_hh_li", "p_hh_osm", "g_afs_kv", "g_afs_sc"}


# --------------------------------------------------------------------------- the loopback as CBS (tests/helpers.py)


@pytest.fixture
def cbs_server(loopback: Loopback, monkeypatch: pytest.MonkeyPatch) -> Loopback:
    """The loopback server as both CBS OData services (v4 under /odata/v1/CBS, v3 under /ODataApi/odata)."""
    point_env(monkeypatch, loopback)
    return loopback


def make_client(cache: Path, **kwargs) -> http.Client:
    waits: list[float] = []
    options = {"timeout_s": 5.0, "backoff_s": 0.01, "max_tries": 3, **kwargs}
    client = http.Client(cache_dir=cache, sleep=waits.append, **options)
    client.waits = waits  # type: ignore[attr-defined]  # the recorded waits, for the assertions
    return client


@pytest.fixture
def client(tmp_path: Path) -> http.Client:
    return make_client(tmp_path / "cache")


def v4_down(name: str, data: bytes) -> Reply | None:
    return Reply(b'{"error": "service unavailable"}', status=500) if name.startswith("odata4/") else None


def requests_to(server: Loopback, path_end: str) -> list[dict[str, str]]:
    return [query for _, path, query, _, _ in server.requests if path.endswith(path_end)]


def offline_kwb(data_root: Path) -> pd.DataFrame:
    return files.load_cbs_table(data_root / KWB_2023_XLSX).frame


# --------------------------------------------------------------------------- the crosswalk


def test_crosswalk_covers_every_required_kwb_variable_and_nabijheid_type() -> None:
    columns = [m.column for m in cbs.CROSSWALK]
    assert len(columns) == len(set(columns))
    assert set(build.KWB_REQUIRED) <= set(KWB_COLUMNS)
    assert {m.column for m in cbs.NABIJHEID_MEASURES} == {
        schema.cbs_dist_col(t) for t in build.NABIJHEID_COLUMNS.values()
    }
    assert all(not cbs._SUFFIX.search(m.v3) for m in cbs.CROSSWALK)  # stems, never a suffix
    assert {m.column for m in cbs.CROSSWALK if m.v4 is None} == {"p_hh_osm", "cbs_dist_culture_m"}
    for m in cbs.NABIJHEID_MEASURES:
        assert (m.unit, m.factor) == ("km", 1000.0) and m.groups
    school = cbs.crosswalk_row("cbs_dist_primary_school_m")
    assert school.groups == ("Onderwijs", "Basisonderwijs") and school.v3 == "AfstandTotSchool"
    # The ids the dossier states (section 1a).
    dossier = {"a_inw": "T001036", "a_00_14": "10680", "g_wozbag": "M001642", "g_ink_pi": "M000224",
               "p_hh_li": "D000186", "a_soz_wb": "D006842", "a_hh_m_k": "1016030", "g_afs_kv": "D000029",
               "g_afs_sc": "D000045", "ste_mvs": "ST0001"}
    assert {c: cbs.crosswalk_row(c).v4 for c in dossier} == dossier
    with pytest.raises(ParameterError, match="not in the CBS crosswalk"):
        cbs.crosswalk_row("nope")


# --------------------------------------------------------------------------- OData v4


def test_v4_pages_give_every_utrecht_buurt_with_the_real_2024_values(
    cbs_server, client, full_shared_data_or_none
) -> None:
    serve_cbs(cbs_server, "85984NED", nextlink_to_loopback=True)
    result = cbs.fetch_kwb(client, "GM0344", years=(2024,))
    frame = result.frame
    assert len(frame) == 111 and frame.index.name == schema.BUURT_CODE
    assert frame.index.is_unique and all(c.startswith("BU0344") and len(c) == 10 for c in frame.index)
    assert list(frame.columns) == [schema.BUURT_NAME, schema.WIJK_CODE, *KWB_COLUMNS]
    assert all(frame[c].dtype == "float64" for c in KWB_COLUMNS)
    # Real values of kwb-2024.xlsx (its PROVENANCE: all 111 buurten equal the national 2024 file).
    assert frame["a_inw"].sum() == 374_200 and frame["a_00_14"].sum() == 59_095
    assert frame.loc["BU03440111", ["a_inw", "a_00_14"]].tolist() == [1800.0, 195.0]
    assert frame.loc["BU03440831", ["a_inw", "a_00_14"]].tolist() == [9095.0, 1690.0]
    assert frame.loc["BU03440111", schema.BUURT_NAME] == "Welgelegen, Den Hommel"
    assert frame.loc["BU03440831", schema.WIJK_CODE] == "WK034408"
    assert frame["a_inw"].notna().all()
    # Two pages, both asked for; the filter selects Utrecht's buurten and only the crosswalk's measures.
    pages = requests_to(cbs_server, "/85984NED/Observations")
    assert len(pages) == 2 and "$skip" in pages[1]
    first = pages[0]
    assert first["$select"] == "Measure,WijkenEnBuurten,Value"
    assert first["$filter"].startswith("startswith(WijkenEnBuurten,'BU0344') and (Measure eq 'T001036' or ")
    assert result.years["a_inw"] == 2024 and set(result.missing) >= EMPTY_BOTH
    [source] = [s for s in result.sources if s["api"] == "odata4"]
    assert source["table_id"] == "85984NED" and source["title"] == "Kerncijfers wijken en buurten 2024"
    assert source["modified"] and source["period"] == "2024" and source["licence"] == "CC BY 4.0"
    assert source["publisher"] == "Centraal Bureau voor de Statistiek (CBS)" and source["attribution"] == "Bron: CBS"
    assert source["measure_titles"]["a_inw"] == "Aantal inwoners"
    if full_shared_data_or_none is not None:  # every column against the whole kwb-2024.xlsx
        offline = files.load_cbs_table(full_shared_data_or_none / KWB_2024_XLSX).frame
        for column in KWB_COLUMNS:
            pd.testing.assert_series_equal(frame[column], offline[column].reindex(frame.index), check_names=False)


def test_v4_gives_what_the_offline_xlsx_gives(cbs_server, client, data_root) -> None:
    """kwb 2023 online (next-page links at CBS's own base URL, followed on the mirror) = kwb-2023.xlsx offline."""
    serve_cbs(cbs_server, "85618NED")
    result = cbs.fetch_kwb(client, "344", years=(2023,))
    offline = offline_kwb(data_root)
    frame = result.frame
    assert frame.index.tolist() == sorted(offline.index)
    for column in KWB_COLUMNS:
        pd.testing.assert_series_equal(frame[column], offline[column].reindex(frame.index), check_names=False)
    assert (frame[schema.BUURT_NAME] == offline["regio"].reindex(frame.index)).all()
    assert (frame[schema.WIJK_CODE] == "WK" + offline["gwb_code_8"].reindex(frame.index).str[:6]).all()
    assert all(path.startswith(V4) or path.startswith(V3) for _, path, *_ in cbs_server.requests)


def test_newest_year_per_indicator_falls_back_to_2023_for_exactly_the_empty_columns(
    cbs_server, client, tmp_path
) -> None:
    serve_cbs(cbs_server, "85984NED", "85618NED")
    result = cbs.fetch_kwb(client, "GM0344", years=(2024, 2023))
    from_2023 = {c for c, y in result.years.items() if y == 2023}
    assert from_2023 == FROM_2023
    assert {c for c, y in result.years.items() if y == 2024} == set(KWB_COLUMNS) - FROM_2023 - EMPTY_BOTH
    assert set(result.missing) == EMPTY_BOTH and not set(result.years) & EMPTY_BOTH
    frame = result.frame
    assert frame.loc["BU03440111", "a_inw"] == 1800.0  # 2024
    assert frame.loc["BU03440111", "g_wozbag"] == 430.0  # 2023
    assert frame[list(EMPTY_BOTH)].isna().all().all()
    [note] = [n for n in result.notes if "used for" in n]
    assert note.startswith("CBS kwb: 2023 (85618NED) used for bev_dich, a_woning, g_wozbag")
    assert "2024 (85984NED) has no value for GM0344" in note
    assert any("no value for GM0344" in n and "g_ink_pi" in n for n in result.notes)
    # The 2023 table is asked only for what 2024 left empty.
    older = requests_to(cbs_server, "/85618NED/Observations")[0]["$filter"]
    assert "M001642" in older and "T001036" not in older
    assert [(s["table_id"], s["api"]) for s in result.sources] == [("85984NED", "odata4"), ("85618NED", "odata4")]
    assert set(result.sources[1]["columns"]) == FROM_2023
    # Everything was cached: the same fetch offline asks nothing and gives the same result.
    n_requests = len(cbs_server.requests)
    again = cbs.fetch_kwb(http.Client(cache_dir=client.cache_dir, offline=True), "GM0344", years=(2024, 2023))
    pd.testing.assert_frame_equal(again.frame, frame)
    assert dict(again.years) == dict(result.years) and len(cbs_server.requests) == n_requests


def test_a_buurt_code_the_older_table_does_not_know_gets_no_older_values(cbs_server, client) -> None:
    def renamed(name: str, data: bytes) -> Reply | None:  # as if the buurt had another code in 2023
        return Reply(data.replace(b"BU03440111", b"BU03440199")) if "/85618NED/" in name else None

    serve_cbs(cbs_server, "85984NED", "85618NED", apis=("odata4",), tweak=renamed)
    result = cbs.fetch_kwb(client, "GM0344", years=(2024, 2023))
    frame = result.frame
    assert "BU03440199" not in frame.index and len(frame) == 111
    assert frame.loc["BU03440111", "a_inw"] == 1800.0 and np.isnan(frame.loc["BU03440111", "g_wozbag"])
    assert frame["g_wozbag"].notna().sum() == 106
    assert any("85618NED) lacks 1 buurt code(s) of the newer table" in n and "BU03440111" in n for n in result.notes)


def test_default_years_skip_the_tables_cbs_does_not_have(cbs_server, client) -> None:
    serve_cbs(cbs_server, "85984NED", "85618NED")  # 2025, 2022 and 2021 answer 404 on both APIs
    result = cbs.fetch_kwb(client, "GM0344")
    assert {c for c, y in result.years.items() if y == 2023} == FROM_2023
    assert any("86165NED) is not available on CBS OData" in n for n in result.notes)
    assert any("85318NED) is not available" in n for n in result.notes)
    assert any(n.startswith("CBS kwb: 2024 (85984NED) used for a_inw") and "2025 (86165NED) has no value" in n
               for n in result.notes)
    # v4 was not given up after the 404 of a missing table: 2024 and 2023 still came from v4.
    assert {s["api"] for s in result.sources} == {"odata4"}


def test_null_cells_are_missing_not_zero(cbs_server, client) -> None:
    serve_cbs(cbs_server, "85984NED", "85618NED")
    frame = cbs.fetch_kwb(client, "GM0344", years=(2024, 2023)).frame
    # g_hhgro: suppressed (Value null) for one buurt in 2024; it stays missing (the year is per column).
    assert np.isnan(frame.loc["BU03440911", "g_hhgro"]) and frame["g_hhgro"].notna().sum() == 110
    # WOZ suppressed (null) in 2023 for four small buurten; a real 0 stays 0.
    assert frame["g_wozbag"].isna().sum() == 4 and np.isnan(frame.loc["BU03440535", "g_wozbag"])
    assert (frame["p_wcorpw"] == 0).sum() == 11
    assert not (frame[list(EMPTY_BOTH)] == 0).any().any()


def test_missing_markers_in_any_form_are_nan() -> None:
    for value in (None, ".", "       .", "", "-99999999", -99999999, -99999997.0, "x", float("nan"), True):
        assert np.isnan(cbs._number(value)), value
    assert cbs._number(0) == 0.0 and cbs._number("  12.5 ") == 12.5 and cbs._number(430) == 430.0


def test_the_cell_cap_splits_the_measures_over_requests(cbs_server, client, monkeypatch) -> None:
    serve_cbs(cbs_server, "85984NED")
    whole = cbs.fetch_kwb(make_client(client.cache_dir / "a"), "GM0344", years=(2024,))
    monkeypatch.setattr(cbs, "MAX_CELLS", 500)  # 111 buurten: at most 4 measures per request
    split = cbs.fetch_kwb(make_client(client.cache_dir / "b"), "GM0344", years=(2024,))
    pd.testing.assert_frame_equal(split.frame, whole.frame)
    firsts = [q for q in requests_to(cbs_server, "/85984NED/Observations") if "$skip" not in q]
    asked = [q["$filter"].count("Measure eq") for q in firsts[1:]]
    assert max(asked) == 4 and sum(asked) == sum(1 for m in cbs.KWB_MEASURES if m.v4)


def test_delft_from_the_national_2024_file(cbs_server, client, full_shared_data_or_none) -> None:
    serve_cbs(cbs_server, "85984NED", regions=("BU0503",), apis=("odata4",))
    result = cbs.fetch_kwb(client, "GM0503", years=(2024,))
    frame = result.frame
    assert len(frame) == 91 and frame.index.str.startswith("BU0503").all()
    assert frame.loc["BU05031101", ["a_inw", "a_00_14", "a_65_oo"]].tolist() == [1035.0, 125.0, 200.0]
    assert frame.loc["BU05031100", "a_inw"] == 0.0 and frame.loc["BU05031100", schema.BUURT_NAME] == (
        "Bedrijventerrein Wateringseweg"
    )
    ages = ["a_inw", "a_00_14", "a_15_24", "a_25_44", "a_45_64", "a_65_oo"]
    assert set(result.years) == set(ages) and set(result.missing) == set(KWB_COLUMNS) - set(ages)
    # p_hh_osm has no v4 id; v3 does not answer here, which is a note, not a failure.
    assert any("p_hh_osm not read from OData v3" in n for n in result.notes)
    if full_shared_data_or_none is not None:
        national = pd.read_csv(
            full_shared_data_or_none
            / "cbs_kwb_2024_bevolking_leeftijd_national/Kerncijfers_wijken_en_buurten_2024_geslachten.csv",
            sep=";", dtype=str, encoding="utf-8-sig",
        )
        codes = national.iloc[:, 3].str.strip()
        rows = national[codes.str.startswith("BU0503")].set_index(codes[codes.str.startswith("BU0503")])
        assert (frame["a_inw"] == rows.iloc[:, 5].astype(float).reindex(frame.index)).all()


@pytest.fixture
def full_shared_data_or_none() -> Path | None:
    """``../shared/data`` when it is there (for a cross-check against the whole national file), else None."""
    return SHARED_DATA_DIR if SHARED_DATA_DIR.is_dir() else None


# --------------------------------------------------------------------------- OData v3 fallback


def test_v4_down_falls_back_to_v3_with_the_same_values(cbs_server, client, tmp_path, monkeypatch) -> None:
    reference_server = Loopback()
    try:
        point_env(monkeypatch, reference_server)
        serve_cbs(reference_server, "85984NED", "85618NED")
        via_v4 = cbs.fetch_kwb(make_client(tmp_path / "v4"), "GM0344", years=(2024, 2023))
    finally:
        reference_server.close()
    point_env(monkeypatch, cbs_server)
    serve_cbs(cbs_server, "85984NED", "85618NED", tweak=v4_down)
    via_v3 = cbs.fetch_kwb(client, "GM0344", years=(2024, 2023))
    pd.testing.assert_frame_equal(via_v3.frame, via_v4.frame)
    assert dict(via_v3.years) == dict(via_v4.years) and via_v3.missing == via_v4.missing
    assert {s["api"] for s in via_v3.sources} == {"odata3"}
    assert any("CBS OData v4 failed" in n and "HTTP 500" in n for n in via_v3.notes)
    # v4 is tried once (with the client's retries), then left alone for the rest of the fetch.
    v4_paths = {path for _, path, *_ in cbs_server.requests if path.startswith(V4)}
    assert v4_paths == {V4 + "/85984NED/Properties"} and client.stats["retries"] == 2


def test_v3_suffixes_are_resolved_per_year_and_padding_is_stripped(cbs_server, client) -> None:
    serve_cbs(cbs_server, "85984NED", "85618NED", tweak=v4_down)
    result = cbs.fetch_kwb(client, "GM0344", years=(2024, 2023))
    keys = {s["table_id"]: s["keys"] for s in result.sources}
    assert keys["85984NED"]["a_inw"] == "AantalInwoners_5" and keys["85984NED"]["a_hh"] == "HuishoudensTotaal_29"
    assert keys["85618NED"]["a_soz_wb"] == "PersonenPerSoortUitkeringBijstand_83"
    assert keys["85618NED"]["g_wozbag"] == "GemiddeldeWOZWaardeVanWoningen_35"
    selects = {t: [q["$select"] for q in requests_to(cbs_server, f"/{t}/TypedDataSet")] for t in keys}
    assert "PersonenPerSoortUitkeringBijstand_87" in selects["85984NED"][0]
    assert "PersonenPerSoortUitkeringBijstand_83" in selects["85618NED"][0]
    assert "_87" not in selects["85618NED"][0].split("Bijstand")[1][:3]
    assert all(s.startswith("WijkenEnBuurten,Gemeentenaam_1,SoortRegio_2,") for v in selects.values() for s in v)
    assert all(s["municipality_name"] == "Utrecht" for s in result.sources)  # "Utrecht      " in the answer
    frame = result.frame
    assert frame.loc["BU03440111", schema.BUURT_NAME] == "Welgelegen, Den Hommel"
    assert frame.loc["BU03440111", ["a_inw", "g_wozbag"]].tolist() == [1800.0, 430.0]
    assert frame.loc["BU03440911", "g_hhgro"] != frame.loc["BU03440911", "g_hhgro"]  # null → NaN
    # 2024 has no HuishOnderOfRondSociaalMinimum column at all; 2023 has it, empty.
    assert any("85984NED): OData v3 has no column for p_hh_osm" in n for n in result.notes)
    assert "p_hh_osm" in result.missing


def test_a_v3_answer_that_is_html_is_a_plain_error(cbs_server, client) -> None:
    def html(name: str, data: bytes) -> Reply | None:
        if name == "odata3/85984NED/TableInfos.json.gz":
            return Reply(b"<html><body>Onderhoud</body></html>", headers={"Content-Type": "text/html"})
        return v4_down(name, data)

    serve_cbs(cbs_server, "85984NED", tweak=html)
    with pytest.raises(DownloadError) as caught:
        cbs.fetch_kwb(client, "GM0344", years=(2024,))
    message = str(caught.value)
    assert "OData v4:" in message and "OData v3:" in message and "not complete JSON" in message
    assert "<html>" in message and "\n" not in message and "Traceback" not in message
    assert not client.is_cached(cbs_server.url + V3 + "/85984NED/TableInfos?%24format=json")


# --------------------------------------------------------------------------- bad pages, busy server


def test_a_v4_page_without_value_is_a_plain_error_and_is_not_cached(cbs_server, client) -> None:
    bad = b'{"odata.error": {"code": "", "message": {"lang": "nl", "value": "Er is een fout opgetreden."}}}'
    page_2 = "odata4/85984NED/Observations~BU0344~2.json.gz"
    serve_cbs(cbs_server, "85984NED", apis=("odata4",), tweak=lambda n, d: Reply(bad) if n == page_2 else None)
    with pytest.raises(DownloadError, match="has no 'value' list") as caught:
        cbs.fetch_kwb(client, "GM0344", years=(2024,))
    assert "\n" not in str(caught.value)
    cached = [p.read_bytes() for p in client.cache_dir.rglob("*.bin")]
    assert cached and bad not in cached  # the good answers stay cached, the bad page does not


def test_a_truncated_v4_page_is_a_plain_error_and_is_not_cached(cbs_server, client) -> None:
    page_2 = "odata4/85984NED/Observations~BU0344~2.json.gz"
    serve_cbs(cbs_server, "85984NED", apis=("odata4",),
              tweak=lambda n, d: Reply(d[: len(d) // 2]) if n == page_2 else None)
    with pytest.raises(DownloadError, match="not complete JSON"):
        cbs.fetch_kwb(client, "GM0344", years=(2024,))
    for path in client.cache_dir.rglob("*.bin"):
        json.loads(path.read_bytes())  # nothing half-written or unparsable is kept


def test_a_429_on_one_page_is_waited_out_and_the_result_is_complete(cbs_server, client) -> None:
    page_2 = "odata4/85984NED/Observations~BU0344~2.json.gz"

    def busy(name: str, data: bytes) -> list[Reply] | None:
        if name == page_2:
            return [Reply(b"Too Many Requests", status=429, headers={"Retry-After": "3"}), Reply(data)]
        return None

    serve_cbs(cbs_server, "85984NED", tweak=busy)
    result = cbs.fetch_kwb(client, "GM0344", years=(2024,))
    assert client.waits == [3.0]  # type: ignore[attr-defined]
    assert len(result.frame) == 111 and result.frame["a_inw"].sum() == 374_200
    assert result.frame["a_inw"].notna().all() and result.frame["ste_oad"].notna().all()


def test_a_table_that_describes_itself_differently_is_not_used(cbs_server, client) -> None:
    def wrong_year(name: str, data: bytes) -> Reply | None:
        if name == "odata4/85984NED/Properties.json.gz":
            return Reply(data.replace(b"wijken en buurten 2024", b"wijken en buurten 2023"))
        return None

    serve_cbs(cbs_server, "85984NED", "85618NED", tweak=wrong_year)
    result = cbs.fetch_kwb(client, "GM0344", years=(2024, 2023))
    assert any("describes itself differently" in n and "title is for 2023" in n for n in result.notes)
    apis = {(s["table_id"], s["api"]) for s in result.sources}
    assert apis == {("85984NED", "odata3"), ("85618NED", "odata4")}  # a wrong table is not an outage of v4
    assert result.frame.loc["BU03440111", "a_inw"] == 1800.0


def test_a_table_both_apis_describe_differently_is_an_error(cbs_server, client) -> None:
    def both_wrong(name: str, data: bytes) -> Reply | None:
        if name.endswith(("Properties.json.gz", "TableInfos.json.gz")):
            return Reply(data.replace(b"Kerncijfers wijken en buurten 2024", b"Bevolking; kerncijfers 2024"))
        return None

    serve_cbs(cbs_server, "85984NED", tweak=both_wrong)
    with pytest.raises(DownloadError, match="describes itself differently"):
        cbs.fetch_kwb(client, "GM0344", years=(2024,))


# --------------------------------------------------------------------------- nabijheid


def test_nabijheid_in_metres_newest_year_per_type(cbs_server, client, data_root) -> None:
    serve_cbs(cbs_server, "85830NED")  # 2024 (86134NED) is not there: skipped with a note
    result = cbs.fetch_nabijheid(client, "GM0344", years=(2025, 2024, 2023))
    offline = files.load_cbs_table(data_root / NAB_2023_CSV).frame
    frame = result.frame
    assert len(frame) == 111
    for path, ftype in build.NABIJHEID_COLUMNS.items():
        expected = (offline[path] * 1000.0).reindex(frame.index)
        pd.testing.assert_series_equal(frame[schema.cbs_dist_col(ftype)], expected, check_names=False)
    assert frame.loc["BU03440111", "cbs_dist_childcare_m"] == 700.0
    assert set(result.missing) == {"cbs_dist_primary_school_m", "cbs_dist_culture_m"}
    assert set(result.years.values()) == {2023}
    assert any("no table known for 2025" in n for n in result.notes)
    assert any("86134NED) is not available" in n for n in result.notes)
    # culture (no v4 id) was asked of v3; the four "Afstand tot school" keys were told apart by their group.
    assert any("AfstandTotPodiumkunstenTotaal_99" in q["$select"] for q in requests_to(cbs_server, "/TypedDataSet"))
    assert [(s["table_id"], s["api"]) for s in result.sources] == [("85830NED", "odata4")]


def test_nabijheid_via_v3_picks_the_primary_school_key_by_its_group(cbs_server, client) -> None:
    serve_cbs(cbs_server, "85830NED", tweak=v4_down)
    result = cbs.fetch_nabijheid(client, "GM0344", years=(2023,))
    [source] = result.sources
    assert source["api"] == "odata3"
    select = requests_to(cbs_server, "/85830NED/TypedDataSet")[0]["$select"]
    assert "AfstandTotSchool_60" in select and "AfstandTotSchool_64" not in select
    assert "AfstandTotKinderdagverblijf_52" in select and "AfstandTotZwembad_93" in select
    assert result.frame.loc["BU03440111", "cbs_dist_swimming_pool_m"] == 1900.0
    assert np.isnan(result.frame.loc["BU03440911", "cbs_dist_childcare_m"])


def test_a_distance_in_another_unit_is_not_converted_blindly(cbs_server, client) -> None:
    def metres(name: str, data: bytes) -> Reply | None:
        if name == "odata4/85830NED/MeasureCodes.json.gz":
            return Reply(data.replace(b'"Unit":"km"', b'"Unit":"m"'))
        return None

    serve_cbs(cbs_server, "85830NED", apis=("odata4",), tweak=metres)
    result = cbs.fetch_nabijheid(client, "GM0344", years=(2023,))
    assert any("is in 'm', not 'km'; not used" in n for n in result.notes)
    assert result.frame["cbs_dist_childcare_m"].isna().all()


# --------------------------------------------------------------------------- municipalities


def test_municipalities_and_names(cbs_server, client) -> None:
    serve_cbs(cbs_server, "85984NED", regions=("GM",))  # 2025 (86165NED) is not there: the next table answers
    table = cbs.municipalities(client)
    assert list(table.columns) == ["code", "name"] and len(table) == 342
    assert table.attrs["source"] == {"table_id": "85984NED", "year": 2024, "api": "odata4"}
    for text in ("Tilburg", "tilburg ", "GM0855", "gm0855", "0855", "855"):
        assert cbs.resolve_gemeente(text, table) == ("GM0855", "Tilburg"), text
    for text in ("'s-Hertogenbosch", "s Hertogenbosch", "'S-HERTOGENBOSCH"):
        assert cbs.resolve_gemeente(text, table) == ("GM0796", "'s-Hertogenbosch"), text
    assert cbs.resolve_gemeente("Sudwest Fryslan", table) == ("GM1900", "Súdwest-Fryslân")
    with pytest.raises(ParameterError, match="No municipality named 'Den Bosch'"):
        cbs.resolve_gemeente("Den Bosch", table)  # not in CBS's list, and no alias is invented
    with pytest.raises(ParameterError, match=r"Did you mean: Tilburg \(GM0855\)"):
        cbs.resolve_gemeente("Tilbrug", table)
    with pytest.raises(ParameterError, match=r"Bergen \(L\.\) \(GM0893\).*Bergen \(NH\.\) \(GM0373\)"):
        cbs.resolve_gemeente("Bergen", table)
    with pytest.raises(ParameterError, match="GM9999 is not a municipality in the CBS list"):
        cbs.resolve_gemeente("9999", table)
    with pytest.raises(ParameterError, match="Name a municipality"):
        cbs.resolve_gemeente("  ", table)


def test_municipalities_via_v3_strip_the_padded_keys(cbs_server, client) -> None:
    serve_cbs(cbs_server, "85984NED", regions=("GM",), tweak=v4_down)
    table = cbs.municipalities(client)
    assert len(table) == 342 and table.attrs["source"]["api"] == "odata3"
    assert table["code"].str.fullmatch(r"GM\d{4}").all()
    assert cbs.resolve_gemeente("Delft", table) == ("GM0503", "Delft")


def test_resolve_accepts_any_code_name_table() -> None:
    offline = pd.DataFrame({"code": ["0344", "GM0855 ", "503"], "name": ["Utrecht", "Tilburg", "Delft"]})
    assert cbs.resolve_gemeente("utrecht", offline) == ("GM0344", "Utrecht")
    assert cbs.resolve_gemeente("855", offline) == ("GM0855", "Tilburg")
    assert cbs.resolve_gemeente("GM0503", offline) == ("GM0503", "Delft")
    with pytest.raises(ParameterError, match="needs the columns 'code' and 'name'"):
        cbs.resolve_gemeente("Utrecht", pd.DataFrame({"gemeente": ["Utrecht"]}))


def test_no_municipality_list_is_a_plain_error(cbs_server, client) -> None:
    with pytest.raises(DownloadError, match="list of municipalities could not be fetched"):
        cbs.municipalities(client)


# --------------------------------------------------------------------------- arguments, fixtures


def test_bad_arguments_are_parameter_errors(client) -> None:
    with pytest.raises(ParameterError, match="Expected a CBS municipality code"):
        cbs.fetch_kwb(client, "Tilburg")
    with pytest.raises(ParameterError, match="No CBS nabijheid table for the years 2025"):
        cbs.fetch_nabijheid(client, "GM0344", years=(2025,))


def test_fixtures_are_small_and_documented() -> None:
    files_ = sorted(FIX.rglob("*.json.gz"))
    assert len(files_) == 32 and sum(p.stat().st_size for p in files_) < 1_000_000
    provenance = (FIX / "PROVENANCE.md").read_text(encoding="utf-8")
    assert "Bron: CBS" in provenance and "make_cbs_fixtures.py" in provenance


def test_fixtures_are_reproducible_from_the_shared_data(full_shared_data, tmp_path) -> None:
    spec = importlib.util.spec_from_file_location("make_cbs_fixtures", FIX / "make_cbs_fixtures.py")
    assert spec is not None and spec.loader is not None
    maker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(maker)
    written = maker.make_all(full_shared_data, tmp_path)
    assert {p.relative_to(tmp_path).as_posix() for p in written} == {
        p.relative_to(FIX).as_posix() for p in FIX.rglob("*.json.gz")
    }
    for path in written:
        assert path.read_bytes() == (FIX / path.relative_to(tmp_path)).read_bytes(), path
