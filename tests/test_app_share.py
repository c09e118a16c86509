"""Share links in the app: a link restores the view; a bad link never breaks it (AppTest)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from tests.helpers import open_app_tab
from ui import exports_view, share

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _open(params: dict[str, str | list[str]]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_link_restores_language_weights_buurt_and_scenario() -> None:
    at = _open({"lang": "en", "w": "dist_sport_m~3", "b": "BU03440112", "add": "swimming_pool~133000~452000~2"})
    assert at.title[0].value == "Rich School Day Planner"
    assert at.slider(key="w_rijke_schooldag_dist_sport_m").value == 3.0
    assert at.selectbox(key="buurt_select").value == "BU03440112"
    open_app_tab(at, "Scenarios")  # only the open tab runs
    summary = next(df.value for df in at.dataframe if "Changes" in df.value.columns)
    assert "Swimming pool" in summary["Changes"].iloc[0]
    # The URL keeps the view, and the sidebar shows the link.
    assert at.query_params["lang"] == ["en"] or at.query_params["lang"] == "en"
    assert any("b=BU03440112" in c.value for c in at.code)


def test_changing_the_view_updates_the_link() -> None:
    at = _open({})
    at.radio(key="lang").set_value("en").run()
    at.selectbox(key="buurt_select").set_value("BU03440112").run()
    link = next(c.value for c in at.code if "lang=en" in c.value)
    assert "b=BU03440112" in link
    # Opening that link in a fresh session shows the same view.
    query = dict(p.split("=", 1) for p in link.split("?", 1)[1].split("&"))
    again = _open(query)
    assert again.title[0].value == "Rich School Day Planner"
    assert again.selectbox(key="buurt_select").value == "BU03440112"


HOSTILE = [
    {"lang": "<script>alert(1)</script>"},
    {"w": ["dist_sport_m~1e309", "woz_mean_keur~nan", "x~1"]},
    {"b": "'; DROP TABLE buurten;--"},
    {"p": "../../etc/passwd", "map": "__import__('os').system('id')"},
    {"add": ["sport~1~2", "theatre~133000~452000", "sport~nan~inf"] + ["sport~133000~452000"] * 30},
    {"rm": "<img src=x onerror=alert(1)>", "ft": "sport~~~<b>"},
    {"min": "0~-5~1000", "kmh": "-4", "iso": "maybe", "tr": "rocket", "mode": "teleport"},
    {"w": "dist_sport_m~0", "p": "need_only"} | {"ds": "x" * 5000},
    {"b": "\x00\x1b[31m\u202e", "lang": "%00"},
]


@pytest.mark.parametrize("params", HOSTILE)
def test_hostile_links_fall_back_with_a_visible_escaped_notice(params: dict) -> None:
    at = _open(params)
    assert at.title[0].value in ("Rijke Schooldag Planner", "Rich School Day Planner")
    notice = next((w.value for w in at.warning if "link" in w.value.lower()), "")
    assert notice, "a notice says what the link could not restore"
    # Markdown source: every '<' from the URL is backslash-escaped, so it shows as text.
    assert not re.search(r"(?<!\\)<", notice), notice
    # The page still explains the top buurt.
    assert any("staat op" in i.value or " ranks " in i.value for i in at.info)


# --------------------------------------------------------------------------- on a server: the public address


@pytest.fixture
def base_url_path() -> Iterator[Callable[[str], None]]:
    """Set Streamlit's ``server.baseUrlPath`` for one test (as ``--server.baseUrlPath`` does), then put it back."""
    before = st_config.get_option(share.BASE_URL_PATH_OPTION)
    yield lambda value: st_config.set_option(share.BASE_URL_PATH_OPTION, value)
    st_config.set_option(share.BASE_URL_PATH_OPTION, before)


@pytest.fixture
def pack_links(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The links handed to the exports (the decision pack prints that one), one per run."""
    seen: list[str] = []
    original = exports_view.render_exports

    def recording(result, key, params, share_link, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(share_link)
        return original(result, key, params, share_link, *args, **kwargs)

    monkeypatch.setattr(exports_view, "render_exports", recording)
    return seen


def test_behind_a_proxy_every_link_starts_at_the_public_address_and_base_path(
    monkeypatch: pytest.MonkeyPatch, base_url_path: Callable[[str], None], pack_links: list[str]
) -> None:
    monkeypatch.setenv(share.PUBLIC_URL_ENV, "https://planner.gemeente.nl")
    base_url_path("rsp")
    at = _open({"lang": "en", "b": "BU03440112"})
    link = next(c.value for c in at.code if "b=BU03440112" in c.value)
    assert link.startswith("https://planner.gemeente.nl/rsp/?"), link
    assert pack_links[-1] == link  # the decision pack prints the same link
    assert not [w.value for w in at.warning if "openbare adres" in w.value or "public address" in w.value]


def test_a_public_address_with_its_own_path_is_used_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(share.PUBLIC_URL_ENV, "https://www.gemeente.nl/kansen/planner")
    at = _open({"b": "BU03440112"})
    assert any(c.value.startswith("https://www.gemeente.nl/kansen/planner/?b=BU03440112") for c in at.code)


def test_a_malformed_public_address_is_said_and_the_link_falls_back(
    monkeypatch: pytest.MonkeyPatch, pack_links: list[str]
) -> None:
    monkeypatch.setenv(share.PUBLIC_URL_ENV, "planner.gemeente.nl/rsp")
    at = _open({"b": "BU03440112"})
    # Markdown source, backslash-escaped: what shows on screen is the text without the backslashes.
    warning = next(w.value.replace("\\", "") for w in at.warning if "openbare adres" in w.value)
    assert share.PUBLIC_URL_ENV in warning and "https://" in warning and "planner.gemeente.nl/rsp" in warning
    # The app keeps running, with the link it always made (AppTest has no browser address: the query only).
    assert at.title[0].value == "Rijke Schooldag Planner"
    link = next(c.value for c in at.code if "b=BU03440112" in c.value)
    assert link == "?b=BU03440112"
    assert pack_links[-1] == link
