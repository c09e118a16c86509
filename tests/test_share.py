"""Share links: round trip, hostile query strings, escaping, and the Streamlit glue."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qs, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from geo.catalog import DEFAULT_PRESET, FACILITY_TYPES, INDICATORS, PRESETS
from geo.data.files import SCHOOL_CODE_PATTERN
from geo.decide.ranking import NORMALISATIONS, RankingParams
from geo.decide.scenario import ScenarioFacility
from geo.errors import ParameterError
from ui import markdown, share
from ui.markdown import SHOWN_CHARS, escape_url_text
from ui.share import (
    DEFAULT_STATE,
    Notice,
    ShareState,
    Validation,
    decode,
    encode,
    share_url,
    to_query_string,
    validate,
)
from ui.state import AccessChoice, AppParams

VALID = Validation()


def _decode_qs(query: str, **kw) -> tuple[ShareState, list[Notice]]:
    """What the app sees: Streamlit parses the URL with parse_qs(keep_blank_values=True)."""
    return decode(parse_qs(query, keep_blank_values=True), **kw)


# --------------------------------------------------------------------------- strategies

_x0, _y0, _x1, _y1 = VALID.bbox
_added = st.builds(
    ScenarioFacility,
    st.sampled_from(VALID.scenario_types),
    st.floats(_x0, _x1),
    st.floats(_y0, _y1),
    st.none() | st.floats(*VALID.capacity_range),
)
valid_states = st.builds(
    ShareState,
    dataset=st.sampled_from(VALID.datasets),
    lang=st.sampled_from(VALID.languages),
    preset=st.sampled_from(VALID.presets),
    weights=st.lists(st.tuples(st.sampled_from(VALID.indicators), st.floats(*VALID.weight_range)), max_size=12),
    normalisation=st.sampled_from(NORMALISATIONS),
    map_column=st.sampled_from(VALID.map_columns),
    facility_types=st.none() | st.lists(st.sampled_from(VALID.facility_types), unique=True).map(tuple),
    mode=st.sampled_from(VALID.modes),
    traveller=st.sampled_from(VALID.travellers),
    speed_kmh=st.none() | st.floats(*VALID.speed_range_kmh),
    minutes=st.lists(st.sampled_from(VALID.band_choices), min_size=1, unique=True).map(tuple),
    show_isochrones=st.booleans(),
    buurt=st.none() | st.from_regex(share._BUURT, fullmatch=True),
    added=st.lists(_added, max_size=VALID.max_scenario).map(tuple),
    removed=st.lists(st.from_regex(share._FACILITY_ID, fullmatch=True), max_size=VALID.max_scenario).map(tuple),
    school=st.none() | st.from_regex(SCHOOL_CODE_PATTERN, fullmatch=True),
    school_minutes=st.sampled_from(VALID.school_minute_choices),
).filter(lambda s: any(w > 0 for w in s.effective_weights().values()))  # an all-zero link is refused

_nasty_text = st.text(max_size=300) | st.sampled_from(
    ["nan", "inf", "-inf", "1e309", "-0", "1_0", "0x10", "١", "１", "<script>", "'; DROP", "${{7*7}}",
     '__import__("os")', "%3Cscript%3E", "-", "~", "~~", "\x00", "\u202e", "\ud800"]
)
_values = _nasty_text | st.lists(_nasty_text, max_size=80) | st.none() | st.integers() | st.lists(st.integers())
_keys = st.sampled_from(share.PARAMS) | st.text(max_size=10)


# --------------------------------------------------------------------------- round trip


@settings(max_examples=150, deadline=None)
@given(valid_states)
def test_decode_of_encode_restores_every_valid_state(state):
    assert decode(encode(state)) == (state, [])
    # ... also through a real query string, parsed the way Streamlit parses it.
    assert _decode_qs(to_query_string(state)) == (state, [])


@settings(max_examples=60, deadline=None)
@given(valid_states, valid_states)
def test_round_trip_holds_against_other_defaults(state, defaults):
    # ``facility_types=None`` ("all present") has no spelling of its own: it is always the default.
    defaults = replace(defaults, facility_types=None)
    assert decode(encode(state, defaults), defaults=defaults) == (state, [])


def test_defaults_make_an_empty_link_and_the_base_url_keeps_only_its_path():
    assert encode(DEFAULT_STATE) == {}
    assert share_url("https://host.example/app/?old=1#frag", DEFAULT_STATE) == "https://host.example/app/"
    state = ShareState(lang="en", preset="need_only", weights=(("dist_sport_m", 2.5),), buurt="BU03440111")
    assert share_url("https://host.example/app?x=1", state) == (
        "https://host.example/app?lang=en&p=need_only&w=dist_sport_m~2.5&b=BU03440111"
    )


def test_numbers_are_short_and_exact():
    state = ShareState(
        speed_kmh=4.2, weights=(("dist_sport_m", 1e-05), ("dist_library_m", 0.1 + 0.2)),
        added=(ScenarioFacility("library", 136000.25, 455000.0, 120.0),),
    )
    params = encode(state)
    assert params["kmh"] == "4.2"
    assert params["w"] == ["dist_library_m~0.30000000000000004", "dist_sport_m~1e-05"]
    assert params["add"] == ["library~136000.25~455000~120"]
    assert decode(params)[0] == state


def test_state_is_canonical():
    # Overrides equal to the preset are no-ops; duplicates keep the last; bands are a sorted set.
    preset_sport = PRESETS[DEFAULT_PRESET]["dist_sport_m"]
    state = ShareState(
        weights=(("dist_sport_m", preset_sport), ("woz_mean_keur", 3.0), ("woz_mean_keur", -0.0)),
        minutes=(15, 5.0, 5),
        facility_types=("sport", "library", "sport"),
    )
    assert state.weights == (("woz_mean_keur", 0.0),)
    assert state.minutes == (5.0, 15.0)
    assert state.facility_types == ("sport", "library")
    assert state.effective_weights()["woz_mean_keur"] == 0.0


# --------------------------------------------------------------------------- hostile links

HOSTILE = [
    "lang=xx",
    "lang=<script>alert(1)</script>",
    "lang=en&lang=nl&lang=<x>",
    "lang=nl;en",
    "lang=%ED%A0%80",  # an encoded lone surrogate
    "lang=%E2%80%AEln",  # right-to-left override
    "ds=../../etc/passwd",
    "ds=%2e%2e%2f%2e%2e%2f",
    "ds=" + "utrecht" * 40,
    "p=__import__('os').system('id')",
    "p=${{7*7}}",
    "map={{7*7}}",
    "map=priority_score%00",
    "w=dist_sport_m~nan",
    "w=dist_sport_m~inf",
    "w=dist_sport_m~1e309",
    "w=dist_sport_m~-1",
    "w=dist_sport_m~5.5",
    "w=dist_sport_m~1_0",
    "w=dist_sport_m~%EF%BC%91",  # fullwidth digit one
    "w=dist_sport_m~%D9%A1",  # Arabic-Indic digit one
    "w=dist_sport_m~0x10",
    "w=dist_sport_m~%201",
    "w=__class__~1",
    "w=dist_sport_m",
    "w=~&w=~~~&w=",
    "&".join(["w=a~1"] * 1000),
    "ft=%3Cb%3E~Sport",
    "ft=" + "~" * 500,
    "ft=sport~" * 20,
    "mode=WALK",
    "mode=walk%0Aevil",
    "tr=Child",
    "kmh=1e309",
    "kmh=NaN",
    "kmh=-0",
    "kmh=99999999999999999999999",
    "kmh=4,5",
    "min=5~5~5~5~5~5",
    "min=3",
    "min=~",
    "min=10;15",
    "iso=2",
    "iso=true",
    "b=<script>alert(1)</script>",
    "b='; DROP TABLE buurten; --",
    "b=BU0344%00",
    "b=%0A%0D",
    "b=" + "B" * 33,
    "add=sport~1e309~455000",
    "add=sport~136000~0",
    "add=sport",
    "add=bomb~136000~455000",
    "add=sport~136000~455000~-5",
    "add=sport~136000~455000~1~2",
    "rm=../x",
    "rm=" + "A" * 10000,
    "rm=%3Cimg%20src=x%20onerror=alert(1)%3E",
    "%ff=%fe&lang=%ff",
    "school=%3Cscript%3Ealert(1)%3C/script%3E",
    "school=17zr00",
    "school=17ZR00%00",
    "school=17ZR0",
    "school=" + "A" * 300,
    "school=../../etc/passwd",
    "smin=7",
    "smin=nan",
    "smin=10~15",
    "smin=-10",
    "smin=1e999",
    "lang=" + "a" * 100_000,
    "norm=x",
    "norm=national",
    "norm=M",
    "norm=m~n",
    "norm=%3Cscript%3Ealert(1)%3C/script%3E",
    "norm=n%00",
    "norm=" + "n" * 300,
]


@pytest.mark.parametrize("query", HOSTILE, ids=range(len(HOSTILE)))
@pytest.mark.parametrize("errors", ["replace", "surrogateescape"])
def test_hostile_links_give_defaults_and_notices(query, errors):
    # surrogateescape leaves lone surrogates in the text, as a careless parser could.
    params = parse_qs(query, keep_blank_values=True, errors=errors)
    state, notices = decode(params)
    assert state == DEFAULT_STATE
    assert notices, query
    for notice in notices:
        text = notice.markdown("nl") + notice.markdown("en")
        assert "<" not in text.replace("\\<", "")
        assert all(ch.isprintable() for ch in text)
        text.encode("utf-8")  # no lone surrogate on its way to the browser
        assert len(notice.value) <= SHOWN_CHARS + 1


@pytest.mark.parametrize("query", ["", "&&&", "=", "?", "fbclid=abc&utm_source=x", "lang=", "b=&w="])
def test_empty_and_unknown_parameters_are_ignored_silently(query):
    assert _decode_qs(query) == (DEFAULT_STATE, [])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_keys, _values, max_size=12))
def test_decode_never_raises_and_always_returns_a_valid_state(params):
    state, notices = decode(params)
    assert isinstance(state, ShareState) and all(isinstance(n, Notice) for n in notices)
    # Whatever came in, what comes out is a valid state: it survives its own round trip untouched.
    assert decode(encode(state)) == (state, [])
    for notice in notices:
        notice.markdown("en").encode("utf-8")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=2000))
def test_decode_of_any_query_string_never_raises(query):
    decode(parse_qs(query, keep_blank_values=True, errors="surrogateescape"))


def test_non_mapping_input_gives_defaults_with_a_notice():
    state, notices = decode(["lang", "en"])  # type: ignore[arg-type]
    assert state == DEFAULT_STATE and len(notices) == 1


# --------------------------------------------------------------------------- partial links


def test_one_bad_weight_keeps_the_other_values():
    query = (
        "lang=en&p=need_only&w=dist_sport_m~2.5&w=woz_mean_keur~banana&w=dist_library_m~99"
        "&map=need_index&b=BU03440111"
    )
    state, notices = _decode_qs(query)
    assert state.lang == "en" and state.preset == "need_only"
    assert state.weights == (("dist_sport_m", 2.5),)
    assert state.map_column == "need_index" and state.buurt == "BU03440111"
    assert [n.param for n in notices] == ["w", "w"]
    assert {n.value for n in notices} == {"woz_mean_keur~banana", "dist_library_m~99"}
    assert "0 en 5" in notices[1].message_nl and "0 and 5" in notices[1].message_en


def test_unknown_language_falls_back_to_dutch_with_a_notice():
    state, notices = _decode_qs("lang=fr&mode=bike")
    assert state.lang == "nl" and state.mode == "bike"
    [notice] = notices
    assert notice.param == "lang" and notice.value == "fr"
    assert "onbekend" in notice.message("nl") and "unknown" in notice.message("en")
    assert "nl, en" in notice.message_en


def test_script_in_a_buurt_value_is_escaped_in_the_notice():
    state, [notice] = _decode_qs("b=%3Cscript%3Ealert(1)%3C/script%3E")
    assert state.buurt is None
    assert notice.value == "<script>alert(1)</script>"  # the raw text, for st.text
    md = notice.markdown("nl")
    assert "<script>" not in md and "\\<script\\>" in md
    assert "\\(1\\)" in md and "\\<\\/script\\>" in md


def test_lists_keep_their_valid_entries():
    state, notices = _decode_qs(
        "ft=sport~nope~library&min=5~7~20&add=sport~136000~455000&add=sport~0~0&rm=duo-03LX00&rm=.."
    )
    assert state.facility_types == ("sport", "library")
    assert state.minutes == (5.0, 20.0)
    assert state.added == (ScenarioFacility("sport", 136000.0, 455000.0, None),)
    assert state.removed == ("duo-03LX00",)
    assert [n.param for n in notices] == ["ft", "min", "add", "rm"]


def test_explicit_empty_values():
    state, notices = _decode_qs("ft=-&b=-&kmh=-&w=-&add=-&rm=-")
    assert notices == []
    assert state.facility_types == () and state.buurt is None and state.speed_kmh is None
    assert encode(state) == {"ft": "-"}


def test_too_many_scenario_facilities_are_cut_with_a_notice():
    adds = [f"sport~{136000 + i}~455000" for i in range(25)]
    state, notices = decode({"add": adds})
    assert len(state.added) == VALID.max_scenario
    assert [n.param for n in notices] == ["add"]


def test_a_too_long_value_is_refused():
    state, [notice] = decode({"b": "BU" + "1" * 300})
    assert state.buurt is None and len(notice.value) == SHOWN_CHARS + 1 and notice.value.endswith("…")
    assert "200" in notice.message_en


def test_weights_that_leave_nothing_to_rank_are_refused():
    zeros = "&".join(f"w={k}~0" for k in PRESETS[DEFAULT_PRESET])
    state, [notice] = _decode_qs(zeros + "&lang=en")
    assert state.weights == () and state.lang == "en"
    assert notice.param == "w"
    # With data: weights only on indicators without data are refused as well.
    valid = Validation(usable_indicators=frozenset({"dist_sport_m"}))
    state, notices = _decode_qs("w=dist_sport_m~0", valid=valid)
    assert state.weights == () and len(notices) == 1


# --------------------------------------------------------------------------- validation once the data is loaded


def test_school_and_minutes_round_trip_and_are_short():
    state = ShareState(school="17ZR00", school_minutes=15)
    assert encode(state) == {"school": "17ZR00", "smin": "15"}
    assert _decode_qs("school=17ZR00&smin=15.0") == (state, [])
    assert _decode_qs("school=-") == (DEFAULT_STATE, [])
    assert share.widget_values(state)["school_select"] == "17ZR00"
    assert share.widget_values(state)["school_minutes"] == 15.0
    assert "school_select" not in share.widget_values(DEFAULT_STATE)
    # A link with a school opens the Scholen tab (app.py names its tabs by these keys).
    assert share.widget_values(state)["open_tab"] == share.SCHOOLS_TAB
    assert "open_tab" not in share.widget_values(DEFAULT_STATE)


def test_normalisation_round_trips_as_one_letter_and_seeds_the_radio():
    state = ShareState(dataset="NL01", normalisation="national")
    assert encode(state) == {"ds": "NL01", "norm": "n"}
    assert _decode_qs("ds=NL01&norm=n", valid=Validation(datasets=("utrecht", "NL01"))) == (state, [])
    assert _decode_qs("norm=m") == (DEFAULT_STATE, [])  # within each municipality is the default: not written
    assert share.widget_values(state)["normalisation"] == "national"
    assert share.widget_values(DEFAULT_STATE)["normalisation"] == "municipality"
    assert set(share.NORMALISATION_CODES) == set(NORMALISATIONS)
    params = _app_params("rijke_schooldag", {}, ())
    national = replace(params, ranking=replace(params.ranking, normalisation="national"))
    assert share.state_from_app(national, dataset="NL01", traveller="child").normalisation == "national"
    assert share.state_from_app(params, dataset="NL01", traveller="child").normalisation == "municipality"


def test_a_hostile_normalisation_falls_back_with_an_escaped_notice():
    state, [notice] = _decode_qs("norm=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&p=need_only")
    assert state == replace(DEFAULT_STATE, preset="need_only")  # the rest of the link still counts
    assert notice.param == "norm" and "m, n" in notice.message_en
    assert "<img" not in notice.markdown("nl").replace("\\<", "")


def test_a_school_in_a_link_is_checked_against_the_loaded_branches():
    state, [] = _decode_qs("school=17ZR00&b=BU03440111")
    checked, [notice] = validate(state, valid=Validation(school_codes=frozenset({"03LX00"})))
    assert checked == replace(state, school=None)
    assert notice.param == "school" and notice.value == "17ZR00"
    assert "vestigingscode" in notice.message_nl and "branch code" in notice.message_en
    # A dataset without schools refuses every school.
    assert validate(state, valid=Validation(school_codes=frozenset()))[0].school is None


def test_script_in_a_school_value_is_escaped_in_the_notice():
    state, [notice] = _decode_qs("school=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E")
    assert state.school is None
    md = notice.markdown("en")
    assert "<img" not in md.replace("\\<", "") and r"\<img src\=x onerror\=alert\(1\)\>" in md


def test_validate_narrows_to_the_loaded_data():
    state = ShareState(
        map_column="dist_library_m", facility_types=("sport", "library"), buurt="BU99999999",
        removed=("duo-03LX00", "osm-1"), lang="en",
    )
    data = Validation(
        map_columns=(*share.SUMMARY_COLUMNS, "dist_sport_m"),
        facility_types=("sport", "primary_school", "swimming_pool"),
        buurt_codes=frozenset({"BU03440111"}),
        facility_ids=frozenset({"duo-03LX00"}),
    )
    checked, notices = validate(state, valid=data)
    assert checked == ShareState(facility_types=("sport",), removed=("duo-03LX00",), lang="en")
    assert [n.param for n in notices] == ["map", "ft", "b", "rm"]
    assert validate(checked, valid=data) == (checked, [])


def test_validation_defaults_match_the_sidebar():
    from ui import sidebar

    assert VALID.weight_range[1] == sidebar.WEIGHT_MAX
    assert share.SUMMARY_COLUMNS == sidebar.SUMMARY_COLUMNS
    assert set(VALID.facility_types) == set(FACILITY_TYPES) and set(VALID.indicators) == set(INDICATORS)


# --------------------------------------------------------------------------- escaping


@given(st.text(max_size=60))
def test_escape_url_text_only_adds_backslashes_to_printable_text(text):
    out = escape_url_text(text, limit=100)
    plain = markdown.printable(text, 100)
    assert all(ch.isprintable() for ch in out)
    # Every ASCII punctuation character is preceded by a backslash; nothing else changes.
    i, rebuilt = 0, []
    while i < len(out):
        if out[i] == "\\":
            assert out[i + 1] in markdown._ASCII_PUNCT
            i += 1
        else:
            assert out[i] not in markdown._ASCII_PUNCT
        rebuilt.append(out[i])
        i += 1
    assert "".join(rebuilt) == plain


def test_escape_url_text_stops_entities_links_and_layout_tricks():
    assert escape_url_text("&lt;b&gt;") == "\\&lt\\;b\\&gt\\;"
    assert escape_url_text("https://evil.example") == "https\\:\\/\\/evil\\.example"
    assert escape_url_text("www.evil.example") == "www\\.evil\\.example"
    assert escape_url_text("a\nb\x00c\u202ed\u2028e") == "a\ufffdb\ufffdc\ufffdd\ufffde"
    assert escape_url_text("x" * 50) == "x" * 40 + "…"


# --------------------------------------------------------------------------- app glue


def _app_params(preset: str, overrides: dict[str, float], types: tuple[str, ...]) -> AppParams:
    # As the sidebar builds them: one slider per indicator, starting from the preset.
    weights = {k: float(PRESETS[preset].get(k, 0.0)) for k in INDICATORS}
    weights.update(overrides)
    return AppParams(
        lang="en", ranking=RankingParams.from_preset(preset, weights), map_column="need_index",
        facility_types=types, access=AccessChoice(mode="bike", speed_kmh=12.0, minutes=(10.0, 20.0)),
    )


def test_state_from_app_and_widget_values_agree():
    present = ("sport", "primary_school", "swimming_pool")
    params = _app_params("access_first", {"dist_sport_m": 4.5, "woz_mean_keur": 1.0}, present)
    state = share.state_from_app(
        params, dataset="utrecht", traveller="child", buurt="BU03440111", present_types=present, school="17ZR00",
        school_minutes=5.0,
    )
    assert state.weights == (("dist_sport_m", 4.5), ("woz_mean_keur", 1.0))
    assert state.facility_types is None  # all present types: "all"
    assert encode(state) == {
        "lang": "en", "p": "access_first", "w": ["dist_sport_m~4.5", "woz_mean_keur~1"], "map": "need_index",
        "mode": "bike", "min": "10~20", "b": "BU03440111", "school": "17ZR00", "smin": "5",
    }
    values = share.widget_values(state)
    assert values["w_access_first_dist_sport_m"] == 4.5
    assert values["w_access_first_dist_library_m"] == PRESETS["access_first"]["dist_library_m"]
    assert values["w_access_first_share_rent_pct"] == 0.0
    assert values["bands"] == [10.0, 20.0] and values["buurt_select"] == "BU03440111"
    assert values["school_select"] == "17ZR00" and values["school_minutes"] == 5.0
    assert "facility_types" not in values
    # The sliders as seeded give the same ranking parameters back.
    seeded = {k: values[share.weight_key("access_first", k)] for k in INDICATORS}
    assert RankingParams.from_preset("access_first", seeded) == params.ranking
    assert share.state_from_app(
        _app_params("access_first", {}, ("sport",)), dataset="utrecht", traveller="child", present_types=present
    ).facility_types == ("sport",)


def _glue_script() -> None:
    import streamlit as st

    from ui import link, share

    state, notices = share.decode(link.read_query_params())
    link.warn_notices(notices, state.lang)
    changed = link.write_query_params(share.ShareState(lang=state.lang, buurt="BU03440111"))
    st.text(f"lang={state.lang} buurt={state.buurt} changed={changed}")
    link.render_share_link(share.ShareState(lang=state.lang, buurt="BU03440111"), state.lang)


def test_streamlit_glue_reads_warns_safely_and_writes_the_url():
    at = AppTest.from_function(_glue_script, default_timeout=30)
    at.query_params["lang"] = "en"
    at.query_params["b"] = "<img src=x onerror=alert(1)>"
    at.query_params["w"] = ["dist_sport_m~1", "dist_sport_m~nan"]
    at.run()
    assert not at.exception
    assert at.text[0].value == "lang=en buurt=None changed=True"
    [warning] = at.warning
    assert "Not everything in the link" in warning.value
    assert "<img" not in warning.value.replace("\\<", "")
    assert "\\<img src\\=x onerror\\=alert\\(1\\)\\>" in warning.value
    assert at.query_params == {"lang": "en", "b": "BU03440111"}
    assert at.code[0].value == "?lang=en&b=BU03440111"


def test_write_query_params_leaves_an_equal_url_alone():
    at = AppTest.from_function(_glue_script, default_timeout=30)
    at.query_params["b"] = "BU03440111"  # lang=nl is the default and is not written
    at.run()
    assert not at.exception and not at.warning
    assert at.text[0].value == "lang=nl buurt=BU03440111 changed=False"
    # Anything else in the URL (here a tracking parameter) is dropped when the view is written.
    at.query_params["fbclid"] = "x"
    at.run()
    assert at.text[0].value.endswith("changed=True") and at.query_params == {"b": "BU03440111"}


def test_urlencode_of_the_parameters_is_the_query_string():
    state = ShareState(weights=(("dist_sport_m", 3.0),), added=(ScenarioFacility("sport", -6999.5, 300000.0, 0.0),))
    assert to_query_string(state) == urlencode(encode(state), doseq=True)
    assert "add=sport~-6999.5~300000~0" in to_query_string(state)


# --------------------------------------------------------------------------- the public address of a server


@pytest.mark.parametrize(
    ("raw", "base_path", "expected"),
    [
        ("", "rsp", None),  # not set: the links start from the browser's address, as before
        ("   ", "", None),
        ("https://planner.gemeente.nl", "", "https://planner.gemeente.nl/"),
        # An address without a path takes Streamlit's base path, however its slashes are written.
        ("https://planner.gemeente.nl", "rsp", "https://planner.gemeente.nl/rsp/"),
        ("https://planner.gemeente.nl/", "/rsp/", "https://planner.gemeente.nl/rsp/"),
        # An address with a path is the whole public address (a proxy may map /kansen/ to the app's /rsp/).
        ("https://www.gemeente.nl/kansen/planner", "rsp", "https://www.gemeente.nl/kansen/planner/"),
        ("HTTP://10.0.0.5:8080/rsp/", "", "http://10.0.0.5:8080/rsp/"),
    ],
)
def test_the_public_address_is_the_base_of_the_link(raw: str, base_path: str, expected: str | None) -> None:
    assert share.public_base_url(raw, base_path) == expected
    if expected is not None:
        state = ShareState(lang="en", buurt="BU03440111")
        assert share_url(expected, state) == expected + "?lang=en&b=BU03440111"


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("planner.gemeente.nl", "http:// or https://"),
        ("ftp://planner.gemeente.nl/", "http:// or https://"),
        ("https://", "name a host"),
        ("https://planner.gemeente.nl/?lang=en", "query"),
        ("https://planner.gemeente.nl/#top", "fragment"),
        ("https://planner.gemeente.nl:99999/", "port"),
        ("https://planner gemeente.nl/", "spaces"),
        ("https://planner.gemeente.nl/\x1b[31m", "control"),
        ("https://planner.gemeente.nl/" + "x" * share.PUBLIC_URL_MAX_CHARS, "characters long"),
    ],
)
def test_a_malformed_public_address_is_refused_saying_why(raw: str, says: str) -> None:
    with pytest.raises(ParameterError, match=share.PUBLIC_URL_ENV) as caught:
        share.public_base_url(raw)
    assert says in str(caught.value)


def test_a_password_in_the_public_address_is_refused_and_never_repeated() -> None:
    with pytest.raises(ParameterError, match="user name or password") as caught:
        share.public_base_url("https://beheer:geheim123@planner.gemeente.nl/")
    assert "geheim123" not in str(caught.value)
    assert "planner.gemeente.nl" in str(caught.value)
