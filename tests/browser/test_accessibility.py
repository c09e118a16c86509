"""Accessibility of the running app (WCAG 2.1 AA, as public-sector software must be): axe-core finds no
violation on the main page, in either language, or in any tab; the main controls work by keyboard alone.

axe-core comes with the Python package ``axe-playwright-python`` (its ``axe.min.js`` is inside the wheel, so
nothing is fetched at test time). It is injected into the page and into every frame (the folium maps are
component iframes) and run there with the WCAG 2.0/2.1 level A and AA rules only. Nothing is excluded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

pytest.importorskip(
    "playwright.sync_api",
    reason="no Chromium browser found: the Python package 'playwright' is not installed "
    "(pip install -r requirements-dev.txt; apt-get install chromium)",
)
pytest.importorskip(
    "axe_playwright_python.sync_playwright",
    reason="the Python package 'axe-playwright-python' is not installed (pip install -r requirements-dev.txt)",
)
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from geo.catalog import ACCESS
from geo.terms import group_name
from ui import share
from ui.i18n import t
from ui.sidebar import WEIGHT_STEP

from .app_page import RUN_TIMEOUT_MS, TITLES, AppPage

pytestmark = pytest.mark.browser

#: The WCAG 2.0 and 2.1 success criteria of levels A and AA (axe's rule tags).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"], "iframes": False}
#: The tabs under the detail panel (app.TAB_NAMES; app.py runs the app when imported, so named again here
#: and checked against the page).
TAB_KEYS = ("tab_robustness", "tab_equity", "tab_scenarios", "tab_budget", share.SCHOOLS_TAB)
TAB_LABELS = [t(key, "nl") for key in TAB_KEYS]


def _axe(page: Page) -> list[dict]:
    """axe's WCAG A/AA violations on the page and in each of its frames, as ``[{id, frame, nodes}]``."""
    script = Axe().axe_script
    found = []
    for frame in page.frames:
        try:
            frame.evaluate(script)
            result = frame.evaluate(f"axe.run(document, {json.dumps(AXE_OPTIONS)})")
        except PlaywrightError as exc:  # a frame that navigated away while it was checked
            if frame.is_detached():
                continue
            raise AssertionError(f"axe did not run in frame {frame.url[:80]}: {exc}") from exc
        for violation in result["violations"]:
            found.append({
                "id": violation["id"],
                "impact": violation["impact"],
                "frame": "page" if frame is page.main_frame else frame.url.split("?")[0],
                "nodes": [
                    {"html": n["html"][:200], "why": [c["message"] for c in n["any"] + n["all"] + n["none"]]}
                    for n in violation["nodes"]
                ],
            })  # fmt: skip
    return found


def _report(violations: list[dict]) -> str:
    return json.dumps(violations, indent=1, ensure_ascii=False)[:6000]


@pytest.fixture(scope="module")
def app(page_opener, app_server) -> Iterator[AppPage]:
    """One app page for the axe checks: the main page, then each tab in turn, then the page in English."""
    page = page_opener()
    try:
        yield AppPage(page, app_server).open()
    finally:
        page.context.close()


# --------------------------------------------------------------------------- axe


def test_main_page_has_no_wcag_violation(app):
    violations = _axe(app.page)
    assert violations == [], _report(violations)


def test_the_map_as_table_has_no_wcag_violation(app):
    # The expander under the map (ui/map_table.py): opened, its tables are real HTML tables with headers.
    expander = app.page.get_by_test_id("stExpander").filter(has_text=t("map_table", "nl")).first
    expander.locator("summary").click()
    expect(expander.locator("details[open]")).to_have_count(1)
    tables = expander.get_by_role("table")
    expect(tables.first).to_be_visible(timeout=45_000)  # opening it reruns the app, which then fills it
    assert tables.count() >= 2  # the buurten and the facilities (no isochrones without a street network)
    assert tables.first.get_by_role("columnheader").count() >= 2
    violations = _axe(app.page)
    assert violations == [], _report(violations)
    expander.locator("summary").click()  # folded again for the tabs


def test_the_page_has_the_tabs_checked_here(app):
    tabs = [s.strip() for s in app.page.get_by_role("tab").all_inner_texts()]
    assert tabs == TAB_LABELS


@pytest.mark.parametrize("label", TAB_LABELS)
def test_tab_has_no_wcag_violation(app, label):
    app.open_tab(label)
    expect(app.page.get_by_role("tabpanel").filter(visible=True).first).to_be_visible()
    violations = _axe(app.page)
    assert violations == [], f"tab {label}: {_report(violations)}"


def test_english_page_has_no_wcag_violation(app):
    app.choose_language("English")
    expect(app.page.get_by_role("heading", level=1)).to_have_text(TITLES["en"], timeout=RUN_TIMEOUT_MS)
    app.wait_idle()
    violations = _axe(app.page)
    assert violations == [], _report(violations)


# --------------------------------------------------------------------------- keyboard

#: What ``document.activeElement`` is: tag, role or input type, accessible label, text, value.
_FOCUSED = """() => { const e = document.activeElement;
  if (!e || e === document.body) return null;
  const label = e.getAttribute('aria-label') || (e.labels && e.labels[0] ? e.labels[0].innerText : '');
  return {tag: e.tagName, type: e.getAttribute('role') || e.type || '', label: label.trim(),
          text: (e.innerText || '').trim(), value: e.value === undefined ? null : String(e.value),
          sidebar: !!e.closest('[data-testid=stSidebar]')}; }"""
SPORT = re.compile(r"^Afstand tot sportaccommodatie")
#: Tab presses allowed to get from the top of the page to a control (the sidebar has some 40 stops).
MAX_TABS = 80


def _tab_to(page: Page, found, seen: list[dict]) -> dict:
    """Press Tab until the focused element satisfies ``found``; every stop is added to ``seen``."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = page.evaluate(_FOCUSED)
        if focused is not None:
            seen.append(focused)
            if found(focused):
                return focused
    raise AssertionError(f"not reached by Tab in {MAX_TABS} presses; stops: {[(s['tag'], s['label']) for s in seen]}")


def test_keyboard_reaches_language_dataset_and_weights_and_arrow_keys_change_the_ranking(new_page, app_server):
    app = AppPage(new_page(), app_server).open()
    page = app.page
    before = app.ranking(3)
    page.locator("body").focus()
    seen: list[dict] = []
    # The skip link first, then the sidebar's controls in reading order.
    first = _tab_to(page, lambda f: True, seen)
    assert first["tag"] == "A" and "main content" in first["text"].lower(), first
    language = _tab_to(page, lambda f: f["type"] == "radio", seen)
    assert language["label"] == "Nederlands" and language["sidebar"], language
    dataset = _tab_to(page, lambda f: f["type"] == "combobox", seen)
    assert dataset["label"] == t("municipality_picker", "nl") and dataset["sidebar"], dataset
    assert _tab_to(page, lambda f: f["type"] == "range", seen)["sidebar"]  # the first weight slider
    # The distance weights are folded: Enter on the group's heading opens it, Tab goes on into it.
    _tab_to(page, lambda f: f["tag"] == "SUMMARY" and group_name(ACCESS, "nl") in f["text"], seen)
    page.keyboard.press("Enter")
    slider = _tab_to(page, lambda f: f["type"] == "range" and bool(SPORT.match(f["label"])), seen)
    handle = app.sidebar().get_by_role("slider", name=SPORT)
    start, top = float(slider["value"]), float(handle.get_attribute("max") or 0)
    assert start < top, slider
    # Arrow keys up to the maximum (one step each); the ranking follows.
    for _ in range(int((top - start) / WEIGHT_STEP) + 1):
        page.keyboard.press("ArrowRight")
    expect(handle).to_have_value(re.compile(rf"^{top:g}(\.0)?$"))
    app.wait_idle()
    after = app.ranking(3)
    assert after != before, f"the ranking did not change after the sport weight went from {start:g} to {top:g}"
    # Focus stays on the slider through the rerun (the keyboard user can go on from there).
    focused = page.evaluate(_FOCUSED)
    assert focused and focused["type"] == "range" and SPORT.match(focused["label"]), focused
    page.keyboard.press("ArrowLeft")
    expect(handle).not_to_have_value(re.compile(rf"^{top:g}(\.0)?$"))
    app.wait_idle()
    assert app.exceptions() == []
