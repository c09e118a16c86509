"""The running app in headless Chromium: map, selection, weights, share links, hostile links, HTML export,
the Scholen tab (a click on a school opens its gap card; its link opens that card again).

One app server per session (``conftest.app_server``). Page loads are the
slow part (each is a new Streamlit session that renders the whole app), so the
map, selection, weight and export tests and the first half of the share-link
test use one shared page, each working from whatever state the previous one
left; the second half of the share-link test and the hostile links open fresh
browser contexts. Tests wait on conditions (a heading, a table cell, a polygon
count), never on fixed sleeps. What is read from the page, and how, is
described in ``app_page.py``.

Two tests skip, with the reason, when the app lacks the feature they test:
share links (the view in the URL query string) and the standalone HTML map
download ('Kaart (HTML)' / 'Map (HTML)').
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

pytest.importorskip(
    "playwright.sync_api",
    reason="no Chromium browser found: the Python package 'playwright' is not installed "
    "(pip install -r requirements-dev.txt; apt-get install chromium)",
)
from playwright.sync_api import expect

from .app_page import N_BUURTEN, TABS, TITLES, AppPage

pytestmark = pytest.mark.browser

ACCESS_NL, ACCESS_EN = "Afstand tot voorzieningen", "Distance to facilities"
SPORT_NL, SPORT_EN = re.compile(r"^Afstand tot sportaccommodatie"), re.compile(r"^Distance to sports facility")
PICKED = "Oog in Al"  # a buurt in the middle of the default ranking (92 of 110)
OTHER = "Lunetten-Noord"  # picked instead when PICKED is already selected
FACILITIES_EN = ["Sports facility", "Swimming pool", "Primary school"]  # all types in the default data
EXPORT_BUTTON = re.compile(r"(Kaart|Map) \(HTML\)", re.IGNORECASE)


@pytest.fixture(scope="module")
def app(page_opener, app_server) -> Iterator[AppPage]:
    """One app page shared by the map, selection, weight and export tests (one page load instead of four).

    Each of these tests works from whatever state the previous one left (it
    picks a buurt other than the selected one, moves a slider to the other end).
    """
    page = page_opener()
    try:
        yield AppPage(page, app_server).open()
    finally:
        page.context.close()


def _poll(read, until, *, timeout_s: float = 45.0, every_ms: int = 200):
    """Read a value until ``until(value)`` holds; return it (the last value when time runs out)."""
    deadline = time.monotonic() + timeout_s
    value = read()
    while not until(value) and time.monotonic() < deadline:
        time.sleep(every_ms / 1000)
        value = read()
    return value


# --------------------------------------------------------------------------- map


def test_map_shows_every_buurt_and_the_legend(app):
    buurten = app.map_buurten()
    codes = {b["code"] for b in buurten}
    assert len(codes) == N_BUURTEN and all(c.startswith("BU") for c in codes)
    # Buurt polygons plus the facility points: all drawn as interactive SVG paths.
    assert app.map_frame().locator("path.leaflet-interactive").count() >= N_BUURTEN
    expect(app.map_legend("Prioriteitsscore")).to_be_visible()  # the choropleth's legend
    expect(app.map_legend("Voorzieningen")).to_be_visible()  # the facilities' legend
    assert app.exceptions() == []


# --------------------------------------------------------------------------- selection


def test_clicking_a_buurt_on_the_map_explains_that_buurt(app):
    current = app.heading().inner_text().strip()
    target = next(b for b in app.map_buurten() if b["name"] != current)
    app.click_buurt_on_map(target["code"])
    app.expect_selected(target["name"])
    app.wait_idle()
    assert app.exceptions() == []


def test_picking_a_buurt_in_the_list_explains_that_buurt(app):
    top = app.ranking(1)[0]
    name = OTHER if app.heading().inner_text().strip() == PICKED else PICKED
    app.pick(name)
    app.expect_selected(name)
    assert re.match(rf"{re.escape(name)} staat op \d+ van 110, ", app.sentence())
    app.wait_idle()
    assert app.ranking(1)[0] == top  # picking explains a buurt; it does not change the ranking
    assert app.exceptions() == []


# --------------------------------------------------------------------------- weights


def test_moving_the_sport_distance_weight_changes_the_order(app):
    before = app.ranking(5)
    assert [r[1] for r in before] == ["1", "2", "3", "4", "5"]
    slider = app.slider(ACCESS_NL, SPORT_NL)
    # From the default (1) to the maximum; should the slider already be there, to the minimum.
    key, target = ("End", "5") if app.slider_value(slider) < 5 else ("Home", "0")
    slider.focus()
    slider.press(key)
    expect(slider).to_have_value(target)
    after = _poll(lambda: app.ranking(5), lambda rows: bool(rows) and rows[0][0] != before[0][0])
    assert after[0][0] != before[0][0], f"{before[0][2]} stayed first after moving the sport weight to {target}"
    assert [r[1] for r in after] == ["1", "2", "3", "4", "5"]
    app.wait_idle()
    assert app.exceptions() == []
    expect(app.sentence_locator()).to_be_visible()  # the detail panel still explains the selected buurt


def test_a_weight_change_recolours_the_drawn_map_and_keeps_the_users_zoom(app):
    app.wait_map()
    app.wait_idle()
    app.zoom_map_in(2)
    app.mark_map()
    before = _poll(app.map_view, lambda v: bool(v and v["fills"]))
    slider = app.slider(ACCESS_NL, SPORT_NL)
    key, target = ("End", "5") if app.slider_value(slider) < 5 else ("Home", "0")
    slider.focus()
    slider.press(key)
    expect(slider).to_have_value(target)
    after = _poll(app.map_view, lambda v: bool(v and v["fills"]) and v["fills"] != before["fills"])
    assert after["fills"] != before["fills"], "the buurten kept their colours after a weight change"
    assert set(after["fills"]) == set(before["fills"])  # the same buurten, recoloured
    # The map was not drawn again: the user's zoom and position stay, and so does the mark set in its window.
    assert after["zoom"] == before["zoom"] and after["center"] == pytest.approx(before["center"], abs=1e-9)
    assert after["mark"] == "kept"
    app.wait_idle()
    assert app.exceptions() == []
    expect(app.map_legend("Prioriteitsscore")).to_have_count(1)  # the legend was replaced, not added again


# --------------------------------------------------------------------------- charts


def _y_axis(axes: list[dict]) -> dict:
    return next(a for a in axes if a["label"].startswith("Y-axis"))


def _n_values(axis: dict) -> int:
    return int(re.search(r"with (\d+) values", axis["label"]).group(1))


def test_every_indicator_and_every_buurt_is_named_on_the_chart_axes(app):
    app.wait_idle()
    expect(app.page.locator('[data-testid="stVegaLiteChart"] svg').first).to_be_visible(timeout=45_000)
    charts = _poll(app.chart_axes, lambda c: len(c) >= 2 and all(c))
    contributions, robustness = _y_axis(charts[0]), _y_axis(charts[1])
    # The contribution chart: one label per indicator of the explanation, none dropped for lack of room.
    assert _n_values(contributions) >= 5 and len(contributions["shown"]) == _n_values(contributions)
    assert "Kinderen 0–14" in contributions["shown"]
    # The robustness chart: the top 30 buurten, each named with its place, 1 to 30 in order.
    assert len(robustness["shown"]) == _n_values(robustness) == 30
    assert [int(text.split(".")[0]) for text in robustness["shown"]] == list(range(1, 31))
    for axis in (contributions, robustness):  # labels do not overlap: each sits below the one before
        tops_bottoms = axis["boxes"]
        assert all(b[0] >= a[1] - 1 for a, b in zip(tops_bottoms, tops_bottoms[1:], strict=False)), axis["shown"]


# --------------------------------------------------------------------------- HTML export


def test_html_map_export_opens_offline_and_shows_the_layers(app, new_page, tmp_path):
    button = app.page.get_by_test_id("stDownloadButton").filter(has_text=EXPORT_BUTTON)
    if button.count() == 0:
        pytest.skip("HTML map export not wired yet: no download button labelled 'Kaart (HTML)' / 'Map (HTML)'")
    with app.page.expect_download() as info:
        button.first.get_by_role("button").click()
    download = info.value
    assert download.failure() is None
    path = tmp_path / (download.suggested_filename or "kaart.html")
    download.save_as(path)
    assert path.suffix.lower() in (".html", ".htm"), f"the map download is {path.name}, expected an .html file"

    # Open the file on its own, with the network switched off: it must need no server and no internet.
    page = new_page(offline=True)
    page.goto(path.as_uri())
    page.wait_for_function(f"document.querySelectorAll('path.leaflet-interactive').length >= {N_BUURTEN}")
    buurten = page.evaluate(
        """() => { const s = new Set();
            for (const k of Object.keys(window)) { let v; try { v = window[k]; } catch (e) { continue; }
              if (typeof L !== 'undefined' && v instanceof L.GeoJSON)
                v.eachLayer(l => { const p = (l.feature || {}).properties || {};
                                   if (p.buurt_code) s.add(p.buurt_code); }); }
            return s.size; }"""
    )
    assert buurten == N_BUURTEN
    # The choropleth's legend, and the layer control listing the buurt layer and the facility layers.
    expect(
        page.locator(".rsp-legend").filter(has_text=re.compile("Prioriteitsscore|Priority score")).first
    ).to_be_visible()
    overlays = page.locator(".leaflet-control-layers-overlays label")
    assert overlays.count() >= 2, overlays.all_inner_texts()
    assert page.errors == [] and page.dialogs == []


# --------------------------------------------------------------------------- share links


def _settled_query(app: AppPage, *, timeout_s: float = 10.0, stable_s: float = 1.0) -> str:
    """The page URL's query string once it has stopped changing (empty if it never gets one)."""
    deadline = time.monotonic() + timeout_s
    last, since = urlsplit(app.page.url).query, time.monotonic()
    while time.monotonic() < deadline:
        app.page.wait_for_timeout(200)
        now = urlsplit(app.page.url).query
        if now != last:
            last, since = now, time.monotonic()
        elif now and time.monotonic() - since >= stable_s:
            break
    return last


def test_share_link_in_a_fresh_context_restores_weights_selection_and_language(app, new_page, app_server):
    # On the shared page (the last test to use it: it leaves it in English).
    first = app
    first.choose_language("English")
    expect(first.page.get_by_role("heading", level=1)).to_have_text(TITLES["en"])
    first.wait_idle()
    slider = first.slider(ACCESS_EN, SPORT_EN)
    slider.focus()
    slider.press("End")
    expect(slider).to_have_value("5")
    first.wait_idle()
    first.pick(PICKED)
    first.expect_selected(PICKED)
    first.wait_idle()
    # Regression (only a browser shows it): the multiselect's browser side held the chosen facility types by
    # their labels, so the first rerun after a language switch emptied it and the points left the map.
    assert first.facility_types_shown() == FACILITIES_EN
    query = _settled_query(first)
    if not query:
        pytest.skip(
            "share links not wired yet: after switching to English, moving a weight and picking a buurt the page "
            "URL has no query string (the app should keep its view in st.query_params)"
        )
    ranking = first.ranking(5)
    # The link the sidebar offers to copy (if shown) is this same view.
    share_box = first.sidebar().get_by_test_id("stExpander").filter(has_text=re.compile("Share this view|Deel deze"))
    if share_box.count():
        first.open_expander("Share this view")
        expect(share_box.get_by_test_id("stCode").first).to_contain_text("?" + query)

    # A new context: no cookies, no storage, a new Streamlit session; only the link carries the view.
    second = AppPage(new_page(), app_server).open("?" + query, wait_map=False)
    assert second.title() == TITLES["en"]
    second.expect_selected(PICKED)
    assert " ranks " in second.sentence()
    assert second.slider_value(second.slider(ACCESS_EN, SPORT_EN)) == 5.0
    assert second.ranking(5) == ranking  # the same weights, so the same order
    assert second.facility_types_shown() == FACILITIES_EN
    assert second.exceptions() == []
    assert urlsplit(second.page.url).query == query  # opening the link does not rewrite it


# --------------------------------------------------------------------------- hostile links

# The examples, each combined with the share-link parameters (ui/share.py) carrying a value the
# app must refuse. Four links, so four page loads; every parameter still gets a hostile value.
HOSTILE_QUERIES = {
    "markup": "?w_dist_sport_m=<script>alert(1)</script>&w=dist_sport_m~<script>alert(1)</script>"
    "&b=<img src=x onerror=alert(2)>&lang=<svg/onload=alert(3)>&rm=%3Cscript%3Ealert(4)%3C/script%3E",
    "nul-and-invalid-utf8": "?buurt=%00%ff&b=%00%ff&ft=%ff%fe&p=%E2%80%AE&map=%00",
    "unknown-values-and-traversal": "?lang=xx&preset=../../etc&p=../../etc&ds=../../etc/passwd"
    "&w=dist_sport_m~1e999&w=children_0_14~-5&w=nan~nan&b=BU99999999&ft=sport~nope&min=0~-1&kmh=nan&iso=2"
    "&map=__proto__&add=sport~1e308~-1e308&mode=%0d%0aSet-Cookie:x=1",
    "very-long-value": "?w=dist_sport_m~" + "9" * 10_000 + "&b=" + "A" * 5_000,
}
#: Elements that would mean link text became markup.
INJECTED = "img[src='x'], svg[onload], [onerror]"
_INLINE_ALERT = "() => [...document.scripts].some(s => !s.src && s.textContent.includes('alert('))"


def _hostile_problems(app: AppPage, *, with_map: bool) -> list[str]:
    """What is wrong with the page a hostile link opened (empty when nothing is)."""
    try:
        app.wait_rendered(wait_map=with_map)
    except AssertionError as exc:  # includes the text of a Streamlit exception box
        return [f"did not render: {str(exc)[:600]}"]
    problems = []
    if app.exceptions():
        problems.append(f"Streamlit exception: {app.exceptions()[0][:300]}")
    if app.title() not in TITLES.values():
        problems.append(f"title is {app.title()!r}")
    if app.page.locator(INJECTED).count() or app.page.evaluate(_INLINE_ALERT):
        problems.append("link text became markup in the page")
    if with_map and app.map_frame().locator(INJECTED).count():
        problems.append("link text became markup in the map")
    if app.page.dialogs:
        problems.append(f"dialog opened: {app.page.dialogs}")
    return problems


def test_hostile_links_neither_crash_the_app_nor_run_script(new_page, app_server):
    # All pages load at once (each is its own session), then each is checked in turn.
    apps = {name: AppPage(new_page(), app_server).goto(query) for name, query in HOSTILE_QUERIES.items()}
    # The map is awaited for the markup link only: that is where link text could reach a popup.
    problems = {name: _hostile_problems(app, with_map=name == "markup") for name, app in apps.items()}
    bad = {f"{name} ({HOSTILE_QUERIES[name][:60]}...)": p for name, p in problems.items() if p}
    assert not bad, bad


# --------------------------------------------------------------------------- the Scholen tab

SCHOOLS_TAB = TABS["schools"]["nl"]
N_SCHOOLS = 98  # the Utrecht branches (DUO), every one placed
#: A school circle's tooltip text: "[<branch code>] <name>", then the relative score on the next line.
SCHOOL_TOOLTIP = re.compile(r"^\[(?P<code>[0-9A-Z]{4}[0-9]{2})\] (?P<name>.+?)(Relatieve|Relative) ")


def test_clicking_a_school_on_the_map_opens_its_gap_card_and_its_link_opens_it_again(new_page, app_server):
    first = AppPage(new_page(), app_server).open(wait_map=False)
    first.open_tab(SCHOOLS_TAB)
    schools = first.wait_schools_map(n=N_SCHOOLS)
    assert len({s["code"] for s in schools}) == N_SCHOOLS
    expect(first.gap_card()).to_be_visible()  # the default school's card
    current = first.school_picker().input_value()
    clicked = None
    for school in schools:
        tip = SCHOOL_TOOLTIP.match(school["tooltip"])
        assert tip and tip["code"] == school["code"], school
        if not current.endswith(f"({tip['code']})") and first.click_school_on_map(tip["code"]):
            clicked = tip
            break
    assert clicked is not None, "no school circle could be clicked"
    first.expect_card(clicked["name"].strip(), clicked["code"])
    first.wait_idle()
    assert first.exceptions() == []
    query = _settled_query(first)
    assert f"school={clicked['code']}" in query.split("&"), query

    # A new context: only the link carries the school; it opens the Scholen tab with that card.
    second = AppPage(new_page(), app_server).open("?" + query, wait_map=False)
    expect(second.page.get_by_role("tab", name=SCHOOLS_TAB, exact=True)).to_have_attribute("aria-selected", "true")
    second.expect_card(clicked["name"].strip(), clicked["code"])
    second.wait_idle()
    assert second.exceptions() == [] and second.page.errors == []
    assert urlsplit(second.page.url).query == query  # opening the link does not rewrite it


# --------------------------------------------------------------------------- the whole country

N_NATIONAL = 7_000  # buurten with a 2014 shape (7,300), on one canvas
N_BOUNDARIES = 290  # municipalities with at least one shape (292)


def test_the_national_map_shows_buurten_and_boundaries_and_zooms_to_a_municipality(new_page, app_server):
    app = AppPage(new_page(), app_server).open("?ds=NL01", wait_map=False)
    state = _poll(app.national_map, lambda s: bool(s) and s["buurten"] >= N_NATIONAL and s["boundaries"] > 0)
    assert state and state["buurten"] >= N_NATIONAL and state["boundaries"] >= N_BOUNDARIES, state
    assert state["zoom"] <= 8 and state["selected"] == 1, state  # the whole country; the top buurt outlined
    assert app.map_frame().locator("canvas").count() >= 1  # thousands of buurten: one canvas, not SVG paths
    expect(app.map_legend("Prioriteitsscore")).to_be_visible()
    top = app.heading().inner_text().strip()

    app.mark_map()
    app.zoom_to("Rotterdam")
    zoomed = _poll(app.national_map, lambda s: bool(s) and s["zoom"] >= 10)
    assert zoomed and zoomed["zoom"] >= 10, zoomed
    lat, lon = zoomed["center"]
    assert 51.8 < lat < 52.05 and 3.9 < lon < 4.65, zoomed  # Rotterdam, Maasvlakte included
    expect(app.heading()).not_to_have_text(top, timeout=45_000)  # Rotterdam's highest-ranked buurt is explained
    app.wait_idle()
    assert app.exceptions() == [] and app.page.errors == []
    after = app.national_map()
    assert after and after["mark"] == "kept", after  # moved, not drawn again
    assert after["selected"] == 1 and after["buurten"] >= N_NATIONAL
    assert "ds=NL01" in urlsplit(app.page.url).query
