"""The Scholen / Schools tab (AppTest): the branch table, the gap card, the language, links and the list upload."""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo import schema
from geo.catalog import DOMAINS
from geo.data import files, national
from geo.data.paths import DEFAULT_DATA_DIR
from geo.decide.schools import analyse_schools, csv_columns
from geo.errors import PlanningError
from geo.terms import column_label
from tests.helpers import APP_TABS_KEY, open_app_tab
from ui import schools_view
from ui.schools_view import SELECT_KEY, SchoolList, clicked_code, read_school_list, status_text

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TABS = APP_TABS_KEY
N_BRANCHES, N_SCORED = 98, 94
#: Two Utrecht branches: the default (largest gap score) and another one.
TOP, OTHER = "17ZR00", "03LX00"
OTHER_NAME = "Drie Koningenschool"


def _open(params: dict[str, str] | None = None, *, tab: bool = True) -> AppTest:
    """The app (with the link ``params``), with the Scholen tab opened as a click on it would."""
    at = AppTest.from_file(APP, default_timeout=180)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if tab and at.session_state[TABS] != "Scholen":
        _open_tab(at, "Scholen")
    return at


def _open_tab(at: AppTest, label: str) -> None:
    open_app_tab(at, label)


def _branch_table(at: AppTest, lang: str = "nl") -> pd.DataFrame:
    code = column_label(schema.SCHOOL_CODE, lang)
    return next(d.value for d in at.dataframe if code in d.value.columns)


def _card(at: AppTest) -> str:
    return "\n".join(h.proto.body for h in at.get("html"))


def _texts(at: AppTest) -> str:
    return "\n".join(str(x.value) for x in (*at.info, *at.warning, *at.caption, *at.markdown, *at.error))


@pytest.fixture(scope="module")
def utrecht() -> AppTest:
    return _open()


def test_the_tab_lists_every_utrecht_branch_and_opens_the_top_card(utrecht: AppTest) -> None:
    at = utrecht
    assert [tab.label for tab in at.tabs][-1] == "Scholen"
    table = _branch_table(at)
    assert len(table) == N_BRANCHES
    assert table[column_label(schema.RELATIVE_SCORE, "nl")].notna().sum() == N_SCORED
    assert table[column_label(schema.SCHOOL_CODE, "nl")].is_unique
    # Largest gap first; no list loaded, so no list column.
    gaps = table[column_label(schema.GAP_SCORE, "nl")]
    assert gaps.iloc[0] == gaps.max()
    assert column_label(schema.ELIGIBLE_LISTED, "nl") not in table.columns
    # One status column per domain, as symbol and word.
    for domain in DOMAINS:
        values = set(table[column_label(schema.domain_col(domain, "status"), "nl")])
        assert values <= {status_text(s, "nl") for s in schema.REACH_STATUSES}, values
    # The default school's gap card is open.
    assert at.selectbox(key=SELECT_KEY).value == TOP
    name = table.loc[table[column_label(schema.SCHOOL_CODE, "nl")] == TOP, "School"].iloc[0]
    assert name in _card(at).replace("&#x27;", "'")
    assert any(b.proto.label == "Tekortkaart (HTML, afdrukbaar)" for b in at.get("download_button"))
    assert any(b.proto.label == "Alle vestigingen (CSV)" for b in at.get("download_button"))
    # The estimate is labelled, and straight-line reach says so (no Utrecht walking network ships).
    text = _texts(at)
    assert "**schatting**" in text and "2019" in text
    assert "hemelsbreed (benadering)" in text
    assert "4 km/u" in text


def test_picking_a_school_shows_its_card_and_puts_it_in_the_link(utrecht: AppTest) -> None:
    at = utrecht
    at.selectbox(key=SELECT_KEY).set_value(OTHER).run()
    assert not at.exception
    assert OTHER_NAME in _card(at)
    assert any(f"school={OTHER}" in c.value for c in at.code)


def test_english_labels_after_a_language_switch(utrecht: AppTest) -> None:
    at = utrecht
    at.radio(key="lang").set_value("en").run()
    assert not at.exception
    assert "Schools" in [tab.label for tab in at.tabs]
    table = _branch_table(at, "en")
    assert {"Branch code", "Pupils", "Gap score", "Comparable to category A (estimate)",
            "Children 0–14 around the school", "Need index around the school"} <= set(table.columns)
    assert set(table["Culture"]) <= {status_text(s, "en") for s in schema.REACH_STATUSES}
    assert "straight line (approximation)" in _texts(at)
    assert any(b.proto.label == "Gap card (HTML, printable)" for b in at.get("download_button"))


def test_other_walking_minutes_recompute_the_gaps(utrecht: AppTest) -> None:
    at = utrecht
    before = _branch_table(at, "en")["Domains without a provider in reach"].sum()
    at.radio(key=schools_view.MINUTES_KEY).set_value(15.0).run()
    assert not at.exception
    after = _branch_table(at, "en")["Domains without a provider in reach"].sum()
    assert after < before  # more is in reach in 15 minutes than in 10
    assert any("smin=15" in c.value for c in at.code)


def test_the_tab_runs_only_when_open_and_only_then_puts_the_school_in_the_link() -> None:
    at = _open(tab=False)
    assert at.session_state[TABS] == "Robuustheid"
    assert SELECT_KEY not in at.session_state and not at.get("html")
    assert not any("school=" in c.value for c in at.code)
    _open_tab(at, "Scholen")
    assert any(f"school={TOP}" in c.value for c in at.code)
    # A language switch keeps the tab open (its label changes).
    at.radio(key="lang").set_value("en").run()
    assert at.session_state[TABS] == "Schools" and at.selectbox(key=SELECT_KEY).value == TOP


def test_a_link_opens_the_tab_the_school_and_the_minutes() -> None:
    at = _open({"school": OTHER, "smin": "5"}, tab=False)
    assert at.session_state[TABS] == "Scholen"
    assert at.selectbox(key=SELECT_KEY).value == OTHER
    assert at.radio(key=schools_view.MINUTES_KEY).value == 5.0
    assert OTHER_NAME in _card(at)
    assert not any("link" in w.value.lower() for w in at.warning)


@pytest.mark.parametrize("value", ["<img src=x onerror=alert(1)>", "99ZZ99", "17zr00'--", "A" * 300])
def test_a_hostile_or_unknown_school_in_a_link_falls_back_with_an_escaped_notice(value: str) -> None:
    at = _open({"school": value, "smin": "7"}, tab=False)
    notice = next(w.value for w in at.warning if "link" in w.value.lower())
    assert "**school**" in notice and "**smin**" in notice
    assert not re.search(r"(?<!\\)<", notice), notice
    _open_tab(at, "Scholen")
    assert at.selectbox(key=SELECT_KEY).value == TOP
    assert at.radio(key=schools_view.MINUTES_KEY).value == 10.0


def test_delft_measures_over_its_car_road_network_and_says_so() -> None:
    at = _open({"ds": "delft"})
    assert len(_branch_table(at)) == 25
    text = _texts(at)
    assert "over het straten-netwerk (Delft.graphml)" in text
    assert "auto's" in text  # the car-road approximation
    assert "geen gegevens" in text  # Delft has no provider points: every domain unknown, never "missing"


@pytest.fixture(scope="module")
def no_schools_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the Utrecht dataset without its primary schools."""
    root = tmp_path_factory.mktemp("data")
    ds = files.load_dataset(DEFAULT_DATA_DIR)
    facilities = ds.facilities[ds.facilities[schema.FACILITY_TYPE] != "primary_school"]
    meta = json.loads((Path(DEFAULT_DATA_DIR) / files.DATASET_META).read_text(encoding="utf-8"))
    files.write_dataset(ds.buurten, facilities, meta, root / "utrecht")
    return root / "utrecht"


def test_a_dataset_without_schools_says_so(no_schools_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RSP_DATA_DIR", str(no_schools_root))
    at = _open()
    assert any("geen basisscholen" in i.value for i in at.info)
    assert at.selectbox(key="buurt_select").value  # the rest of the app works


# --------------------------------------------------------------------------- the municipality's list


def test_a_good_list_is_read_and_matched() -> None:
    read = read_school_list("lijst.csv", f"VESTIGINGSCODE;naam\n{TOP};x\n{OTHER.lower()};y\n99ZZ99;z\n,\n".encode())
    assert read.codes == {TOP, OTHER, "99ZZ99"}
    assert read.match([TOP, OTHER, "00AP00"]) == ((OTHER, TOP), ("99ZZ99",))
    text = read_school_list("codes.txt", f"\ufeff{TOP}\n\nnot a code\n".encode())
    assert text.codes == {TOP} and text.not_codes == ("not a code",)


BAD_LISTS = [
    ("list.pdf", b"%PDF-1.4"),
    ("empty.csv", b""),
    ("columns.csv", b"a,b\n1,2\n"),
    ("nocodes.txt", b"hello\nworld\n"),
    ("broken.xlsx", b"garbage\x00\xff"),
    ("latin1.txt", "café\n".encode("cp1252") + b"\xff\xfe"),
    ("binary.csv", b"\x00\x01\x02"),
    ("<script>alert(1)</script>.csv", b"x\n"),
]


@pytest.mark.parametrize(("name", "data"), BAD_LISTS, ids=[n for n, _ in BAD_LISTS])
def test_a_malformed_list_is_refused_with_a_message(name: str, data: bytes) -> None:
    with pytest.raises(PlanningError) as info:
        read_school_list(name, data, "nl")
    message = str(info.value)
    assert message and "<script>" not in message


def _list_script(name: str, data: bytes) -> None:
    import streamlit as st

    from ui import schools_view

    class Uploaded:
        def __init__(self) -> None:
            self.name, self.size = name, len(data)

        def getvalue(self) -> bytes:
            return data

    original = st.file_uploader
    st.file_uploader = lambda *a, **k: Uploaded()  # type: ignore[assignment]
    try:
        codes = schools_view.render_school_list(["17ZR00", "03LX00"], "Utrecht", "nl")
    finally:
        st.file_uploader = original  # type: ignore[assignment]
    st.text(f"codes={codes}")


def test_the_view_shows_a_bad_list_as_an_error_and_keeps_running() -> None:
    at = AppTest.from_function(_list_script, args=("<b>lijst</b>.xlsx", b"garbage"), default_timeout=30)
    at.run()
    assert not at.exception
    [error] = at.error
    assert "is niet geladen" in error.value and "VESTIGINGSCODE" in error.value
    assert "<b>" not in error.value.replace("\\<", "")
    assert at.text[0].value == "codes=None"


def test_the_view_shows_matched_and_unknown_codes_escaped() -> None:
    data = b"VESTIGINGSCODE\n17ZR00\n99ZZ99\n<img src=x>\n"
    at = AppTest.from_function(_list_script, args=("lijst.csv", data), default_timeout=30)
    at.run()
    assert not at.exception and not at.error
    assert at.text[0].value == "codes=('17ZR00',)"
    assert "1 van de 2 codes" in at.caption[0].value
    warnings = " ".join(w.value for w in at.warning)
    assert "99ZZ99" in warnings
    assert "\\<img src=x\\>" in warnings


# --------------------------------------------------------------------------- small parts


def test_the_csv_has_every_branch_in_the_command_line_columns() -> None:
    ds = files.load_dataset(DEFAULT_DATA_DIR)
    result = analyse_schools(ds, scores=national.school_scores(), history=national.pupil_history())
    table = result.table()
    out = pd.read_csv(StringIO(schools_view.csv_bytes(table).decode("utf-8")), dtype={schema.SCHOOL_CODE: str})
    assert list(out.columns) == csv_columns(table)
    assert len(out) == N_BRANCHES and out[schema.RELATIVE_SCORE].notna().sum() == N_SCORED


def test_a_map_click_is_read_from_the_tooltip() -> None:
    codes = [TOP, OTHER]
    assert clicked_code({"last_object_clicked_tooltip": f"[{OTHER}] {OTHER_NAME}"}, codes) == OTHER
    assert clicked_code({"last_object_clicked_tooltip": f"  [{OTHER.lower()}] x"}, codes) == OTHER
    for bad in (None, {}, {"last_object_clicked_tooltip": None}, {"last_object_clicked_tooltip": "[99ZZ99] x"},
                {"last_object_clicked_tooltip": "Drie Koningenschool"}, {"last_object_clicked_tooltip": 5},
                {"last_object_clicked_tooltip": "[<script>] x"}):
        assert clicked_code(bad, codes) is None


def test_school_list_is_a_plain_value() -> None:
    listed = SchoolList("x.csv", frozenset({TOP}), ())
    assert listed.match([]) == ((), (TOP,))
